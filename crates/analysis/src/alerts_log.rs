//! Wazuh's plain-text `alerts.log` record.
//!
//! ```text
//! ** Alert 1641637661.257780241: - linux,packetbeat,dns
//! 2022 Jan 08 10:27:41 (agent) 10.0.0.5->/var/log/packetbeat
//! customer: d827
//! Rule: 200300 (level 3) -> 'Linux: DNS Query'
//! <full log>
//! <name>: <value> for each dynamic field
//! <previous events' full logs>
//! (blank line)
//! ```

use crate::alert::Alert;
use crate::event::StaticField;
use crate::timestamps::LOG_FORMAT;

/// Formats one `alerts.log` record for `alert` with id `alert_id`.
pub fn format_record(alert: &Alert, alert_id: &str) -> String {
    let mut out = String::new();
    write_record(alert, alert_id, &mut out);
    out
}

/// Appends one `alerts.log` record for `alert` with id `alert_id` to `out`.
pub fn write_record(alert: &Alert, alert_id: &str, out: &mut String) {
    let time = alert.timestamp.format(LOG_FORMAT).to_string();
    write_record_at(alert, &time, alert_id, out);
}

/// Appends one `alerts.log` record like [`write_record`], with `time` as the alert time
/// already formatted as `2022 Jan 08 10:27:41`.
pub(crate) fn write_record_at(alert: &Alert, time: &str, alert_id: &str, out: &mut String) {
    let event = &alert.event;
    out.push_str("** Alert ");
    out.push_str(alert_id);
    out.push(':');
    if alert.rule.mail {
        out.push_str(" mail ");
    }
    out.push_str(" - ");
    out.push_str(&alert.rule.group_string);
    out.push('\n');
    out.push_str(time);
    out.push(' ');
    if !event.full_location.starts_with('(') {
        out.push_str(&event.hostname);
        out.push_str("->");
    }
    out.push_str(&event.full_location);
    out.push('\n');
    for (key, value) in &alert.agent.labels {
        if !key.starts_with('_') {
            push_line(out, key, value);
        }
    }
    out.push_str("Rule: ");
    out.push_str(itoa::Buffer::new().format(alert.rule.id));
    out.push_str(" (level ");
    out.push_str(itoa::Buffer::new().format(alert.rule.level));
    out.push_str(") -> '");
    out.push_str(&alert.rule.description);
    out.push('\'');
    let optional = [
        ("Src IP", event.static_field(StaticField::SrcIp)),
        ("Src Port", event.static_field(StaticField::SrcPort)),
        ("Dst IP", event.static_field(StaticField::DstIp)),
        ("Dst Port", event.static_field(StaticField::DstPort)),
        ("User", event.static_field(StaticField::DstUser)),
    ];
    for (label, value) in optional {
        if let Some(value) = value {
            out.push('\n');
            out.push_str(label);
            out.push_str(": ");
            out.push_str(value);
        }
    }
    out.push('\n');
    out.push_str(&event.full_log);
    out.push('\n');
    event.write_field_lines(out);
    for previous in &alert.previous_output {
        out.push_str(previous);
        out.push('\n');
    }
    out.push('\n');
}

/// Appends a `key: value` line.
fn push_line(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(": ");
    out.push_str(value);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AgentInfo, AlertRule};
    use crate::event::Event;
    use chrono::DateTime;

    #[test]
    fn record_layout_agent_event() {
        let time = DateTime::parse_from_rfc3339("2022-01-08T10:27:41.666+00:00").unwrap();
        let mut event = Event::new(
            r#"{"method":"QUERY","srcip":"10.0.0.1"}"#.into(),
            "/var/log/packetbeat".into(),
            time,
        );
        event.full_location = "(web01) 10.0.0.5->/var/log/packetbeat".into();
        event.set_static(StaticField::SrcIp, "10.0.0.1".into());
        event.push_field("method", "QUERY");
        event.push_field("empty", "");
        let alert = Alert {
            timestamp: time,
            rule: AlertRule {
                id: 200300,
                level: 3,
                description: "Linux: DNS Query".into(),
                group_string: "linux,packetbeat,dns".into(),
                ..AlertRule::default()
            },
            agent: AgentInfo {
                id: "017".into(),
                labels: vec![("customer".into(), "d827".into())],
                ..AgentInfo::default()
            }
            .into(),
            manager_name: "manager".into(),
            previous_output: Vec::new(),
            event: event.into(),
        };
        let expected = "** Alert 1641637661.0: - linux,packetbeat,dns\n\
            2022 Jan 08 10:27:41 (web01) 10.0.0.5->/var/log/packetbeat\n\
            customer: d827\n\
            Rule: 200300 (level 3) -> 'Linux: DNS Query'\n\
            Src IP: 10.0.0.1\n\
            {\"method\":\"QUERY\",\"srcip\":\"10.0.0.1\"}\n\
            method: QUERY\n\n";
        assert_eq!(format_record(&alert, "1641637661.0"), expected);
    }
}

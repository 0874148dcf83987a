//! Printing of an [`Alert`] as Wazuh's `alerts.json` line, straight into a text buffer: the
//! members, their order and the number format follow what cJSON prints for the alert object
//! Wazuh builds.

use crate::alert::{group_tokens, Alert, AlertRule, COMPLIANCE_PREFIXES};
use crate::data::write_data;
use crate::event::Event;
use crate::json::{format_cjson_number, write_string, JsonValue};

/// Prints the members of one JSON object and the commas between them.
struct ObjectPrinter<'o> {
    out: &'o mut String,
    count: usize,
}

impl<'o> ObjectPrinter<'o> {
    fn open(out: &'o mut String) -> ObjectPrinter<'o> {
        out.push('{');
        ObjectPrinter { out, count: 0 }
    }

    /// Writes the key of the next member and returns the buffer for its value. Member names
    /// are fixed words that JSON strings hold without escapes.
    fn key(&mut self, name: &'static str) -> &mut String {
        if self.count > 0 {
            self.out.push(',');
        }
        self.count += 1;
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str("\":");
        self.out
    }

    fn string(&mut self, name: &'static str, value: &str) {
        write_string(self.key(name), value);
    }

    /// Writes a count as cJSON prints it from the double it stores.
    fn count(&mut self, name: &'static str, value: u64) {
        let out = self.key(name);
        // cJSON prints a double that equals its saturated `int` with `%d`, which is the
        // plain decimal for every count up to `i32::MAX`.
        if value <= i32::MAX as u64 {
            out.push_str(itoa::Buffer::new().format(value));
        } else {
            // Counters stay far below 2^53, so the conversion is exact.
            out.push_str(&format_cjson_number(value as f64));
        }
    }

    /// Writes members given as JSON text, without braces.
    fn members(&mut self, text: &str) {
        if self.count > 0 {
            self.out.push(',');
        }
        self.count += 1;
        self.out.push_str(text);
    }

    fn value(&mut self, name: &'static str, value: &JsonValue) {
        value.write(self.key(name), None);
    }

    /// Writes the member `name` when `write_value` appends a value and returns true.
    fn optional(&mut self, name: &'static str, write_value: impl FnOnce(&mut String) -> bool) {
        let mark = self.out.len();
        let count = self.count;
        if !write_value(self.key(name)) {
            self.out.truncate(mark);
            self.count = count;
        }
    }

    fn close(self) {
        self.out.push('}');
    }
}

impl Alert {
    /// Appends the `alerts.json` object to `out`. The `id` member is left out when
    /// `alert_id` is `None`, as `wazuh-logtest` shows alerts below the alert level.
    pub fn write_json(&self, alert_id: Option<&str>, out: &mut String) {
        self.write_json_at(&self.timestamp_text(), alert_id, out);
    }

    /// Appends the `alerts.json` object to `out` like [`Alert::write_json`], with `timestamp`
    /// as the already formatted [`Alert::timestamp_text`].
    pub(crate) fn write_json_at(&self, timestamp: &str, alert_id: Option<&str>, out: &mut String) {
        let event = &self.event;
        let mut root = ObjectPrinter::open(out);
        root.string("timestamp", timestamp);
        self.write_rule(root.key("rule"));
        self.write_agent(root.key("agent"));
        let mut manager = ObjectPrinter::open(root.key("manager"));
        manager.string("name", &self.manager_name);
        manager.close();
        if let Some(alert_id) = alert_id {
            root.string("id", alert_id);
        }
        if self.previous_output.len() >= 2 {
            root.string("previous_output", &self.previous_output.join("\n"));
        }
        if !self.rule.no_full_log {
            root.string("full_log", &event.full_log);
        }
        write_predecoder(&mut root, event);
        write_decoder(&mut root, event);
        root.optional("data", |out| write_data(event, out));
        root.string("location", &event.location);
        root.close();
    }

    fn write_rule(&self, out: &mut String) {
        let rule = &self.rule;
        let mut members = match &rule.json_head {
            Some(head) => {
                out.push_str(head);
                // The head contains at least the description and the id.
                ObjectPrinter { out, count: 2 }
            }
            None => {
                let mut members = ObjectPrinter::open(out);
                write_rule_head(rule, &mut members);
                members
            }
        };
        if let Some(firedtimes) = rule.firedtimes {
            members.count("firedtimes", firedtimes);
        }
        members
            .key("mail")
            .push_str(if rule.mail { "true" } else { "false" });
        match &rule.groups_json {
            Some(text) => members.members(text),
            None => write_groups(&mut members, &rule.group_string),
        }
        members.close();
    }

    fn write_agent(&self, out: &mut String) {
        let agent = &self.agent;
        let mut members = ObjectPrinter::open(out);
        members.string("id", &agent.id);
        if let Some(name) = &agent.name {
            members.string("name", name);
        }
        if let Some(ip) = agent.ip.as_ref().filter(|ip| *ip != "any") {
            members.string("ip", ip);
        }
        let mut labels = Vec::new();
        for (key, value) in &agent.labels {
            if !key.starts_with('_') {
                crate::data::add_field(&mut labels, key, value);
            }
        }
        if !labels.is_empty() {
            members.value("labels", &JsonValue::Object(labels));
        }
        members.close();
    }
}

/// Writes the members of `rule` that come before `firedtimes`, which depend only on the rule
/// when its description has no placeholder.
fn write_rule_head(rule: &AlertRule, members: &mut ObjectPrinter<'_>) {
    if rule.level > 0 {
        members.count("level", u64::from(rule.level));
    }
    members.string("description", &rule.description);
    let id = members.key("id");
    id.push('"');
    id.push_str(itoa::Buffer::new().format(rule.id));
    id.push('"');
    match (&rule.mitre_json, &rule.mitre) {
        (Some(text), _) => members.key("mitre").push_str(text),
        (None, Some(mitre)) => members.value("mitre", mitre),
        (None, None) => {}
    }
    if let Some(cve) = &rule.cve {
        members.string("cve", cve);
    }
    if let Some(info) = &rule.info {
        members.string("info", info);
    }
    if let Some(frequency) = rule.frequency {
        members.count("frequency", u64::from(frequency));
    }
}

/// Returns the opening brace and the members of `rule` before `firedtimes` as JSON text, for
/// [`AlertRule::json_head`](crate::alert::AlertRule::json_head).
pub(crate) fn rule_json_head(rule: &AlertRule) -> String {
    let mut out = String::new();
    let mut members = ObjectPrinter::open(&mut out);
    write_rule_head(rule, &mut members);
    out
}

/// Returns the members that `group_string` gives `rule` as JSON text, for
/// [`AlertRule::groups_json`](crate::alert::AlertRule::groups_json).
pub(crate) fn groups_json(group_string: &str) -> String {
    let mut out = String::new();
    let mut members = ObjectPrinter {
        out: &mut out,
        count: 0,
    };
    write_groups(&mut members, group_string);
    out
}

/// Writes `groups` and the compliance arrays that [`crate::alert::split_groups`] returns for
/// `group_string`, without building them as values.
fn write_groups(members: &mut ObjectPrinter<'_>, group_string: &str) {
    let tokens = || group_tokens(group_string);
    write_string_array(
        members.key("groups"),
        tokens().filter(|(kind, _)| kind.is_none()),
    );
    // Compliance arrays follow in the order of their first token.
    let mut order = [0; COMPLIANCE_PREFIXES.len()];
    let mut found = 0;
    for (kind, _) in tokens() {
        if let Some(index) = kind.filter(|index| !order[..found].contains(index)) {
            order[found] = index;
            found += 1;
        }
    }
    for &index in &order[..found] {
        let (_, name) = COMPLIANCE_PREFIXES[index];
        let values = tokens().filter(|(kind, _)| *kind == Some(index));
        write_string_array(members.key(name), values);
    }
}

/// Appends a JSON array of the texts of `items`.
fn write_string_array<'a>(out: &mut String, items: impl Iterator<Item = (Option<usize>, &'a str)>) {
    out.push('[');
    for (position, (_, text)) in items.enumerate() {
        if position > 0 {
            out.push(',');
        }
        write_string(out, text);
    }
    out.push(']');
}

fn write_predecoder(root: &mut ObjectPrinter<'_>, event: &Event) {
    let fields = [
        ("program_name", &event.program_name),
        ("timestamp", &event.header_timestamp),
        ("hostname", &event.header_hostname),
    ];
    if fields.iter().all(|(_, value)| value.is_none()) {
        return;
    }
    let mut members = ObjectPrinter::open(root.key("predecoder"));
    for (name, value) in fields {
        if let Some(value) = value {
            members.string(name, value);
        }
    }
    members.close();
}

fn write_decoder(root: &mut ObjectPrinter<'_>, event: &Event) {
    let Some(decoder) = &event.decoder else {
        return;
    };
    let mut members = ObjectPrinter::open(root.key("decoder"));
    if decoder.accumulate {
        members.count("accumulate", 1);
    }
    if let Some(parent) = &decoder.parent {
        members.string("parent", parent);
    }
    members.string("name", &decoder.name);
    if let Some(comment) = &decoder.fts_comment {
        members.string("ftscomment", comment);
    }
    members.close();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::split_groups;

    #[test]
    fn groups_match_split_groups() {
        let long = format!("{}é,tail", "a".repeat(1021));
        let group_strings = [
            "",
            ",,",
            "linux,packetbeat,dns",
            "syslog,pci_dss_10.6.1,gdpr_IV_35.7.d,,pci_dss_11.4, spaced,",
            "tsc_CC6.1,hipaa_x,tsc_CC7.2,nist_800_53_SI.4,gpg13_4.1,cis_1,gdpr_a,pci_dss_",
            "quote\"d,back\\slash,cis_\u{1}",
            long.as_str(),
        ];
        for group_string in group_strings {
            let mut out = String::new();
            let mut members = ObjectPrinter::open(&mut out);
            write_groups(&mut members, group_string);
            members.close();
            let expected = JsonValue::Object(split_groups(group_string)).to_compact();
            assert_eq!(out, expected, "{group_string}");
            let text = groups_json(group_string);
            assert_eq!(format!("{{{text}}}"), expected, "{group_string}");
        }
    }

    #[test]
    fn rule_head_text_matches_fields() {
        let time = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00+00:00").unwrap();
        let mitre = JsonValue::parse_prefix(r#"{"id":["T1071"]}"#).unwrap();
        let rules = [
            crate::alert::AlertRule {
                id: 200300,
                level: 3,
                description: "Linux: DNS \"Query\"".into(),
                mitre: Some(mitre.into()),
                firedtimes: Some(7),
                group_string: "linux,dns,".into(),
                ..Default::default()
            },
            crate::alert::AlertRule {
                id: 5,
                level: 0,
                description: "d".into(),
                cve: Some("CVE-1".into()),
                info: Some("i".into()),
                frequency: Some(4),
                mail: true,
                group_string: "g,pci_dss_1.1,".into(),
                ..Default::default()
            },
        ];
        for rule in rules {
            let mut alert = Alert {
                timestamp: time,
                rule,
                agent: crate::alert::AgentInfo::default().into(),
                manager_name: "m".into(),
                previous_output: Vec::new(),
                event: Event::new("{}".into(), "stdin".into(), time).into(),
            };
            let mut from_fields = String::new();
            alert.write_json(Some("1.0"), &mut from_fields);
            alert.rule.json_head = Some(rule_json_head(&alert.rule).into());
            let mut from_head = String::new();
            alert.write_json(Some("1.0"), &mut from_head);
            assert_eq!(from_head, from_fields);
        }
    }

    #[test]
    fn mitre_text_matches_object() {
        let time = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00+00:00").unwrap();
        let mitre = JsonValue::parse_prefix(r#"{"id":["T1071"],"tactic":["Command and Control"]}"#)
            .unwrap();
        let mut alert = Alert {
            timestamp: time,
            rule: crate::alert::AlertRule {
                id: 5,
                level: 3,
                description: "d".into(),
                mitre: Some(mitre.clone().into()),
                group_string: "g,".into(),
                ..Default::default()
            },
            agent: crate::alert::AgentInfo {
                id: "000".into(),
                ..Default::default()
            }
            .into(),
            manager_name: "m".into(),
            previous_output: Vec::new(),
            event: Event::new("{}".into(), "stdin".into(), time).into(),
        };
        let mut from_object = String::new();
        alert.write_json(Some("1.0"), &mut from_object);
        assert!(
            from_object.contains(r#""mitre":{"id":["T1071"]"#),
            "{from_object}"
        );
        alert.rule.mitre_json = Some(mitre.to_compact().into());
        let mut from_text = String::new();
        alert.write_json(Some("1.0"), &mut from_text);
        assert_eq!(from_text, from_object);
    }

    #[test]
    fn counts_print_like_cjson() {
        for value in [0, 7, u64::from(u32::MAX), i32::MAX as u64, 1 << 40] {
            let mut out = String::new();
            let mut members = ObjectPrinter::open(&mut out);
            members.count("n", value);
            members.close();
            let expected = format!("{{\"n\":{}}}", format_cjson_number(value as f64));
            assert_eq!(out, expected, "{value}");
        }
    }
}

//! The alert record: what rule fired on which event, laid out as Wazuh's `alerts.json` line
//! (key order included) and carrying what `alerts.log` needs.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use crate::data::build_data;
use crate::event::Event;
use crate::json::JsonValue;

/// Bytes of the group string Wazuh keeps when splitting it into `rule.groups`.
pub const MAX_GROUP_STRING: usize = 1023;

/// Compliance prefixes moved out of `rule.groups`, in the order Wazuh tests them.
const COMPLIANCE_PREFIXES: [(&str, &str); 7] = [
    ("pci_dss_", "pci_dss"),
    ("cis_", "cis"),
    ("gdpr_", "gdpr"),
    ("gpg13_", "gpg13"),
    ("hipaa_", "hipaa"),
    ("nist_800_53_", "nist_800_53"),
    ("tsc_", "tsc"),
];

/// The rule part of an alert, already resolved for this event.
#[derive(Debug, Clone, Default)]
pub struct AlertRule {
    /// Rule id.
    pub id: u32,
    /// Rule level.
    pub level: u8,
    /// Description after `$(field)` substitution.
    pub description: String,
    /// `rule.mitre` object, when any technique is known.
    pub mitre: Option<JsonValue>,
    /// `<cve>`.
    pub cve: Option<String>,
    /// All `<info>` contents concatenated.
    pub info: Option<String>,
    /// `rule.frequency`, present for correlation rules.
    pub frequency: Option<u32>,
    /// `rule.firedtimes`; `None` with `no_counter`.
    pub firedtimes: Option<u64>,
    /// `rule.mail`.
    pub mail: bool,
    /// The raw group string.
    pub group_string: String,
    /// `no_full_log` option.
    pub no_full_log: bool,
}

/// The agent part of an alert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentInfo {
    /// Agent id, `000` for the manager.
    pub id: String,
    /// Agent name (the manager name for `000`).
    pub name: Option<String>,
    /// Agent IP; omitted when unknown or `any`.
    pub ip: Option<String>,
    /// Agent labels as `key`/`value` pairs; dotted keys nest.
    pub labels: Vec<(String, String)>,
}

/// One alert, ready to be written.
#[derive(Debug, Clone)]
pub struct Alert {
    /// Manager time of the event.
    pub timestamp: DateTime<FixedOffset>,
    /// The rule that fired.
    pub rule: AlertRule,
    /// The agent the event came from.
    pub agent: AgentInfo,
    /// `manager.name`.
    pub manager_name: String,
    /// Full logs of the previous events of a correlation, oldest last.
    pub previous_output: Vec<String>,
    /// The decoded event, shared with the session's correlation state.
    pub event: Arc<Event>,
}

impl Alert {
    /// Formats the alert timestamp as Wazuh does (`2022-01-08T10:27:41.666+0000`).
    pub fn timestamp_text(&self) -> String {
        self.timestamp.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
    }

    /// Builds the `alerts.json` object with the given alert id (`seconds.offset`).
    pub fn to_json(&self, alert_id: &str) -> JsonValue {
        let mut root = vec![
            (
                "timestamp".to_string(),
                JsonValue::String(self.timestamp_text()),
            ),
            ("rule".to_string(), self.rule_json()),
            ("agent".to_string(), self.agent_json()),
            (
                "manager".to_string(),
                JsonValue::Object(vec![(
                    "name".to_string(),
                    JsonValue::String(self.manager_name.clone()),
                )]),
            ),
            ("id".to_string(), JsonValue::String(alert_id.to_string())),
        ];
        if self.previous_output.len() >= 2 {
            root.push((
                "previous_output".to_string(),
                JsonValue::String(self.previous_output.join("\n")),
            ));
        }
        if !self.rule.no_full_log {
            root.push((
                "full_log".to_string(),
                JsonValue::String(self.event.full_log.clone()),
            ));
        }
        if let Some(predecoder) = predecoder_json(&self.event) {
            root.push(("predecoder".to_string(), predecoder));
        }
        if let Some(decoder) = decoder_json(&self.event) {
            root.push(("decoder".to_string(), decoder));
        }
        let data = build_data(&self.event);
        if !data.is_empty() {
            root.push(("data".to_string(), JsonValue::Object(data)));
        }
        root.push((
            "location".to_string(),
            JsonValue::String(self.event.location.clone()),
        ));
        JsonValue::Object(root)
    }

    fn rule_json(&self) -> JsonValue {
        let rule = &self.rule;
        let mut members = Vec::new();
        if rule.level > 0 {
            members.push((
                "level".to_string(),
                JsonValue::Number(f64::from(rule.level)),
            ));
        }
        members.push((
            "description".to_string(),
            JsonValue::String(rule.description.clone()),
        ));
        members.push(("id".to_string(), JsonValue::String(rule.id.to_string())));
        if let Some(mitre) = &rule.mitre {
            members.push(("mitre".to_string(), mitre.clone()));
        }
        if let Some(cve) = &rule.cve {
            members.push(("cve".to_string(), JsonValue::String(cve.clone())));
        }
        if let Some(info) = &rule.info {
            members.push(("info".to_string(), JsonValue::String(info.clone())));
        }
        if let Some(frequency) = rule.frequency {
            members.push((
                "frequency".to_string(),
                JsonValue::Number(f64::from(frequency)),
            ));
        }
        if let Some(firedtimes) = rule.firedtimes {
            // Counters stay far below 2^53, so the conversion is exact.
            members.push((
                "firedtimes".to_string(),
                JsonValue::Number(firedtimes as f64),
            ));
        }
        members.push(("mail".to_string(), JsonValue::Bool(rule.mail)));
        members.extend(split_groups(&rule.group_string));
        JsonValue::Object(members)
    }

    fn agent_json(&self) -> JsonValue {
        let mut members = vec![("id".to_string(), JsonValue::String(self.agent.id.clone()))];
        if let Some(name) = &self.agent.name {
            members.push(("name".to_string(), JsonValue::String(name.clone())));
        }
        if let Some(ip) = self.agent.ip.as_ref().filter(|ip| *ip != "any") {
            members.push(("ip".to_string(), JsonValue::String(ip.clone())));
        }
        let mut labels = Vec::new();
        for (key, value) in &self.agent.labels {
            if !key.starts_with('_') {
                crate::data::add_field(&mut labels, key, value);
            }
        }
        if !labels.is_empty() {
            members.push(("labels".to_string(), JsonValue::Object(labels)));
        }
        JsonValue::Object(members)
    }
}

fn predecoder_json(event: &Event) -> Option<JsonValue> {
    let members: Vec<(String, JsonValue)> = [
        ("program_name", &event.program_name),
        ("timestamp", &event.header_timestamp),
        ("hostname", &event.header_hostname),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name.to_string(), JsonValue::String(value.clone()?))))
    .collect();
    (!members.is_empty()).then_some(JsonValue::Object(members))
}

fn decoder_json(event: &Event) -> Option<JsonValue> {
    let decoder = event.decoder.as_ref()?;
    let mut members = Vec::new();
    if decoder.accumulate {
        members.push(("accumulate".to_string(), JsonValue::Number(1.0)));
    }
    if let Some(parent) = &decoder.parent {
        members.push(("parent".to_string(), JsonValue::String(parent.clone())));
    }
    members.push(("name".to_string(), JsonValue::String(decoder.name.clone())));
    if let Some(comment) = &decoder.fts_comment {
        members.push(("ftscomment".to_string(), JsonValue::String(comment.clone())));
    }
    Some(JsonValue::Object(members))
}

/// Splits a group string into `groups` and the compliance arrays, in the order Wazuh emits
/// them: `groups` first, then each compliance array in order of first appearance.
pub fn split_groups(group_string: &str) -> Vec<(String, JsonValue)> {
    let mut end = group_string.len().min(MAX_GROUP_STRING);
    while !group_string.is_char_boundary(end) {
        end -= 1;
    }
    let mut groups = Vec::new();
    let mut compliance: Vec<(String, Vec<JsonValue>)> = Vec::new();
    for token in group_string[..end]
        .split(',')
        .filter(|token| !token.is_empty())
    {
        let routed = COMPLIANCE_PREFIXES
            .iter()
            .find_map(|(prefix, name)| token.strip_prefix(prefix).map(|rest| (*name, rest)));
        match routed {
            Some((name, rest)) => {
                let value = JsonValue::String(rest.to_string());
                match compliance.iter_mut().find(|(existing, _)| existing == name) {
                    Some((_, values)) => values.push(value),
                    None => compliance.push((name.to_string(), vec![value])),
                }
            }
            None => groups.push(JsonValue::String(token.to_string())),
        }
    }
    let mut members = vec![("groups".to_string(), JsonValue::Array(groups))];
    members.extend(
        compliance
            .into_iter()
            .map(|(name, values)| (name, JsonValue::Array(values))),
    );
    members
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_split_compliance() {
        let members = split_groups("syslog,pci_dss_10.6.1,gdpr_IV_35.7.d,,pci_dss_11.4, spaced,");
        let json = JsonValue::Object(members).to_compact();
        assert_eq!(
            json,
            r#"{"groups":["syslog"," spaced"],"pci_dss":["10.6.1","11.4"],"gdpr":["IV_35.7.d"]}"#
        );
    }

    #[test]
    fn groups_truncate_long_string() {
        let long = format!("{},tail", "a".repeat(1030));
        let members = split_groups(&long);
        let JsonValue::Array(groups) = &members[0].1 else {
            panic!("groups is an array");
        };
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0], JsonValue::String("a".repeat(1023)));
    }
}

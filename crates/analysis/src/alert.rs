//! The alert record: what rule fired on which event, laid out as Wazuh's `alerts.json` line
//! (key order included) and carrying what `alerts.log` needs.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use crate::event::Event;
use crate::json::JsonValue;

/// Bytes of the group string Wazuh keeps when splitting it into `rule.groups`.
pub const MAX_GROUP_STRING: usize = 1023;

/// Compliance prefixes moved out of `rule.groups`, in the order Wazuh tests them.
pub(crate) const COMPLIANCE_PREFIXES: [(&str, &str); 7] = [
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
    /// Description after `$(field)` substitution, shared by the alerts of a rule whose
    /// description has no placeholder.
    pub description: Arc<str>,
    /// `rule.mitre` object, when any technique is known, shared by every alert of the rule.
    pub mitre: Option<Arc<JsonValue>>,
    /// The compact JSON text of `mitre`, printed once for all alerts of the rule. Alerts
    /// print `mitre` itself when this is `None`.
    pub mitre_json: Option<Arc<str>>,
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
    /// The raw group string, shared by every alert of the rule.
    pub group_string: Arc<str>,
    /// The members that `group_string` gives `rule` (`groups` and the compliance arrays) as
    /// JSON text, written once for all alerts of the rule. Alerts write them from
    /// `group_string` when this is `None`.
    pub groups_json: Option<Arc<str>>,
    /// `no_full_log` option.
    pub no_full_log: bool,
    /// The opening brace and the members before `firedtimes` of `rule` as JSON text, written
    /// once for all alerts of a rule whose description has no placeholder. Alerts write them
    /// from the other fields when this is `None`.
    pub json_head: Option<Arc<str>>,
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
    /// The agent the event came from, shared by the alerts of one source.
    pub agent: Arc<AgentInfo>,
    /// `manager.name`.
    pub manager_name: Arc<str>,
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
        let mut text = String::new();
        self.write_json(Some(alert_id), &mut text);
        JsonValue::parse_prefix(&text).expect("the alert printer writes valid JSON")
    }
}

/// Returns the groups of a group string in order, each with the index in
/// [`COMPLIANCE_PREFIXES`] of the compliance prefix it starts with, if any, and its text
/// without that prefix. Wazuh keeps the first [`MAX_GROUP_STRING`] bytes of the string.
pub(crate) fn group_tokens(group_string: &str) -> impl Iterator<Item = (Option<usize>, &str)> {
    let mut end = group_string.len().min(MAX_GROUP_STRING);
    while !group_string.is_char_boundary(end) {
        end -= 1;
    }
    group_string[..end]
        .split(',')
        .filter(|token| !token.is_empty())
        .map(|token| {
            let routed = COMPLIANCE_PREFIXES
                .iter()
                .enumerate()
                .find_map(|(index, (prefix, _))| {
                    token.strip_prefix(prefix).map(|rest| (index, rest))
                });
            match routed {
                Some((index, rest)) => (Some(index), rest),
                None => (None, token),
            }
        })
}

/// Splits a group string into `groups` and the compliance arrays, in the order Wazuh emits
/// them: `groups` first, then each compliance array in order of first appearance.
pub fn split_groups(group_string: &str) -> Vec<(String, JsonValue)> {
    let mut groups = Vec::new();
    let mut compliance: Vec<(String, Vec<JsonValue>)> = Vec::new();
    for (kind, text) in group_tokens(group_string) {
        let value = JsonValue::String(text.to_string());
        let Some(index) = kind else {
            groups.push(value);
            continue;
        };
        let name = COMPLIANCE_PREFIXES[index].1;
        match compliance.iter_mut().find(|(existing, _)| existing == name) {
            Some((_, values)) => values.push(value),
            None => compliance.push((name.to_string(), vec![value])),
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

//! Correlation state of one session: previous events for `if_matched_sid`,
//! `if_matched_group`, `if_matched_regex`, `frequency`/`timeframe` and the `same_*`/
//! `different_*` filters, plus first-time-seen keys for `if_fts`.
//!
//! Wazuh keeps one list per referenced rule and group. dnstel keeps one bounded list (newest
//! last) of the events whose final rule some search can select. It filters that list by final
//! rule, which selects the same events.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use dnstel_ruleset::matcher::Matcher;
use dnstel_ruleset::{CorrelationField, Rule};

use crate::event::{Event, StaticField};

/// Previous events kept per session; the oldest is dropped first.
pub const MAX_STORED_EVENTS: usize = 10_000;

/// First-time-seen keys kept per session; past it, new keys are not remembered.
pub const MAX_FTS_KEYS: usize = 100_000;

/// Default `timeframe` in seconds (Wazuh's `analysisd.default_timeframe`).
pub const DEFAULT_TIMEFRAME: u32 = 360;

/// Previous full logs Wazuh collects for `previous_output`.
const MAX_PREVIOUS_LOGS: usize = 11;

/// A previous event with the rule it ended on.
#[derive(Debug)]
struct StoredEvent {
    event: Arc<Event>,
    rule_id: u32,
    group_string: String,
    /// Level of the last correlation rule this event completed; it stops later searches by
    /// rules of that level or lower.
    matched: u8,
}

/// Returns, for each rule of `rules`, whether an event that ends on it can be a candidate of a
/// correlation search. That is so when some rule's `if_matched_sid` names it, some rule's
/// `if_matched_group` matches one of its groups, or some rule has only `if_matched_regex`,
/// which looks at every stored event. Events of other rules never need storing.
pub fn correlation_targets<'a>(rules: impl Iterator<Item = &'a Rule> + Clone) -> Vec<bool> {
    let searchers: Vec<&Rule> = rules.clone().filter(|rule| rule.has_context()).collect();
    rules
        .map(|rule| {
            searchers.iter().any(|searcher| {
                let candidate = StoredCandidate {
                    rule_id: rule.id,
                    group_string: &rule.group_string,
                };
                candidate.selected_by(searcher)
            })
        })
        .collect()
}

/// The rule-level part of a stored event that decides whether a search looks at it.
struct StoredCandidate<'a> {
    rule_id: u32,
    group_string: &'a str,
}

impl StoredCandidate<'_> {
    fn selected_by(&self, rule: &Rule) -> bool {
        if let Some(sid) = rule.if_matched_sid {
            self.rule_id == sid
        } else if let Some(group) = &rule.if_matched_group {
            group.is_match(self.group_string)
        } else {
            true
        }
    }
}

/// Counters of the bounded tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CorrelationStats {
    /// Stored events dropped because [`MAX_STORED_EVENTS`] was reached.
    pub events_evicted: u64,
    /// First-time-seen keys not remembered because [`MAX_FTS_KEYS`] was reached.
    pub fts_keys_dropped: u64,
}

/// Correlation state of one session.
#[derive(Debug, Default)]
pub struct CorrelationState {
    events: VecDeque<StoredEvent>,
    fts_keys: HashSet<String>,
    stats: CorrelationStats,
}

impl CorrelationState {
    /// Counters of the bounded tables.
    pub fn stats(&self) -> CorrelationStats {
        self.stats
    }

    /// Remembers `event` as having ended on `rule`.
    pub fn store(&mut self, event: Arc<Event>, rule: &Rule) {
        if self.events.len() >= MAX_STORED_EVENTS {
            self.events.pop_front();
            self.stats.events_evicted += 1;
        }
        self.events.push_back(StoredEvent {
            event,
            rule_id: rule.id,
            group_string: rule.group_string.clone(),
            matched: 0,
        });
    }

    /// Runs the correlation search of `rule` for `event`. Returns the full logs of the
    /// previous events that completed it (newest first, at most 11), or `None` when it does
    /// not fire.
    pub fn search(&mut self, rule: &Rule, event: &Event) -> Option<Vec<String>> {
        let timeframe = i64::from(rule.timeframe.unwrap_or(DEFAULT_TIMEFRAME));
        let needed = rule.frequency.unwrap_or(2).max(2) - 1;
        let now = event.time.timestamp();
        let mut found = 0;
        let mut logs = Vec::new();
        for stored in self.events.iter_mut().rev() {
            if now - stored.event.time.timestamp() > timeframe {
                break;
            }
            if !candidate_matches(rule, stored) {
                continue;
            }
            if stored.matched >= rule.level {
                return None;
            }
            if !filters_hold(rule, event, &stored.event) {
                continue;
            }
            if logs.len() < MAX_PREVIOUS_LOGS {
                logs.push(stored.event.full_log.clone());
            }
            found += 1;
            if found >= needed {
                stored.matched = rule.level;
                return Some(logs);
            }
        }
        None
    }

    /// The `if_fts` test: true the first time the decoder's `<fts>` values are seen; always
    /// false when the decoder declares no `<fts>`, as in Wazuh.
    pub fn first_time_seen(&mut self, event: &Event) -> bool {
        let Some(decoder) = event
            .decoder
            .as_ref()
            .filter(|decoder| !decoder.fts.is_empty())
        else {
            return false;
        };
        let mut key = decoder.name.clone();
        for name in &decoder.fts {
            key.push('\u{1}');
            key.push_str(event.lookup(name).unwrap_or(""));
        }
        if self.fts_keys.contains(&key) {
            return false;
        }
        if self.fts_keys.len() >= MAX_FTS_KEYS {
            self.stats.fts_keys_dropped += 1;
        } else {
            self.fts_keys.insert(key);
        }
        true
    }
}

/// Whether a stored event is one the rule's context refers to.
fn candidate_matches(rule: &Rule, stored: &StoredEvent) -> bool {
    let candidate = StoredCandidate {
        rule_id: stored.rule_id,
        group_string: &stored.group_string,
    };
    if !candidate.selected_by(rule) {
        return false;
    }
    if let Some(regex) = &rule.if_matched_regex {
        if !regex.is_match(stored.event.log()) {
            return false;
        }
    }
    true
}

fn filters_hold(rule: &Rule, current: &Event, previous: &Event) -> bool {
    if !rule.global_frequency && current.agent_id != previous.agent_id {
        return false;
    }
    for field in &rule.same {
        match (
            correlation_value(*field, current),
            correlation_value(*field, previous),
        ) {
            (Some(a), Some(b)) if a == b => {}
            (None, None) if *field == CorrelationField::Agent => {}
            _ => return false,
        }
    }
    for field in &rule.different {
        if let (Some(a), Some(b)) = (
            correlation_value(*field, current),
            correlation_value(*field, previous),
        ) {
            if a == b {
                return false;
            }
        }
    }
    for name in &rule.same_fields {
        match (current.field(name), previous.field(name)) {
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
    for name in &rule.different_fields {
        if let (Some(a), Some(b)) = (current.field(name), previous.field(name)) {
            if a == b {
                return false;
            }
        }
    }
    true
}

fn correlation_value(field: CorrelationField, event: &Event) -> Option<&str> {
    let static_field = match field {
        CorrelationField::SrcIp => StaticField::SrcIp,
        CorrelationField::SrcPort => StaticField::SrcPort,
        CorrelationField::DstIp => StaticField::DstIp,
        CorrelationField::DstPort => StaticField::DstPort,
        CorrelationField::Protocol => StaticField::Protocol,
        CorrelationField::Action => StaticField::Action,
        CorrelationField::Id => StaticField::Id,
        CorrelationField::Url => StaticField::Url,
        CorrelationField::Data => StaticField::Data,
        CorrelationField::ExtraData => StaticField::ExtraData,
        CorrelationField::Status => StaticField::Status,
        CorrelationField::SystemName => StaticField::SystemName,
        CorrelationField::SrcUser => StaticField::SrcUser,
        CorrelationField::User => return event.user(),
        CorrelationField::Location => return Some(&event.full_location),
        // Wazuh only warns about same_agent; agents are compared by the agent filter above.
        CorrelationField::Agent => return None,
        CorrelationField::SrcGeoip | CorrelationField::DstGeoip => return None,
    };
    event.static_field(static_field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dnstel_ruleset::matcher::{MatchKind, OsMatch, Pattern};

    fn rule(id: u32, groups: &str) -> Rule {
        Rule {
            id,
            level: 3,
            group_string: groups.into(),
            ..Rule::default()
        }
    }

    #[test]
    fn only_referenced_rules_keep_events() {
        let plain = rule(100, "dns,");
        let named = rule(101, "dns,");
        let grouped = rule(102, "auth,");
        let mut by_sid = rule(200, "dns,");
        by_sid.if_matched_sid = Some(101);
        let mut by_group = rule(201, "dns,");
        by_group.if_matched_group = Some(OsMatch::new("auth").unwrap());
        let rules = [plain, named, grouped, by_sid, by_group];
        assert_eq!(
            correlation_targets(rules.iter()),
            vec![false, true, true, false, false]
        );
    }

    #[test]
    fn regex_only_search_keeps_every_event() {
        let mut by_regex = rule(200, "dns,");
        by_regex.if_matched_regex = Some(Pattern::compile(MatchKind::OsRegex, "x").unwrap());
        let rules = [rule(100, "dns,"), by_regex];
        assert_eq!(correlation_targets(rules.iter()), vec![true, true]);
    }

    #[test]
    fn no_search_keeps_nothing() {
        let rules = [rule(100, "dns,"), rule(101, "auth,")];
        assert_eq!(correlation_targets(rules.iter()), vec![false, false]);
    }
}

//! [`Analyzer`] (loaded rules and decoders, shared) and [`Session`] (correlation state and
//! counters of one event stream): decode an event, walk the rule tree, build the alert.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use dnstel_ruleset::{Category, Decoder, Rule};

use crate::alert::{AgentInfo, Alert, AlertRule};
use crate::alert_json::{groups_json, rule_json_head};
use crate::correlation::{correlation_targets, CorrelationState};
use crate::decoding::DecoderSet;
use crate::description::{expand_description, has_placeholder};
use crate::event::{Event, EventBuffers};
use crate::json::JsonValue;
use crate::matching::matches_event;
use crate::mitre::MitreTable;
use crate::predecode::parse_header;
use crate::tree::RuleTree;

/// Output settings of an analyzer.
#[derive(Debug, Clone)]
pub struct AnalysisConfig {
    /// Minimum level written to the alert files (`log_alert_level`, 3 in Wazuh's shipped
    /// configuration).
    pub log_alert_level: u8,
    /// Minimum level that sets `rule.mail` (`email_alert_level`, 12 in the shipped configuration).
    pub email_alert_level: u8,
    /// `manager.name`.
    pub manager_name: String,
    /// ATT&CK table for `rule.mitre`.
    pub mitre: MitreTable,
}

/// Origin of the events of a stream: location and agent.
#[derive(Debug, Clone, Default)]
pub struct EventSource {
    /// Location as alerts show it (a file path, `stdin`).
    pub location: Arc<str>,
    /// Agent the events belong to; id `000` means the manager itself.
    pub agent: AgentInfo,
}

/// The result of analysing one event.
#[derive(Debug)]
pub struct Outcome {
    /// The decoded event, shared with the alert.
    pub event: Arc<Event>,
    /// The rule the event ended on, with its alert data (also for rules below the alert level).
    pub alert: Option<Alert>,
    /// Whether the alert is written to the alert files.
    pub logged: bool,
    /// Rule trace lines (`Trying rule: ...`), when requested.
    pub trace: Vec<String>,
}

/// Rules and decoders ready for evaluation.
#[derive(Debug)]
pub struct Analyzer {
    tree: RuleTree,
    /// Per rule index: whether events ending on that rule are kept for correlation searches.
    correlation_targets: Vec<bool>,
    /// Per rule index: the rule's `rule.mitre` object and its compact JSON text, built once
    /// because they depend only on the rule and the ATT&CK table.
    mitre_objects: Vec<Option<(Arc<JsonValue>, Arc<str>)>>,
    /// Per rule index: the JSON text of the rule's groups in alerts.
    groups_json: Vec<Arc<str>>,
    /// Per rule index: the rule's group string, shared by its alerts.
    group_strings: Vec<Arc<str>>,
    /// Per rule index: the rule's description when it has no `$(field)` placeholder.
    fixed_descriptions: Vec<Option<Arc<str>>>,
    /// `manager.name`, shared by every alert.
    manager_name: Arc<str>,
    /// Per rule index: the rule's alert JSON before `firedtimes`, when it does not change
    /// from alert to alert.
    json_heads: Vec<Option<Arc<str>>>,
    decoders: DecoderSet,
    config: AnalysisConfig,
}

/// Per-stream state: correlation, `firedtimes` and `ignore` timers.
#[derive(Debug, Default)]
pub struct Session {
    correlation: CorrelationState,
    firedtimes: HashMap<u32, u64>,
    fired_hour: Option<i64>,
    ignore_since: HashMap<u32, i64>,
    ignored_values: HashMap<u32, Vec<Vec<(String, String)>>>,
    ignored_dropped: u64,
    /// The agent of the last source as it is given and as alerts show it.
    alert_agent: Option<(AgentInfo, Arc<AgentInfo>)>,
}

/// Value combinations remembered per rule for `<ignore>`; past it, new ones are not kept.
pub const MAX_IGNORED_PER_RULE: usize = 1_000;

impl Session {
    /// Creates an empty session.
    pub fn new() -> Session {
        Session::default()
    }

    /// Correlation state and its counters.
    pub fn correlation(&self) -> &CorrelationState {
        &self.correlation
    }

    /// Value combinations for `<ignore>` not remembered because of [`MAX_IGNORED_PER_RULE`].
    pub fn ignored_dropped(&self) -> u64 {
        self.ignored_dropped
    }

    /// `<check_if_ignored>`: true when a remembered `<ignore>` combination of this rule has
    /// the event's values for every checked field.
    fn is_ignored(&self, rule: &Rule, event: &Event) -> bool {
        if rule.check_if_ignored.is_empty() {
            return false;
        }
        let Some(entries) = self.ignored_values.get(&rule.id) else {
            return false;
        };
        entries.iter().any(|entry| {
            rule.check_if_ignored.iter().all(|name| {
                let stored = entry
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value);
                stored.is_some_and(|value| event.lookup(name) == Some(value.as_str()))
            })
        })
    }

    /// `<ignore>`: remembers the event's values of the listed fields.
    fn remember_ignored(&mut self, rule: &Rule, event: &Event) {
        if rule.ignore_fields.is_empty() {
            return;
        }
        let entry: Vec<(String, String)> = rule
            .ignore_fields
            .iter()
            .filter_map(|name| Some((name.clone(), event.lookup(name)?.to_string())))
            .collect();
        let entries = self.ignored_values.entry(rule.id).or_default();
        if entries.contains(&entry) {
            return;
        }
        if entries.len() >= MAX_IGNORED_PER_RULE {
            self.ignored_dropped += 1;
            return;
        }
        entries.push(entry);
    }

    /// Counts one more firing of `rule_id` at `time`, resetting every counter when the clock
    /// hour changed since the previous firing, as Wazuh does.
    pub fn count_firing(&mut self, rule_id: u32, time: DateTime<FixedOffset>) -> u64 {
        let hour = time.timestamp().div_euclid(3600);
        if self.fired_hour != Some(hour) {
            self.firedtimes.clear();
            self.fired_hour = Some(hour);
        }
        let counter = self.firedtimes.entry(rule_id).or_insert(0);
        *counter += 1;
        *counter
    }
}

struct TreeMatch {
    index: usize,
    parent: Option<usize>,
    previous: Vec<String>,
}

impl Analyzer {
    /// Builds an analyzer from rules and decoders in load order.
    pub fn new(rules: Vec<Rule>, decoders: Vec<Decoder>, config: AnalysisConfig) -> Analyzer {
        let tree = RuleTree::build(rules);
        let correlation_targets =
            correlation_targets((0..tree.len()).map(|index| tree.rule(index)));
        let mitre_objects = (0..tree.len())
            .map(|index| {
                let object = config.mitre.rule_object(tree.rule(index))?;
                let text = object.to_compact();
                Some((Arc::new(object), Arc::from(text)))
            })
            .collect();
        let groups_json = (0..tree.len())
            .map(|index| Arc::from(groups_json(&tree.rule(index).group_string)))
            .collect();
        let group_strings = (0..tree.len())
            .map(|index| Arc::from(tree.rule(index).group_string.as_str()))
            .collect();
        let fixed_descriptions = (0..tree.len())
            .map(|index| {
                let description = &tree.rule(index).description;
                (!has_placeholder(description)).then(|| Arc::from(description.as_str()))
            })
            .collect();
        let manager_name = Arc::from(config.manager_name.as_str());
        let mut analyzer = Analyzer {
            tree,
            correlation_targets,
            mitre_objects,
            groups_json,
            group_strings,
            fixed_descriptions,
            manager_name,
            decoders: DecoderSet::new(decoders),
            config,
            json_heads: Vec::new(),
        };
        analyzer.json_heads = (0..analyzer.tree.len())
            .map(|index| {
                let description = analyzer.fixed_descriptions[index].clone()?;
                let rule = analyzer.alert_rule(index, description, 0);
                Some(Arc::from(rule_json_head(&rule)))
            })
            .collect();
        analyzer
    }

    /// Returns the rule tree.
    pub fn tree(&self) -> &RuleTree {
        &self.tree
    }

    /// Number of loaded decoders.
    pub fn decoder_count(&self) -> usize {
        self.decoders.len()
    }

    /// Returns the output settings.
    pub fn config(&self) -> &AnalysisConfig {
        &self.config
    }

    /// Decodes `line` and evaluates the rules on it.
    pub fn process(
        &self,
        session: &mut Session,
        line: &str,
        source: &EventSource,
        time: DateTime<FixedOffset>,
        trace: bool,
    ) -> Outcome {
        self.process_owned(session, line.to_owned(), source, time, trace)
    }

    /// Decodes `line` and evaluates the rules on it like [`Analyzer::process`], keeping the
    /// line as the event's full log instead of a copy.
    pub fn process_owned(
        &self,
        session: &mut Session,
        line: String,
        source: &EventSource,
        time: DateTime<FixedOffset>,
        trace: bool,
    ) -> Outcome {
        let event = self.decode(line, source, time);
        self.evaluate(session, event, source, trace)
    }

    /// Pre-decodes `line` and runs the decoders on it, keeping the line as the event's full
    /// log. The first half of [`Analyzer::process_owned`].
    pub fn decode(&self, line: String, source: &EventSource, time: DateTime<FixedOffset>) -> Event {
        self.decode_with(line, source, time, EventBuffers::default())
    }

    /// Decodes `line` like [`Analyzer::decode`], storing the fields in `buffers` from an
    /// earlier event.
    pub fn decode_with(
        &self,
        line: String,
        source: &EventSource,
        time: DateTime<FixedOffset>,
        buffers: EventBuffers,
    ) -> Event {
        let mut event = self.predecode(line, source, time, buffers);
        self.decoders.decode(&mut event);
        event
    }

    /// Decodes `line` like [`Analyzer::decode_with`] for a caller that has not checked that
    /// `line` is in cJSON's compact layout. When [`Event::is_compact_object`] is false for
    /// the result, the caller encodes the line and decodes it again, so the JSON decoder
    /// stops reading the whole line at the first text outside that layout.
    pub fn decode_unchecked(
        &self,
        line: String,
        source: &EventSource,
        time: DateTime<FixedOffset>,
        buffers: EventBuffers,
    ) -> Event {
        let mut event = self.predecode(line, source, time, buffers);
        event.set_stops_unless_compact();
        self.decoders.decode(&mut event);
        event
    }

    /// Evaluates the rules on an event from [`Analyzer::decode`]. The second half of
    /// [`Analyzer::process_owned`].
    pub fn evaluate(
        &self,
        session: &mut Session,
        mut event: Event,
        source: &EventSource,
        trace: bool,
    ) -> Outcome {
        let category = event
            .decoder
            .as_ref()
            .map_or(Category::Syslog, |decoder| decoder.category);
        let mut trace_lines = Vec::new();
        let trace_sink = trace.then_some(&mut trace_lines);
        let found = self.walk_roots(session, &event, category, trace_sink);
        let Some(found) = found else {
            return Outcome {
                event: Arc::new(event),
                alert: None,
                logged: false,
                trace: trace_lines,
            };
        };
        let index = self.apply_ignore(session, &found, &event);
        let Some(index) = index else {
            return Outcome {
                event: Arc::new(event),
                alert: None,
                logged: false,
                trace: trace_lines,
            };
        };
        let rule = self.tree.rule(index);
        if session.is_ignored(rule, &event) {
            return Outcome {
                event: Arc::new(event),
                alert: None,
                logged: false,
                trace: trace_lines,
            };
        }
        session.remember_ignored(rule, &event);
        let firedtimes = session.count_firing(rule.id, event.time);
        let stored = rule.level > 0 && self.correlation_targets[index];
        if stored {
            // It may have reused the buffers of a much larger event, which it would then
            // keep for as long as correlation keeps it.
            event.trim_buffers();
        }
        // One copy of the event serves the outcome, the alert and the correlation state.
        let shared = Arc::new(event);
        if stored {
            session.correlation.store(Arc::clone(&shared), rule);
        }
        let logged = rule.level > 0
            && (rule.level >= self.config.log_alert_level || rule.options.log_alert)
            && !rule.options.no_log;
        let agent = self.alert_agent(session, source);
        let alert = self.build_alert(
            index,
            firedtimes,
            found.previous,
            Arc::clone(&shared),
            agent,
        );
        Outcome {
            event: shared,
            alert: Some(alert),
            logged,
            trace: trace_lines,
        }
    }

    fn predecode(
        &self,
        line: String,
        source: &EventSource,
        time: DateTime<FixedOffset>,
        buffers: EventBuffers,
    ) -> Event {
        let header = parse_header(&line);
        let mut event = Event::with_buffers(line, Arc::clone(&source.location), time, buffers);
        event.set_log_start(header.log_start);
        event.program_name = header.program_name;
        event.header_timestamp = header.timestamp;
        event.header_hostname = header.hostname;
        if event.agent_id != source.agent.id {
            event.agent_id = source.agent.id.clone();
        }
        if source.agent.id == "000" {
            let short = self.config.manager_name.split('.').next().unwrap_or("");
            event.hostname = event
                .header_hostname
                .clone()
                .unwrap_or_else(|| short.to_string());
        } else {
            let name = source.agent.name.clone().unwrap_or_default();
            let ip = source.agent.ip.clone().unwrap_or_else(|| "any".to_string());
            event.full_location = format!("({name}) {ip}->{}", source.location).into();
            event.hostname = name;
        }
        event
    }

    fn walk_roots(
        &self,
        session: &mut Session,
        event: &Event,
        category: Category,
        mut trace: Option<&mut Vec<String>>,
    ) -> Option<TreeMatch> {
        for &root in self.tree.roots() {
            if self.tree.root_category(root) != category {
                continue;
            }
            if let Some(found) = self.check(session, event, root, None, trace.as_deref_mut()) {
                return Some(found);
            }
        }
        None
    }

    fn check(
        &self,
        session: &mut Session,
        event: &Event,
        index: usize,
        parent: Option<usize>,
        mut trace: Option<&mut Vec<String>>,
    ) -> Option<TreeMatch> {
        let rule = self.tree.rule(index);
        if let Some(lines) = trace.as_deref_mut() {
            lines.push(format!("Trying rule: {} - {}", rule.id, rule.description));
        }
        // NOTE: check_diff compares with the output of earlier command runs, which logtest
        // never has, so such rules never match here.
        if rule.check_diff || !matches_event(rule, event) {
            return None;
        }
        if rule.if_fts && !session.correlation.first_time_seen(event) {
            return None;
        }
        let previous = if rule.has_context() {
            session.correlation.search(rule, event)?
        } else {
            Vec::new()
        };
        if let Some(lines) = trace.as_deref_mut() {
            lines.push(format!("*Rule {} matched", rule.id));
        }
        let children = self.tree.children(index);
        if !children.is_empty() {
            if let Some(lines) = trace.as_deref_mut() {
                lines.push("*Trying child rules".to_string());
            }
        }
        for &child in children {
            if let Some(found) =
                self.check(session, event, child, Some(index), trace.as_deref_mut())
            {
                return Some(found);
            }
        }
        if rule.noalert {
            return None;
        }
        Some(TreeMatch {
            index,
            parent,
            previous,
        })
    }

    /// Applies the `ignore` attribute: within the window after a firing the parent rule is
    /// reported instead, or nothing when there is no parent.
    fn apply_ignore(
        &self,
        session: &mut Session,
        found: &TreeMatch,
        event: &Event,
    ) -> Option<usize> {
        let rule = self.tree.rule(found.index);
        let Some(window) = rule.ignore_secs else {
            return Some(found.index);
        };
        let now = event.time.timestamp();
        match session.ignore_since.get(&rule.id).copied() {
            None => {
                session.ignore_since.insert(rule.id, now);
                Some(found.index)
            }
            Some(since) if now - since < i64::from(window) => found.parent,
            Some(_) => {
                session.ignore_since.remove(&rule.id);
                Some(found.index)
            }
        }
    }

    /// Returns the agent that alerts of events from `source` show: the manager's name for
    /// the manager's own id `000`, and the `_agent_ip` label as its address. The session
    /// keeps the last one, so alerts of one source share it.
    fn alert_agent(&self, session: &mut Session, source: &EventSource) -> Arc<AgentInfo> {
        if let Some((from, agent)) = &session.alert_agent {
            if *from == source.agent {
                return Arc::clone(agent);
            }
        }
        let mut agent = source.agent.clone();
        if agent.id == "000" {
            agent.name = Some(self.config.manager_name.clone());
            agent.ip = None;
        }
        if let Some((_, ip)) = agent.labels.iter().find(|(key, _)| key == "_agent_ip") {
            agent.ip = Some(ip.clone());
        }
        let agent = Arc::new(agent);
        session.alert_agent = Some((source.agent.clone(), Arc::clone(&agent)));
        agent
    }

    /// Returns the rule part of an alert of rule `index`, without its JSON head.
    fn alert_rule(&self, index: usize, description: Arc<str>, firedtimes: u64) -> AlertRule {
        let rule = self.tree.rule(index);
        let (mitre, mitre_json) = self.mitre_objects[index].clone().unzip();
        let info: String = rule.info.iter().map(|info| info.text.as_str()).collect();
        let correlates = rule.has_context() || rule.frequency.is_some();
        let mail = !rule.options.no_email_alert
            && (rule.options.alert_by_email || rule.level >= self.config.email_alert_level);
        AlertRule {
            id: rule.id,
            level: rule.level,
            description,
            mitre,
            mitre_json,
            cve: rule.cve.clone(),
            info: (!info.is_empty()).then_some(info),
            frequency: correlates.then(|| rule.frequency.unwrap_or(2)),
            firedtimes: (!rule.options.no_counter).then_some(firedtimes),
            mail,
            group_string: Arc::clone(&self.group_strings[index]),
            groups_json: Some(Arc::clone(&self.groups_json[index])),
            no_full_log: rule.options.no_full_log,
            json_head: None,
        }
    }

    fn build_alert(
        &self,
        index: usize,
        firedtimes: u64,
        previous: Vec<String>,
        event: Arc<Event>,
        agent: Arc<AgentInfo>,
    ) -> Alert {
        let description = match &self.fixed_descriptions[index] {
            Some(description) => Arc::clone(description),
            None => Arc::from(expand_description(
                &self.tree.rule(index).description,
                &event,
            )),
        };
        let mut alert_rule = self.alert_rule(index, description, firedtimes);
        alert_rule.json_head = self.json_heads[index].clone();
        Alert {
            timestamp: event.time,
            rule: alert_rule,
            agent,
            manager_name: Arc::clone(&self.manager_name),
            previous_output: previous,
            event,
        }
    }
}

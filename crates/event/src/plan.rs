//! The per-run part of every event, worked out once when the encoder is built.
//!
//! `tags`, `fields`, `ecs`, `agent` and `host` are the same in every event, and so are the
//! tags that processor conditions test. So the libbeat pipeline is replayed here once, in
//! its order: tags, then `fields` (overwriting), then the builtin `ecs`/`host.name`/`agent`
//! fields (filling gaps only), then the global processors. The result is pre-rendered JSON
//! for the static keys, plus a list of edits for the per-event keys that a root field
//! overlays or a `drop_fields` removes. Those edits are applied per event on a slow path.

use crate::error::ConfigError;
use crate::host::HostInfo;
use crate::json;
use crate::options::{EventOptions, BEAT_NAME, ECS_VERSION};
use crate::processors::{Condition, Processor};
use crate::value::{Map, Value};

/// Top-level keys in the order events are written. The order copies a real Packetbeat 7.17
/// event; keys that event lacks are placed next to related ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TopKey {
    Timestamp,
    Metadata,
    Status,
    Type,
    Destination,
    Server,
    Event,
    Error,
    Ecs,
    Dns,
    Source,
    Method,
    Resource,
    Related,
    Client,
    Host,
    Network,
    Query,
    Request,
    Response,
    Tags,
    Fields,
    Agent,
}

impl TopKey {
    pub(crate) const ALL: [TopKey; 23] = [
        TopKey::Timestamp,
        TopKey::Metadata,
        TopKey::Status,
        TopKey::Type,
        TopKey::Destination,
        TopKey::Server,
        TopKey::Event,
        TopKey::Error,
        TopKey::Ecs,
        TopKey::Dns,
        TopKey::Source,
        TopKey::Method,
        TopKey::Resource,
        TopKey::Related,
        TopKey::Client,
        TopKey::Host,
        TopKey::Network,
        TopKey::Query,
        TopKey::Request,
        TopKey::Response,
        TopKey::Tags,
        TopKey::Fields,
        TopKey::Agent,
    ];

    pub(crate) fn name(self) -> &'static str {
        let quoted = self.quoted_name();
        &quoted[1..quoted.len() - 2]
    }

    /// Returns the key as written in an event: quoted and followed by a colon.
    pub(crate) fn quoted_name(self) -> &'static str {
        match self {
            TopKey::Timestamp => "\"@timestamp\":",
            TopKey::Metadata => "\"@metadata\":",
            TopKey::Status => "\"status\":",
            TopKey::Type => "\"type\":",
            TopKey::Destination => "\"destination\":",
            TopKey::Server => "\"server\":",
            TopKey::Event => "\"event\":",
            TopKey::Error => "\"error\":",
            TopKey::Ecs => "\"ecs\":",
            TopKey::Dns => "\"dns\":",
            TopKey::Source => "\"source\":",
            TopKey::Method => "\"method\":",
            TopKey::Resource => "\"resource\":",
            TopKey::Related => "\"related\":",
            TopKey::Client => "\"client\":",
            TopKey::Host => "\"host\":",
            TopKey::Network => "\"network\":",
            TopKey::Query => "\"query\":",
            TopKey::Request => "\"request\":",
            TopKey::Response => "\"response\":",
            TopKey::Tags => "\"tags\":",
            TopKey::Fields => "\"fields\":",
            TopKey::Agent => "\"agent\":",
        }
    }

    fn from_name(name: &str) -> Option<TopKey> {
        TopKey::ALL.into_iter().find(|key| key.name() == name)
    }

    /// Reports whether every event has this per-event key. The others are `error` (only with
    /// notes), `resource` and `query` (only with a question), `request` and `response` (only
    /// with `send_request` or `send_response`).
    pub(crate) fn in_every_event(self) -> bool {
        !matches!(
            self,
            TopKey::Error | TopKey::Resource | TopKey::Query | TopKey::Request | TopKey::Response
        )
    }

    /// Reports whether the key's value comes from the run configuration, not the transaction.
    fn is_static(self) -> bool {
        matches!(
            self,
            TopKey::Metadata
                | TopKey::Ecs
                | TopKey::Host
                | TopKey::Tags
                | TopKey::Fields
                | TopKey::Agent
        )
    }
}

/// A change to a per-event key's value, applied in order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Edit {
    /// Deep-merge a configured value over it (a root field with the same key).
    Merge(Value),
    /// Remove a dotted sub-path, or the whole key when the path is empty.
    Remove(String),
}

/// Output rule for one top-level key, the intermediate form from which the [`Step`]s are
/// built.
#[derive(Clone, Debug, PartialEq)]
enum Slot {
    /// Written from the transaction.
    Dynamic,
    /// Written from the transaction, then edited (slow path).
    Edited(Vec<Edit>),
    /// Pre-rendered `"key":value`.
    Static(Vec<u8>),
    /// Not written.
    Absent,
}

/// One step of writing the members of an event: static text, then at most one per-event
/// member. The text, and the member if it writes something, start with a comma unless they
/// write the first member.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Step {
    /// Members written as they are: static members with the commas between them, and the key
    /// of a [`Member::Value`]. May be empty.
    pub(crate) text: Vec<u8>,
    pub(crate) member: Member,
}

/// The per-event member of a [`Step`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Member {
    /// No member: the step only writes its text.
    None,
    /// The value of a per-event key that every event has. The step's text ends with the key.
    Value(TopKey),
    /// A per-event key that some events lack, written with its comma and key when the event
    /// has it.
    Optional(TopKey),
    /// A per-event key with edits (slow path), written with its comma and key unless the edits
    /// remove it.
    Edited(TopKey, Vec<Edit>),
}

/// The static plan: the steps that write an event, with static members pre-rendered.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) steps: Vec<Step>,
}

impl Plan {
    /// Replays tags, fields, builtins and processors for `options`.
    pub(crate) fn build(options: &EventOptions) -> Result<Plan, ConfigError> {
        let mut builder = PlanBuilder {
            doc: Map::new(),
            edits: vec![Vec::new(); TopKey::ALL.len()],
            host: options.host.clone(),
        };
        builder.add_tags_and_fields(options);
        builder.add_builtins(options);
        builder.run(&options.processors)?;
        Ok(builder.finish(options))
    }
}

struct PlanBuilder {
    /// The static part of the event so far.
    doc: Map,
    /// Edits per per-event key, indexed by `TopKey as usize`.
    edits: Vec<Vec<Edit>>,
    host: Option<HostInfo>,
}

impl PlanBuilder {
    fn add_tags_and_fields(&mut self, options: &EventOptions) {
        if !options.tags.is_empty() {
            self.doc.insert("tags", Value::str_array(&options.tags));
        }
        if options.fields.is_empty() {
            return;
        }
        let fields = options.fields.clone().expand_dotted_keys();
        if options.fields_under_root {
            self.doc.deep_update(&fields);
        } else {
            let mut wrapper = Map::new();
            wrapper.insert("fields", Value::Object(fields));
            self.doc.deep_update(&wrapper);
        }
        self.move_per_event_keys();
    }

    /// Moves root fields that name per-event keys out of the static part into merge edits.
    fn move_per_event_keys(&mut self) {
        let names: Vec<String> = self.doc.iter().map(|(key, _)| key.to_owned()).collect();
        for name in names {
            match TopKey::from_name(&name) {
                Some(TopKey::Timestamp | TopKey::Metadata) => {
                    self.doc.remove(&name);
                    tracing::warn!(field = %name, "ignoring root field that would replace {name}");
                }
                Some(key) if !key.is_static() => {
                    if let Some(value) = self.doc.remove(&name) {
                        self.edits[key as usize].push(Edit::Merge(value));
                    }
                }
                _ => {}
            }
        }
    }

    fn add_builtins(&mut self, options: &EventOptions) {
        let name = options.beat_name();
        let mut ecs = Map::new();
        ecs.insert("version", Value::str(ECS_VERSION));
        let mut host = Map::new();
        host.insert("name", Value::str(name));
        let mut agent = Map::new();
        agent.insert("type", Value::str(BEAT_NAME));
        agent.insert("version", Value::str(&options.version));
        agent.insert("hostname", Value::str(&options.agent.hostname));
        agent.insert("ephemeral_id", Value::str(&options.agent.ephemeral_id));
        agent.insert("id", Value::str(&options.agent.id));
        agent.insert("name", Value::str(name));

        let mut builtins = Map::new();
        builtins.insert("ecs", Value::Object(ecs));
        builtins.insert("host", Value::Object(host));
        builtins.insert("agent", Value::Object(agent));
        self.doc.deep_update_no_overwrite(&builtins);
    }

    fn run(&mut self, processors: &[Processor]) -> Result<(), ConfigError> {
        for processor in processors {
            match processor {
                Processor::If {
                    condition,
                    then,
                    otherwise,
                } => {
                    if self.holds(condition)? {
                        self.run(then)?;
                    } else {
                        self.run(otherwise)?;
                    }
                }
                Processor::DropFields { fields, when, .. } => {
                    if self.holds_optional(when.as_ref())? {
                        fields.iter().for_each(|field| self.drop_field(field));
                    }
                }
                Processor::AddHostMetadata {
                    netinfo,
                    name,
                    replace_fields,
                    when,
                } => {
                    if self.holds_optional(when.as_ref())? {
                        self.add_host_metadata(*netinfo, name.as_deref(), *replace_fields);
                    }
                }
                Processor::NoOp { .. } => {}
            }
        }
        Ok(())
    }

    fn drop_field(&mut self, path: &str) {
        // Beats never drops `type`; `@timestamp` and `@metadata` are not event fields.
        if matches!(path, "type" | "@timestamp" | "@metadata") {
            return;
        }
        let (head, rest) = path.split_once('.').unwrap_or((path, ""));
        match TopKey::from_name(head) {
            Some(key) if !key.is_static() => {
                self.edits[key as usize].push(Edit::Remove(rest.to_owned()));
            }
            _ => {
                self.doc.remove_path(path);
            }
        }
    }

    fn add_host_metadata(&mut self, netinfo: bool, name: Option<&str>, replace_fields: bool) {
        let has_more_than_name = matches!(
            self.doc.get("host"),
            Some(Value::Object(host)) if host.iter().any(|(key, _)| key != "name")
        );
        if !replace_fields && has_more_than_name {
            return;
        }
        // Merging the processor's fields first and the existing ones after keeps every
        // value a deep update would give, with `host.name` in the place Packetbeat shows it.
        let existing = match self.doc.remove("host") {
            Some(Value::Object(host)) => host,
            _ => Map::new(),
        };
        let name = name.or_else(|| existing.get("name").and_then(Value::as_str));
        let info = self.host.get_or_insert_with(|| HostInfo::collect(true));
        let mut host = info.to_map(name);
        if !netinfo {
            host.remove("ip");
            host.remove("mac");
        }
        host.deep_update_no_overwrite(&existing);
        self.doc.insert("host", Value::Object(host));
    }

    fn holds_optional(&self, condition: Option<&Condition>) -> Result<bool, ConfigError> {
        condition.map_or(Ok(true), |condition| self.holds(condition))
    }

    /// Evaluates a condition against the static part of the event.
    fn holds(&self, condition: &Condition) -> Result<bool, ConfigError> {
        Ok(match condition {
            Condition::Contains(pairs) => {
                for (field, _) in pairs {
                    Self::check_static_field(field)?;
                }
                pairs
                    .iter()
                    .all(|(field, needle)| contains(self.doc.get_path(field), needle))
            }
            Condition::And(items) => {
                let results = items
                    .iter()
                    .map(|item| self.holds(item))
                    .collect::<Result<Vec<_>, _>>()?;
                results.into_iter().all(|result| result)
            }
            Condition::Or(items) => {
                let results = items
                    .iter()
                    .map(|item| self.holds(item))
                    .collect::<Result<Vec<_>, _>>()?;
                results.into_iter().any(|result| result)
            }
            Condition::Not(inner) => !self.holds(inner)?,
        })
    }

    /// Rejects a condition on a field whose value changes per event.
    fn check_static_field(field: &str) -> Result<(), ConfigError> {
        let head = field.split('.').next().unwrap_or_default();
        if TopKey::from_name(head).is_some_and(|key| !key.is_static()) {
            return Err(ConfigError::UnsupportedCondition {
                condition: format!("contains.{field} (a per-event field)"),
            });
        }
        Ok(())
    }

    fn finish(mut self, options: &EventOptions) -> Plan {
        let slots = self.slots(options);
        let mut trailing = Vec::new();
        for (index, (key, value)) in self.doc.iter().enumerate() {
            if index > 0 {
                trailing.push(b',');
            }
            trailing.extend_from_slice(&render_member(key, value));
        }
        Plan {
            steps: compile_steps(slots, &trailing),
        }
    }

    /// Returns the slot of each [`TopKey`], in order, taking the static ones out of the
    /// document.
    fn slots(&mut self, options: &EventOptions) -> Vec<Slot> {
        let mut slots = Vec::with_capacity(TopKey::ALL.len());
        for key in TopKey::ALL {
            let slot = if key == TopKey::Metadata {
                Slot::Static(metadata_member(&options.version))
            } else if key.is_static() {
                match self.doc.remove(key.name()) {
                    Some(value) => Slot::Static(render_member(key.name(), &value)),
                    None => Slot::Absent,
                }
            } else {
                per_event_slot(std::mem::take(&mut self.edits[key as usize]))
            };
            slots.push(slot);
        }
        slots
    }
}

/// Turns the slots, one per [`TopKey`] in order, and the `trailing` root members
/// (`"key":value,...`, possibly empty) into steps. The static members before each per-event
/// member are joined into the text of its step, which also takes the key of a member that
/// every event has.
fn compile_steps(slots: Vec<Slot>, trailing: &[u8]) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut text = Vec::new();
    for (key, slot) in TopKey::ALL.into_iter().zip(slots) {
        let member = match slot {
            Slot::Absent => continue,
            Slot::Static(member) => {
                push_member(&mut text, &member);
                continue;
            }
            Slot::Dynamic if key.in_every_event() => {
                push_member(&mut text, key.quoted_name().as_bytes());
                Member::Value(key)
            }
            Slot::Dynamic => Member::Optional(key),
            Slot::Edited(edits) => Member::Edited(key, edits),
        };
        steps.push(Step {
            text: std::mem::take(&mut text),
            member,
        });
    }
    if !trailing.is_empty() {
        push_member(&mut text, trailing);
    }
    if !text.is_empty() {
        steps.push(Step {
            text,
            member: Member::None,
        });
    }
    steps
}

/// Appends `member` to the static `text`, after a comma unless it is the first.
fn push_member(text: &mut Vec<u8>, member: &[u8]) {
    if !text.is_empty() {
        text.push(b',');
    }
    text.extend_from_slice(member);
}

fn per_event_slot(edits: Vec<Edit>) -> Slot {
    match edits.as_slice() {
        [] => Slot::Dynamic,
        [.., Edit::Remove(path)] if path.is_empty() => Slot::Absent,
        _ => Slot::Edited(edits),
    }
}

/// Substring match on a string, or on any string of an array (libbeat `contains`).
fn contains(value: Option<&Value>, needle: &str) -> bool {
    match value {
        Some(Value::Str(text)) => text.contains(needle),
        Some(Value::Array(items)) => items
            .iter()
            .any(|item| item.as_str().is_some_and(|text| text.contains(needle))),
        _ => false,
    }
}

fn metadata_member(version: &str) -> Vec<u8> {
    let mut metadata = Map::new();
    metadata.insert("beat", Value::str(BEAT_NAME));
    metadata.insert("type", Value::str("_doc"));
    metadata.insert("version", Value::str(version));
    render_member("@metadata", &Value::Object(metadata))
}

fn render_member(key: &str, value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    json::write_str(&mut out, key);
    out.push(b':');
    value.write_json(&mut out);
    out
}

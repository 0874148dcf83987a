//! The global `processors:` list of packetbeat.yml.
//!
//! Implemented: `drop_fields` (`fields`, `ignore_missing`), `add_host_metadata`
//! (`netinfo.enabled`, `name`, `replace_fields`), the `if`/`then`/`else` form, and `when`
//! on any processor. `add_cloud_metadata`, `add_docker_metadata` and `detect_mime_type`
//! are accepted and add nothing: dnstel sends no metadata requests, DNS events carry no
//! process ID for Docker to match, and they have no HTTP bodies.
//!
//! Conditions: `contains` (substring match on a string, or on any element of an array of
//! strings), combined with `and`, `or` and `not`. The fields a condition reads must be
//! fixed for the whole run (`tags`, `fields.*`, `agent.*`, `host.*`, `ecs.*`), because
//! conditions are evaluated once when the encoder is built. Other condition types and
//! other processors are rejected with an error.

use crate::error::ConfigError;
use crate::value::Value;

/// One configured processor.
#[derive(Clone, Debug, PartialEq)]
pub enum Processor {
    /// `drop_fields`: remove the listed dotted paths. `type` cannot be dropped.
    DropFields {
        /// Dotted paths to remove.
        fields: Vec<String>,
        /// `ignore_missing`. Accepted for compatibility: Packetbeat only logs missing fields
        /// when it is false, and dnstel logs nothing for them either way.
        ignore_missing: bool,
        /// `when` condition.
        when: Option<Condition>,
    },
    /// `add_host_metadata`: merge the host's `host.*` fields into the event.
    AddHostMetadata {
        /// `netinfo.enabled` (default true): add `host.ip` and `host.mac`.
        netinfo: bool,
        /// `name`: also set `host.name`.
        name: Option<String>,
        /// `replace_fields` (default true): add the fields even if `host` already has fields
        /// besides `host.name`.
        replace_fields: bool,
        /// `when` condition.
        when: Option<Condition>,
    },
    /// A processor accepted for compatibility that changes nothing in a DNS event.
    NoOp {
        /// Processor name.
        name: String,
    },
    /// `if` / `then` / `else`.
    If {
        /// The `if` condition.
        condition: Condition,
        /// Processors run when it holds.
        then: Vec<Processor>,
        /// Processors run otherwise.
        otherwise: Vec<Processor>,
    },
}

/// A processor condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// `contains: {field: substring, ...}`: every listed field contains its substring.
    Contains(Vec<(String, String)>),
    /// `and: [...]`.
    And(Vec<Condition>),
    /// `or: [...]`.
    Or(Vec<Condition>),
    /// `not: {...}`.
    Not(Box<Condition>),
}

/// Processors accepted for compatibility without effect on DNS events.
const NO_OP_PROCESSORS: &[&str] = &[
    "add_cloud_metadata",
    "add_docker_metadata",
    "detect_mime_type",
];

/// Parses a `processors:` list given as JSON (the CLI converts the YAML). Dotted keys such
/// as `if.contains.tags` are expanded as Beats expands them.
pub fn parse_processors(list: &serde_json::Value) -> Result<Vec<Processor>, ConfigError> {
    let expanded = Value::from(list).expand_dotted_keys();
    let items = match &expanded {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => {
            return Err(ConfigError::InvalidProcessor {
                index: 0,
                reason: "processors must be a list".to_owned(),
            })
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| parse_processor(index, item))
        .collect()
}

fn parse_processor(index: usize, item: &Value) -> Result<Processor, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidProcessor {
        index,
        reason: reason.to_owned(),
    };
    let object = item
        .as_object()
        .ok_or_else(|| invalid("expected a mapping"))?;
    if let Some(condition) = object.get("if") {
        let then = object
            .get("then")
            .ok_or_else(|| invalid("`if` without `then`"))?;
        return Ok(Processor::If {
            condition: parse_condition(condition)?,
            then: parse_nested(then)?,
            otherwise: match object.get("else") {
                Some(otherwise) => parse_nested(otherwise)?,
                None => Vec::new(),
            },
        });
    }
    if object.len() != 1 {
        return Err(invalid(
            "expected exactly one processor name per list entry",
        ));
    }
    let (name, config) = object.iter().next().expect("object has one entry");
    let when = match config.get_path("when") {
        Some(condition) => Some(parse_condition(condition)?),
        None => None,
    };
    match name {
        "drop_fields" => Ok(Processor::DropFields {
            fields: string_list(config.get_path("fields"))
                .ok_or_else(|| invalid("drop_fields needs `fields`, a list of strings"))?,
            ignore_missing: config
                .get_path("ignore_missing")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            when,
        }),
        "add_host_metadata" => Ok(Processor::AddHostMetadata {
            netinfo: config
                .get_path("netinfo.enabled")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            name: config
                .get_path("name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            replace_fields: config
                .get_path("replace_fields")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            when,
        }),
        other if NO_OP_PROCESSORS.contains(&other) => Ok(Processor::NoOp {
            name: other.to_owned(),
        }),
        other => Err(ConfigError::UnsupportedProcessor {
            name: other.to_owned(),
            index,
        }),
    }
}

fn parse_nested(value: &Value) -> Result<Vec<Processor>, ConfigError> {
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| parse_processor(index, item))
            .collect(),
        single => Ok(vec![parse_processor(0, single)?]),
    }
}

/// Parses a condition mapping such as `{contains: {tags: forwarded}}`.
pub fn parse_condition(value: &Value) -> Result<Condition, ConfigError> {
    let unsupported = |condition: String| ConfigError::UnsupportedCondition { condition };
    let object = value
        .as_object()
        .ok_or_else(|| unsupported(render(value)))?;
    let mut conditions = Vec::new();
    for (kind, body) in object.iter() {
        let condition = match kind {
            "contains" => {
                let mut pairs = Vec::new();
                flatten_pairs("", body, &mut pairs)
                    .map_err(|()| unsupported(format!("contains {}", render(body))))?;
                Condition::Contains(pairs)
            }
            "and" | "or" => {
                let Value::Array(items) = body else {
                    return Err(unsupported(format!("{kind} {}", render(body))));
                };
                let parsed = items
                    .iter()
                    .map(parse_condition)
                    .collect::<Result<_, _>>()?;
                if kind == "and" {
                    Condition::And(parsed)
                } else {
                    Condition::Or(parsed)
                }
            }
            "not" => Condition::Not(Box::new(parse_condition(body)?)),
            other => {
                let field = body
                    .as_object()
                    .and_then(|fields| fields.iter().next())
                    .map_or(String::new(), |(field, _)| format!(".{field}"));
                return Err(unsupported(format!("{other}{field}")));
            }
        };
        conditions.push(condition);
    }
    match conditions.len() {
        0 => Err(unsupported("{}".to_owned())),
        1 => Ok(conditions.remove(0)),
        _ => Ok(Condition::And(conditions)),
    }
}

/// Flattens `{tags: x}` or `{fields: {env: x}}` into `("tags", x)` / `("fields.env", x)`.
fn flatten_pairs(prefix: &str, body: &Value, pairs: &mut Vec<(String, String)>) -> Result<(), ()> {
    let object = body.as_object().ok_or(())?;
    for (key, value) in object.iter() {
        let path = if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Str(text) => pairs.push((path, text.clone())),
            Value::Object(_) => flatten_pairs(&path, value, pairs)?,
            _ => return Err(()),
        }
    }
    Ok(())
}

fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    match value? {
        Value::Str(single) => Some(vec![single.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

fn render(value: &Value) -> String {
    let mut out = Vec::new();
    value.write_json(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed_processors() -> serde_json::Value {
        json!([
            {"if.contains.tags": "forwarded",
             "then": [{"drop_fields": {"fields": ["host"]}}],
             "else": [{"add_host_metadata": null}]},
            {"add_cloud_metadata": null},
            {"add_docker_metadata": null},
            {"detect_mime_type": {"field": "http.request.body.content", "target": "http.request.mime_type"}},
            {"detect_mime_type": {"field": "http.response.body.content", "target": "http.response.mime_type"}}
        ])
    }

    #[test]
    fn parse_seed_config() {
        let processors = parse_processors(&seed_processors()).expect("seed config parses");
        assert_eq!(processors.len(), 5);
        assert_eq!(
            processors[0],
            Processor::If {
                condition: Condition::Contains(vec![("tags".into(), "forwarded".into())]),
                then: vec![Processor::DropFields {
                    fields: vec!["host".into()],
                    ignore_missing: false,
                    when: None,
                }],
                otherwise: vec![Processor::AddHostMetadata {
                    netinfo: true,
                    name: None,
                    replace_fields: true,
                    when: None,
                }],
            }
        );
        assert_eq!(
            processors[1],
            Processor::NoOp {
                name: "add_cloud_metadata".into()
            }
        );
    }

    #[test]
    fn parse_when_and_netinfo() {
        let list = json!([
            {"drop_fields": {"fields": ["agent.ephemeral_id"], "when.not.contains.tags": "x"}},
            {"add_host_metadata": {"netinfo.enabled": false, "name": "sensor-1"}}
        ]);
        let processors = parse_processors(&list).expect("valid");
        assert_eq!(
            processors[0],
            Processor::DropFields {
                fields: vec!["agent.ephemeral_id".into()],
                ignore_missing: false,
                when: Some(Condition::Not(Box::new(Condition::Contains(vec![(
                    "tags".into(),
                    "x".into()
                )])))),
            }
        );
        assert!(matches!(
            &processors[1],
            Processor::AddHostMetadata { netinfo: false, name: Some(name), .. } if name == "sensor-1"
        ));
    }

    #[test]
    fn unsupported_processor_rejected() {
        let error =
            parse_processors(&json!([{"rename": {"fields": []}}])).expect_err("unsupported");
        assert_eq!(
            error.to_string(),
            "unsupported processor \"rename\" in processors[0]"
        );
    }

    #[test]
    fn unsupported_condition_rejected() {
        let list = json!([{"drop_fields": {"fields": ["a"], "when": {"equals": {"type": "dns"}}}}]);
        let error = parse_processors(&list).expect_err("unsupported");
        assert!(error.to_string().contains("equals.type"), "{error}");
    }

    #[test]
    fn invalid_shapes_rejected() {
        assert!(parse_processors(&json!({"a": 1})).is_err());
        assert!(parse_processors(&json!([{"drop_fields": {}}])).is_err());
        assert!(parse_processors(&json!([{"if": {"contains": {"tags": "x"}}}])).is_err());
        assert!(parse_processors(&json!([{"contains": 1, "x": 2}])).is_err());
        assert_eq!(parse_processors(&json!(null)).expect("empty"), Vec::new());
    }
}

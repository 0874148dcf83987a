//! Processor conditions (`when`, `if`): `equals`, `contains`, `regexp`, `range`, `network`,
//! `has_fields`, `or`, `and`, `not`.
//!
//! Field names in conditions are dotted paths. Because the loader splits dotted keys into nested
//! maps, the field maps are flattened back here (`contains.dns.question.name: x` and
//! `contains: {dns: {question: {name: x}}}` both give the field `dns.question.name`).

use crate::reader::{self, field_value, Context, Section};
use crate::tree::{join, Value, ValueKind};
use crate::{Condition, ConfigError, RangeBounds};

const CONDITION_NAMES: [&str; 9] = [
    "equals",
    "contains",
    "regexp",
    "range",
    "network",
    "has_fields",
    "or",
    "and",
    "not",
];

/// Reads the condition map at `path`.
pub(crate) fn read(value: &Value, path: &str, cx: &mut Context) -> Result<Condition, ConfigError> {
    let section = Section::new(value, path, cx)?;
    let keys = section.keys();
    let Some(&name) = keys.first() else {
        return Err(ConfigError::MissingKey {
            key: format!("{path} (one of {})", CONDITION_NAMES.join(", ")),
            file: cx.file.to_owned(),
            line: value.line,
        });
    };
    if keys.len() > 1 {
        return Err(ConfigError::Conflict {
            message: format!(
                "condition {path} has {} operators ({}); combine them with and/or",
                keys.len(),
                keys.join(", ")
            ),
            file: cx.file.to_owned(),
            line: value.line,
        });
    }
    let ValueKind::Map(entries) = &value.kind else {
        return Err(cx.invalid(path, value, "a map"));
    };
    let operand = &entries[0].value;
    let operand_path = join(path, name);
    match name {
        "equals" => Ok(Condition::Equals(
            flatten(operand, &operand_path, cx)?
                .into_iter()
                .map(|(field, v)| (field, field_value(v)))
                .collect(),
        )),
        "contains" => Ok(Condition::Contains(string_fields(
            operand,
            &operand_path,
            cx,
        )?)),
        "regexp" => Ok(Condition::Regexp(string_fields(
            operand,
            &operand_path,
            cx,
        )?)),
        "range" => read_range(operand, &operand_path, cx).map(Condition::Range),
        "network" => read_network(operand, &operand_path, cx).map(Condition::Network),
        "has_fields" => reader::read_strings(operand, &operand_path, cx).map(Condition::HasFields),
        "or" => read_list(operand, &operand_path, cx).map(Condition::Or),
        "and" => read_list(operand, &operand_path, cx).map(Condition::And),
        "not" => Ok(Condition::Not(Box::new(read(operand, &operand_path, cx)?))),
        _ => {
            let hint = reader::closest(name, CONDITION_NAMES.iter().copied())
                .map(|k| format!("did you mean {k}?"));
            Err(cx.unknown(operand_path, entries[0].line, hint))
        }
    }
}

/// Flattens a field map into (dotted field, leaf value) pairs in file order.
fn flatten<'v>(
    value: &'v Value,
    path: &str,
    cx: &Context,
) -> Result<Vec<(String, &'v Value)>, ConfigError> {
    let ValueKind::Map(entries) = &value.kind else {
        return Err(cx.invalid(path, value, "a map of field names to values"));
    };
    let mut fields = Vec::new();
    for entry in entries {
        collect_leaves(&entry.value, entry.key.clone(), &mut fields);
    }
    Ok(fields)
}

fn collect_leaves<'v>(value: &'v Value, field: String, out: &mut Vec<(String, &'v Value)>) {
    match &value.kind {
        ValueKind::Map(entries) if !entries.is_empty() => {
            for entry in entries {
                collect_leaves(&entry.value, join(&field, &entry.key), out);
            }
        }
        _ => out.push((field, value)),
    }
}

fn string_fields(
    value: &Value,
    path: &str,
    cx: &Context,
) -> Result<Vec<(String, String)>, ConfigError> {
    flatten(value, path, cx)?
        .into_iter()
        .map(|(field, leaf)| match &leaf.kind {
            ValueKind::Scalar { text, .. } => Ok((field, text.clone())),
            _ => Err(cx.invalid(&join(path, &field), leaf, "a string")),
        })
        .collect()
}

fn read_network(
    value: &Value,
    path: &str,
    cx: &Context,
) -> Result<Vec<(String, Vec<String>)>, ConfigError> {
    let mut fields = Vec::new();
    for (field, leaf) in flatten(value, path, cx)? {
        let key = join(path, &field);
        let networks = reader::read_strings(leaf, &key, cx)?;
        for network in &networks {
            if !crate::interfaces::is_valid_network(network) {
                return Err(cx.invalid(&key, leaf, crate::interfaces::NETWORK_EXPECTED));
            }
        }
        fields.push((field, networks));
    }
    Ok(fields)
}

fn read_range(
    value: &Value,
    path: &str,
    cx: &Context,
) -> Result<Vec<(String, RangeBounds)>, ConfigError> {
    let mut fields: Vec<(String, RangeBounds)> = Vec::new();
    for (dotted, leaf) in flatten(value, path, cx)? {
        let key = join(path, &dotted);
        let Some((field, bound)) = dotted.rsplit_once('.') else {
            return Err(cx.invalid(&key, leaf, "a field with gte, gt, lte or lt bounds"));
        };
        let number = match &leaf.kind {
            ValueKind::Scalar { text, .. } => crate::scalar::parse_float(text),
            _ => None,
        };
        let Some(number) = number else {
            return Err(cx.invalid(&key, leaf, "a number"));
        };
        let index = match fields.iter().position(|(f, _)| f == field) {
            Some(index) => index,
            None => {
                fields.push((field.to_owned(), RangeBounds::default()));
                fields.len() - 1
            }
        };
        let bounds = &mut fields[index].1;
        match bound {
            "gte" => bounds.gte = Some(number),
            "gt" => bounds.gt = Some(number),
            "lte" => bounds.lte = Some(number),
            "lt" => bounds.lt = Some(number),
            _ => return Err(cx.invalid(&key, leaf, "a bound named gte, gt, lte or lt")),
        }
    }
    Ok(fields)
}

fn read_list(value: &Value, path: &str, cx: &mut Context) -> Result<Vec<Condition>, ConfigError> {
    let ValueKind::Seq(items) = &value.kind else {
        return Err(cx.invalid(path, value, "a list of conditions"));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| read(item, &join(path, &index.to_string()), cx))
        .collect()
}

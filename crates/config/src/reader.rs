//! Typed reading of one map section, with unknown-key detection.
//!
//! A [`Section`] hands out values by key and remembers which keys were read. When the section
//! is finished, a remaining key is either a Packetbeat option that dnstel does not implement
//! (recorded in `not_applied`) or an unknown key (an error with the closest known key as hint).

use std::path::PathBuf;
use std::time::Duration;

use crate::scalar;
use crate::tree::{join, Entry, Value, ValueKind};
use crate::{ConfigError, FieldValue};

/// State shared by every section of one file.
pub(crate) struct Context<'a> {
    pub file: &'a str,
    pub not_applied: Vec<String>,
}

impl Context<'_> {
    pub fn invalid(&self, key: &str, value: &Value, expected: &str) -> ConfigError {
        ConfigError::InvalidValue {
            key: key.to_owned(),
            file: self.file.to_owned(),
            line: value.line,
            value: describe(value),
            expected: expected.to_owned(),
        }
    }

    pub fn unknown(&self, key: String, line: usize, hint: Option<String>) -> ConfigError {
        ConfigError::UnknownKey {
            key,
            file: self.file.to_owned(),
            line,
            hint,
        }
    }

    /// Records every leaf below `value` as not applied.
    pub fn record_not_applied(&mut self, path: &str, value: &Value) {
        match &value.kind {
            ValueKind::Map(entries) if !entries.is_empty() => {
                for entry in entries {
                    self.record_not_applied(&join(path, &entry.key), &entry.value);
                }
            }
            _ => self.not_applied.push(path.to_owned()),
        }
    }
}

/// Returns the value as written for a scalar, or a short description of a list or map.
pub(crate) fn describe(value: &Value) -> String {
    match &value.kind {
        ValueKind::Scalar { text, .. } => text.clone(),
        ValueKind::Seq(_) => "a list".to_owned(),
        ValueKind::Map(_) => "a map".to_owned(),
    }
}

/// One map being read.
pub(crate) struct Section<'v> {
    path: String,
    line: usize,
    entries: Vec<(&'v Entry, bool)>,
    known: Vec<&'static str>,
}

impl<'v> Section<'v> {
    /// Opens `value` as a map; a null value is an empty map.
    pub fn new(value: &'v Value, path: &str, cx: &Context) -> Result<Self, ConfigError> {
        let entries = match &value.kind {
            ValueKind::Map(entries) => entries.iter().map(|e| (e, false)).collect(),
            _ if value.is_null() => Vec::new(),
            _ if path.is_empty() => {
                let expected = "a YAML map of packetbeat.yml settings at the top level";
                return Err(cx.invalid("the document", value, expected));
            }
            _ => return Err(cx.invalid(path, value, "a map")),
        };
        Ok(Section {
            path: path.to_owned(),
            line: value.line,
            entries,
            known: Vec::new(),
        })
    }

    /// Returns the dotted path of `key` in this section.
    pub fn key_path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Returns the 1-based line where this section starts.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Returns the 1-based line of `key`, if present.
    pub fn key_line(&self, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .find(|(e, _)| e.key == key)
            .map(|(e, _)| e.line)
    }

    /// Returns the keys present in file order.
    pub fn keys(&self) -> Vec<&'v str> {
        self.entries.iter().map(|(e, _)| e.key.as_str()).collect()
    }

    /// Marks `key` as known and returns its value, null included.
    pub fn take_raw(&mut self, key: &'static str) -> Option<&'v Value> {
        self.known.push(key);
        let slot = self.entries.iter_mut().find(|(e, _)| e.key == key)?;
        slot.1 = true;
        Some(&slot.0.value)
    }

    /// Marks `key` as known and returns its value unless absent or null.
    pub fn take(&mut self, key: &'static str) -> Option<&'v Value> {
        self.take_raw(key).filter(|v| !v.is_null())
    }

    pub fn string(
        &mut self,
        key: &'static str,
        cx: &Context,
    ) -> Result<Option<String>, ConfigError> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        match &value.kind {
            ValueKind::Scalar { text, .. } => Ok(Some(text.clone())),
            _ => Err(cx.invalid(&self.key_path(key), value, "a string")),
        }
    }

    pub fn path_buf(
        &mut self,
        key: &'static str,
        cx: &Context,
    ) -> Result<Option<PathBuf>, ConfigError> {
        Ok(self.string(key, cx)?.map(PathBuf::from))
    }

    pub fn bool(&mut self, key: &'static str, cx: &Context) -> Result<Option<bool>, ConfigError> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        match &value.kind {
            ValueKind::Scalar { text, .. } => match scalar::parse_bool(text) {
                Some(flag) => Ok(Some(flag)),
                None => Err(cx.invalid(&self.key_path(key), value, "true or false")),
            },
            _ => Err(cx.invalid(&self.key_path(key), value, "true or false")),
        }
    }

    /// Reads an integer within `min..=max`.
    pub fn int(
        &mut self,
        key: &'static str,
        min: i64,
        max: i64,
        cx: &Context,
    ) -> Result<Option<i64>, ConfigError> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        read_int(value, &self.key_path(key), min, max, cx).map(Some)
    }

    pub fn duration(
        &mut self,
        key: &'static str,
        cx: &Context,
    ) -> Result<Option<Duration>, ConfigError> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        read_duration(value, &self.key_path(key), cx).map(Some)
    }

    /// Reads a list of strings; a single scalar is a list of one, as Beats accepts.
    pub fn strings(
        &mut self,
        key: &'static str,
        cx: &Context,
    ) -> Result<Option<Vec<String>>, ConfigError> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        read_strings(value, &self.key_path(key), cx).map(Some)
    }

    /// Opens the map under `key`; absent or null gives an empty section.
    pub fn section(&mut self, key: &'static str, cx: &Context) -> Result<Section<'v>, ConfigError> {
        let path = self.key_path(key);
        match self.take_raw(key) {
            Some(value) => Section::new(value, &path, cx),
            None => Ok(Section {
                path,
                line: self.line,
                entries: Vec::new(),
                known: Vec::new(),
            }),
        }
    }

    /// Checks the keys not read: `unimplemented` ones go to `not_applied`, others are errors.
    pub fn finish(self, unimplemented: &[&str], cx: &mut Context) -> Result<(), ConfigError> {
        for (entry, taken) in &self.entries {
            if *taken {
                continue;
            }
            let path = self.key_path(&entry.key);
            if unimplemented.contains(&entry.key.as_str()) {
                cx.record_not_applied(&path, &entry.value);
                continue;
            }
            let candidates = self.known.iter().chain(unimplemented.iter()).copied();
            let hint = closest(&entry.key, candidates).map(|k| format!("did you mean {k}?"));
            return Err(cx.unknown(path, entry.line, hint));
        }
        Ok(())
    }
}

pub(crate) fn read_int(
    value: &Value,
    key: &str,
    min: i64,
    max: i64,
    cx: &Context,
) -> Result<i64, ConfigError> {
    let expected = format!("an integer from {min} to {max}");
    let ValueKind::Scalar { text, .. } = &value.kind else {
        return Err(cx.invalid(key, value, &expected));
    };
    match scalar::parse_int(text) {
        Some(number) if (min..=max).contains(&number) => Ok(number),
        _ => Err(cx.invalid(key, value, &expected)),
    }
}

/// Reads a Go duration string; a bare number is a number of seconds, as Beats accepts.
pub(crate) fn read_duration(
    value: &Value,
    key: &str,
    cx: &Context,
) -> Result<Duration, ConfigError> {
    const EXPECTED: &str = "a duration such as 10s, 500ms or 1m30s";
    let ValueKind::Scalar { text, plain } = &value.kind else {
        return Err(cx.invalid(key, value, EXPECTED));
    };
    if *plain {
        if let Some(seconds) = scalar::parse_int(text).and_then(|n| u64::try_from(n).ok()) {
            return Ok(Duration::from_secs(seconds));
        }
        if let Some(seconds) = scalar::parse_float(text) {
            return Duration::try_from_secs_f64(seconds)
                .map_err(|_| cx.invalid(key, value, EXPECTED));
        }
    }
    scalar::parse_duration(text).ok_or_else(|| cx.invalid(key, value, EXPECTED))
}

pub(crate) fn read_strings(
    value: &Value,
    key: &str,
    cx: &Context,
) -> Result<Vec<String>, ConfigError> {
    match &value.kind {
        ValueKind::Scalar { text, .. } => Ok(vec![text.clone()]),
        ValueKind::Seq(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| match &item.kind {
                ValueKind::Scalar { text, .. } => Ok(text.clone()),
                _ => Err(cx.invalid(&join(key, &index.to_string()), item, "a string")),
            })
            .collect(),
        ValueKind::Map(_) => Err(cx.invalid(key, value, "a list of strings")),
    }
}

/// Converts any value to a [`FieldValue`] with YAML 1.1 scalar typing.
pub(crate) fn field_value(value: &Value) -> FieldValue {
    match &value.kind {
        ValueKind::Scalar { .. } if value.is_null() => FieldValue::Null,
        ValueKind::Scalar { text, plain: false } => FieldValue::String(text.clone()),
        ValueKind::Scalar { text, plain: true } => typed_scalar(text),
        ValueKind::Seq(items) => FieldValue::List(items.iter().map(field_value).collect()),
        ValueKind::Map(entries) => FieldValue::Map(
            entries
                .iter()
                .map(|e| (e.key.clone(), field_value(&e.value)))
                .collect(),
        ),
    }
}

fn typed_scalar(text: &str) -> FieldValue {
    if let Some(flag) = scalar::parse_bool(text) {
        return FieldValue::Bool(flag);
    }
    if let Some(number) = scalar::parse_int(text) {
        return FieldValue::Int(number);
    }
    if let Some(number) = scalar::parse_float(text) {
        return FieldValue::Float(number);
    }
    FieldValue::String(text.to_owned())
}

/// Returns the candidate within edit distance 2 of `key`, if any, preferring the closest.
pub(crate) fn closest<'c>(key: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .map(|c| (edit_distance(key, c), c))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("rotate_evry_kb", "rotate_every_kb"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "ab"), 2);
    }

    #[test]
    fn closest_prefers_smallest_distance() {
        let known = ["path", "filename", "permissions"];
        assert_eq!(closest("filname", known.iter().copied()), Some("filename"));
        assert_eq!(closest("zzzzzz", known.iter().copied()), None);
    }
}

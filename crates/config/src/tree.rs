//! Beats' view of a YAML document: dotted keys split into nested maps and merged, environment
//! variables substituted.
//!
//! `output.file.path: x` and `output: {file: {path: x}}` give the same tree, and both forms may
//! appear in one file. Setting the same leaf twice is an error naming both lines.

use std::cell::Cell;

use crate::env::{self, ExpandError};
use crate::yaml::{Node, NodeKind, MAX_DEPTH, MAX_TEXT_BYTES};
use crate::ConfigError;

/// A configuration value with the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Value {
    pub line: usize,
    pub kind: ValueKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ValueKind {
    /// A scalar after substitution; `plain` is false for quoted and block scalars.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Value>),
    Map(Vec<Entry>),
}

/// One map entry whose key is a single path segment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub line: usize,
    pub value: Value,
}

impl Value {
    /// Returns true for `~`, `null` and an empty plain scalar.
    pub fn is_null(&self) -> bool {
        match &self.kind {
            ValueKind::Scalar { text, plain: true } => {
                matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL")
            }
            _ => false,
        }
    }

    /// Returns an empty map at `line`.
    pub fn empty_map(line: usize) -> Value {
        Value {
            line,
            kind: ValueKind::Map(Vec::new()),
        }
    }
}

/// Context for building the tree: the file name for errors and the variable lookup.
pub(crate) struct TreeBuilder<'a> {
    file: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// Bytes of scalar text after substitution so far, bounded by [`MAX_TEXT_BYTES`] so that
    /// a long variable named many times cannot fill memory.
    scalar_bytes: Cell<usize>,
}

impl<'a> TreeBuilder<'a> {
    pub fn new(file: &'a str, lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        TreeBuilder {
            file,
            lookup,
            scalar_bytes: Cell::new(0),
        }
    }

    /// Converts a parsed document; an absent document becomes an empty map.
    pub fn build(&self, root: Option<Node>) -> Result<Value, ConfigError> {
        match root {
            None => Ok(Value::empty_map(1)),
            Some(node) => {
                let value = self.convert(node, "", 0)?;
                if value.is_null() {
                    return Ok(Value::empty_map(value.line));
                }
                Ok(value)
            }
        }
    }

    fn convert(&self, node: Node, path: &str, depth: usize) -> Result<Value, ConfigError> {
        let kind = match node.kind {
            NodeKind::Scalar { text, plain } => {
                let left = MAX_TEXT_BYTES.saturating_sub(self.scalar_bytes.get());
                let text = env::expand(&text, self.lookup, left).map_err(|error| match error {
                    ExpandError::Unset(name) => ConfigError::MissingEnvironmentVariable {
                        name,
                        key: path.to_owned(),
                        file: self.file.to_owned(),
                        line: node.line,
                    },
                    ExpandError::TooLong => ConfigError::Syntax {
                        file: self.file.to_owned(),
                        line: node.line,
                        column: 1,
                        message: format!(
                            "more than {MAX_TEXT_BYTES} bytes of text after environment variable substitution at {path}; use shorter variables or name them fewer times"
                        ),
                    },
                })?;
                self.scalar_bytes.set(self.scalar_bytes.get() + text.len());
                ValueKind::Scalar {
                    text: text.into_owned(),
                    plain,
                }
            }
            NodeKind::Seq(items) => {
                let mut values = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    values.push(self.convert(item, &join(path, &index.to_string()), depth + 1)?);
                }
                ValueKind::Seq(values)
            }
            NodeKind::Map(entries) => {
                let mut merged = Vec::with_capacity(entries.len());
                for (key, line, value) in entries {
                    self.insert_dotted(&mut merged, path, &key, line, value, depth)?;
                }
                ValueKind::Map(merged)
            }
        };
        Ok(Value {
            line: node.line,
            kind,
        })
    }

    /// Splits `key` on dots and merges the value into `entries` under that path.
    fn insert_dotted(
        &self,
        entries: &mut Vec<Entry>,
        path: &str,
        key: &str,
        line: usize,
        node: Node,
        depth: usize,
    ) -> Result<(), ConfigError> {
        let full = join(path, key);
        let segments: Vec<&str> = key.split('.').collect();
        let depth = depth + segments.len();
        if depth > MAX_DEPTH {
            return Err(ConfigError::Syntax {
                file: self.file.to_owned(),
                line,
                column: 1,
                message: format!("key {full} nests deeper than {MAX_DEPTH} levels"),
            });
        }
        if segments.iter().any(|s| s.is_empty()) {
            return Err(ConfigError::UnknownKey {
                key: full,
                file: self.file.to_owned(),
                line,
                hint: Some("a key segment between dots is empty".to_owned()),
            });
        }
        let mut value = self.convert(node, &full, depth)?;
        for segment in segments[1..].iter().rev() {
            value = Value {
                line,
                kind: ValueKind::Map(vec![Entry {
                    key: (*segment).to_owned(),
                    line,
                    value,
                }]),
            };
        }
        let entry = Entry {
            key: segments[0].to_owned(),
            line,
            value,
        };
        self.merge(entries, entry, path)
    }

    fn merge(&self, entries: &mut Vec<Entry>, entry: Entry, path: &str) -> Result<(), ConfigError> {
        let Some(existing) = entries.iter_mut().find(|e| e.key == entry.key) else {
            entries.push(entry);
            return Ok(());
        };
        if entry.value.is_null() && matches!(existing.value.kind, ValueKind::Map(_)) {
            return Ok(());
        }
        if existing.value.is_null() {
            existing.value = entry.value;
            return Ok(());
        }
        let full = join(path, &entry.key);
        match (&mut existing.value.kind, entry.value.kind) {
            (ValueKind::Map(into), ValueKind::Map(from)) => {
                for child in from {
                    self.merge(into, child, &full)?;
                }
                Ok(())
            }
            _ => Err(ConfigError::DuplicateKey {
                key: full,
                file: self.file.to_owned(),
                line: entry.line,
                first_line: existing.line,
            }),
        }
    }
}

/// Joins a dotted path and a segment.
pub(crate) fn join(path: &str, segment: &str) -> String {
    if path.is_empty() {
        segment.to_owned()
    } else {
        format!("{path}.{segment}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    fn build(text: &str) -> Result<Value, ConfigError> {
        let lookup = |name: &str| (name == "DIR").then(|| "/srv".to_owned());
        let builder = TreeBuilder::new("t.yml", &lookup);
        builder.build(yaml::parse(text, "t.yml")?)
    }

    #[test]
    fn dotted_and_nested_are_equal() {
        let dotted = build("output.file.path: /x\n").expect("valid");
        let nested = build("output:\n  file:\n    path: /x\n").expect("valid");
        let strip_lines = |v: &Value| format!("{:?}", v).replace(char::is_numeric, "");
        assert_eq!(strip_lines(&dotted), strip_lines(&nested));
    }

    #[test]
    fn dotted_merges_with_nested() {
        let value =
            build("output:\n  file:\n    path: /x\noutput.file.filename: pb\n").expect("valid");
        let ValueKind::Map(top) = &value.kind else {
            panic!("root is a map");
        };
        assert_eq!(top.len(), 1);
        let ValueKind::Map(output) = &top[0].value.kind else {
            panic!("output is a map");
        };
        let ValueKind::Map(file) = &output[0].value.kind else {
            panic!("file is a map");
        };
        let keys: Vec<&str> = file.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["path", "filename"]);
        assert_eq!(file[1].line, 4);
    }

    #[test]
    fn duplicate_leaf_names_both_lines() {
        let result = build("output.file.path: /x\noutput:\n  file:\n    path: /y\n");
        let Err(ConfigError::DuplicateKey {
            key,
            line,
            first_line,
            ..
        }) = result
        else {
            panic!("expected a duplicate key error, got {result:?}");
        };
        assert_eq!(key, "output.file.path");
        assert_eq!(line, 4);
        assert_eq!(first_line, 1);
    }

    #[test]
    fn environment_variable_substituted() {
        let value = build("path.data: ${DIR}/data\n").expect("valid");
        let text = format!("{value:?}");
        assert!(text.contains("/srv/data"), "{text}");
    }

    #[test]
    fn long_variable_named_often_rejected() {
        // 100 references to a 100,000-byte value make 10 MB from a 700-byte file.
        let long = "x".repeat(100_000);
        let lookup = |name: &str| (name == "LONG").then(|| long.clone());
        let text = format!("a: \"{}\"\n", "${LONG}".repeat(100));
        let root = yaml::parse(&text, "t.yml").expect("valid YAML");
        let result = TreeBuilder::new("t.yml", &lookup).build(root);
        let Err(ConfigError::Syntax { line, message, .. }) = result else {
            panic!("expected a syntax error, got {result:?}");
        };
        assert_eq!(line, 1);
        assert!(
            message.contains("environment variable substitution at a"),
            "{message}"
        );
    }

    #[test]
    fn missing_variable_names_key() {
        let result = build("a:\n  b: ${UNSET_VARIABLE}\n");
        let Err(ConfigError::MissingEnvironmentVariable {
            name, key, line, ..
        }) = result
        else {
            panic!("expected a missing variable error, got {result:?}");
        };
        assert_eq!(name, "UNSET_VARIABLE");
        assert_eq!(key, "a.b");
        assert_eq!(line, 2);
    }

    #[test]
    fn deep_dotted_key_rejected() {
        let key = vec!["k"; 100].join(".");
        let result = build(&format!("{key}: 1\n"));
        assert!(
            matches!(result, Err(ConfigError::Syntax { line: 1, .. })),
            "{result:?}"
        );
    }
}

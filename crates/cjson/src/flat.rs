//! Parsing of a JSON object straight into its flattened members: every member that is not an
//! object is reported with the names of the objects around it joined by `.`, as Wazuh's JSON
//! decoder names fields. No tree is built: strings without escapes and arrays are reported as
//! slices of the input.

use crate::compact::compact_prefix_end;
use crate::scan::{find_quote_or_backslash, find_special};
use crate::{JsonError, Parser, MAX_NESTING};

/// A member value that is not an object, as [`parse_prefix_flat`] reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FlatLeaf<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number: the input text the parser took for it, and its value.
    Number {
        /// The number as written, for example `-7` or `1.50e3`.
        text: &'a str,
        /// The value as a double, like cJSON stores it.
        value: f64,
    },
    /// A string with its escapes decoded.
    String {
        /// The decoded text.
        text: &'a str,
        /// Whether the string was written without escapes and control characters, so
        /// [`write_string`](crate::write_string) prints it back between quotes unchanged.
        is_plain: bool,
    },
    /// An array as written in the input, from `[` to `]`. Parse it for its items.
    Array {
        /// The array's text.
        text: &'a str,
        /// Whether `text` is exactly what cJSON's compact printer prints for the array.
        is_compact: bool,
    },
}

/// Parses the first JSON value of `text` and calls `leaf` for each member that is not an
/// object, in document order, with its dotted name and whether every key of that name is
/// plain (see [`FlatLeaf::String`]). Empty objects report nothing. Returns
/// whether the value is an object, or the error [`JsonValue::parse_prefix`] returns for the
/// same text; members before an error have already been reported then.
///
/// [`JsonValue::parse_prefix`]: crate::JsonValue::parse_prefix
pub fn parse_prefix_flat(
    text: &str,
    leaf: &mut dyn FnMut(&str, bool, FlatLeaf<'_>),
) -> Result<bool, JsonError> {
    let mut parser = Parser::start(text);
    if parser.bytes.get(parser.pos) != Some(&b'{') {
        parser.value(0)?;
        return Ok(false);
    }
    let mut buffers = FlatBuffers {
        name: String::with_capacity(128),
        ..FlatBuffers::default()
    };
    parser.object_flat(0, &mut buffers, leaf)?;
    Ok(true)
}

/// The dotted name of the current member, and the decoded text of a string with escapes.
#[derive(Default)]
struct FlatBuffers {
    name: String,
    /// How many keys of `name` are not plain.
    keys_not_plain: usize,
    unescaped: String,
}

impl<'a> Parser<'a> {
    /// Parses the object at the current `{`, reporting its members under the prefix
    /// `buffers.name`.
    fn object_flat(
        &mut self,
        depth: usize,
        buffers: &mut FlatBuffers,
        leaf: &mut dyn FnMut(&str, bool, FlatLeaf<'_>),
    ) -> Result<(), JsonError> {
        if depth >= MAX_NESTING {
            return Err(self.error("nesting deeper than 1000 levels"));
        }
        self.pos += 1;
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(());
        }
        let prefix_len = buffers.name.len();
        let prefix_not_plain = buffers.keys_not_plain;
        loop {
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a string key in object"));
            }
            // Members of the outermost object have no prefix, even an empty one.
            if depth > 0 {
                buffers.name.push('.');
            }
            if !self.string_into(&mut buffers.name)? {
                buffers.keys_not_plain += 1;
            }
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error("expected ':' after object key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            self.member_flat(depth + 1, buffers, leaf)?;
            buffers.name.truncate(prefix_len);
            buffers.keys_not_plain = prefix_not_plain;
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected ',' or '}' in object")),
            }
        }
    }

    /// Parses the member value at the current position, which is at nesting `depth`.
    fn member_flat(
        &mut self,
        depth: usize,
        buffers: &mut FlatBuffers,
        leaf: &mut dyn FnMut(&str, bool, FlatLeaf<'_>),
    ) -> Result<(), JsonError> {
        let start = self.pos;
        let rest = &self.bytes[start..];
        if depth >= MAX_NESTING {
            return Err(self.error("nesting deeper than 1000 levels"));
        }
        let value = match rest.first() {
            Some(b'n') if rest.starts_with(b"null") => {
                self.pos += 4;
                FlatLeaf::Null
            }
            Some(b'f') if rest.starts_with(b"false") => {
                self.pos += 5;
                FlatLeaf::Bool(false)
            }
            Some(b't') if rest.starts_with(b"true") => {
                self.pos += 4;
                FlatLeaf::Bool(true)
            }
            Some(b'{') => return self.object_flat(depth, buffers, leaf),
            Some(b'"') => {
                let (text, is_plain) = self.string_slice(&mut buffers.unescaped)?;
                let name_is_plain = buffers.keys_not_plain == 0;
                leaf(
                    &buffers.name,
                    name_is_plain,
                    FlatLeaf::String { text, is_plain },
                );
                return Ok(());
            }
            Some(b'[') => {
                let is_compact = match compact_prefix_end(&self.text[start..]) {
                    Some((length, is_compact)) => {
                        self.pos += length;
                        is_compact
                    }
                    // The scanner leaves unusual strings and deep nesting to the parser,
                    // which also reports the errors.
                    None => {
                        self.value(depth)?;
                        false
                    }
                };
                FlatLeaf::Array {
                    text: &self.text[start..self.pos],
                    is_compact,
                }
            }
            Some(b'-' | b'0'..=b'9') => {
                let value = self.number_value()?;
                FlatLeaf::Number {
                    text: &self.text[start..self.pos],
                    value,
                }
            }
            _ => return Err(self.error("expected a JSON value")),
        };
        leaf(&buffers.name, buffers.keys_not_plain == 0, value);
        Ok(())
    }

    /// Parses the string at the current `"` and returns its text, a slice of the input when
    /// it has no escape, else the decoded text in `unescaped`, and whether it is plain.
    fn string_slice<'s>(&mut self, unescaped: &'s mut String) -> Result<(&'s str, bool), JsonError>
    where
        'a: 's,
    {
        let text: &'a str = self.text;
        let body = self.pos + 1;
        let mut is_plain = true;
        let mut end = find_special(self.bytes, body);
        if let Some(control) = end.filter(|&index| self.bytes[index] < 0x20) {
            is_plain = false;
            end = find_quote_or_backslash(self.bytes, control + 1);
        }
        if let Some(end) = end.filter(|&index| self.bytes[index] == b'"') {
            self.pos = end + 1;
            return Ok((&text[body..end], is_plain));
        }
        unescaped.clear();
        self.string_into(unescaped)?;
        Ok((unescaped, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonValue;

    fn flatten(text: &str) -> Result<(bool, Vec<(String, String)>), JsonError> {
        let mut members = Vec::new();
        let is_object = parse_prefix_flat(text, &mut |name, name_is_plain, value| {
            let rendered = match value {
                FlatLeaf::Null => "null".to_string(),
                FlatLeaf::Bool(flag) => flag.to_string(),
                FlatLeaf::Number { text, value } => format!("{text}={value:?}"),
                FlatLeaf::String { text, is_plain } => format!("s{is_plain}:{text}"),
                FlatLeaf::Array { text, is_compact } => format!("a{is_compact}:{text}"),
            };
            let plain_mark = if name_is_plain { "" } else { "~" };
            members.push((format!("{plain_mark}{name}"), rendered));
        })?;
        Ok((is_object, members))
    }

    #[test]
    fn flat_names_join_with_dots() {
        let (is_object, members) = flatten(
            r#" {"a":{"b":{"c":"x"},"d":{}},"a":[1, {"e":2}],"f\u002eg":null,"":{"h":1}} t"#,
        )
        .unwrap();
        assert!(is_object);
        let expected = [
            ("a.b.c", "strue:x"),
            ("a", r#"afalse:[1, {"e":2}]"#),
            ("~f.g", "null"),
            (".h", "1=1.0"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        assert_eq!(members, expected);
    }

    #[test]
    fn flat_leaves_keep_input_text() {
        let members = r#""s":"a\"b\u00e9","t":"plain","n":-0,"m":007,"f":1.50e1,"b":true,"l":["\/"],"c":[1,{"d":[]}]"#;
        // The second key has an escape and the value a raw control character.
        let text = format!("{{{members},\"e\\u0001\":{{\"r\":\"a\u{1}b\"}},\"p\":{{\"q\":1}}}}");
        let (_, members) = flatten(&text).unwrap();
        let expected = [
            ("s", "sfalse:a\"bé"),
            ("t", "strue:plain"),
            ("n", "-0=-0.0"),
            ("m", "007=7.0"),
            ("f", "1.50e1=15.0"),
            ("b", "true"),
            ("l", r#"afalse:["\/"]"#),
            ("c", r#"atrue:[1,{"d":[]}]"#),
            ("~e\u{1}.r", "sfalse:a\u{1}b"),
            ("p.q", "1=1.0"),
        ];
        for (index, (name, value)) in expected.iter().enumerate() {
            assert_eq!(members[index].0, *name);
            assert_eq!(members[index].1, *value, "member {name}");
        }
        assert_eq!(members.len(), expected.len());
    }

    #[test]
    fn flat_numbers_match_full_parser() {
        for number in [
            "0",
            "-7",
            "123456789012345678",
            "9007199254740993",
            "1e400",
            "-.5",
        ] {
            let flat_text = format!("{{\"n\":{number}}}");
            let (_, members) = flatten(&flat_text).unwrap();
            let JsonValue::Number(full) = JsonValue::parse_prefix(number).unwrap() else {
                panic!("{number} parses as a number");
            };
            assert_eq!(members[0].1, format!("{number}={full:?}"), "{number}");
        }
    }

    #[test]
    fn flat_errors_match_full_parser() {
        for text in [
            r#"{"a":{"b":1}"#,
            r#"{"a" 1}"#,
            "{",
            r#"{"a":[}"#,
            r#"{"a":[1,"\x"]}"#,
            r#"{"a":"x"#,
            r#"{"a":-}"#,
            r#"{"a":nul}"#,
        ] {
            let full = JsonValue::parse_prefix(text).unwrap_err();
            assert_eq!(flatten(text).unwrap_err(), full, "{text}");
        }
        let deep = format!("{}1{}", "{\"a\":".repeat(1100), "}".repeat(1100));
        assert!(flatten(&deep).is_err());
        assert!(JsonValue::parse_prefix(&deep).is_err());
        let deep_array = format!("{{\"a\":{}{}}}", "[".repeat(1100), "]".repeat(1100));
        assert_eq!(
            flatten(&deep_array).unwrap_err(),
            JsonValue::parse_prefix(&deep_array).unwrap_err()
        );
    }

    #[test]
    fn flat_non_object_reports_nothing() {
        assert_eq!(flatten("[1,2]").unwrap(), (false, Vec::new()));
        assert!(flatten("[1,").is_err());
    }
}

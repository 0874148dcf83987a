//! Parsing of a JSON object straight into its flattened members: every member that is not an
//! object is reported with the names of the objects around it joined by `.`, as Wazuh's JSON
//! decoder names fields. No tree is built: strings without escapes and arrays are reported as
//! slices of the input. The same pass finds out whether the text is already in cJSON's compact
//! layout, so callers need no second pass for that.

use crate::canonical::{string_end, write_pretty_canonical, write_pretty_compact_value};
use crate::compact::{compact_prefix_end_at, is_plain_int, plain_int_prefix, MAX_FAST_DEPTH};
use crate::scan::{find_quote_or_backslash, find_special, find_special_after_dots};
use crate::{format_cjson_number, JsonError, Parser, MAX_NESTING};

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
        /// The array as [`write_pretty_array`] prints it, when the parser printed it while
        /// it checked the layout.
        pretty: Option<&'a str>,
    },
}

/// Appends an array that [`parse_prefix_flat`] reported as [`FlatLeaf::Array`] in cJSON's
/// formatted layout, as [`write_pretty_prefix`](crate::write_pretty_prefix) does, and returns
/// whether it did. `is_compact` must be the flag reported with `text`: a compact array is
/// printed without checking it again, so other text with the flag set prints as unspecified
/// text.
pub fn write_pretty_array(text: &str, is_compact: bool, out: &mut String) -> bool {
    if is_compact && write_pretty_canonical(text, out) {
        return true;
    }
    crate::write_pretty_prefix(text, out).is_some()
}

/// An object member as [`parse_prefix_flat`] reports it. Offsets count bytes of the parsed
/// text.
#[derive(Debug, Clone, Copy)]
pub struct FlatMember<'a> {
    /// The decoded keys from the outermost object down to this member, joined by `.`.
    pub name: &'a str,
    /// Whether every key of `name` was written without escapes and control characters.
    pub name_is_plain: bool,
    /// The member's own decoded key, which ends `name`.
    pub key: &'a str,
    /// Whether `key` contains a `.`, so that `name` does not show where the keys part.
    pub key_has_dot: bool,
    /// Whether the member comes first in its object.
    pub is_first: bool,
    /// The offset of the `"` that opens the key.
    pub key_start: usize,
    /// The offset of the value's first byte.
    pub value_start: usize,
}

/// Receives what [`parse_prefix_flat`] finds, in document order.
pub trait FlatVisitor {
    /// Receives a member whose value is not an object. `value_end` is the offset just after
    /// the value.
    fn leaf(&mut self, member: &FlatMember<'_>, value: FlatLeaf<'_>, value_end: usize);

    /// Receives a member whose value is an object, before the members of that object.
    fn enter_object(&mut self, member: &FlatMember<'_>) {
        let _ = member;
    }

    /// Receives the end of the object whose `enter_object` call is the latest one still
    /// open. `end` is the offset just after its `}`.
    fn leave_object(&mut self, end: usize) {
        let _ = end;
    }
}

/// The facts [`parse_prefix_flat`] found out about the whole value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlatSummary {
    /// Whether the value is an object. Only an object's members are reported.
    pub is_object: bool,
    /// The offset just after the value.
    pub end: usize,
    /// Whether the text up to `end` is an object exactly as cJSON's compact printer prints
    /// it, as [`compact_prefix_end`](crate::compact_prefix_end) returns it. False for values
    /// that are not objects.
    pub is_compact: bool,
}

/// Parses the first JSON value of `text` and reports each member of the outermost object to
/// `visitor`: members that are not objects with their dotted names, the others as the start
/// and end of their objects. Empty objects report only their start and end. Returns what
/// the parse found, or the error [`JsonValue::parse_prefix`] returns for the same text;
/// members before an error have already been reported then.
///
/// [`JsonValue::parse_prefix`]: crate::JsonValue::parse_prefix
pub fn parse_prefix_flat<V: FlatVisitor>(
    text: &str,
    visitor: &mut V,
) -> Result<FlatSummary, JsonError> {
    let mut parser = Parser::start(text);
    if parser.bytes.get(parser.pos) != Some(&b'{') {
        parser.value(0)?;
        return Ok(FlatSummary {
            is_object: false,
            end: parser.pos,
            is_compact: false,
        });
    }
    let mut state = FlatState {
        name: String::with_capacity(128),
        keys_not_plain: 0,
        unescaped: String::new(),
        // A byte order mark or whitespace before the object is not compact.
        is_compact: parser.pos == 0,
    };
    parser.object_flat(0, &mut state, visitor)?;
    Ok(FlatSummary {
        is_object: true,
        end: parser.pos,
        is_compact: state.is_compact,
    })
}

/// Parses the object at the start of `text` and reports its members to `visitor` exactly as
/// [`parse_prefix_flat`] does, faster, when the text is in cJSON's compact layout. Returns
/// the offset just after the object. Returns `None` at the first text that this parse
/// leaves to [`parse_prefix_flat`]: anything outside the compact layout, keys with escapes,
/// and nesting of [`MAX_FAST_DEPTH`] levels. A byte order mark or whitespace before the
/// object is outside the layout too. The members before that point have been reported
/// then, so the caller undoes what it did with them before it parses again.
pub fn parse_compact_flat<V: FlatVisitor>(text: &str, visitor: &mut V) -> Option<usize> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    parser.compact_object_flat(visitor)
}

/// The parse state that outlives one member.
struct FlatState {
    /// The dotted name of the current member.
    name: String,
    /// How many keys of `name` are not plain.
    keys_not_plain: usize,
    /// The decoded text of the current string value when it has escapes.
    unescaped: String,
    /// Whether the text so far is in cJSON's compact layout.
    is_compact: bool,
}

impl<'a> Parser<'a> {
    /// Parses the object at the current `{`, reporting its members under the prefix
    /// `state.name`.
    fn object_flat<V: FlatVisitor>(
        &mut self,
        depth: usize,
        state: &mut FlatState,
        visitor: &mut V,
    ) -> Result<(), JsonError> {
        if depth >= MAX_NESTING {
            return Err(self.error("nesting deeper than 1000 levels"));
        }
        self.pos += 1;
        self.skip_whitespace_flat(state);
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(());
        }
        let prefix_len = state.name.len();
        let prefix_not_plain = state.keys_not_plain;
        let mut is_first = true;
        loop {
            self.skip_whitespace_flat(state);
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a string key in object"));
            }
            // Members of the outermost object have no prefix, even an empty one.
            if depth > 0 {
                state.name.push('.');
            }
            let key_start = self.pos;
            let name_offset = state.name.len();
            let (is_plain, has_dot) = self.key_into(&mut state.name)?;
            if !is_plain {
                state.keys_not_plain += 1;
                self.check_string_compact(key_start, &mut state.is_compact);
            }
            let key = MemberKey {
                start: key_start,
                name_offset,
                has_dot,
                is_first,
            };
            self.skip_whitespace_flat(state);
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error("expected ':' after object key"));
            }
            self.pos += 1;
            self.skip_whitespace_flat(state);
            self.member_flat(depth + 1, key, state, visitor)?;
            state.name.truncate(prefix_len);
            state.keys_not_plain = prefix_not_plain;
            is_first = false;
            self.skip_whitespace_flat(state);
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
    fn member_flat<V: FlatVisitor>(
        &mut self,
        depth: usize,
        key: MemberKey,
        state: &mut FlatState,
        visitor: &mut V,
    ) -> Result<(), JsonError> {
        let start = self.pos;
        let rest = &self.bytes[start..];
        if depth >= MAX_NESTING {
            return Err(self.error("nesting deeper than 1000 levels"));
        }
        if depth >= MAX_FAST_DEPTH {
            // The compact printer's scanner leaves this deep nesting to the full parser.
            state.is_compact = false;
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
            Some(b'{') => {
                visitor.enter_object(&key.member(&state.name, state.keys_not_plain, start));
                self.object_flat(depth, state, visitor)?;
                visitor.leave_object(self.pos);
                return Ok(());
            }
            Some(b'"') => {
                let (text, is_plain) = self.string_slice(&mut state.unescaped)?;
                if !is_plain {
                    self.check_string_compact(start, &mut state.is_compact);
                }
                let member = key.member(&state.name, state.keys_not_plain, start);
                visitor.leaf(&member, FlatLeaf::String { text, is_plain }, self.pos);
                return Ok(());
            }
            Some(b'[') => {
                let is_compact = match compact_prefix_end_at(&self.text[start..], depth) {
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
                state.is_compact &= is_compact;
                FlatLeaf::Array {
                    text: &self.text[start..self.pos],
                    is_compact,
                    pretty: None,
                }
            }
            Some(b'-' | b'0'..=b'9') => {
                let value = self.number_value()?;
                let text = &self.text[start..self.pos];
                if state.is_compact && !is_plain_int(text) && format_cjson_number(value) != text {
                    state.is_compact = false;
                }
                FlatLeaf::Number { text, value }
            }
            _ => return Err(self.error("expected a JSON value")),
        };
        let member = key.member(&state.name, state.keys_not_plain, start);
        visitor.leaf(&member, value, self.pos);
        Ok(())
    }

    /// Appends the decoded key at the current `"` to `name`. Returns whether the key is
    /// plain, as [`Parser::string_into`] does, and whether it contains a `.`.
    #[inline]
    fn key_into(&mut self, name: &mut String) -> Result<(bool, bool), JsonError> {
        let body = self.pos + 1;
        if let Some((end, has_dot)) = find_special_after_dots(self.bytes, body) {
            if self.bytes[end] == b'"' {
                name.push_str(&self.text[body..end]);
                self.pos = end + 1;
                return Ok((true, has_dot));
            }
        }
        let key_offset = name.len();
        self.string_into(name)?;
        let has_dot = name.as_bytes()[key_offset..].contains(&b'.');
        Ok((false, has_dot))
    }

    /// Parses the compact object at the start of the text for [`parse_compact_flat`]. It
    /// keeps the objects it is in on a stack instead of recursing.
    fn compact_object_flat<V: FlatVisitor>(&mut self, visitor: &mut V) -> Option<usize> {
        let bytes = self.bytes;
        if bytes.first() != Some(&b'{') {
            return None;
        }
        if bytes.get(1) == Some(&b'}') {
            return Some(2);
        }
        let mut name = String::with_capacity(128);
        let mut unescaped = String::new();
        // Room for the formatted text of most arrays, so it is allocated once per parse.
        let mut pretty = String::with_capacity(256);
        // The length of `name` before the keys of each open nested object.
        let mut prefixes: Vec<usize> = Vec::with_capacity(16);
        let mut is_first = true;
        self.pos = 1;
        loop {
            // A member starts here, at its key.
            let key_start = self.pos;
            if bytes.get(key_start) != Some(&b'"') {
                return None;
            }
            let (key_end, key_has_dot) = find_special_after_dots(bytes, key_start + 1)?;
            if bytes[key_end] != b'"' || bytes.get(key_end + 1) != Some(&b':') {
                return None;
            }
            let depth = prefixes.len() + 1;
            if depth >= MAX_FAST_DEPTH {
                return None;
            }
            let key = self.text.get(key_start + 1..key_end)?;
            name.truncate(prefixes.last().copied().unwrap_or(0));
            name.push_str(key);
            let value_start = key_end + 2;
            self.pos = value_start;
            let member = FlatMember {
                name: &name,
                name_is_plain: true,
                key,
                key_has_dot,
                is_first,
                key_start,
                value_start,
            };
            let rest = &bytes[value_start..];
            let value = match rest.first()? {
                b'{' => {
                    visitor.enter_object(&member);
                    if rest.get(1) != Some(&b'}') {
                        self.pos = value_start + 1;
                        name.push('.');
                        prefixes.push(name.len());
                        is_first = true;
                        continue;
                    }
                    self.pos = value_start + 2;
                    visitor.leave_object(self.pos);
                    None
                }
                b'"' => {
                    let end = find_special(bytes, value_start + 1)?;
                    if bytes[end] == b'"' {
                        self.pos = end + 1;
                        let text = self.text.get(value_start + 1..end)?;
                        visitor.leaf(
                            &member,
                            FlatLeaf::String {
                                text,
                                is_plain: true,
                            },
                            end + 1,
                        );
                        None
                    } else {
                        let (text, is_plain) = self.string_slice(&mut unescaped).ok()?;
                        let mut is_compact = true;
                        if !is_plain {
                            self.check_string_compact(value_start, &mut is_compact);
                        }
                        if !is_compact {
                            return None;
                        }
                        Some(FlatLeaf::String { text, is_plain })
                    }
                }
                b'[' => {
                    // Printing the array while checking it costs one pass instead of two.
                    pretty.clear();
                    let array = &self.text[value_start..];
                    let printed = write_pretty_compact_value(array, depth, &mut pretty);
                    let length = match printed {
                        Some(length) => length,
                        None => {
                            let (length, is_compact) = compact_prefix_end_at(array, depth)?;
                            if !is_compact {
                                return None;
                            }
                            length
                        }
                    };
                    self.pos += length;
                    Some(FlatLeaf::Array {
                        text: &array[..length],
                        is_compact: true,
                        pretty: printed.map(|_| pretty.as_str()),
                    })
                }
                b'-' | b'0'..=b'9' => {
                    // Most numbers are plain integers, which need neither the general
                    // number parse nor a check of their layout.
                    let value = match plain_int_prefix(rest) {
                        Some((length, value)) => {
                            self.pos = value_start + length;
                            value
                        }
                        None => {
                            let value = self.number_value().ok()?;
                            let text = &self.text[value_start..self.pos];
                            if !is_plain_int(text) && format_cjson_number(value) != text {
                                return None;
                            }
                            value
                        }
                    };
                    let text = &self.text[value_start..self.pos];
                    Some(FlatLeaf::Number { text, value })
                }
                b't' if rest.starts_with(b"true") => {
                    self.pos += 4;
                    Some(FlatLeaf::Bool(true))
                }
                b'f' if rest.starts_with(b"false") => {
                    self.pos += 5;
                    Some(FlatLeaf::Bool(false))
                }
                b'n' if rest.starts_with(b"null") => {
                    self.pos += 4;
                    Some(FlatLeaf::Null)
                }
                _ => return None,
            };
            // `None` is a value reported already: a plain string or an empty object.
            if let Some(value) = value {
                visitor.leaf(&member, value, self.pos);
            }
            is_first = false;
            // After a value: close objects until a comma starts the next member.
            loop {
                match bytes.get(self.pos) {
                    Some(b',') => {
                        self.pos += 1;
                        break;
                    }
                    Some(b'}') => {
                        self.pos += 1;
                        if prefixes.pop().is_none() {
                            return Some(self.pos);
                        }
                        visitor.leave_object(self.pos);
                    }
                    _ => return None,
                }
            }
        }
    }

    /// Skips whitespace, which the compact layout does not have.
    fn skip_whitespace_flat(&mut self, state: &mut FlatState) {
        if self.bytes.get(self.pos).is_some_and(|byte| *byte <= b' ') {
            state.is_compact = false;
            self.skip_whitespace();
        }
    }

    /// Clears `is_compact` unless the string with escapes or control characters from `start`
    /// to the current position prints back unchanged.
    fn check_string_compact(&self, start: usize, is_compact: &mut bool) {
        if *is_compact && string_end(self.bytes, start) != Some(self.pos) {
            *is_compact = false;
        }
    }

    /// Parses the string at the current `"` and returns its text, a slice of the input when
    /// it has no escape, else the decoded text in `unescaped`, and whether it is plain.
    #[inline]
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

/// The start of a member's key, in the input and in the dotted name.
#[derive(Clone, Copy)]
struct MemberKey {
    start: usize,
    name_offset: usize,
    has_dot: bool,
    is_first: bool,
}

impl MemberKey {
    /// Returns the member with this key, `name` being the dotted name that ends with it and
    /// `keys_not_plain` the count of its keys that are not plain.
    fn member<'s>(
        &self,
        name: &'s str,
        keys_not_plain: usize,
        value_start: usize,
    ) -> FlatMember<'s> {
        FlatMember {
            name,
            name_is_plain: keys_not_plain == 0,
            key: &name[self.name_offset..],
            key_has_dot: self.has_dot,
            is_first: self.is_first,
            key_start: self.start,
            value_start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonValue;

    /// Records leaves as `(name, value)` and object starts and ends as `{name` and `}`.
    #[derive(Default)]
    struct Recorder {
        members: Vec<(String, String)>,
        events: Vec<String>,
    }

    impl FlatVisitor for Recorder {
        fn leaf(&mut self, member: &FlatMember<'_>, value: FlatLeaf<'_>, value_end: usize) {
            let rendered = match value {
                FlatLeaf::Null => "null".to_string(),
                FlatLeaf::Bool(flag) => flag.to_string(),
                FlatLeaf::Number { text, value } => format!("{text}={value:?}"),
                FlatLeaf::String { text, is_plain } => format!("s{is_plain}:{text}"),
                FlatLeaf::Array {
                    text,
                    is_compact,
                    pretty,
                } => {
                    if let Some(pretty) = pretty {
                        let mut expected = String::new();
                        assert!(write_pretty_array(text, is_compact, &mut expected));
                        assert_eq!(pretty, expected, "{text}");
                    }
                    format!("a{is_compact}:{text}")
                }
            };
            let plain_mark = if member.name_is_plain { "" } else { "~" };
            self.members
                .push((format!("{plain_mark}{}", member.name), rendered));
            self.events.push(format!(
                "{}@{}:{}-{}{}",
                member.key,
                member.key_start,
                member.value_start,
                value_end,
                if member.is_first { " first" } else { "" }
            ));
        }

        fn enter_object(&mut self, member: &FlatMember<'_>) {
            self.events.push(format!(
                "{{{}@{}:{}{}",
                member.key,
                member.key_start,
                member.value_start,
                if member.is_first { " first" } else { "" }
            ));
        }

        fn leave_object(&mut self, end: usize) {
            self.events.push(format!("}}{end}"));
        }
    }

    fn flatten(text: &str) -> Result<(bool, Vec<(String, String)>), JsonError> {
        let mut recorder = Recorder::default();
        let summary = parse_prefix_flat(text, &mut recorder)?;
        Ok((summary.is_object, recorder.members))
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

    #[test]
    fn flat_reports_objects_and_offsets() {
        let text = r#"{"a":{"b":1,"c":{}},"d":"x"} tail"#;
        let mut recorder = Recorder::default();
        let summary = parse_prefix_flat(text, &mut recorder).unwrap();
        assert_eq!(
            summary,
            FlatSummary {
                is_object: true,
                end: text.len() - 5,
                is_compact: true,
            }
        );
        let expected = [
            "{a@1:5 first",
            "b@6:10-11 first",
            "{c@12:16",
            "}18",
            "}19",
            "d@20:24-27",
        ];
        assert_eq!(recorder.events, expected);
    }

    /// Texts whose compactness is easy to get wrong: escapes, numbers, whitespace, nesting.
    fn compactness_cases() -> Vec<String> {
        let mut cases: Vec<String> = [
            r#"{"a":1}"#,
            r#"{"a":1} tail"#,
            r#" {"a":1}"#,
            "\u{feff}{\"a\":1}",
            r#"{"a" :1}"#,
            r#"{"a": 1}"#,
            r#"{"a":1 }"#,
            r#"{"a":1, "b":2}"#,
            r#"{}"#,
            r#"{ }"#,
            r#"{"a":{}}"#,
            r#"{"a":-0}"#,
            r#"{"a":007}"#,
            r#"{"a":1.0}"#,
            r#"{"a":1.5}"#,
            r#"{"a":0.1}"#,
            r#"{"a":1e3}"#,
            r#"{"a":1234567890}"#,
            r#"{"a":2147483648}"#,
            r#"{"a":-2147483648}"#,
            r#"{"a":1e+20}"#,
            r#"{"a":"x\"y\\z\n\t\r\b\f"}"#,
            r#"{"a":"\u0001\u001f"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":"\u000a"}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":"\u00e9"}"#,
            "{\"a\":\"raw\u{1}\"}",
            "{\"raw\u{1}\":1}",
            r#"{"k\"q":1}"#,
            r#"{"k\/":1}"#,
            r#"{"a":[1,2]}"#,
            r#"{"a":[1, 2]}"#,
            r#"{"a":[1.0]}"#,
            r#"{"a":["\/"]}"#,
            r#"{"a":[{"b":[]}]}"#,
            r#"{"a":true,"b":false,"c":null}"#,
            r#"{"a":{"b":{"c":"d"}},"e":[]}"#,
        ]
        .iter()
        .map(|text| text.to_string())
        .collect();
        for depth in [125, 126, 127, 128, 129] {
            let nested = format!("{}1{}", "{\"k\":".repeat(depth), "}".repeat(depth));
            cases.push(nested);
            let array = format!("{{\"a\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
            cases.push(array);
            let inner = format!("{}[[1]]{}", "{\"k\":".repeat(depth), "}".repeat(depth));
            cases.push(inner);
            let empty = format!("{}{{}}{}", "{\"k\":".repeat(depth), "}".repeat(depth));
            cases.push(empty);
        }
        cases
    }

    #[test]
    fn flat_compactness_matches_compact_scan() {
        for text in compactness_cases() {
            let summary = parse_prefix_flat(&text, &mut Recorder::default()).unwrap();
            let scanned = crate::compact_prefix_end(&text);
            if let Some((end, _)) = scanned {
                assert_eq!(end, summary.end, "{text:?}");
            }
            let scanned_compact = scanned.is_some_and(|(_, is_compact)| is_compact);
            assert_eq!(summary.is_compact, scanned_compact, "{text:?}");
            // Past the scanner's nesting limit, compact text is not reported as compact.
            if summary.is_compact {
                let printed = JsonValue::parse_prefix(&text).unwrap().to_compact();
                assert_eq!(
                    printed,
                    text[..summary.end],
                    "{text:?} prints back unchanged"
                );
            }
        }
    }

    /// Parses `text` both ways and checks that a compact parse reports what the general parse
    /// does. Returns whether the compact parse took the text.
    fn compare_parsers(text: &str) -> bool {
        let mut general = Recorder::default();
        let summary = parse_prefix_flat(text, &mut general);
        let mut compact = Recorder::default();
        let Some(end) = parse_compact_flat(text, &mut compact) else {
            return false;
        };
        let summary = summary.expect("the compact parse takes only JSON");
        assert!(summary.is_compact, "{text:?} is compact");
        assert_eq!(end, summary.end, "{text:?}");
        assert_eq!(compact.members, general.members, "{text:?}");
        assert_eq!(compact.events, general.events, "{text:?}");
        true
    }

    #[test]
    fn compact_parse_matches_general() {
        let taken = [
            r#"{"a":{"b":1,"c":{}},"d":"x"} tail"#,
            r#"{"a":"x\"y\\z\n\u0001","b":[1,{"c":[]}],"d":1.5,"e":-7,"f":true,"g":false,"h":null}"#,
            r#"{"a.b":{"":{"c":""}},"":1,"é":"ü"}"#,
            r#"{"a":{"b":{"c":{}}},"a":{"b":2}}"#,
            "{}",
            r#"{"a":{}}"#,
        ];
        for text in taken {
            assert!(compare_parsers(text), "taken: {text}");
        }
        let left = [
            r#" {"a":1}"#,
            "\u{feff}{\"a\":1}",
            r#"{"a": 1}"#,
            r#"{"a":1 }"#,
            r#"{"k\u0041":1}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":1.0}"#,
            r#"{"a":-0}"#,
            r#"{"a":[1, 2]}"#,
            r#"{"a":1"#,
            r#"{"a":}"#,
            "[1]",
            "",
        ];
        for text in left {
            assert!(!compare_parsers(text), "left: {text}");
        }
        for text in compactness_cases() {
            compare_parsers(&text);
        }
        let deep = format!("{}1{}", "{\"k\":".repeat(127), "}".repeat(127));
        assert!(compare_parsers(&deep));
        let too_deep = format!("{}1{}", "{\"k\":".repeat(128), "}".repeat(128));
        assert!(!compare_parsers(&too_deep));
    }

    /// Records the arrays that the parser reports.
    #[derive(Default)]
    struct Arrays(Vec<(String, bool)>);

    impl FlatVisitor for Arrays {
        fn leaf(&mut self, _member: &FlatMember<'_>, value: FlatLeaf<'_>, _value_end: usize) {
            if let FlatLeaf::Array {
                text, is_compact, ..
            } = value
            {
                self.0.push((text.to_string(), is_compact));
            }
        }
    }

    #[test]
    fn pretty_arrays_match_printer() {
        let text = r#"{"a":[1,"x"],"b":[1, 2],"c":[{"d":{},"e":[]}],"f":["\/"],"g":[1.50]}"#;
        let mut arrays = Arrays::default();
        parse_prefix_flat(text, &mut arrays).unwrap();
        assert_eq!(arrays.0.len(), 5);
        for (array, is_compact) in &arrays.0 {
            let mut out = String::from("prefix");
            // Escapes that cJSON does not print are left to the full parser.
            if !write_pretty_array(array, *is_compact, &mut out) {
                assert_eq!(array, r#"["\/"]"#);
                assert_eq!(out, "prefix");
                continue;
            }
            let expected = JsonValue::parse_prefix(array).unwrap().to_pretty();
            assert_eq!(out, format!("prefix{expected}"), "{array}");
        }
    }

    #[test]
    fn flat_non_object_not_compact() {
        for text in ["[1]", "1", "\"s\"", "null"] {
            let summary = parse_prefix_flat(text, &mut Recorder::default()).unwrap();
            assert!(!summary.is_object, "{text}");
            assert!(!summary.is_compact, "{text}");
            assert_eq!(summary.end, text.len(), "{text}");
        }
    }
}

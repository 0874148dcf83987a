//! Parsing of a JSON object straight into its flattened members: every member that is not an
//! object is reported with the names of the objects around it joined by `.`, as Wazuh's JSON
//! decoder names fields. No tree is built for the nested objects.

use crate::{JsonError, JsonValue, Parser, MAX_NESTING};

impl JsonValue {
    /// Parses the first JSON value of `text` and calls `leaf` for each member that is not an
    /// object, in document order, with its dotted name. Empty objects report nothing. Returns
    /// whether the value is an object, or the error [`JsonValue::parse_prefix`] returns for
    /// the same text; members before an error have already been reported then.
    pub fn parse_prefix_flat(
        text: &str,
        leaf: &mut dyn FnMut(&str, JsonValue),
    ) -> Result<bool, JsonError> {
        let mut parser = Parser::start(text);
        if parser.bytes.get(parser.pos) != Some(&b'{') {
            parser.value(0)?;
            return Ok(false);
        }
        let mut name = String::new();
        parser.object_flat(0, &mut name, leaf)?;
        Ok(true)
    }
}

impl Parser<'_> {
    /// Parses the object at the current `{`, reporting its members under the prefix `name`.
    fn object_flat(
        &mut self,
        depth: usize,
        name: &mut String,
        leaf: &mut dyn FnMut(&str, JsonValue),
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
        let prefix_len = name.len();
        loop {
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a string key in object"));
            }
            // Members of the outermost object have no prefix, even an empty one.
            if depth > 0 {
                name.push('.');
            }
            self.string_into(name)?;
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error("expected ':' after object key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            if self.bytes.get(self.pos) == Some(&b'{') {
                self.object_flat(depth + 1, name, leaf)?;
            } else {
                let value = self.value(depth + 1)?;
                leaf(name, value);
            }
            name.truncate(prefix_len);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flatten(text: &str) -> Result<(bool, Vec<(String, String)>), JsonError> {
        let mut members = Vec::new();
        let is_object = JsonValue::parse_prefix_flat(text, &mut |name, value| {
            members.push((name.to_string(), value.to_compact()));
        })?;
        Ok((is_object, members))
    }

    #[test]
    fn flat_names_join_with_dots() {
        let (is_object, members) = flatten(
            r#" {"a":{"b":{"c":"x"},"d":{}},"a":[1,{"e":2}],"f\u002eg":null,"":{"h":1}} t"#,
        )
        .unwrap();
        assert!(is_object);
        let expected = [
            ("a.b.c", r#""x""#),
            ("a", r#"[1,{"e":2}]"#),
            ("f.g", "null"),
            (".h", "1"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        assert_eq!(members, expected);
    }

    #[test]
    fn flat_errors_match_full_parser() {
        for text in [r#"{"a":{"b":1}"#, r#"{"a" 1}"#, "{", r#"{"a":[}"#] {
            let full = JsonValue::parse_prefix(text).unwrap_err();
            assert_eq!(flatten(text).unwrap_err(), full, "{text}");
        }
        let deep = format!("{}1{}", "{\"a\":".repeat(1100), "}".repeat(1100));
        assert!(flatten(&deep).is_err());
        assert!(JsonValue::parse_prefix(&deep).is_err());
    }

    #[test]
    fn flat_non_object_reports_nothing() {
        assert_eq!(flatten("[1,2]").unwrap(), (false, Vec::new()));
        assert!(flatten("[1,").is_err());
    }
}

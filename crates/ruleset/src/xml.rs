//! A reader for the XML dialect of Wazuh rule and decoder files.
//!
//! It follows Wazuh 4.14's own reader rather than the XML standard. A file
//! may have several root elements. Text is kept verbatim with no entity
//! decoding, so `&` is an ordinary byte. A backslash escapes the next `<`,
//! so `\<` stays in the text together with the backslash. `<!-- -->`
//! comments and `<?...?>` declarations are skipped. An element's text is
//! what follows its last child. Element text and attribute values longer than
//! [`MAX_TEXT_LEN`] bytes and nesting deeper than [`MAX_DEPTH`] are errors.
//! Top-level `<var name="X">` elements define `$X` for the rest of the file
//! (see [`apply_variables`]).

use std::collections::HashMap;

/// Maximum length of element text, names and attribute values, in bytes (as in Wazuh).
pub const MAX_TEXT_LEN: usize = 20_480;
/// Deepest element nesting read. Wazuh allows 1024; dnstel stops at 128
/// because the reader recurses per level and rule files nest at most four
/// levels deep.
pub const MAX_DEPTH: usize = 128;
/// Maximum variable name length, in bytes.
pub const MAX_VARIABLE_NAME: usize = 255;

/// One element with its attributes, text and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Element name as written.
    pub name: String,
    /// Attributes in document order.
    pub attributes: Vec<(String, String)>,
    /// Text after the last child (the whole text for leaf elements).
    pub text: String,
    /// Child elements.
    pub children: Vec<Element>,
    /// 1-based line of the opening `<`.
    pub line: u32,
}

impl Element {
    /// Returns the value of attribute `name` (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A syntax error with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// 1-based line where the problem was found.
    pub line: u32,
    /// Description of the problem.
    pub message: String,
}

/// Parses a whole file into its root elements.
pub fn parse_document(input: &[u8]) -> Result<Vec<Element>, XmlError> {
    let mut reader = Reader {
        input,
        pos: 0,
        line: 1,
    };
    let mut roots = Vec::new();
    loop {
        reader.skip_outside_text();
        if reader.pos >= input.len() {
            return Ok(roots);
        }
        if reader.skip_comment_or_declaration()? {
            continue;
        }
        if reader.peek(1) == Some(b'/') {
            return Err(reader.error("closing tag without an opening tag"));
        }
        roots.push(reader.element(1)?);
    }
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    line: u32,
}

impl Reader<'_> {
    fn error(&self, message: impl Into<String>) -> XmlError {
        XmlError {
            line: self.line,
            message: message.into(),
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.input.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let byte = self.input.get(self.pos).copied()?;
        self.pos += 1;
        if byte == b'\n' {
            self.line += 1;
        }
        Some(byte)
    }

    /// Skips text outside any element, up to the next `<`.
    fn skip_outside_text(&mut self) {
        while let Some(byte) = self.peek(0) {
            if byte == b'<' {
                return;
            }
            self.bump();
        }
    }

    /// Skips `<!--...-->` or `<?...?>` at the current `<`; returns false
    /// when something else starts here.
    fn skip_comment_or_declaration(&mut self) -> Result<bool, XmlError> {
        let rest = &self.input[self.pos..];
        let (close, what): (&[u8], &str) = if rest.starts_with(b"<!--") {
            (b"-->", "comment")
        } else if rest.starts_with(b"<?") {
            (b"?>", "declaration")
        } else if rest.starts_with(b"<!") {
            (b">", "declaration")
        } else {
            return Ok(false);
        };
        let start_line = self.line;
        while self.pos < self.input.len() {
            if self.input[self.pos..].starts_with(close) {
                for _ in 0..close.len() {
                    self.bump();
                }
                return Ok(true);
            }
            self.bump();
        }
        Err(XmlError {
            line: start_line,
            message: format!("{what} not closed"),
        })
    }

    /// Reads one element starting at its `<`.
    fn element(&mut self, depth: usize) -> Result<Element, XmlError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("elements nested deeper than {MAX_DEPTH}")));
        }
        let line = self.line;
        self.bump();
        let name = self.name()?;
        let mut element = Element {
            name,
            line,
            ..Element::default()
        };
        if self.attributes(&mut element)? {
            return Ok(element);
        }
        self.content(&mut element, depth)?;
        Ok(element)
    }

    fn name(&mut self) -> Result<String, XmlError> {
        let start = self.pos;
        while let Some(byte) = self.peek(0) {
            if byte == b'>'
                || byte.is_ascii_whitespace()
                || byte == b'/' && self.peek(1) == Some(b'>')
            {
                break;
            }
            if byte == b'<' {
                return Err(self.error("'<' inside an element name"));
            }
            self.bump();
            if self.pos - start > MAX_TEXT_LEN {
                return Err(self.error("element name too long"));
            }
        }
        if self.pos >= self.input.len() {
            return Err(self.error("end of file inside a tag"));
        }
        if self.pos == start {
            return Err(self.error("element without a name"));
        }
        Ok(String::from_utf8_lossy(&self.input[start..self.pos]).into_owned())
    }

    /// Reads attributes up to `>` or `/>`; returns true for `/>`.
    fn attributes(&mut self, element: &mut Element) -> Result<bool, XmlError> {
        loop {
            while self.peek(0).is_some_and(|b| b.is_ascii_whitespace()) {
                self.bump();
            }
            match self.peek(0) {
                None => return Err(self.error("end of file inside a tag")),
                Some(b'>') => {
                    self.bump();
                    return Ok(false);
                }
                Some(b'/') if self.peek(1) == Some(b'>') => {
                    self.bump();
                    self.bump();
                    return Ok(true);
                }
                Some(_) => {
                    let (key, value) = self.attribute()?;
                    if element.attributes.iter().any(|(k, _)| *k == key) {
                        return Err(self.error(format!("attribute {key:?} already defined")));
                    }
                    element.attributes.push((key, value));
                }
            }
        }
    }

    fn attribute(&mut self) -> Result<(String, String), XmlError> {
        let start = self.pos;
        while let Some(byte) = self.peek(0) {
            if byte == b'=' || byte == b'>' || byte == b'/' || byte.is_ascii_whitespace() {
                break;
            }
            self.bump();
            if self.pos - start > MAX_TEXT_LEN {
                return Err(self.error("attribute name too long"));
            }
        }
        let key = String::from_utf8_lossy(&self.input[start..self.pos]).into_owned();
        while self.peek(0).is_some_and(|b| b.is_ascii_whitespace()) {
            self.bump();
        }
        if self.peek(0) != Some(b'=') {
            return Err(self.error(format!("attribute {key:?} has no value")));
        }
        self.bump();
        while self.peek(0).is_some_and(|b| b.is_ascii_whitespace()) {
            self.bump();
        }
        let quote = match self.peek(0) {
            Some(q @ (b'"' | b'\'')) => q,
            _ => return Err(self.error(format!("attribute {key:?} not followed by a quote"))),
        };
        self.bump();
        let value_start = self.pos;
        loop {
            match self.peek(0) {
                None => return Err(self.error(format!("attribute {key:?} not closed"))),
                Some(byte) if byte == quote => break,
                Some(_) => {
                    self.bump();
                }
            }
            if self.pos - value_start > MAX_TEXT_LEN {
                return Err(self.error(format!(
                    "attribute {key:?} longer than {MAX_TEXT_LEN} bytes"
                )));
            }
        }
        let value = String::from_utf8_lossy(&self.input[value_start..self.pos]).into_owned();
        self.bump();
        Ok((key, value))
    }

    /// Reads text and children up to the matching close tag.
    fn content(&mut self, element: &mut Element, depth: usize) -> Result<(), XmlError> {
        let mut text: Vec<u8> = Vec::new();
        let mut escaped = false;
        loop {
            let Some(byte) = self.peek(0) else {
                return Err(XmlError {
                    line: element.line,
                    message: format!("element <{}> not closed", element.name),
                });
            };
            if byte == b'<' && !escaped {
                if self.skip_comment_or_declaration()? {
                    continue;
                }
                if self.peek(1) == Some(b'/') {
                    self.close_tag(&element.name)?;
                    element.text = String::from_utf8_lossy(&text).into_owned();
                    return Ok(());
                }
                element.children.push(self.element(depth + 1)?);
                text.clear();
                continue;
            }
            escaped = byte == b'\\' && !escaped;
            text.push(byte);
            self.bump();
            if text.len() > MAX_TEXT_LEN {
                return Err(self.error(format!(
                    "text of <{}> longer than {MAX_TEXT_LEN} bytes",
                    element.name
                )));
            }
        }
    }

    fn close_tag(&mut self, name: &str) -> Result<(), XmlError> {
        self.bump();
        self.bump();
        let start = self.pos;
        while let Some(byte) = self.peek(0) {
            if byte == b'>' {
                break;
            }
            self.bump();
            if self.pos - start > MAX_TEXT_LEN {
                return Err(self.error("closing tag too long"));
            }
        }
        if self.peek(0).is_none() {
            return Err(self.error(format!("element <{name}> not closed")));
        }
        let closing = &self.input[start..self.pos];
        self.bump();
        if closing != name.as_bytes() {
            return Err(self.error(format!(
                "element <{name}> closed by </{}>",
                String::from_utf8_lossy(closing)
            )));
        }
        Ok(())
    }
}

/// Applies `<var name="X">value</var>` definitions to the other elements,
/// in document order, and removes the `<var>` elements (at any depth).
///
/// As in Wazuh, a `$NAME` reference is replaced by the value of the
/// variable defined before it. Names are case-insensitive and end at `$`,
/// `.`, `|`, `,`, a space or the end of the text. `$(` is left alone. A
/// reference to an unknown name is an error once the file has defined a
/// variable, and before that `$` is an ordinary byte. Texts of two bytes or
/// less are not scanned, and substituted values are not scanned again.
///
/// The values substituted into one document add at most
/// [`MAX_SUBSTITUTED_BYTES`] in total, so a small file cannot expand a long
/// value thousands of times.
pub fn apply_variables(roots: Vec<Element>) -> Result<Vec<Element>, XmlError> {
    let mut variables = Variables::default();
    substitute_siblings(roots, &mut variables)
}

/// Maximum bytes that variable values may add to one document, in total.
/// Wazuh's XML reader sets no such limit. In the Wazuh 4.14.7 ruleset, substitution adds at
/// most 628 bytes to a file.
pub const MAX_SUBSTITUTED_BYTES: usize = 16 * 1024 * 1024;

/// The variables defined so far in a document, and the bytes their
/// substitution has added.
#[derive(Default)]
struct Variables {
    /// Values by ASCII-lowercased name. The first definition of a name wins,
    /// as in Wazuh, which looks names up in definition order.
    values: HashMap<String, String>,
    substituted_bytes: usize,
}

/// Processes elements in document order: an element's own text and
/// attributes first, then its children.
fn substitute_siblings(
    elements: Vec<Element>,
    variables: &mut Variables,
) -> Result<Vec<Element>, XmlError> {
    let mut out = Vec::with_capacity(elements.len());
    for mut element in elements {
        if element.name.eq_ignore_ascii_case("var") {
            let (name, value) = variable_definition(&element)?;
            variables
                .values
                .entry(name.to_ascii_lowercase())
                .or_insert(value);
            continue;
        }
        substitute_element(&mut element, variables)?;
        let children = std::mem::take(&mut element.children);
        element.children = substitute_siblings(children, variables)?;
        out.push(element);
    }
    Ok(out)
}

fn variable_definition(element: &Element) -> Result<(String, String), XmlError> {
    let fail = |message: &str| XmlError {
        line: element.line,
        message: message.to_owned(),
    };
    if element.attributes.len() != 1 {
        return Err(fail("a variable takes exactly one attribute, name"));
    }
    let name = element
        .attribute("name")
        .ok_or_else(|| fail("a variable takes exactly one attribute, name"))?;
    if name.len() > MAX_VARIABLE_NAME {
        return Err(fail("variable name too long"));
    }
    Ok((name.to_owned(), element.text.clone()))
}

fn substitute_element(element: &mut Element, variables: &mut Variables) -> Result<(), XmlError> {
    if variables.values.is_empty() {
        return Ok(());
    }
    let line = element.line;
    element.text =
        substitute(&element.text, variables).map_err(|message| XmlError { line, message })?;
    for (_, value) in &mut element.attributes {
        *value = substitute(value, variables).map_err(|message| XmlError { line, message })?;
    }
    Ok(())
}

fn substitute(text: &str, variables: &mut Variables) -> Result<String, String> {
    if text.len() <= 2 || !text.contains('$') {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let name_len = after.find(['$', '.', '|', ',', ' ']).unwrap_or(after.len());
        let name = &after[..name_len];
        if name.starts_with('(') || name.is_empty() {
            out.push('$');
            out.push_str(name);
        } else if name.len() > MAX_VARIABLE_NAME {
            return Err(format!(
                "variable name longer than {MAX_VARIABLE_NAME} bytes"
            ));
        } else {
            let Some(value) = variables.values.get(&name.to_ascii_lowercase()) else {
                return Err(format!("unknown variable ${name}"));
            };
            variables.substituted_bytes += value.len();
            if variables.substituted_bytes > MAX_SUBSTITUTED_BYTES {
                return Err(format!(
                    "variable values add more than {MAX_SUBSTITUTED_BYTES} bytes to this file at ${name}; use fewer or shorter variables"
                ));
            }
            out.push_str(value);
        }
        rest = &after[name_len..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Element>, XmlError> {
        parse_document(text.as_bytes()).and_then(apply_variables)
    }

    #[test]
    fn several_roots_and_comments() {
        let roots = parse("<!-- c --><a x=\"1\">t</a>\n<b/><?x?>").expect("parses");
        assert_eq!(roots.len(), 2);
        assert_eq!(roots[0].attribute("x"), Some("1"));
        assert_eq!(roots[0].text, "t");
        assert_eq!(roots[1].line, 2);
    }

    #[test]
    fn escaped_angle_and_ampersand_kept() {
        let roots = parse("<r>a\\<b & c</r>").expect("parses");
        assert_eq!(roots[0].text, "a\\<b & c");
    }

    #[test]
    fn double_backslash_then_tag() {
        let roots = parse("<r>a\\\\<c/></r>").expect("parses");
        assert_eq!(roots[0].children.len(), 1);
    }

    #[test]
    fn variables_substituted() {
        let roots =
            parse("<var name=\"FREQ\">8</var><r a=\"$FREQ\">x $freq|$(f) y</r>").expect("parses");
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].attribute("a"), Some("8"));
        assert_eq!(roots[0].text, "x 8|$(f) y");
    }

    #[test]
    fn unknown_variable_after_definition() {
        let err = parse("<var name=\"F\">8</var>\n<r>$GG</r>").expect_err("unknown variable");
        assert_eq!(err.line, 2);
        assert!(parse("<r>$GG and more</r>").is_ok());
        assert!(parse("<var name=\"F\">8</var><r>$G</r>").is_ok());
    }

    #[test]
    fn nested_variable_applies_after_definition() {
        let roots = parse("<g><var name=\"LIST\">a|b</var><r>x$LIST</r></g>").expect("parses");
        assert_eq!(roots[0].children.len(), 1);
        assert_eq!(roots[0].children[0].text, "xa|b");
    }

    #[test]
    fn variable_needs_only_name() {
        assert!(parse("<var name=\"A\" x=\"1\">v</var>").is_err());
        assert!(parse("<var>v</var>").is_err());
    }

    #[test]
    fn first_variable_definition_wins() {
        let roots =
            parse("<var name=\"A\">1</var><var name=\"a\">2</var><r>x$a</r>").expect("parses");
        assert_eq!(roots[0].text, "x1");
    }

    #[test]
    fn variable_expansion_bomb_rejected() {
        // A 20,000-byte value named 1,000 times in one element expands to 20 MB.
        let value = "x".repeat(20_000);
        let references = "$A".repeat(1_000);
        let text = format!("<var name=\"A\">{value}</var>\n<m>{references}</m>\n");
        let err = parse(&text).expect_err("expansion over the limit");
        assert!(
            err.message.contains("variable values add more than"),
            "{}",
            err.message
        );
        assert_eq!(err.line, 2);
    }

    #[test]
    fn expansion_budget_counts_whole_document() {
        // 1,024 references to a 16 KiB value add exactly the maximum.
        let value = "x".repeat(16 * 1024);
        let mut within = format!("<var name=\"A\">{value}</var>");
        for _ in 0..1_024 {
            within.push_str("<m>x$A</m>");
        }
        assert!(parse(&within).is_ok());
        let over = format!("{within}<m>x$A</m>");
        assert!(parse(&over).is_err());
    }

    #[test]
    fn mismatched_close_tag() {
        let err = parse("<a>\n<b>x</c></a>").expect_err("mismatch");
        assert_eq!(err.line, 2);
    }

    #[test]
    fn unclosed_element_names_line() {
        let err = parse("\n\n<a><b>x</b>").expect_err("unclosed");
        assert_eq!(err.line, 3);
    }
}

//! A JSON value that behaves like the cJSON library Wazuh uses: objects keep member order and
//! duplicate keys, parsing stops after the first value, and numbers print the way cJSON prints
//! them (`%d` when the value equals its saturated `int`, else `%1.15g`, or `%1.17g` when needed
//! to round-trip).

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod canonical;
mod compact;
mod flat;
mod scan;

pub use canonical::write_pretty_compact_value;
pub use compact::{
    compact_prefix_end, is_plain_int, plain_int_prefix, write_compact_prefix, write_pretty_prefix,
};
pub use flat::{
    parse_compact_flat, parse_prefix_flat, write_pretty_array, FlatLeaf, FlatMember, FlatSummary,
    FlatVisitor,
};
pub use scan::{find_byte, find_special, find_special_after_dots};

/// Nesting depth at which parsing is rejected, as in cJSON.
pub const MAX_NESTING: usize = 1000;

/// The [`JsonError::reason`] of text nested [`MAX_NESTING`] levels or deeper.
pub const NESTING_TOO_DEEP: &str = "nesting deeper than 1000 levels";

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, stored as a double like cJSON does.
    Number(f64),
    /// A string with escapes decoded.
    String(String),
    /// An array in document order.
    Array(Vec<JsonValue>),
    /// An object with members in document order; duplicate keys are kept.
    Object(Vec<(String, JsonValue)>),
}

/// Why a text is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at byte {offset}: {reason}")]
pub struct JsonError {
    /// Byte offset of the first unexpected input.
    pub offset: usize,
    /// What was expected there.
    pub reason: &'static str,
}

impl JsonValue {
    /// Parses the first JSON value of `text`; anything after it is ignored, as with
    /// `cJSON_ParseWithOpts(text, NULL, 0)`.
    pub fn parse_prefix(text: &str) -> Result<JsonValue, JsonError> {
        Self::parse_prefix_with_end(text).map(|(value, _)| value)
    }

    /// Parses the first JSON value of `text` and returns it with the byte offset just after it.
    pub fn parse_prefix_with_end(text: &str) -> Result<(JsonValue, usize), JsonError> {
        let mut parser = Parser::start(text);
        let value = parser.value(0)?;
        Ok((value, parser.pos))
    }

    /// Returns the member `key` of an object, compared case-insensitively like
    /// `cJSON_GetObjectItem`.
    pub fn get_ci(&self, key: &str) -> Option<&JsonValue> {
        match self {
            JsonValue::Object(members) => members
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
                .map(|(_, value)| value),
            _ => None,
        }
    }

    /// Serializes without whitespace, like `cJSON_PrintUnformatted`.
    pub fn to_compact(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, None);
        out
    }

    /// Serializes with cJSON's formatted layout (`cJSON_Print`): tabs for indentation,
    /// `", "` between array items and `":\t"` after object keys.
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, Some(0));
        out
    }

    /// Appends the serialization to `out`; `depth` is `None` for the compact layout.
    pub fn write(&self, out: &mut String, depth: Option<usize>) {
        match self {
            JsonValue::Null => out.push_str("null"),
            JsonValue::Bool(true) => out.push_str("true"),
            JsonValue::Bool(false) => out.push_str("false"),
            JsonValue::Number(number) => out.push_str(&format_cjson_number(*number)),
            JsonValue::String(text) => write_string(out, text),
            JsonValue::Array(items) => write_array(out, items, depth),
            JsonValue::Object(members) => write_object(out, members, depth),
        }
    }
}

fn write_array(out: &mut String, items: &[JsonValue], depth: Option<usize>) {
    let inner = depth.map(|level| level + 1);
    out.push('[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
            if depth.is_some() {
                out.push(' ');
            }
        }
        item.write(out, inner);
    }
    out.push(']');
}

fn write_object(out: &mut String, members: &[(String, JsonValue)], depth: Option<usize>) {
    let inner = depth.map(|level| level + 1);
    out.push('{');
    if depth.is_some() {
        out.push('\n');
    }
    for (index, (key, value)) in members.iter().enumerate() {
        if let Some(level) = inner {
            push_tabs(out, level);
        }
        write_string(out, key);
        out.push(':');
        if depth.is_some() {
            out.push('\t');
        }
        value.write(out, inner);
        if index + 1 < members.len() {
            out.push(',');
        }
        if depth.is_some() {
            out.push('\n');
        }
    }
    if let Some(level) = depth {
        push_tabs(out, level);
    }
    out.push('}');
}

fn push_tabs(out: &mut String, count: usize) {
    for _ in 0..count {
        out.push('\t');
    }
}

/// Appends `text` as a JSON string with cJSON's escaping: `"`, `\\`, and control characters
/// are escaped, `/` and non-ASCII characters are written as they are.
pub fn write_string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let bytes = text.as_bytes();
    let mut run_start = 0;
    while let Some(index) = scan::find_special(bytes, run_start) {
        // Special bytes are ASCII, so both slice ends are character boundaries.
        out.push_str(&text[run_start..index]);
        push_escape(out, bytes[index]);
        run_start = index + 1;
    }
    out.push_str(&text[run_start..]);
    out.push('"');
}

/// Appends cJSON's escape sequence for a byte that [`scan::find_special`] reports.
fn push_escape(out: &mut String, byte: u8) {
    match byte {
        b'"' => out.push_str("\\\""),
        b'\\' => out.push_str("\\\\"),
        0x08 => out.push_str("\\b"),
        0x0C => out.push_str("\\f"),
        b'\n' => out.push_str("\\n"),
        b'\r' => out.push_str("\\r"),
        b'\t' => out.push_str("\\t"),
        control => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(control >> 4)]));
            out.push(char::from(HEX[usize::from(control & 0x0F)]));
        }
    }
}

/// The `int` cJSON stores next to every number: the value truncated and saturated to `i32`.
pub fn saturated_int(number: f64) -> i32 {
    if number >= f64::from(i32::MAX) {
        i32::MAX
    } else if number <= f64::from(i32::MIN) {
        i32::MIN
    } else {
        // Truncation toward zero is what the C cast does; the range is checked above.
        number as i32
    }
}

/// Formats a number as Wazuh's JSON decoder does: `%i` when it equals its saturated `int`,
/// else `%f` (six decimals).
pub fn format_decoder_number(number: f64) -> String {
    if f64::from(saturated_int(number)) == number {
        saturated_int(number).to_string()
    } else {
        format!("{number:.6}")
    }
}

/// Appends a number as [`format_decoder_number`] formats it. `text` is the number as written
/// in the input, which is the output already when it is a plain integer of up to nine digits.
pub fn push_decoder_number(out: &mut String, text: &str, number: f64) {
    if compact::is_plain_int(text) {
        out.push_str(text);
    } else {
        out.push_str(&format_decoder_number(number));
    }
}

/// Formats a number as cJSON's printer does.
pub fn format_cjson_number(number: f64) -> String {
    if !number.is_finite() {
        return "null".to_string();
    }
    if f64::from(saturated_int(number)) == number {
        return saturated_int(number).to_string();
    }
    let short = format_general(number, 15);
    if short.parse::<f64>().ok() == Some(number) {
        short
    } else {
        format_general(number, 17)
    }
}

/// Formats like C's `%1.<precision>g`.
pub fn format_general(number: f64, precision: usize) -> String {
    if number == 0.0 {
        return if number.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let scientific = format!("{:.*e}", precision.saturating_sub(1), number);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("Rust's {:e} output always contains an exponent");
    let exponent: i32 = exponent
        .parse()
        .expect("Rust's {:e} exponent is a decimal integer");
    let precision_i32 = i32::try_from(precision).unwrap_or(i32::MAX);
    if exponent < -4 || exponent >= precision_i32 {
        let mantissa = strip_fraction_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    } else {
        let decimals = usize::try_from(precision_i32 - 1 - exponent).unwrap_or(0);
        strip_fraction_zeros(&format!("{number:.decimals$}")).to_string()
    }
}

fn strip_fraction_zeros(text: &str) -> &str {
    if !text.contains('.') {
        return text;
    }
    text.trim_end_matches('0').trim_end_matches('.')
}

/// Returns the value of `text` when it is an optional `-` and 1 to 18 decimal digits. The
/// integer is exact in a `u64`, and its conversion rounds to the nearest double as `strtod`
/// does.
fn integer_value(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut magnitude: u64 = 0;
    for byte in digits.bytes() {
        if !byte.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude * 10 + u64::from(byte - b'0');
    }
    // Exact below 2^53. Above it, `as` rounds to nearest, ties to even, like a decimal parse.
    let value = magnitude as f64;
    Some(if digits.len() < text.len() {
        -value
    } else {
        value
    })
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    /// Starts a parser at the first value of `text`, after a byte order mark and whitespace.
    fn start(text: &'a str) -> Parser<'a> {
        let mut parser = Parser {
            bytes: text.as_bytes(),
            text,
            pos: 0,
        };
        if parser.bytes.starts_with(b"\xEF\xBB\xBF") {
            parser.pos = 3;
        }
        parser.skip_whitespace();
        parser
    }

    fn error(&self, reason: &'static str) -> JsonError {
        JsonError {
            offset: self.pos,
            reason,
        }
    }

    fn skip_whitespace(&mut self) {
        while self.bytes.get(self.pos).is_some_and(|byte| *byte <= b' ') {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonValue, JsonError> {
        if depth >= MAX_NESTING {
            return Err(self.error(NESTING_TOO_DEEP));
        }
        let rest = &self.bytes[self.pos..];
        if rest.starts_with(b"null") {
            self.pos += 4;
            return Ok(JsonValue::Null);
        }
        if rest.starts_with(b"false") {
            self.pos += 5;
            return Ok(JsonValue::Bool(false));
        }
        if rest.starts_with(b"true") {
            self.pos += 4;
            return Ok(JsonValue::Bool(true));
        }
        match rest.first() {
            Some(b'"') => self.string().map(JsonValue::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            _ => Err(self.error("expected a JSON value")),
        }
    }

    fn number(&mut self) -> Result<JsonValue, JsonError> {
        self.number_value().map(JsonValue::Number)
    }

    fn number_value(&mut self) -> Result<f64, JsonError> {
        let start = self.pos;
        let mut end = start;
        while self
            .bytes
            .get(end)
            .is_some_and(|byte| matches!(byte, b'0'..=b'9' | b'+' | b'-' | b'e' | b'E' | b'.'))
        {
            end += 1;
        }
        let candidate = &self.text[start..end];
        if let Some(number) = integer_value(candidate) {
            self.pos = end;
            return Ok(number);
        }
        // Like strtod, take the longest prefix that is a number.
        for length in (1..=candidate.len()).rev() {
            if let Ok(number) = candidate[..length].parse::<f64>() {
                if candidate[..length]
                    .bytes()
                    .any(|byte| byte.is_ascii_digit())
                {
                    self.pos = start + length;
                    return Ok(number);
                }
            }
        }
        Err(self.error("invalid number"))
    }

    fn array(&mut self, depth: usize) -> Result<JsonValue, JsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(JsonValue::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(JsonValue::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']' in array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsonValue, JsonError> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(JsonValue::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a string key in object"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error("expected ':' after object key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(JsonValue::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}' in object")),
            }
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let mut out = String::new();
        self.string_into(&mut out)?;
        Ok(out)
    }

    /// Appends the decoded string at the current `"` to `out`. Returns whether the string
    /// is plain: written without escapes and control characters, so [`write_string`] prints
    /// it back between quotes unchanged.
    fn string_into(&mut self, out: &mut String) -> Result<bool, JsonError> {
        self.pos += 1;
        let mut run_start = self.pos;
        let mut is_plain = true;
        loop {
            let Some(index) = scan::find_special(self.bytes, self.pos) else {
                self.pos = self.bytes.len();
                return Err(self.error("unterminated string"));
            };
            self.pos = index;
            match self.bytes[index] {
                b'"' => {
                    out.push_str(&self.text[run_start..index]);
                    self.pos += 1;
                    return Ok(is_plain);
                }
                b'\\' => {
                    out.push_str(&self.text[run_start..index]);
                    self.escape(out)?;
                    run_start = self.pos;
                }
                // A control character stays in the string as it is.
                _ => self.pos += 1,
            }
            is_plain = false;
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let Some(&kind) = self.bytes.get(self.pos + 1) else {
            return Err(self.error("unterminated escape"));
        };
        self.pos += 2;
        let decoded = match kind {
            b'b' => '\u{08}',
            b'f' => '\u{0C}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'"' | b'\\' | b'/' => char::from(kind),
            b'u' => self.unicode_escape()?,
            _ => return Err(self.error("invalid escape")),
        };
        out.push(decoded);
        Ok(())
    }

    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        if (0xDC00..0xE000).contains(&first) {
            return Err(self.error("unpaired low surrogate"));
        }
        if (0xD800..0xDC00).contains(&first) {
            if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return Err(self.error("missing low surrogate"));
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("invalid low surrogate"));
            }
            let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            return char::from_u32(code).ok_or_else(|| self.error("invalid code point"));
        }
        char::from_u32(first).ok_or_else(|| self.error("invalid code point"))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("short \\u escape"))?;
        let code =
            u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape digits"))?;
        self.pos += 4;
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_order_and_duplicates() {
        let value = JsonValue::parse_prefix(r#"{"b":1,"a":2,"b":3} trailing"#).unwrap();
        assert_eq!(value.to_compact(), r#"{"b":1,"a":2,"b":3}"#);
    }

    #[test]
    fn decoder_numbers_int_and_float() {
        assert_eq!(format_decoder_number(60.0), "60");
        assert_eq!(format_decoder_number(3000.0), "3000");
        assert_eq!(format_decoder_number(2147483647.0), "2147483647");
        assert_eq!(format_decoder_number(2147483648.0), "2147483648.000000");
        assert_eq!(format_decoder_number(-2147483648.0), "-2147483648");
        assert_eq!(format_decoder_number(0.5), "0.500000");
        assert_eq!(format_decoder_number(1.23456789), "1.234568");
        assert_eq!(
            format_decoder_number(1573747600.751717),
            "1573747600.751717"
        );
        assert_eq!(
            format_decoder_number(-9223372036854775806.0),
            "-9223372036854775808.000000"
        );
    }

    #[test]
    fn cjson_number_printing() {
        assert_eq!(format_cjson_number(60.0), "60");
        assert_eq!(format_cjson_number(0.1), "0.1");
        assert_eq!(format_cjson_number(1573747600.751717), "1573747600.7517171");
        assert_eq!(
            format_cjson_number(12345678901234567.0),
            "12345678901234568"
        );
        assert_eq!(format_cjson_number(1e300), "1e+300");
        assert_eq!(format_cjson_number(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_cjson_number(2.5e-7), "2.5e-07");
    }

    #[test]
    fn pretty_array_of_objects() {
        let value = JsonValue::parse_prefix(r#"[{"a":"x","b":[1,2]},"s"]"#).unwrap();
        assert_eq!(
            value.to_pretty(),
            "[{\n\t\t\"a\":\t\"x\",\n\t\t\"b\":\t[1, 2]\n\t}, \"s\"]"
        );
    }

    #[test]
    fn strings_escape_and_unicode() {
        let value = JsonValue::parse_prefix(r#""a\/b\u00e9\ud83d\ude00\n\u0001""#).unwrap();
        assert_eq!(value, JsonValue::String("a/bé😀\n\u{1}".to_string()));
        assert_eq!(value.to_compact(), "\"a/bé😀\\n\\u0001\"");
    }

    #[test]
    fn parse_rejects_broken_input() {
        assert!(JsonValue::parse_prefix(r#"{"a":}"#).is_err());
        assert!(JsonValue::parse_prefix(r#"{"a":"x"#).is_err());
        assert!(JsonValue::parse_prefix("[1,").is_err());
        let deep = "[".repeat(2000);
        assert!(JsonValue::parse_prefix(&deep).is_err());
    }
}

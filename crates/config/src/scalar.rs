//! Scalar typing with the YAML 1.1 rules of Beats' parser (go-yaml v2): `yes`/`on` are
//! booleans, `0600` is octal. Go duration strings such as `10s` or `1m30s`.

use std::time::Duration;

/// Parses a boolean. Plain and quoted scalars are both accepted, as Beats converts strings.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

/// Parses an integer: decimal, `0x` hex, `0o` octal, or a leading `0` meaning octal (YAML 1.1).
/// Underscores between digits are allowed, as in YAML 1.1.
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    let text = text.replace('_', "");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    if digits.is_empty() {
        return None;
    }
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(octal) = digits.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Parses a float in the YAML 1.1 spelling, for `fields` values and range conditions.
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    let looks_numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if !looks_numeric || !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses a Go duration such as `10s`, `1m30s`, `1.5h` or `250ms`. A bare `0` is zero.
/// Negative durations are rejected because no Packetbeat timeout can use one.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() {
        return None;
    }
    let mut total_nanos: u128 = 0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        total_nanos = total_nanos.checked_add(component_nanos(number, unit)?)?;
        rest = next;
    }
    let seconds = u64::try_from(total_nanos / 1_000_000_000).ok()?;
    let nanos = u32::try_from(total_nanos % 1_000_000_000).ok()?;
    Some(Duration::new(seconds, nanos))
}

fn component_nanos(number: &str, unit: &str) -> Option<u128> {
    let unit_nanos: u128 = match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut nanos = whole.checked_mul(unit_nanos)?;
    let mut scale = unit_nanos;
    for digit in fraction.bytes() {
        if !digit.is_ascii_digit() {
            return None;
        }
        scale /= 10;
        nanos += u128::from(digit - b'0') * scale;
    }
    Some(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bool_yaml_1_1_words() {
        assert_eq!(parse_bool("yes"), Some(true));
        assert_eq!(parse_bool("Off"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn int_leading_zero_is_octal() {
        assert_eq!(parse_int("0600"), Some(0o600));
        assert_eq!(parse_int("0o640"), Some(0o640));
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("10_240"), Some(10240));
        assert_eq!(parse_int("-3"), Some(-3));
        assert_eq!(parse_int("0"), Some(0));
    }

    #[test]
    fn int_rejects_words() {
        assert_eq!(parse_int("ten"), None);
        assert_eq!(parse_int("0800"), None);
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(parse_int(""), None);
    }

    #[test]
    fn duration_go_forms() {
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2us"), Some(Duration::from_micros(2)));
        assert_eq!(parse_duration(".5s"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
    }

    #[test]
    fn duration_rejects_bad_forms() {
        for text in ["10", "10x", "s", "-1s", "", "1..5s", "1s5"] {
            assert_eq!(parse_duration(text), None, "{text}");
        }
    }

    #[test]
    fn float_parses_numbers_only() {
        assert_eq!(parse_float("1.5"), Some(1.5));
        assert_eq!(parse_float("abc"), None);
        assert_eq!(parse_float("e"), None);
    }
}

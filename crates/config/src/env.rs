//! `${NAME}` and `${NAME:default}` substitution in scalar values, as Beats applies it.

use std::borrow::Cow;

/// The reason a substitution failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExpandError {
    /// The named variable is unset and its reference gives no default.
    Unset(String),
    /// The result would be longer than the limit given to [`expand`].
    TooLong,
}

/// Replaces every `${NAME}` or `${NAME:default}` in `text`. `lookup` returns a variable's value.
///
/// Fails on the first variable that is unset and has no default, and as soon as the result
/// grows past `max_bytes`, so a long value named many times is never built in full. A `${`
/// without a closing `}` is kept as written.
pub(crate) fn expand<'t>(
    text: &'t str,
    lookup: &dyn Fn(&str) -> Option<String>,
    max_bytes: usize,
) -> Result<Cow<'t, str>, ExpandError> {
    if !text.contains("${") {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(length) = rest[start + 2..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let reference = &rest[start + 2..start + 2 + length];
        let (name, default) = match reference.split_once(':') {
            Some((name, default)) => (name, Some(default)),
            None => (reference, None),
        };
        match (lookup(name), default) {
            (Some(value), _) => out.push_str(&value),
            (None, Some(default)) => out.push_str(default),
            (None, None) => return Err(ExpandError::Unset(name.to_owned())),
        }
        if out.len() > max_bytes {
            return Err(ExpandError::TooLong);
        }
        rest = &rest[start + 2 + length + 1..];
    }
    out.push_str(rest);
    if out.len() > max_bytes {
        return Err(ExpandError::TooLong);
    }
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        (name == "HOME_DIR").then(|| "/home/pb".to_owned())
    }

    #[test]
    fn expand_set_variable() {
        assert_eq!(
            expand("${HOME_DIR}/data", &lookup, 100).as_deref(),
            Ok("/home/pb/data")
        );
    }

    #[test]
    fn expand_default_when_unset() {
        assert_eq!(expand("${NOPE:/tmp}", &lookup, 100).as_deref(), Ok("/tmp"));
    }

    #[test]
    fn expand_set_variable_ignores_default() {
        assert_eq!(
            expand("${HOME_DIR:/tmp}", &lookup, 100).as_deref(),
            Ok("/home/pb")
        );
    }

    #[test]
    fn expand_unset_without_default() {
        assert_eq!(
            expand("x ${NOPE} y", &lookup, 100),
            Err(ExpandError::Unset("NOPE".to_owned()))
        );
    }

    #[test]
    fn expand_keeps_unterminated_reference() {
        assert_eq!(expand("a ${B", &lookup, 100).as_deref(), Ok("a ${B"));
    }

    #[test]
    fn expand_stops_past_limit() {
        // "/home/pb" is 8 bytes: the third reference crosses 20.
        let text = "${HOME_DIR}".repeat(1_000);
        assert_eq!(expand(&text, &lookup, 20), Err(ExpandError::TooLong));
        assert_eq!(
            expand("${HOME_DIR}x", &lookup, 8),
            Err(ExpandError::TooLong)
        );
        assert_eq!(expand("${HOME_DIR}", &lookup, 8).as_deref(), Ok("/home/pb"));
    }

    #[test]
    fn expand_two_references() {
        assert_eq!(
            expand("${HOME_DIR}:${X:1}", &lookup, 100).as_deref(),
            Ok("/home/pb:1")
        );
    }
}

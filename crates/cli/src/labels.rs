//! Agent labels: the `KEY=VALUE` pairs every alert carries in `agent.labels` and in the
//! header of its `alerts.log` record.
//!
//! Labels come from `<labels>` in the analyzer's configuration and from `--label` on the
//! command line. Both are checked here, once, before any alert is written: a label that
//! would print a broken alert is an error at startup rather than a surprise in the files.

use anyhow::bail;

use crate::exit::usage_error;

/// Parses `--label KEY=VALUE` options and checks them as [`check_one`] and
/// [`check_clashes`] do.
pub fn parse_command_line(options: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let labels = options
        .iter()
        .map(|label| {
            let Some((key, value)) = label.split_once('=') else {
                return Err(usage_error(anyhow::anyhow!(
                    "invalid label {label:?}; expected KEY=VALUE"
                )));
            };
            check_one(key, value)
                .map_err(|error| usage_error(anyhow::anyhow!("--label: {error}")))?;
            Ok((key.to_owned(), value.to_owned()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    check_clashes(&labels).map_err(|error| usage_error(anyhow::anyhow!("--label: {error}")))?;
    Ok(labels)
}

/// Checks one label's key and value.
///
/// # Errors
/// Rejects an empty key, a key with an empty part between its dots (`a..b`, `.a`, `a.`), and
/// a key or value with a line break or another control character. Dotted keys nest in
/// `agent.labels`, so an empty part would give a member with an empty name. `alerts.log`
/// prints each label on a line of its own, so a line break would let a label write lines
/// that look like the start of an alert.
pub fn check_one(key: &str, value: &str) -> anyhow::Result<()> {
    if key.is_empty() {
        bail!("label with an empty key");
    }
    if key.split('.').any(str::is_empty) {
        bail!("label key {key:?} has an empty part between dots");
    }
    if key.chars().any(breaks_lines) {
        bail!("invalid label key {key:?}: it contains a line break or control character");
    }
    if value.chars().any(breaks_lines) {
        bail!(
            "invalid label {key:?}: its value {value:?} contains a line break or control character"
        );
    }
    Ok(())
}

/// Returns whether `character` is a control character (line feed, carriage return, vertical
/// tab, form feed, escape, NEL, ...) or one of Unicode's line and paragraph separators, which
/// viewers and line-splitting tools also treat as line ends.
fn breaks_lines(character: char) -> bool {
    character.is_control() || matches!(character, '\u{2028}' | '\u{2029}')
}

/// Checks that no label key is a dotted prefix of another, as `a` is of `a.b`.
///
/// In `agent.labels` the first would be a string and the second needs an object in the same
/// place, so one of them could not be written. Keys compare without regard to ASCII case, as
/// the members of `agent.labels` do.
///
/// # Errors
/// Names both keys of the first clash found.
pub fn check_clashes(labels: &[(String, String)]) -> anyhow::Result<()> {
    for (index, (key, _)) in labels.iter().enumerate() {
        check_clash_with(&labels[..index], key)?;
    }
    Ok(())
}

/// Checks `key` against the keys of `earlier` labels as [`check_clashes`] does, for a label
/// added after them.
///
/// # Errors
/// Names `key` and the first earlier key it clashes with.
pub fn check_clash_with(earlier: &[(String, String)], key: &str) -> anyhow::Result<()> {
    for (other, _) in earlier {
        if is_prefix_path(key, other) || is_prefix_path(other, key) {
            bail!(
                "labels {other:?} and {key:?} clash: one names a value, the other an object \
                 in the same place of agent.labels"
            );
        }
    }
    Ok(())
}

/// Returns whether `short` names an object that `long` goes through (`a` and `a.b`).
fn is_prefix_path(short: &str, long: &str) -> bool {
    long.len() > short.len()
        && long.as_bytes()[short.len()] == b'.'
        && long[..short.len()].eq_ignore_ascii_case(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_labels_checked() {
        let labels = parse_command_line(&["site=lab".to_owned(), "aws.id=7".to_owned()])
            .expect("valid labels");
        assert_eq!(
            labels,
            vec![
                ("site".to_owned(), "lab".to_owned()),
                ("aws.id".to_owned(), "7".to_owned())
            ]
        );
        for bad in [
            &["novalue"][..],
            &["=x"],
            &["a..b=x"],
            &[".a=x"],
            &["a.=x"],
            &["a=x\ny"],
            &["a=1", "a.b=2"],
        ] {
            let options: Vec<String> = bad.iter().map(|option| (*option).to_owned()).collect();
            let error = parse_command_line(&options).expect_err(bad[0]);
            let status = error
                .downcast_ref::<crate::exit::StatusError>()
                .map(|status| status.status);
            assert_eq!(
                status,
                Some(crate::exit::ExitStatus::Usage),
                "{bad:?}: {error}"
            );
        }
    }

    #[test]
    fn line_breaks_rejected() {
        let forged = check_one("site", "lab\n** Alert 1.2: - forged").expect_err("newline");
        assert!(forged.to_string().contains("line break"), "{forged}");
        assert!(check_one("si\rte", "lab").is_err());
        for value in [
            "a\u{2028}b",
            "a\u{2029}b",
            "a\u{85}b",
            "a\u{b}b",
            "a\u{c}b",
            "a\u{1b}[2Kb",
            "a\tb",
        ] {
            assert!(check_one("site", value).is_err(), "{value:?}");
        }
        assert!(check_one("site", "café ünïcode").is_ok());
        assert!(check_one("site", "").is_ok());
    }

    #[test]
    fn nested_keys_clash() {
        let labels = |keys: &[&str]| -> Vec<(String, String)> {
            keys.iter()
                .map(|key| ((*key).to_owned(), "v".to_owned()))
                .collect()
        };
        assert!(check_clashes(&labels(&["a", "ab", "b.a", "a_b"])).is_ok());
        assert!(check_clashes(&labels(&["aws.id", "aws.region"])).is_ok());
        let clash = check_clashes(&labels(&["a.b", "x", "A"])).expect_err("a and a.b");
        assert!(clash.to_string().contains("\"a.b\" and \"A\""), "{clash}");
        assert!(check_clashes(&labels(&["a", "a.b.c"])).is_err());
    }
}

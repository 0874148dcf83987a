//! Public suffix fields of `dns.question`: `registered_domain`, `etld_plus_one`,
//! `top_level_domain` and `subdomain`.
//!
//! The rules follow Packetbeat 7.17, which feeds the question name (trailing dot removed,
//! presentation escapes kept) to Go's `publicsuffix.EffectiveTLDPlusOne`:
//!
//! - A name with an empty label (leading dot, trailing dot, `..`) has no eTLD+1.
//! - The public suffix comes from the whole list, ICANN and private sections, with wildcard
//!   and exception rules. A top-level label missing from the list is its own suffix.
//! - A name that is itself a public suffix, or a single label, has no eTLD+1.
//! - With an eTLD+1 `e`: `registered_domain` = `etld_plus_one` = `e`, `top_level_domain` =
//!   what follows the first dot of `e`, and `subdomain` = the name before `.e` when not empty.
//! - Without one, a name with exactly one dot (`co.uk`, `.`) still gets `registered_domain` =
//!   the name and, when the part after the dot is not empty, `top_level_domain` = that part.
//!   `etld_plus_one` stays absent in that case.
//!
//! Unlike Packetbeat, the lookup ignores ASCII case: the name is lowercased first and every
//! derived field is lowercase, so `WWW.BBC.CO.UK` yields `bbc.co.uk`, not `CO.UK`.

use std::borrow::Cow;

/// The public suffix fields derived from one question name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DomainParts<'a> {
    /// The lowercased name every other field slices.
    name: Cow<'a, str>,
    /// Whether Packetbeat's eTLD+1 lookup succeeded (sets `etld_plus_one`).
    has_etld_plus_one: bool,
    /// Start of `registered_domain` in `name`, if any.
    registered_start: Option<usize>,
    /// Start of `top_level_domain` in `name`, if any.
    tld_start: Option<usize>,
    /// End of `subdomain` in `name`, if any.
    subdomain_end: Option<usize>,
}

impl<'a> DomainParts<'a> {
    /// Derives the fields for `name`, the question name without its trailing dot.
    pub fn from_name(name: &'a str) -> Self {
        let name = lowercase(name);
        let mut parts = DomainParts {
            name,
            ..DomainParts::default()
        };
        match effective_tld_plus_one(&parts.name) {
            Some(start) => parts.fill_from_etld_plus_one(start),
            None => parts.fill_fallback(),
        }
        parts
    }

    /// `dns.question.registered_domain`.
    pub fn registered_domain(&self) -> Option<&str> {
        self.registered_start.map(|start| &self.name[start..])
    }

    /// `dns.question.etld_plus_one`: the registered domain, but only when the public suffix
    /// lookup succeeded.
    pub fn etld_plus_one(&self) -> Option<&str> {
        if self.has_etld_plus_one {
            self.registered_domain()
        } else {
            None
        }
    }

    /// `dns.question.top_level_domain`.
    pub fn top_level_domain(&self) -> Option<&str> {
        self.tld_start.map(|start| &self.name[start..])
    }

    /// `dns.question.subdomain`.
    pub fn subdomain(&self) -> Option<&str> {
        self.subdomain_end.map(|end| &self.name[..end])
    }

    fn fill_from_etld_plus_one(&mut self, start: usize) {
        self.has_etld_plus_one = true;
        self.registered_start = Some(start);
        let registered = &self.name[start..];
        if let Some(dot) = registered.find('.') {
            self.tld_start = Some(start + dot + 1);
        }
        // `start` is either 0 or just after a dot, so the subdomain ends before that dot.
        if start > 1 {
            self.subdomain_end = Some(start - 1);
        }
    }

    fn fill_fallback(&mut self) {
        let name: &str = &self.name;
        if name.bytes().filter(|&byte| byte == b'.').count() != 1 {
            return;
        }
        let dot = name.find('.').expect("name has exactly one dot");
        if dot + 1 < name.len() {
            self.tld_start = Some(dot + 1);
        }
        self.registered_start = Some(0);
    }
}

/// Lowercases ASCII letters, borrowing when the name has none in upper case.
fn lowercase(name: &str) -> Cow<'_, str> {
    // A fold without an early exit compiles to a vector loop, which is faster than stopping at
    // the first upper-case letter, because names rarely have any.
    let has_upper = name
        .bytes()
        .fold(false, |found, byte| found | byte.is_ascii_uppercase());
    if has_upper {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// Returns the start of the eTLD+1 in `name`, or `None` where Go's
/// `publicsuffix.EffectiveTLDPlusOne` returns an error.
fn effective_tld_plus_one(name: &str) -> Option<usize> {
    // The byte-pair scan for ".." is cheaper on short names than the substring searcher of
    // `str::contains`. It folds without an early exit, for a vector loop, as `lowercase` does.
    let bytes = name.as_bytes();
    let pairs = bytes.iter().zip(bytes.iter().skip(1));
    let empty_label = pairs.fold(false, |found, (&first, &second)| {
        found | (first == b'.' && second == b'.')
    });
    if name.is_empty() || name.starts_with('.') || name.ends_with('.') || empty_label {
        return None;
    }
    let suffix_len = psl::suffix(name.as_bytes())?.as_bytes().len();
    if name.len() <= suffix_len {
        return None;
    }
    let dot = name.len() - suffix_len - 1;
    if name.as_bytes()[dot] != b'.' {
        return None;
    }
    Some(name[..dot].rfind('.').map_or(0, |previous| previous + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (registered_domain, etld_plus_one, top_level_domain, subdomain)
    type Expected<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );

    fn parts(
        name: &str,
    ) -> (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) {
        let parts = DomainParts::from_name(name);
        (
            parts.registered_domain().map(str::to_owned),
            parts.etld_plus_one().map(str::to_owned),
            parts.top_level_domain().map(str::to_owned),
            parts.subdomain().map(str::to_owned),
        )
    }

    fn check(name: &str, expected: Expected<'_>) {
        let owned = |value: Option<&str>| value.map(str::to_owned);
        let got = parts(name);
        assert_eq!(got.0, owned(expected.0), "registered_domain of {name:?}");
        assert_eq!(got.1, owned(expected.1), "etld_plus_one of {name:?}");
        assert_eq!(got.2, owned(expected.2), "top_level_domain of {name:?}");
        assert_eq!(got.3, owned(expected.3), "subdomain of {name:?}");
    }

    fn full<'a>(registered: &'a str, tld: &'a str, sub: Option<&'a str>) -> Expected<'a> {
        (Some(registered), Some(registered), Some(tld), sub)
    }

    #[test]
    fn psl_packetbeat_test_names() {
        check("elastic.co", full("elastic.co", "co", None));
        check("www.ietf.org", full("ietf.org", "org", Some("www")));
        check(
            "131.252.30.192.in-addr.arpa",
            full("192.in-addr.arpa", "in-addr.arpa", Some("131.252.30")),
        );
        check("etas.com", full("etas.com", "com", None));
        check(
            "nms-us.socfortress.co",
            full("socfortress.co", "co", Some("nms-us")),
        );
    }

    #[test]
    fn psl_long_subdomain() {
        let name = "3.1o19ss00s2s17s4qp375sp49r830n2n4n923s8839052s7p7768s53365226pp3.659p1r741os37393648s2348o762q1066q53rq5p4614r1q4781qpr16n809qp4.879o3o734q9sns005o3pp76q83.2q65qns3spns1081s5rn5sr74opqrqnpq6rn3ro5.i.00.mac.sophosxl.net";
        let sub = &name[..name.len() - ".sophosxl.net".len()];
        check(name, full("sophosxl.net", "net", Some(sub)));
    }

    #[test]
    fn psl_ignores_case() {
        check(
            "Mail.Example.CO.UK",
            full("example.co.uk", "co.uk", Some("mail")),
        );
        check("WWW.BBC.CO.UK", full("bbc.co.uk", "co.uk", Some("www")));
    }

    #[test]
    fn psl_root_name() {
        check(".", (Some("."), None, None, None));
    }

    #[test]
    fn psl_public_suffix_itself() {
        check("co.uk", (Some("co.uk"), None, Some("uk"), None));
        check("com", (None, None, None, None));
        check("s3.amazonaws.com", (None, None, None, None));
    }

    #[test]
    fn psl_single_label() {
        check("localhost", (None, None, None, None));
        check("wpad", (None, None, None, None));
        check("", (None, None, None, None));
    }

    #[test]
    fn psl_unknown_tld() {
        check(
            "a.b.example.internal",
            full("example.internal", "internal", Some("a.b")),
        );
        check("host.lan", full("host.lan", "lan", None));
    }

    #[test]
    fn psl_private_section() {
        check(
            "foo.blogspot.com",
            full("foo.blogspot.com", "blogspot.com", None),
        );
        check(
            "x.foo.blogspot.com",
            full("foo.blogspot.com", "blogspot.com", Some("x")),
        );
    }

    #[test]
    fn psl_wildcard_and_exception() {
        // `*.ck` makes every second-level name under ck a public suffix, except `www.ck`.
        check("a.b.ck", full("a.b.ck", "b.ck", None));
        check("www.ck", full("www.ck", "ck", None));
        check("x.www.ck", full("www.ck", "ck", Some("x")));
    }

    #[test]
    fn psl_empty_labels() {
        check("a..example.com", (None, None, None, None));
        check(".com", (Some(".com"), None, Some("com"), None));
        check("..", (None, None, None, None));
    }

    #[test]
    fn psl_ip_like_names() {
        check("10.0.0.1", full("0.1", "1", Some("10.0")));
        check("192.168.1", full("168.1", "1", Some("192")));
    }

    #[test]
    fn psl_escaped_dot_splits_label() {
        // Packetbeat passes the presentation form, so an escaped dot still splits labels.
        check(
            "a\\.b.example.com",
            full("example.com", "com", Some("a\\.b")),
        );
    }
}

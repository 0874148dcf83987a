//! `$(field)` substitution in rule descriptions.

use crate::event::{Event, StaticField};

/// Longest expanded description; a longer result falls back to the raw text, as in Wazuh.
pub const MAX_DESCRIPTION: usize = 1024;

/// Returns whether `template` has a `$(`, which [`expand_description`] may replace, so its
/// alerts can differ from event to event.
pub fn has_placeholder(template: &str) -> bool {
    template.contains("$(")
}

/// Replaces every `$(name)` in `template` with the event's value: static fields, then
/// `program_name` and `hostname`, then dynamic fields (case-insensitive). Unknown names
/// expand to nothing and an unterminated `$(` is kept as written.
pub fn expand_description(template: &str, event: &Event) -> String {
    if !has_placeholder(template) {
        return template.to_string();
    }
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("$(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find(')') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        out.push_str(resolve(&after[..end], event).unwrap_or(""));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if out.len() > MAX_DESCRIPTION {
        return template.to_string();
    }
    out
}

fn resolve<'e>(name: &str, event: &'e Event) -> Option<&'e str> {
    if let Some(field) = StaticField::from_description_name(name) {
        return event.static_field(field);
    }
    match name {
        "program_name" => event.program_name.as_deref(),
        "hostname" => Some(event.hostname.as_str()),
        _ => event.field(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn event() -> Event {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
        let mut event = Event::new("{}".into(), "stdin".into(), time);
        event.push_field("dns.question.name", "example.com");
        event.set_static(StaticField::SrcIp, "10.0.0.1".into());
        event
    }

    #[test]
    fn description_substitutes_fields() {
        let text = expand_description("Query to $(DNS.question.name) from $(srcip)", &event());
        assert_eq!(text, "Query to example.com from 10.0.0.1");
    }

    #[test]
    fn description_unknown_and_unterminated() {
        assert_eq!(expand_description("a $(nope) b", &event()), "a  b");
        assert_eq!(expand_description("a $(srcip", &event()), "a $(srcip");
    }

    #[test]
    fn description_too_long_falls_back() {
        let mut event = event();
        event.push_field("big", &"x".repeat(2000));
        assert_eq!(expand_description("v=$(big)", &event), "v=$(big)");
    }
}

//! The per-event checks of one rule that need no correlation state: decoder, log patterns,
//! static and dynamic fields, addresses, time, CDB lists and compiled rules.

use std::net::IpAddr;

use chrono::{Datelike, Timelike};
use dnstel_ruleset::matcher::{FieldMatch, Matcher};
use dnstel_ruleset::{CompiledRule, IpList, ListLookup, LookupKind, Rule, TimeRange, WeekdaySet};

use crate::event::{Event, StaticField};

/// Returns true when every non-correlation condition of `rule` holds for `event`, in the order
/// Wazuh tests them.
pub fn matches_event(rule: &Rule, event: &Event) -> bool {
    if let Some(decoded_as) = &rule.decoded_as {
        match &event.decoder {
            Some(decoder) if decoder.name == *decoded_as => {}
            _ => return false,
        }
    }
    let checks: [(&Option<FieldMatch>, Option<&str>); 5] = [
        (&rule.program_name, event.program_name.as_deref()),
        (&rule.event_id, event.static_field(StaticField::Id)),
        (
            &rule.system_name,
            event.static_field(StaticField::SystemName),
        ),
        (&rule.protocol, event.static_field(StaticField::Protocol)),
        (&rule.match_log, Some(event.log())),
    ];
    if !checks
        .iter()
        .all(|(option, value)| option_holds(option, *value))
    {
        return false;
    }
    let checks: [(&Option<FieldMatch>, Option<&str>); 4] = [
        (&rule.regex_log, Some(event.log())),
        (&rule.action, event.static_field(StaticField::Action)),
        (&rule.url, event.static_field(StaticField::Url)),
        (&rule.location, Some(&*event.full_location)),
    ];
    if !checks
        .iter()
        .all(|(option, value)| option_holds(option, *value))
    {
        return false;
    }
    for field in &rule.fields {
        match event.field(&field.name) {
            Some(value) if field.matcher.test(value) => {}
            _ => return false,
        }
    }
    if !ip_option_holds(&rule.srcip, event.static_field(StaticField::SrcIp))
        || !ip_option_holds(&rule.dstip, event.static_field(StaticField::DstIp))
    {
        return false;
    }
    let checks: [(&Option<FieldMatch>, Option<&str>); 3] = [
        (&rule.srcport, event.static_field(StaticField::SrcPort)),
        (&rule.dstport, event.static_field(StaticField::DstPort)),
        (&rule.user, event.user()),
    ];
    if !checks
        .iter()
        .all(|(option, value)| option_holds(option, *value))
    {
        return false;
    }
    if let Some(compiled) = rule.compiled_rule {
        if !compiled_rule_holds(compiled, event) {
            return false;
        }
    }
    // GeoIP data is never available, so geoip options fail like a missing field.
    if rule.srcgeoip.is_some() || rule.dstgeoip.is_some() {
        return false;
    }
    if rule
        .maxsize
        .is_some_and(|size| event.full_log.len() < size as usize)
    {
        return false;
    }
    if !rule.time.is_none_or(|range| time_holds(&range, event))
        || !rule.weekday.is_none_or(|days| weekday_holds(&days, event))
    {
        return false;
    }
    let checks: [(&Option<FieldMatch>, Option<&str>); 4] = [
        (&rule.data, event.static_field(StaticField::Data)),
        (&rule.extra_data, event.static_field(StaticField::ExtraData)),
        (&rule.hostname, Some(event.hostname.as_str())),
        (&rule.status, event.static_field(StaticField::Status)),
    ];
    if !checks
        .iter()
        .all(|(option, value)| option_holds(option, *value))
    {
        return false;
    }
    rule.lists.iter().all(|lookup| list_holds(lookup, event))
}

/// A pattern option holds when it is absent, or the value exists and matches (after negate).
fn option_holds(option: &Option<FieldMatch>, value: Option<&str>) -> bool {
    match (option, value) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(matcher), Some(value)) => matcher.test(value),
    }
}

fn ip_option_holds(option: &Option<IpList>, value: Option<&str>) -> bool {
    match (option, value) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(list), Some(value)) => ip_list_contains(list, value) != list.negate,
    }
}

/// Wazuh's address list test: the first entry that contains the address decides (a `!` entry
/// means "not found"); when none does, the result is the opposite of the last entry's sense.
pub fn ip_list_contains(list: &IpList, value: &str) -> bool {
    let address: Option<IpAddr> = value.trim().parse().ok();
    let mut last_positive = true;
    for entry in &list.entries {
        last_positive = !entry.negate;
        if address.is_some_and(|address| in_network(address, entry.addr, entry.prefix)) {
            return last_positive;
        }
    }
    !last_positive
}

fn in_network(address: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (address, network) {
        (IpAddr::V4(address), IpAddr::V4(network)) => {
            let bits = u32::from(prefix.min(32));
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(address) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(address), IpAddr::V6(network)) => {
            let bits = u32::from(prefix.min(128));
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(address) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

fn time_holds(range: &TimeRange, event: &Event) -> bool {
    let minute = u16::try_from(event.time.hour() * 60 + event.time.minute()).unwrap_or(0);
    let inside = if range.start_minute <= range.end_minute {
        minute >= range.start_minute && minute < range.end_minute
    } else {
        minute >= range.start_minute || minute < range.end_minute
    };
    inside != range.negate
}

fn weekday_holds(days: &WeekdaySet, event: &Event) -> bool {
    let day = event.time.weekday().num_days_from_sunday();
    let inside = days.mask & (1 << day) != 0;
    inside != days.negate
}

fn list_holds(lookup: &ListLookup, event: &Event) -> bool {
    let Some(value) = event.lookup(&lookup.field) else {
        return false;
    };
    let entries = &lookup.list.entries;
    let value_matches = |stored: &String| {
        lookup
            .check_value
            .as_ref()
            .is_some_and(|pattern| pattern.is_match(stored))
    };
    match lookup.lookup {
        LookupKind::MatchKey => entries.contains_key(value),
        LookupKind::NotMatchKey => !entries.contains_key(value),
        LookupKind::MatchKeyValue => entries.get(value).is_some_and(value_matches),
        LookupKind::AddressMatchKey => address_key(lookup, value).is_some(),
        LookupKind::NotAddressMatchKey => address_key(lookup, value).is_none(),
        // NOTE: Wazuh returns true here when the value does NOT match or the key is absent;
        // dnstel keeps that inverted behaviour for compatibility.
        LookupKind::AddressMatchKeyValue => !address_key(lookup, value).is_some_and(value_matches),
    }
}

/// Finds the list entry for an address: the exact key, else the longest prefix ending in `.`.
fn address_key<'l>(lookup: &'l ListLookup, value: &str) -> Option<&'l String> {
    let entries = &lookup.list.entries;
    if let Some(found) = entries.get(value) {
        return Some(found);
    }
    value
        .char_indices()
        .rev()
        .filter(|(_, character)| *character == '.')
        .find_map(|(index, _)| entries.get(&value[..=index]))
}

fn compiled_rule_holds(compiled: CompiledRule, event: &Event) -> bool {
    match compiled {
        CompiledRule::CompSrcuserDstuser => {
            match (
                event.static_field(StaticField::SrcUser),
                event.static_field(StaticField::DstUser),
            ) {
                (Some(source), Some(target)) => source != target,
                _ => false,
            }
        }
        CompiledRule::CompMswinTargetuserCalleruserDiff => {
            match (
                event.field("win.eventdata.subjectUserName"),
                event.field("win.eventdata.targetUserName"),
            ) {
                (Some(caller), Some(target)) => !caller.eq_ignore_ascii_case(target),
                _ => false,
            }
        }
        CompiledRule::CheckIdSize => event
            .static_field(StaticField::Id)
            .is_some_and(|id| id.len() >= 10),
        // TODO: the HTTP request checks are not implemented, so rules using them never match.
        CompiledRule::IsSimpleHttpRequest | CompiledRule::IsValidCrawler => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dnstel_ruleset::IpPattern;

    fn list(entries: &[(&str, u8, bool)]) -> IpList {
        IpList {
            entries: entries
                .iter()
                .map(|(addr, prefix, negate)| IpPattern {
                    addr: addr.parse().unwrap(),
                    prefix: *prefix,
                    negate: *negate,
                })
                .collect(),
            negate: false,
        }
    }

    #[test]
    fn ip_list_cidr_and_negation() {
        let positive = list(&[("10.0.0.0", 8, false)]);
        assert!(ip_list_contains(&positive, "10.1.2.3"));
        assert!(!ip_list_contains(&positive, "11.1.2.3"));
        let negative = list(&[("10.0.0.0", 8, true)]);
        assert!(!ip_list_contains(&negative, "10.1.2.3"));
        assert!(ip_list_contains(&negative, "11.1.2.3"));
        let v6 = list(&[("2001:db8::", 32, false)]);
        assert!(ip_list_contains(&v6, "2001:db8::1"));
    }
}

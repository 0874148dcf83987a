//! Builds [`Rule`]s from the parsed elements of one rule file.

use std::collections::HashMap;
use std::sync::Arc;

use crate::cdb::{CdbList, ListLookup, LookupKind};
use crate::error::{truncate_for_message, LoadError, LoadErrorKind, SourceLocation};
use crate::ip::{IpList, IpPattern};
use crate::matcher::{FieldMatch, MatchKind, OsMatch, Pattern};
use crate::rule::{
    Category, CompiledRule, CorrelationField, DynamicFieldMatch, Rule, RuleInfo, MAX_LEVEL,
};
use crate::schedule::{TimeRange, WeekdaySet};
use crate::xml::Element;

/// Lists available to `<list>` lookups, by the path rules use.
pub type ListTable = HashMap<String, Arc<CdbList>>;

/// Reads every `<group>` root of a file. Rules with errors are skipped and
/// their errors appended to `errors`.
pub fn rules_from_roots(
    file: &str,
    roots: &[Element],
    lists: &ListTable,
    errors: &mut Vec<LoadError>,
) -> Vec<Rule> {
    let mut rules = Vec::new();
    for root in roots {
        let location = SourceLocation {
            file: file.to_owned(),
            line: root.line,
        };
        if !root.name.eq_ignore_ascii_case("group") {
            errors.push(error(
                location,
                None,
                LoadErrorKind::UnknownOption(root.name.clone()),
            ));
            continue;
        }
        let Some(group_name) = root.attribute("name") else {
            errors.push(error(
                location,
                None,
                LoadErrorKind::Missing("group name attribute".into()),
            ));
            continue;
        };
        for child in &root.children {
            let location = SourceLocation {
                file: file.to_owned(),
                line: child.line,
            };
            if !child.name.eq_ignore_ascii_case("rule") {
                errors.push(error(
                    location,
                    None,
                    LoadErrorKind::UnknownOption(child.name.clone()),
                ));
                continue;
            }
            let mut builder = RuleBuilder::new(location, lists);
            match builder.build(child, group_name) {
                Ok(rule) => rules.push(rule),
                Err(kind) => errors.push(error(builder.location(), builder.rule.id_opt(), kind)),
            }
        }
    }
    rules
}

fn error(location: SourceLocation, rule_id: Option<u32>, kind: LoadErrorKind) -> LoadError {
    LoadError {
        location,
        rule_id,
        decoder: None,
        kind,
    }
}

impl Rule {
    fn id_opt(&self) -> Option<u32> {
        (self.id != 0).then_some(self.id)
    }
}

/// Texts of pattern options, concatenated per option before compiling.
#[derive(Default)]
struct PatternText {
    text: String,
    kind: Option<MatchKind>,
    negate: bool,
}

struct RuleBuilder<'a> {
    rule: Rule,
    lists: &'a ListTable,
    line: u32,
    patterns: Vec<(&'static str, PatternText)>,
}

type Result<T> = std::result::Result<T, LoadErrorKind>;

impl<'a> RuleBuilder<'a> {
    fn new(source: SourceLocation, lists: &'a ListTable) -> Self {
        let line = source.line;
        Self {
            rule: Rule {
                source,
                ..Rule::default()
            },
            lists,
            line,
            patterns: Vec::new(),
        }
    }

    fn location(&self) -> SourceLocation {
        SourceLocation {
            file: self.rule.source.file.clone(),
            line: self.line,
        }
    }

    fn build(&mut self, element: &Element, group_name: &str) -> Result<Rule> {
        self.attributes(element)?;
        self.rule.group_string = group_name.replace('\n', "");
        for option in &element.children {
            self.line = option.line;
            self.option(option)?;
        }
        self.line = element.line;
        self.compile_patterns()?;
        self.finish()?;
        Ok(std::mem::take(&mut self.rule))
    }

    fn attributes(&mut self, element: &Element) -> Result<()> {
        for (name, value) in &element.attributes {
            let rule = &mut self.rule;
            match name.to_ascii_lowercase().as_str() {
                "id" => rule.id = parse_rule_id(value)?,
                "level" => {
                    let level = parse_number(name, value, 0, u32::from(MAX_LEVEL))?;
                    rule.level = u8::try_from(level).unwrap_or(MAX_LEVEL);
                }
                "maxsize" => rule.maxsize = Some(parse_scanf_number(name, value, 4)?),
                "frequency" => rule.frequency = Some(parse_number(name, value, 2, 9_999)?),
                "timeframe" => rule.timeframe = Some(parse_scanf_number(name, value, 5)?),
                "ignore" => rule.ignore_secs = Some(parse_scanf_number(name, value, 6)?),
                // Wazuh only warns about values other than 0 and 1 and keeps
                // the rule alerting.
                "noalert" => rule.noalert = value == "1",
                "overwrite" => rule.overwrite = parse_yes_no(name, value)?,
                "accuracy" => rule.accuracy_zero = parse_scanf_number(name, value, 4)? == 0,
                _ => return Err(LoadErrorKind::UnknownOption(format!("{name}="))),
            }
        }
        if self.rule.id == 0 {
            return Err(LoadErrorKind::Missing("rule id attribute".into()));
        }
        if !element
            .attributes
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("level"))
        {
            return Err(LoadErrorKind::Missing("rule level attribute".into()));
        }
        Ok(())
    }

    fn option(&mut self, option: &Element) -> Result<()> {
        let name = option.name.to_ascii_lowercase();
        let text = option.text.as_str();
        if let Some(field) = correlation_field(&name) {
            match field {
                (field, true) => self.rule.same.push(field),
                (field, false) => self.rule.different.push(field),
            }
            return Ok(());
        }
        match name.as_str() {
            "match" | "regex" | "srcport" | "dstport" | "user" | "url" | "id" | "status"
            | "action" | "hostname" | "program_name" | "protocol" | "system_name" | "data"
            | "extra_data" | "location" | "srcgeoip" | "dstgeoip" => {
                let slot = pattern_slot(&name);
                if matches!(slot, "srcgeoip" | "dstgeoip") {
                    self.flag_unevaluated(slot, |_| {});
                }
                self.pattern_option(option, slot)?
            }
            "field" => self.field(option)?,
            "srcip" => add_ips(self.rule.srcip.get_or_insert_with(IpList::default), option)?,
            "dstip" => add_ips(self.rule.dstip.get_or_insert_with(IpList::default), option)?,
            "decoded_as" => self.rule.decoded_as = Some(text.to_owned()),
            "category" => {
                let category = Category::parse(text)
                    .filter(|c| *c != Category::HostInformation)
                    .ok_or_else(|| invalid("category", text, "unknown category"))?;
                self.rule.category = Some(category);
            }
            "if_sid" => self.rule.if_sid.extend(parse_sid_list(text)?),
            "if_group" => self.rule.if_group = Some(compile_osmatch(text)?),
            "if_level" => {
                let level = parse_number("if_level", text, 0, u32::from(MAX_LEVEL))?;
                self.rule.if_level = Some(u8::try_from(level).unwrap_or(MAX_LEVEL));
            }
            "if_matched_sid" => {
                let sid = parse_rule_id(text)?;
                self.rule.if_matched_sid = Some(sid);
                self.rule.if_sid.push(sid);
            }
            "if_matched_group" => {
                self.rule.if_matched_group = Some(compile_osmatch(text)?);
                self.rule.if_group = Some(compile_osmatch(text)?);
            }
            "if_matched_regex" => {
                self.rule.if_matched_regex = Some(compile(MatchKind::OsRegex, text)?)
            }
            "same_field" => self.rule.same_fields.push(text.to_owned()),
            "different_field" | "not_same_field" => {
                self.rule.different_fields.push(text.to_owned())
            }
            "global_frequency" => self.rule.global_frequency = true,
            "ignore" => self.rule.ignore_fields.extend(split_names(text)),
            "check_if_ignored" => self.rule.check_if_ignored.extend(split_names(text)),
            "check_diff" => self.flag_unevaluated("check_diff", |r| r.check_diff = true),
            "if_fts" => self.rule.if_fts = true,
            "list" => self.list(option)?,
            "description" => self.rule.description.push_str(&text.replacen('\n', " ", 1)),
            "info" => self.rule.info.push(RuleInfo {
                kind: option.attribute("type").unwrap_or("text").to_owned(),
                text: text.to_owned(),
            }),
            "cve" => self.rule.cve = Some(text.to_owned()),
            "options" => self.options(text)?,
            "group" => self.rule.group_string.push_str(&text.replace('\n', "")),
            "mitre" => self.mitre(option)?,
            "compiled_rule" => {
                let compiled = CompiledRule::parse(text.trim())
                    .ok_or_else(|| invalid("compiled_rule", text, "unknown function"))?;
                self.rule.compiled_rule = Some(compiled);
            }
            "time" => {
                let range = TimeRange::parse(text)
                    .ok_or_else(|| invalid("time", text, "expected a range like 6 pm - 8:30 am"))?;
                self.rule.time = Some(range);
            }
            "weekday" => {
                let days = WeekdaySet::parse(text).ok_or_else(|| {
                    invalid("weekday", text, "expected day names, weekdays or weekends")
                })?;
                self.rule.weekday = Some(days);
            }
            _ => return Err(LoadErrorKind::UnknownOption(option.name.clone())),
        }
        Ok(())
    }

    fn flag_unevaluated(&mut self, name: &'static str, set: impl FnOnce(&mut Rule)) {
        set(&mut self.rule);
        if !self.rule.unevaluated.contains(&name) {
            self.rule.unevaluated.push(name);
        }
    }

    fn pattern_option(&mut self, option: &Element, slot: &'static str) -> Result<()> {
        let kind = match option.attribute("type") {
            Some(value) => Some(
                MatchKind::from_attr(value)
                    .ok_or_else(|| invalid("type", value, "expected osregex, osmatch or pcre2"))?,
            ),
            None => None,
        };
        let negate = negate_attr(option)?;
        let index = match self.patterns.iter().position(|(name, _)| *name == slot) {
            Some(index) => index,
            None => {
                self.patterns.push((slot, PatternText::default()));
                self.patterns.len() - 1
            }
        };
        let entry = &mut self.patterns[index].1;
        entry.text.push_str(&option.text);
        entry.kind = kind.or(entry.kind);
        entry.negate = negate;
        Ok(())
    }

    fn compile_patterns(&mut self) -> Result<()> {
        for (slot, text) in std::mem::take(&mut self.patterns) {
            let kind = text.kind.unwrap_or(default_kind(slot));
            let matcher = FieldMatch {
                pattern: compile(kind, &text.text)?,
                negate: text.negate,
            };
            let rule = &mut self.rule;
            let target = match slot {
                "match" => &mut rule.match_log,
                "regex" => &mut rule.regex_log,
                "srcport" => &mut rule.srcport,
                "dstport" => &mut rule.dstport,
                "user" => &mut rule.user,
                "url" => &mut rule.url,
                "id" => &mut rule.event_id,
                "status" => &mut rule.status,
                "action" => &mut rule.action,
                "hostname" => &mut rule.hostname,
                "program_name" => &mut rule.program_name,
                "protocol" => &mut rule.protocol,
                "system_name" => &mut rule.system_name,
                "data" => &mut rule.data,
                "extra_data" => &mut rule.extra_data,
                "location" => &mut rule.location,
                "srcgeoip" => &mut rule.srcgeoip,
                _ => &mut rule.dstgeoip,
            };
            *target = Some(matcher);
        }
        Ok(())
    }

    fn field(&mut self, option: &Element) -> Result<()> {
        let name = option
            .attribute("name")
            .ok_or_else(|| LoadErrorKind::Missing("field name attribute".into()))?;
        if is_static_field(name) {
            return Err(invalid(
                "field name",
                name,
                "static fields have their own options",
            ));
        }
        let kind = match option.attribute("type") {
            Some(value) => MatchKind::from_attr(value)
                .ok_or_else(|| invalid("type", value, "expected osregex, osmatch or pcre2"))?,
            None => MatchKind::OsRegex,
        };
        self.rule.fields.push(DynamicFieldMatch {
            name: name.to_owned(),
            matcher: FieldMatch {
                pattern: compile(kind, &option.text)?,
                negate: negate_attr(option)?,
            },
        });
        Ok(())
    }

    fn list(&mut self, option: &Element) -> Result<()> {
        let field = option
            .attribute("field")
            .ok_or_else(|| LoadErrorKind::Missing("list field attribute".into()))?;
        let lookup = match option.attribute("lookup") {
            Some(value) => LookupKind::parse(value)
                .ok_or_else(|| invalid("lookup", value, "unknown lookup type"))?,
            None => LookupKind::MatchKey,
        };
        let check_value = match option.attribute("check_value") {
            Some(value) => Some(Arc::new(compile(MatchKind::OsMatch, value)?)),
            None => None,
        };
        let path = option.text.trim();
        let list = self
            .lists
            .get(path)
            .cloned()
            .ok_or_else(|| LoadErrorKind::ListNotFound(path.to_owned()))?;
        self.rule.lists.push(ListLookup {
            field: field.to_owned(),
            lookup,
            path: path.to_owned(),
            check_value,
            list,
        });
        Ok(())
    }

    fn options(&mut self, text: &str) -> Result<()> {
        for name in text
            .split([',', ' '])
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            if !self.rule.options.set(name) {
                return Err(invalid("options", name, "unknown option"));
            }
        }
        Ok(())
    }

    fn mitre(&mut self, option: &Element) -> Result<()> {
        let mut tactic: Option<String> = None;
        for child in &option.children {
            let text = child.text.trim().to_owned();
            match child.name.to_ascii_lowercase().as_str() {
                "id" => self.rule.mitre.ids.push(text),
                "tacticid" => tactic = Some(text),
                "techniqueid" => {
                    let tactic = tactic.take().unwrap_or_default();
                    self.rule.mitre.tactic_technique.push((tactic, text));
                }
                _ => {
                    return Err(LoadErrorKind::UnknownOption(format!(
                        "mitre/{}",
                        child.name
                    )))
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        let rule = &self.rule;
        if rule.description.is_empty() {
            return Err(LoadErrorKind::Missing("description".into()));
        }
        // Wazuh stores frequency minus 2 and tests that value, so
        // `frequency="2"` alone needs no context. `check_diff` counts as a
        // context.
        let correlates = !rule.same.is_empty()
            || !rule.different.is_empty()
            || !rule.same_fields.is_empty()
            || !rule.different_fields.is_empty()
            || rule.frequency.is_some_and(|f| f > 2);
        if correlates && !rule.has_context() && !rule.check_diff {
            return Err(LoadErrorKind::Missing(
                "if_matched_sid, if_matched_group or if_matched_regex for frequency, same_ or different_ options"
                    .into(),
            ));
        }
        let groups = self
            .rule
            .group_string
            .split(',')
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect();
        self.rule.groups = groups;
        Ok(())
    }
}

fn pattern_slot(name: &str) -> &'static str {
    const SLOTS: [&str; 18] = [
        "match",
        "regex",
        "srcport",
        "dstport",
        "user",
        "url",
        "id",
        "status",
        "action",
        "hostname",
        "program_name",
        "protocol",
        "system_name",
        "data",
        "extra_data",
        "location",
        "srcgeoip",
        "dstgeoip",
    ];
    SLOTS
        .iter()
        .find(|s| **s == name)
        .copied()
        .unwrap_or("match")
}

fn default_kind(slot: &str) -> MatchKind {
    match slot {
        "regex" => MatchKind::OsRegex,
        "action" => MatchKind::String,
        _ => MatchKind::OsMatch,
    }
}

fn compile(kind: MatchKind, text: &str) -> Result<Pattern> {
    Pattern::compile(kind, text).map_err(|err| LoadErrorKind::Pattern {
        engine: kind.name(),
        pattern: truncate_for_message(text),
        reason: err.reason,
    })
}

fn compile_osmatch(text: &str) -> Result<OsMatch> {
    OsMatch::new(text).map_err(|err| LoadErrorKind::Pattern {
        engine: "osmatch",
        pattern: truncate_for_message(text),
        reason: err.reason,
    })
}

fn invalid(what: &str, value: &str, reason: &str) -> LoadErrorKind {
    LoadErrorKind::InvalidValue {
        what: what.to_owned(),
        value: truncate_for_message(value),
        reason: reason.to_owned(),
    }
}

fn negate_attr(option: &Element) -> Result<bool> {
    match option.attribute("negate") {
        Some(value) => parse_yes_no("negate", value),
        None => Ok(false),
    }
}

fn parse_yes_no(what: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(invalid(what, value, "expected yes or no")),
    }
}

fn parse_number(what: &str, value: &str, min: u32, max: u32) -> Result<u32> {
    let out_of_range = || invalid(what, value, &format!("must be {min} to {max}"));
    let digits = value.trim();
    let number: u32 = match digits.parse() {
        Ok(number) => number,
        // Too many digits for a u32 is out of range, not malformed.
        Err(_) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(out_of_range());
        }
        Err(_) => return Err(invalid(what, value, "not a number")),
    };
    if number < min || number > max {
        return Err(out_of_range());
    }
    Ok(number)
}

/// Parses an all-digit attribute the way Wazuh's `sscanf("%Nd")` does:
/// only the first `width` digits count, so `maxsize="65535"` reads 6553.
fn parse_scanf_number(what: &str, value: &str, width: usize) -> Result<u32> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(what, value, "not a number"));
    }
    let digits = &value[..value.len().min(width)];
    digits
        .parse()
        .map_err(|_| invalid(what, value, "not a number"))
}

fn parse_rule_id(value: &str) -> Result<u32> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.len() > 6 || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("rule id", value, "expected 1 to 6 digits"));
    }
    parse_number("rule id", trimmed, 1, 999_999)
}

/// Parses an `if_sid` list: ids separated by commas and/or spaces.
fn parse_sid_list(text: &str) -> Result<Vec<u32>> {
    if text.trim().is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b',' || b == b' ')
    {
        return Err(invalid(
            "if_sid",
            text,
            "expected rule ids separated by commas or spaces",
        ));
    }
    text.split([',', ' '])
        .filter(|id| !id.is_empty())
        .map(parse_rule_id)
        .collect()
}

fn split_names(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

fn add_ips(list: &mut IpList, option: &Element) -> Result<()> {
    list.negate = negate_attr(option)?;
    for item in option
        .text
        .split([',', ' '])
        .filter(|i| !i.trim().is_empty())
    {
        let entry = IpPattern::parse(item)
            .ok_or_else(|| invalid(&option.name, item, "not an IP address or network"))?;
        list.entries.push(entry);
    }
    Ok(())
}

/// Returns true for the static field names Wazuh rejects in
/// `<field name="...">` (compared case-insensitively).
fn is_static_field(name: &str) -> bool {
    const STATIC_FIELDS: [&str; 17] = [
        "srcip",
        "dstip",
        "srcgeoip",
        "dstgeoip",
        "srcport",
        "dstport",
        "user",
        "srcuser",
        "dstuser",
        "url",
        "id",
        "data",
        "extra_data",
        "status",
        "protocol",
        "system_name",
        "action",
    ];
    STATIC_FIELDS
        .iter()
        .any(|field| field.eq_ignore_ascii_case(name))
}

/// Maps `same_*`, `different_*` and `not_same_*` option names to the field
/// they compare; the flag is true for `same_*`.
fn correlation_field(name: &str) -> Option<(CorrelationField, bool)> {
    let (rest, same) = if let Some(rest) = name.strip_prefix("not_same_") {
        (rest, false)
    } else if let Some(rest) = name.strip_prefix("different_") {
        (rest, false)
    } else if let Some(rest) = name.strip_prefix("same_") {
        (rest, true)
    } else {
        return None;
    };
    use CorrelationField as F;
    let field = match rest {
        "source_ip" | "srcip" => F::SrcIp,
        "src_port" | "srcport" => F::SrcPort,
        "dst_port" | "dstport" => F::DstPort,
        "dstip" => F::DstIp,
        "protocol" => F::Protocol,
        "action" => F::Action,
        "id" => F::Id,
        "url" => F::Url,
        "data" => F::Data,
        "extra_data" => F::ExtraData,
        "status" => F::Status,
        "system_name" => F::SystemName,
        "srcgeoip" => F::SrcGeoip,
        "dstgeoip" => F::DstGeoip,
        "location" => F::Location,
        "srcuser" => F::SrcUser,
        "user" => F::User,
        "agent" => F::Agent,
        _ => return None,
    };
    Some((field, same))
}

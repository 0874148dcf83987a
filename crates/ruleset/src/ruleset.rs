//! [`Ruleset`]: loads a ruleset folder (`decoders/`, `lists/`, `rules/`)
//! plus extra rule and decoder files in Wazuh's order.
//!
//! Order: decoder files, then list files, then rule files, because rules
//! refer to decoder names and lists. Within a folder, files load sorted by
//! file name in byte order, as Wazuh's `strcmp` sort does. A name listed in
//! `rule_exclude`/`decoder_exclude` is skipped. Extra files given by the
//! caller load after the folder, in the order given.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cdb::CdbList;
use crate::decoder::Decoder;
use crate::decoder_parse::decoders_from_roots;
use crate::error::{LoadError, LoadErrorKind, SourceLocation};
use crate::rule::Rule;
use crate::rule_parse::{rules_from_roots, ListTable};
use crate::xml::{apply_variables, parse_document};

/// Maximum size of a rule, decoder or list file, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Prefix rules use for list paths (`etc/lists/malicious-ioc/malicious-ip`).
pub const LIST_PATH_PREFIX: &str = "etc/lists/";

/// Decoders built into Wazuh's analysisd (written in C, not XML) that rules
/// may name in `<decoded_as>`. dnstel accepts these names at load time but
/// implements none of them, so rules on them never match.
pub const BUILTIN_DECODERS: &[&str] = &[
    "rootcheck",
    "syscheck_integrity_changed",
    "syscheck_deleted",
    "syscheck_new_entry",
    "syscheck_registry_key_modified",
    "syscheck_registry_key_deleted",
    "syscheck_registry_key_added",
    "syscheck_registry_value_modified",
    "syscheck_registry_value_deleted",
    "syscheck_registry_value_added",
    "hostinfo_modified",
    "hostinfo_new",
    "syscollector",
    "ciscat",
    "sca",
    "windows_eventchannel",
    "dbsync",
    "upgrade",
    "task",
];

/// Extra files and exclusions for [`Ruleset::load`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Extra rule files or folders (`--rules PATH`), loaded after the folder.
    pub extra_rules: Vec<PathBuf>,
    /// Extra decoder files or folders (`--decoders PATH`).
    pub extra_decoders: Vec<PathBuf>,
    /// Extra lists as (the path rules name them by, the text file to read), loaded after the
    /// folder's `lists/` and before any rule (`<list>` in `ossec.conf`).
    pub extra_lists: Vec<(String, PathBuf)>,
    /// Rule file names to skip (`<rule_exclude>`).
    pub rule_exclude: Vec<String>,
    /// Decoder file names to skip (`<decoder_exclude>`).
    pub decoder_exclude: Vec<String>,
}

/// Everything loaded, with every problem found on the way.
#[derive(Debug, Default)]
pub struct Ruleset {
    /// Rules in load order; `overwrite="yes"` rules replaced in place.
    pub rules: Vec<Rule>,
    /// Decoders in load order.
    pub decoders: Vec<Decoder>,
    /// Lists by the path rules use.
    pub lists: ListTable,
    /// Problems that made a file, rule or decoder be skipped.
    pub errors: Vec<LoadError>,
    /// Problems Wazuh only warns about (duplicate rule ids).
    pub warnings: Vec<LoadError>,
    /// Position in `rules` of each rule id, so inserting stays linear in the rule count.
    /// Checked against `rules` on use, because callers may edit `rules` directly.
    positions: HashMap<u32, usize>,
    /// Ids of rules added by [`Ruleset::add_fallback_rule_text`] that no later rule has
    /// replaced yet.
    fallback_ids: HashSet<u32>,
}

impl Ruleset {
    /// Loads `dir` and the extra files. Files, rules and decoders with
    /// errors are skipped and reported in `errors`; the rest loads.
    pub fn load(dir: &Path, options: &LoadOptions) -> Self {
        let mut set = Self::default();
        let decoder_files = collect_files(
            &mut set.errors,
            dir,
            "decoders",
            &options.decoder_exclude,
            &options.extra_decoders,
        );
        for (label, path) in &decoder_files {
            if let Some(text) = read_limited(&mut set.errors, label, path) {
                set.add_decoder_text(label, &text);
            }
        }
        set.load_lists(&dir.join("lists"));
        set.load_extra_lists(&options.extra_lists);
        let rule_files = collect_files(
            &mut set.errors,
            dir,
            "rules",
            &options.rule_exclude,
            &options.extra_rules,
        );
        for (label, path) in &rule_files {
            if let Some(text) = read_limited(&mut set.errors, label, path) {
                set.add_rule_text(label, &text);
            }
        }
        set
    }

    /// Loads like [`Ruleset::load`] but fails when anything had an error.
    pub fn load_strict(dir: &Path, options: &LoadOptions) -> Result<Self, Vec<LoadError>> {
        let set = Self::load(dir, options);
        if set.errors.is_empty() {
            Ok(set)
        } else {
            Err(set.errors)
        }
    }

    /// Adds the decoders of one file's text; `label` names it in errors.
    ///
    /// As in Wazuh, a decoder's `<parent>` must name a decoder without a parent that was
    /// loaded before it. Wazuh's loader stops with "Parent decoder name invalid" otherwise,
    /// and such a decoder would never run, so it is an error here too.
    pub fn add_decoder_text(&mut self, label: &str, text: &[u8]) {
        let Some(roots) = parse_file(&mut self.errors, label, text) else {
            return;
        };
        let decoders = decoders_from_roots(label, &roots, &mut self.errors);
        let mut parents: HashSet<String> = self
            .decoders
            .iter()
            .filter(|decoder| decoder.parent.is_none())
            .map(|decoder| decoder.name.clone())
            .collect();
        for decoder in decoders {
            match &decoder.parent {
                Some(parent) if !parents.contains(parent) => {
                    self.errors.push(LoadError {
                        location: decoder.source.clone(),
                        rule_id: None,
                        decoder: Some(decoder.name.clone()),
                        kind: LoadErrorKind::ParentNotFound(parent.clone()),
                    });
                    continue;
                }
                Some(_) => {}
                None => {
                    parents.insert(decoder.name.clone());
                }
            }
            self.decoders.push(decoder);
        }
    }

    /// Adds a list from its text under the path rules use for it.
    pub fn add_list_text(&mut self, path: &str, text: &str) {
        self.lists
            .insert(path.to_owned(), Arc::new(CdbList::parse(path, text)));
    }

    /// Adds the rules of one file's text. Rules naming an unknown decoder
    /// are skipped, so decoders must be added first.
    pub fn add_rule_text(&mut self, label: &str, text: &[u8]) {
        let errors_before = self.errors.len();
        let Some(roots) = parse_file(&mut self.errors, label, text) else {
            return;
        };
        let rules = rules_from_roots(label, &roots, &self.lists, &mut self.errors);
        if rules.is_empty() && self.errors.len() == errors_before {
            self.warnings.push(LoadError {
                location: SourceLocation {
                    file: label.to_owned(),
                    line: 0,
                },
                rule_id: None,
                decoder: None,
                kind: LoadErrorKind::NoRules,
            });
        }
        let decoder_names: HashSet<&str> = self
            .decoders
            .iter()
            .map(|d| d.name.as_str())
            .chain(BUILTIN_DECODERS.iter().copied())
            .collect();
        let mut accepted = Vec::with_capacity(rules.len());
        for rule in rules {
            match &rule.decoded_as {
                Some(name) if !decoder_names.contains(name.as_str()) => {
                    self.errors.push(LoadError {
                        location: rule.source.clone(),
                        rule_id: Some(rule.id),
                        decoder: None,
                        kind: LoadErrorKind::DecoderNotFound(name.clone()),
                    });
                }
                _ => accepted.push(rule),
            }
        }
        for rule in accepted {
            self.insert_rule(rule);
        }
    }

    /// Adds the rules of one file's text as fallbacks, which the first later rule with the
    /// same id replaces whole, at the same position and without a duplicate warning. An
    /// `overwrite="yes"` rule still keeps the fallback's tree placement.
    ///
    /// dnstel's built-in category root rules load this way under the user's rule files,
    /// because those often define the same roots, as Wazuh's own ruleset does.
    pub fn add_fallback_rule_text(&mut self, label: &str, text: &[u8]) {
        let first_new = self.rules.len();
        self.add_rule_text(label, text);
        let added = self.rules[first_new..].iter().map(|rule| rule.id);
        self.fallback_ids.extend(added);
    }

    /// Inserts a rule, applying Wazuh's duplicate and overwrite handling:
    /// an overwrite replaces the earlier rule in place but keeps the
    /// earlier rule's tree placement (`if_sid`, `if_group`, `if_level`,
    /// `if_matched_*`), a plain duplicate is skipped with a warning.
    /// A rule that replaces a fallback is no duplicate.
    fn insert_rule(&mut self, mut rule: Rule) {
        let Some(index) = self.position_of(rule.id) else {
            self.positions.insert(rule.id, self.rules.len());
            self.rules.push(rule);
            return;
        };
        if self.fallback_ids.remove(&rule.id) && !rule.overwrite {
            self.rules[index] = rule;
            return;
        }
        if !rule.overwrite {
            self.warnings.push(LoadError {
                location: rule.source.clone(),
                rule_id: Some(rule.id),
                decoder: None,
                kind: LoadErrorKind::DuplicateRule(rule.id),
            });
            return;
        }
        let old = &mut self.rules[index];
        rule.if_sid = std::mem::take(&mut old.if_sid);
        rule.if_group = old.if_group.take();
        rule.if_level = old.if_level;
        rule.if_matched_sid = old.if_matched_sid;
        rule.if_matched_group = old.if_matched_group.take();
        rule.if_matched_regex = old.if_matched_regex.take();
        *old = rule;
    }

    /// Finds the rule with `id` through the index, rebuilding the index first when `rules` was
    /// changed without it.
    fn position_of(&mut self, id: u32) -> Option<usize> {
        if self.positions.len() != self.rules.len() {
            self.reindex();
        }
        let index = *self.positions.get(&id)?;
        if self.rules.get(index).is_some_and(|rule| rule.id == id) {
            return Some(index);
        }
        self.reindex();
        self.positions.get(&id).copied()
    }

    fn reindex(&mut self) {
        self.positions.clear();
        for (index, rule) in self.rules.iter().enumerate() {
            self.positions.entry(rule.id).or_insert(index);
        }
    }

    /// Loads lists named one by one, each under the path rules use for it.
    pub fn load_extra_lists(&mut self, lists: &[(String, PathBuf)]) {
        for (name, path) in lists {
            let label = path.display().to_string();
            if let Some(bytes) = read_limited(&mut self.errors, &label, path) {
                self.add_list_text(name, &String::from_utf8_lossy(&bytes));
            }
        }
    }

    fn load_lists(&mut self, lists_dir: &Path) {
        let mut files = Vec::new();
        walk_files(&mut self.errors, lists_dir, &mut files, 0);
        files.sort();
        for path in files {
            let Ok(relative) = path.strip_prefix(lists_dir) else {
                continue;
            };
            if path.extension().is_some_and(|e| e == "cdb") {
                continue;
            }
            let name = format!("{LIST_PATH_PREFIX}{}", relative.to_string_lossy());
            let label = format!("lists/{}", relative.to_string_lossy());
            if let Some(bytes) = read_limited(&mut self.errors, &label, &path) {
                self.add_list_text(&name, &String::from_utf8_lossy(&bytes));
            }
        }
    }
}

fn parse_file(
    errors: &mut Vec<LoadError>,
    label: &str,
    text: &[u8],
) -> Option<Vec<crate::xml::Element>> {
    match parse_document(text).and_then(apply_variables) {
        Ok(roots) => Some(roots),
        Err(err) => {
            errors.push(LoadError {
                location: SourceLocation {
                    file: label.to_owned(),
                    line: err.line,
                },
                rule_id: None,
                decoder: None,
                kind: LoadErrorKind::Xml(err.message),
            });
            None
        }
    }
}

/// Lists `dir/sub/*.xml` sorted by name minus exclusions, then the extra
/// paths. Each entry is (label for messages, path).
fn collect_files(
    errors: &mut Vec<LoadError>,
    dir: &Path,
    sub: &str,
    exclude: &[String],
    extra: &[PathBuf],
) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = xml_files(errors, &dir.join(sub))
        .into_iter()
        .filter(|path| !is_excluded(path, exclude))
        .map(|path| (format!("{sub}/{}", file_name(&path)), path))
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for path in extra {
        if path.is_dir() {
            let mut inner = xml_files(errors, path);
            inner.sort();
            files.extend(inner.into_iter().map(|p| (p.display().to_string(), p)));
        } else {
            files.push((path.display().to_string(), path.clone()));
        }
    }
    files
}

fn xml_files(errors: &mut Vec<LoadError>, dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "xml"))
            .collect(),
        Err(err) => {
            errors.push(io_error(&dir.display().to_string(), &err));
            Vec::new()
        }
    }
}

fn walk_files(errors: &mut Vec<LoadError>, dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    const MAX_LIST_DEPTH: usize = 8;
    if depth > MAX_LIST_DEPTH {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            if depth > 0 || dir.exists() {
                errors.push(io_error(&dir.display().to_string(), &err));
            }
            return;
        }
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            walk_files(errors, &path, out, depth + 1);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

fn is_excluded(path: &Path, exclude: &[String]) -> bool {
    let name = file_name(path);
    exclude.contains(&name)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_limited(errors: &mut Vec<LoadError>, label: &str, path: &Path) -> Option<Vec<u8>> {
    let size = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(err) => {
            errors.push(io_error(label, &err));
            return None;
        }
    };
    if size > MAX_FILE_BYTES {
        errors.push(LoadError {
            location: SourceLocation {
                file: label.to_owned(),
                line: 0,
            },
            rule_id: None,
            decoder: None,
            kind: LoadErrorKind::Io(format!(
                "file is {size} bytes, more than the maximum of {MAX_FILE_BYTES}"
            )),
        });
        return None;
    }
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(err) => {
            errors.push(io_error(label, &err));
            None
        }
    }
}

fn io_error(label: &str, err: &std::io::Error) -> LoadError {
    LoadError {
        location: SourceLocation {
            file: label.to_owned(),
            line: 0,
        },
        rule_id: None,
        decoder: None,
        kind: LoadErrorKind::Io(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: u32, extra: &str, description: &str) -> String {
        format!(
            r#"<rule id="{id}" level="3" {extra}><match>m</match><description>{description}</description></rule>"#
        )
    }

    fn group(rules: &[String]) -> Vec<u8> {
        format!(r#"<group name="t,">{}</group>"#, rules.concat()).into_bytes()
    }

    #[test]
    fn empty_rule_file_warns() {
        let mut set = Ruleset::default();
        set.add_rule_text("empty.xml", b"");
        set.add_rule_text("comment.xml", b"<!-- <rule id=\"1\"/> -->");
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let messages: Vec<String> = set.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            vec![
                "empty.xml: file defines no rules",
                "comment.xml: file defines no rules"
            ]
        );
    }

    #[test]
    fn duplicate_id_skipped_with_warning() {
        let mut set = Ruleset::default();
        set.add_rule_text(
            "a.xml",
            &group(&[rule(100, "", "first"), rule(101, "", "x")]),
        );
        set.add_rule_text("b.xml", &group(&[rule(100, "", "second")]));
        assert_eq!(set.rules.len(), 2);
        assert_eq!(set.rules[0].description, "first");
        assert_eq!(set.warnings.len(), 1);
    }

    #[test]
    fn overwrite_replaces_in_place() {
        let mut set = Ruleset::default();
        set.add_rule_text(
            "a.xml",
            &group(&[rule(100, "", "first"), rule(101, "", "x")]),
        );
        set.add_rule_text("b.xml", &group(&[rule(100, r#"overwrite="yes""#, "new")]));
        assert_eq!(set.rules.len(), 2);
        assert_eq!(set.rules[0].id, 100);
        assert_eq!(set.rules[0].description, "new");
    }

    #[test]
    fn overwrite_after_direct_edit() {
        let mut set = Ruleset::default();
        set.add_rule_text("a.xml", &group(&[rule(100, "", "a"), rule(101, "", "b")]));
        // A caller reorders the public vector; the id index must not point at the wrong rule.
        set.rules.swap(0, 1);
        set.add_rule_text("b.xml", &group(&[rule(101, r#"overwrite="yes""#, "new")]));
        assert_eq!(set.rules[0].id, 101);
        assert_eq!(set.rules[0].description, "new");
        assert_eq!(set.rules[1].description, "a");
    }

    #[test]
    fn decoder_parent_must_be_earlier_root() {
        let mut set = Ruleset::default();
        set.add_decoder_text(
            "decoders/a.xml",
            br#"<decoder name="root"><prematch>x</prematch></decoder>
<decoder name="child"><parent>root</parent><prematch>y</prematch></decoder>
<decoder name="grandchild"><parent>child</parent><prematch>z</prematch></decoder>
<decoder name="early"><parent>later</parent><prematch>z</prematch></decoder>
<decoder name="later"><prematch>w</prematch></decoder>
<decoder name="own"><parent>own</parent><prematch>v</prematch></decoder>"#,
        );
        set.add_decoder_text(
            "decoders/b.xml",
            br#"<decoder name="other"><parent>root</parent><prematch>u</prematch></decoder>"#,
        );
        let loaded: Vec<&str> = set.decoders.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(loaded, ["root", "child", "later", "other"]);
        let messages: Vec<String> = set.errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages[0].starts_with(
                "decoders/a.xml:3: decoder grandchild: parent decoder \"child\" not found"
            ),
            "{messages:?}"
        );
        assert!(
            messages[1].contains("decoder early: parent decoder \"later\""),
            "{messages:?}"
        );
        assert!(
            messages[2].contains("decoder own: parent decoder \"own\""),
            "{messages:?}"
        );
    }

    #[test]
    fn many_rules_load_once_each() {
        let rules: Vec<String> = (100_000..120_000).map(|id| rule(id, "", "x")).collect();
        let mut set = Ruleset::default();
        set.add_rule_text("many.xml", &group(&rules));
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        assert_eq!(set.rules.len(), 20_000);
        assert!(set.warnings.is_empty());
    }
}

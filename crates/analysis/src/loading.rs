//! Sources of rules and decoders: the built-in ruleset embedded in the binary, and files or a
//! Wazuh-layout ruleset folder (`rules/`, `decoders/`, `lists/`) read from disk.

use std::path::{Path, PathBuf};

use dnstel_ruleset::{Decoder, LoadOptions, Rule, Ruleset};

use crate::decoding::DecoderSet;

/// Rule files of the built-in ruleset, embedded in the binary.
pub const BUILTIN_RULE_FILES: [(&str, &str); 2] = [
    (
        "0010-category-roots.xml",
        include_str!("../../../rules/0010-category-roots.xml"),
    ),
    (
        "200300-packetbeat_rules.xml",
        include_str!("../../../rules/200300-packetbeat_rules.xml"),
    ),
];

/// Why a ruleset could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadFailure {
    /// A folder could not be read.
    #[error("failed to read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Rule, decoder or list files have errors; each names its file and line.
    #[error("{count} error(s) in rule, decoder or list files:\n{details}")]
    Invalid {
        /// Number of errors.
        count: usize,
        /// One error per line.
        details: String,
    },
}

/// Rules and decoders in load order, with the problems Wazuh only warns about.
#[derive(Debug, Default)]
pub struct LoadedRuleset {
    /// Rules in load order.
    pub rules: Vec<Rule>,
    /// Decoders in load order.
    pub decoders: Vec<Decoder>,
    /// Problems that made a file, rule or decoder be skipped.
    pub errors: Vec<String>,
    /// Non-fatal problems (duplicate rule ids).
    pub warnings: Vec<String>,
}

impl LoadedRuleset {
    /// Turns collected errors into a [`LoadFailure`].
    pub fn into_strict(self) -> Result<LoadedRuleset, LoadFailure> {
        if self.errors.is_empty() {
            return Ok(self);
        }
        Err(LoadFailure::Invalid {
            count: self.errors.len(),
            details: self.errors.join("\n"),
        })
    }
}

/// What to load: a Wazuh-layout folder or the built-in ruleset, then extra files.
#[derive(Debug, Clone, Default)]
pub struct RulesetRequest {
    /// Ruleset folder (`rules/`, `decoders/`, `lists/`); `None` for the built-in ruleset.
    pub dir: Option<PathBuf>,
    /// Extra rule files or folders, loaded after the others.
    pub extra_rules: Vec<PathBuf>,
    /// Extra decoder files or folders, loaded after the others.
    pub extra_decoders: Vec<PathBuf>,
    /// Extra lists as (the path rules name them by, the text file), loaded before the rules.
    pub extra_lists: Vec<(String, PathBuf)>,
}

/// Loads rules and decoders. With a folder, Wazuh's order applies (decoders, lists, rules,
/// each sorted by file name, extra files after). Without a folder, the built-in ruleset
/// loads; when extra rule files are given only its category root rules and JSON decoder
/// load under them, so a rule without `if_sid` works alone. An extra file's rule with the
/// id of a built-in rule replaces it without a duplicate warning.
pub fn load(request: &RulesetRequest) -> Result<LoadedRuleset, LoadFailure> {
    let set = match &request.dir {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(LoadFailure::Io {
                    path: dir.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
                });
            }
            let options = LoadOptions {
                extra_rules: request.extra_rules.clone(),
                extra_decoders: request.extra_decoders.clone(),
                extra_lists: request.extra_lists.clone(),
                ..LoadOptions::default()
            };
            Ruleset::load(dir, &options)
        }
        None => {
            let mut set = Ruleset::default();
            DecoderSet::ensure_json(&mut set.decoders);
            for path in expand_all(&request.extra_decoders)? {
                let text = read(&path)?;
                set.add_decoder_text(&path.display().to_string(), &text);
            }
            set.load_extra_lists(&request.extra_lists);
            let builtin_files = if request.extra_rules.is_empty() {
                &BUILTIN_RULE_FILES[..]
            } else {
                &BUILTIN_RULE_FILES[..1]
            };
            for (name, text) in builtin_files {
                set.add_fallback_rule_text(name, text.as_bytes());
            }
            for path in expand_all(&request.extra_rules)? {
                let text = read(&path)?;
                set.add_rule_text(&path.display().to_string(), &text);
            }
            set
        }
    };
    Ok(from_ruleset(set))
}

/// The built-in ruleset: category root rules 1-7, rule 200300 and the JSON decoder.
pub fn builtin() -> Result<LoadedRuleset, LoadFailure> {
    load(&RulesetRequest::default())?.into_strict()
}

fn from_ruleset(mut set: Ruleset) -> LoadedRuleset {
    DecoderSet::ensure_json(&mut set.decoders);
    LoadedRuleset {
        rules: set.rules,
        decoders: set.decoders,
        errors: set.errors.iter().map(ToString::to_string).collect(),
        warnings: set.warnings.iter().map(ToString::to_string).collect(),
    }
}

fn expand_all(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadFailure> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(sorted_xml_files(path)?);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn read(path: &Path) -> Result<Vec<u8>, LoadFailure> {
    std::fs::read(path).map_err(|source| LoadFailure::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Lists the `.xml` files of a folder sorted by file name.
pub fn sorted_xml_files(dir: &Path) -> Result<Vec<PathBuf>, LoadFailure> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadFailure::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "xml"))
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_ruleset_loads() {
        let loaded = builtin().unwrap();
        let ids: Vec<u32> = loaded.rules.iter().map(|rule| rule.id).collect();
        assert_eq!(ids, vec![1, 2, 3, 4, 5, 6, 7, 200300]);
        assert!(loaded.decoders.iter().any(|decoder| decoder.name == "json"));
    }

    #[test]
    fn extra_rules_replace_builtin_200300() {
        let request = RulesetRequest {
            extra_rules: vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/rules")],
            ..RulesetRequest::default()
        };
        let loaded = load(&request).unwrap().into_strict().unwrap();
        let ids: Vec<u32> = loaded.rules.iter().map(|rule| rule.id).collect();
        assert!(!ids.contains(&200300));
        assert!(ids.contains(&1));
        assert!(ids.contains(&900001));
    }
}

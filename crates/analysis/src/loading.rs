//! Sources of rules and decoders: the built-in ruleset embedded in the binary, and files or a
//! Wazuh-layout ruleset folder (`rules/`, `decoders/`, `lists/`) read from disk.

use std::path::{Path, PathBuf};

use dnstel_ruleset::matcher::{FieldMatch, MatchKind, Pattern};
use dnstel_ruleset::rule::DynamicFieldMatch;
use dnstel_ruleset::{Category, Decoder, MitreRefs, Rule, RuleOptions};

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
    /// A folder or file could not be read.
    #[error("failed to read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// XML rule and decoder files cannot be parsed yet.
    #[error(
        "cannot load {path}: reading rule and decoder XML files is not available in this build"
    )]
    XmlUnavailable {
        /// The file.
        path: PathBuf,
    },
}

/// Rules and decoders in load order.
#[derive(Debug, Default)]
pub struct LoadedRuleset {
    /// Rules in load order.
    pub rules: Vec<Rule>,
    /// Decoders in load order.
    pub decoders: Vec<Decoder>,
    /// Non-fatal problems.
    pub warnings: Vec<String>,
}

/// The built-in ruleset: category root rules 1-7, rule 200300 and the JSON decoder.
pub fn builtin() -> LoadedRuleset {
    let mut loaded = LoadedRuleset {
        rules: builtin_roots(),
        ..LoadedRuleset::default()
    };
    loaded.rules.push(builtin_200300());
    DecoderSet::ensure_json(&mut loaded.decoders);
    loaded
}

/// The built-in category root rules and the JSON decoder, the base that `--rules` files load
/// on top of.
pub fn builtin_base() -> LoadedRuleset {
    let mut loaded = LoadedRuleset {
        rules: builtin_roots(),
        ..LoadedRuleset::default()
    };
    DecoderSet::ensure_json(&mut loaded.decoders);
    loaded
}

/// Loads a Wazuh-layout ruleset folder: every file of `rules/` and `decoders/` in basename
/// order.
pub fn load_ruleset_dir(dir: &Path) -> Result<LoadedRuleset, LoadFailure> {
    let mut loaded = LoadedRuleset::default();
    for file in sorted_xml_files(&dir.join("decoders"))? {
        load_decoder_file(&mut loaded, &file)?;
    }
    for file in sorted_xml_files(&dir.join("rules"))? {
        load_rule_file(&mut loaded, &file)?;
    }
    Ok(loaded)
}

/// Adds the rules of one file.
pub fn load_rule_file(_loaded: &mut LoadedRuleset, path: &Path) -> Result<(), LoadFailure> {
    // TODO: call the ruleset crate's rule file loader once it is available.
    Err(LoadFailure::XmlUnavailable {
        path: path.to_path_buf(),
    })
}

/// Adds the decoders of one file.
pub fn load_decoder_file(_loaded: &mut LoadedRuleset, path: &Path) -> Result<(), LoadFailure> {
    // TODO: call the ruleset crate's decoder file loader once it is available.
    Err(LoadFailure::XmlUnavailable {
        path: path.to_path_buf(),
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

// NOTE: until the ruleset crate loads XML, the built-in rules are built here with the same
// content as the embedded files in BUILTIN_RULE_FILES.
fn builtin_roots() -> Vec<Rule> {
    let roots = [
        (1, Category::Syslog, "syslog,"),
        (2, Category::Firewall, "firewall,"),
        (3, Category::Ids, "ids,"),
        (4, Category::WebLog, "web-log,"),
        (5, Category::Squid, "squid,"),
        (6, Category::Windows, "windows,"),
        (7, Category::Ossec, "ossec,"),
    ];
    roots
        .into_iter()
        .map(|(id, category, group)| Rule {
            id,
            level: 0,
            noalert: true,
            category: Some(category),
            description: format!("Root of the {} category.", group.trim_end_matches(',')),
            group_string: group.to_string(),
            groups: vec![group.trim_end_matches(',').to_string()],
            ..Rule::default()
        })
        .collect()
}

fn builtin_200300() -> Rule {
    let method = Pattern::compile(MatchKind::OsRegex, "QUERY")
        .expect("the built-in pattern QUERY is valid OS_Regex");
    Rule {
        id: 200300,
        level: 3,
        decoded_as: Some("json".to_string()),
        fields: vec![DynamicFieldMatch {
            name: "method".to_string(),
            matcher: FieldMatch {
                pattern: method,
                negate: false,
            },
        }],
        mitre: MitreRefs {
            ids: vec!["T1071".to_string()],
            ..MitreRefs::default()
        },
        description: "Linux: DNS Query".to_string(),
        options: RuleOptions {
            no_full_log: true,
            ..RuleOptions::default()
        },
        group_string: "linux,packetbeat,dns".to_string(),
        groups: vec!["linux".into(), "packetbeat".into(), "dns".into()],
        ..Rule::default()
    }
}

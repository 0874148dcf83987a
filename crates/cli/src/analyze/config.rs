//! The analyzer's configuration file: Wazuh `ossec.conf` blocks.
//!
//! A file may hold an `<ossec_config>` root or the blocks themselves at top level (so a bare
//! `<localfile>` block, as an agent's snippet, works). Read blocks: `<localfile>`, `<ruleset>`,
//! `<labels>`, `<global>`, `<alerts>`. Options Wazuh knows that dnstel does not apply are
//! returned in `not_applied`; an unknown element inside a read block is an error with its line.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use dnstel_logcollector::LocalFile;
use dnstel_ruleset::xml::{parse_document, Element};

/// What an analyzer configuration file sets.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AnalyzeConfig {
    /// `<localfile>` entries with `log_format` json.
    pub local_files: Vec<LocalFile>,
    /// `<ruleset><ruleset_dir>`: a Wazuh-layout folder (rules/, decoders/, lists/).
    pub ruleset_dir: Option<PathBuf>,
    /// `<rule_dir>` and `<rule_include>`: rule files or folders loaded after the ruleset.
    pub rules: Vec<PathBuf>,
    /// `<decoder_dir>` and `<decoder_include>`: decoder files or folders.
    pub decoders: Vec<PathBuf>,
    /// `<list>`: CDB lists as (the path rules name them by, the text file to read).
    pub lists: Vec<(String, PathBuf)>,
    /// `<labels>`: added to every alert's `agent.labels`.
    pub labels: Vec<(String, String)>,
    /// `<alerts><log_alert_level>`.
    pub log_alert_level: Option<u8>,
    /// `<alerts><email_alert_level>`.
    pub email_alert_level: Option<u8>,
    /// `<global><jsonout_output>`: write alerts.json (default yes).
    pub json_output: Option<bool>,
    /// `<global><alerts_log>`: write alerts.log (default yes).
    pub alerts_log: Option<bool>,
    /// Options present in the file that dnstel accepts but does not apply, as `block.option`.
    pub not_applied: Vec<String>,
}

/// Loads an analyzer configuration file.
///
/// Relative paths resolve as Wazuh resolves them against its installation folder: when the
/// file sits in a folder named `etc` (Wazuh's `/var/ossec/etc/ossec.conf`), against that
/// folder's parent, and otherwise against the file's own folder.
///
/// # Errors
/// Returns an error naming the file and line for invalid XML, an unknown element, an invalid
/// value, or a `log_format` other than json.
pub fn load(path: &Path) -> anyhow::Result<AnalyzeConfig> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let roots = parse_document(&bytes)
        .map_err(|error| anyhow::anyhow!("{}:{}: {}", path.display(), error.line, error.message))?;
    let base = installation_folder(path);
    let mut reader = ConfigReader {
        file: path.display().to_string(),
        base,
        config: AnalyzeConfig::default(),
    };
    for root in &roots {
        if root.name == "ossec_config" {
            for block in &root.children {
                reader.read_block(block)?;
            }
        } else {
            reader.read_block(root)?;
        }
    }
    Ok(reader.config)
}

/// Returns the folder relative paths in the configuration file at `path` resolve against.
fn installation_folder(path: &Path) -> PathBuf {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if folder.file_name().is_some_and(|name| name == "etc") {
        if let Some(root) = folder.parent().filter(|root| !root.as_os_str().is_empty()) {
            return root.to_owned();
        }
        return PathBuf::from(".");
    }
    folder.to_owned()
}

struct ConfigReader {
    file: String,
    base: PathBuf,
    config: AnalyzeConfig,
}

impl ConfigReader {
    fn read_block(&mut self, block: &Element) -> anyhow::Result<()> {
        match block.name.as_str() {
            "localfile" => self.read_localfile(block),
            "ruleset" => self.read_ruleset(block),
            "labels" => self.read_labels(block),
            "global" => self.read_global(block),
            "alerts" => self.read_alerts(block),
            other => {
                self.config.not_applied.push(other.to_owned());
                Ok(())
            }
        }
    }

    fn read_localfile(&mut self, block: &Element) -> anyhow::Result<()> {
        let mut local_file = LocalFile {
            location: String::new(),
            only_future_events: true,
            labels: Vec::new(),
        };
        let mut format = None;
        for option in &block.children {
            match option.name.as_str() {
                "location" => local_file.location = self.path(&option.text).display().to_string(),
                "log_format" => format = Some(option.text.trim().to_owned()),
                "only-future-events" => {
                    local_file.only_future_events = self.yes_no(option)?;
                }
                "label" => local_file.labels.push(self.label(option)?),
                "alias" | "target" | "out_format" | "frequency" | "age" | "exclude"
                | "ignore_binaries" | "ignore" | "restrict" | "reconnect_time" => {
                    self.config
                        .not_applied
                        .push(format!("localfile.{}", option.name));
                }
                other => bail!(self.unknown(option, "localfile", other)),
            }
        }
        if local_file.location.is_empty() {
            bail!(
                "{}:{}: <localfile> has no <location>",
                self.file,
                block.line
            );
        }
        match format.as_deref() {
            Some("json") => {}
            Some(other) => bail!(
                "{}:{}: log_format {other:?} is not supported; dnstel reads json event files",
                self.file,
                block.line
            ),
            None => bail!(
                "{}:{}: <localfile> has no <log_format>",
                self.file,
                block.line
            ),
        }
        self.config.local_files.push(local_file);
        Ok(())
    }

    fn read_ruleset(&mut self, block: &Element) -> anyhow::Result<()> {
        for option in &block.children {
            let path = self.path(&option.text);
            match option.name.as_str() {
                "ruleset_dir" => self.config.ruleset_dir = Some(path),
                "rule_dir" | "rule_include" => self.config.rules.push(path),
                "decoder_dir" | "decoder_include" => self.config.decoders.push(path),
                "list" => {
                    let name = option.text.trim().to_owned();
                    self.config.lists.push((name, path));
                }
                "rule_exclude" | "decoder_exclude" => {
                    self.config
                        .not_applied
                        .push(format!("ruleset.{}", option.name));
                }
                other => bail!(self.unknown(option, "ruleset", other)),
            }
        }
        Ok(())
    }

    fn read_labels(&mut self, block: &Element) -> anyhow::Result<()> {
        for option in &block.children {
            if option.name != "label" {
                bail!(self.unknown(option, "labels", &option.name));
            }
            let (key, value) = self.label(option)?;
            crate::labels::check_one(&key, &value)
                .map_err(|error| anyhow::anyhow!("{}:{}: {error}", self.file, option.line))?;
            if value.is_empty() {
                tracing::warn!(file = %self.file, line = option.line, key, "label is empty");
            }
            if self.hidden(option)? {
                // Wazuh leaves hidden labels out of alerts unless an internal option enables
                // them. dnstel has no such option, so they are never written.
                continue;
            }
            crate::labels::check_clash_with(&self.config.labels, &key)
                .map_err(|error| anyhow::anyhow!("{}:{}: {error}", self.file, option.line))?;
            self.config.labels.push((key, value));
        }
        Ok(())
    }

    /// Reads a `<labels><label>`'s `hidden` attribute: yes or no, and no when absent.
    fn hidden(&self, option: &Element) -> anyhow::Result<bool> {
        match option.attribute("hidden") {
            None | Some("no") => Ok(false),
            Some("yes") => Ok(true),
            Some(other) => bail!(
                "{}:{}: invalid <label> hidden value {other:?}; expected yes or no",
                self.file,
                option.line
            ),
        }
    }

    fn read_global(&mut self, block: &Element) -> anyhow::Result<()> {
        for option in &block.children {
            match option.name.as_str() {
                "jsonout_output" => self.config.json_output = Some(self.yes_no(option)?),
                "alerts_log" => self.config.alerts_log = Some(self.yes_no(option)?),
                other => self.config.not_applied.push(format!("global.{other}")),
            }
        }
        Ok(())
    }

    fn read_alerts(&mut self, block: &Element) -> anyhow::Result<()> {
        for option in &block.children {
            match option.name.as_str() {
                "log_alert_level" => self.config.log_alert_level = Some(self.level(option)?),
                "email_alert_level" => self.config.email_alert_level = Some(self.level(option)?),
                other => self.config.not_applied.push(format!("alerts.{other}")),
            }
        }
        Ok(())
    }

    fn path(&self, text: &str) -> PathBuf {
        let path = Path::new(text.trim());
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.base.join(path)
        }
    }

    fn yes_no(&self, option: &Element) -> anyhow::Result<bool> {
        match option.text.trim() {
            "yes" => Ok(true),
            "no" => Ok(false),
            other => bail!(
                "{}:{}: invalid <{}> value {other:?}; expected yes or no",
                self.file,
                option.line,
                option.name
            ),
        }
    }

    fn level(&self, option: &Element) -> anyhow::Result<u8> {
        let text = option.text.trim();
        match text.parse::<u8>() {
            Ok(level) if level <= 16 => Ok(level),
            _ => bail!(
                "{}:{}: invalid <{}> value {text:?}; expected a level from 0 to 16",
                self.file,
                option.line,
                option.name
            ),
        }
    }

    fn label(&self, option: &Element) -> anyhow::Result<(String, String)> {
        let Some(key) = option.attribute("key") else {
            bail!(
                "{}:{}: <label> has no key attribute",
                self.file,
                option.line
            );
        };
        if key.is_empty() {
            bail!("{}:{}: <label> with an empty key", self.file, option.line);
        }
        Ok((key.to_owned(), option.text.clone()))
    }

    fn unknown(&self, option: &Element, block: &str, name: &str) -> anyhow::Error {
        anyhow::anyhow!(
            "{}:{}: unknown option <{name}> in <{block}>",
            self.file,
            option.line
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> anyhow::Result<AnalyzeConfig> {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("ossec.conf");
        std::fs::write(&path, text).expect("write config");
        load(&path)
    }

    #[test]
    fn bare_localfile_block_loads() {
        let config = load_text(
            "<localfile>\n  <log_format>json</log_format>\n  <location>/var/log/packetbeat</location>\n</localfile>\n",
        )
        .expect("valid config");
        assert_eq!(config.local_files.len(), 1);
        assert_eq!(config.local_files[0].location, "/var/log/packetbeat");
        assert!(config.local_files[0].only_future_events);
    }

    #[test]
    fn ossec_config_blocks_load() {
        let config = load_text(
            "<ossec_config>\n<global><jsonout_output>yes</jsonout_output><email_notification>no</email_notification></global>\n\
             <alerts><log_alert_level>5</log_alert_level></alerts>\n\
             <labels><label key=\"site\">lab</label></labels>\n\
             <localfile><log_format>json</log_format><location>events</location>\
             <only-future-events>no</only-future-events><label key=\"env\">prod</label></localfile>\n\
             <ruleset><rule_dir>rules</rule_dir><list>etc/lists/x</list></ruleset>\n\
             <remote><port>1514</port></remote>\n</ossec_config>\n",
        )
        .expect("valid config");
        assert_eq!(config.log_alert_level, Some(5));
        assert_eq!(config.json_output, Some(true));
        assert_eq!(config.labels, vec![("site".to_owned(), "lab".to_owned())]);
        assert!(!config.local_files[0].only_future_events);
        assert!(config.local_files[0].location.ends_with("/events"));
        assert_eq!(config.local_files[0].labels.len(), 1);
        assert!(config.rules[0].ends_with("rules"));
        assert_eq!(config.lists.len(), 1);
        assert_eq!(config.lists[0].0, "etc/lists/x");
        assert!(config.lists[0].1.ends_with("etc/lists/x"));
        assert_eq!(
            config.not_applied,
            vec!["global.email_notification", "remote"]
        );
    }

    #[test]
    fn hidden_labels_stay_out_of_alerts() {
        let config = load_text(
            "<labels>\n<label key=\"site\">lab</label>\n<label key=\"token\" hidden=\"yes\">s3cret</label>\n\
             <label key=\"env\" hidden=\"no\">prod</label>\n</labels>\n",
        )
        .expect("valid labels");
        assert_eq!(
            config.labels,
            vec![
                ("site".to_owned(), "lab".to_owned()),
                ("env".to_owned(), "prod".to_owned())
            ]
        );
    }

    #[test]
    fn invalid_labels_name_file_and_line() {
        let cases = [
            ("<label key=\"\">x</label>", "empty key"),
            (
                "<label key=\"a\" hidden=\"maybe\">x</label>",
                "hidden value \"maybe\"",
            ),
            (
                "<label key=\"a\">x\n** Alert 1.1: - forged</label>",
                "line break",
            ),
            ("<label key=\"a..b\">x</label>", "empty part"),
            (
                "<label key=\"a\">x</label><label key=\"a.b\">y</label>",
                "clash",
            ),
        ];
        for (labels, expected) in cases {
            let error = load_text(&format!("<labels>\n{labels}\n</labels>\n")).expect_err(labels);
            let text = error.to_string();
            assert!(text.contains("ossec.conf:2: "), "{labels}: {text}");
            assert!(text.contains(expected), "{labels}: {text}");
        }
        let localfile = load_text(
            "<localfile><log_format>json</log_format><location>x</location>\
             <label key=\"\">v</label></localfile>",
        )
        .expect_err("empty localfile label key");
        assert!(localfile.to_string().contains("empty key"), "{localfile}");
    }

    #[test]
    fn wazuh_layout_paths_resolve_from_root() {
        assert_eq!(
            installation_folder(Path::new("/var/ossec/etc/ossec.conf")),
            PathBuf::from("/var/ossec")
        );
        assert_eq!(
            installation_folder(Path::new("etc/ossec.conf")),
            PathBuf::from(".")
        );
        assert_eq!(
            installation_folder(Path::new("/srv/dnstel/analyze.conf")),
            PathBuf::from("/srv/dnstel")
        );
        assert_eq!(
            installation_folder(Path::new("ossec.conf")),
            PathBuf::from(".")
        );
    }

    #[test]
    fn invalid_configs_name_file_and_line() {
        let unknown = load_text(
            "<localfile>\n<log_format>json</log_format>\n<locaton>x</locaton>\n</localfile>",
        )
        .expect_err("typo must fail");
        assert!(
            unknown.to_string().contains(":3: unknown option <locaton>"),
            "{unknown}"
        );
        let format = load_text(
            "<localfile><log_format>syslog</log_format><location>x</location></localfile>",
        )
        .expect_err("syslog must fail");
        assert!(format
            .to_string()
            .contains("log_format \"syslog\" is not supported"));
        let level = load_text("<alerts><log_alert_level>99</log_alert_level></alerts>")
            .expect_err("level must fail");
        assert!(level.to_string().contains("expected a level from 0 to 16"));
        let broken = load_text("<localfile><log_format>json</localfile>").expect_err("bad XML");
        assert!(broken.to_string().contains("ossec.conf:1:"), "{broken}");
    }
}

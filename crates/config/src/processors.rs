//! `processors` lists, global or per protocol.
//!
//! Each list entry is a map with exactly one processor name, or an `if`/`then`/`else` entry.
//! dnstel implements `add_host_metadata`, `add_cloud_metadata`, `add_docker_metadata`,
//! `drop_fields` and `if`/`then`/`else`. Other Beats 7.17 processors are recorded in
//! `not_applied` and left out of the returned list.

use std::time::Duration;

use crate::reader::{self, Context, Section};
use crate::tree::{join, Value, ValueKind};
use crate::{
    condition, AddCloudMetadataConfig, AddDockerMetadataConfig, AddHostMetadataConfig, ConfigError,
    DropFieldsConfig, ProcessorConfig,
};

const IMPLEMENTED: [&str; 4] = [
    "add_host_metadata",
    "add_cloud_metadata",
    "add_docker_metadata",
    "drop_fields",
];

/// Beats 7.17 processors that dnstel does not implement.
const UNIMPLEMENTED: [&str; 39] = [
    "add_cloudfoundry_metadata",
    "add_fields",
    "add_formatted_index",
    "add_id",
    "add_kubernetes_metadata",
    "add_labels",
    "add_locale",
    "add_network_direction",
    "add_nomad_metadata",
    "add_observer_metadata",
    "add_process_metadata",
    "add_tags",
    "community_id",
    "convert",
    "copy_fields",
    "decode_base64_field",
    "decode_cef",
    "decode_csv_fields",
    "decode_json_fields",
    "decode_xml",
    "decode_xml_wineventlog",
    "decompress_gzip_field",
    "detect_mime_type",
    "dissect",
    "dns",
    "drop_event",
    "extract_array",
    "fingerprint",
    "include_fields",
    "rate_limit",
    "registered_domain",
    "rename",
    "replace",
    "script",
    "syslog",
    "timestamp",
    "translate_sid",
    "truncate_fields",
    "urldecode",
];

/// Reads a `processors` list; null is an empty list.
pub(crate) fn read_list(
    value: &Value,
    path: &str,
    cx: &mut Context,
) -> Result<Vec<ProcessorConfig>, ConfigError> {
    if value.is_null() {
        return Ok(Vec::new());
    }
    let ValueKind::Seq(items) = &value.kind else {
        return Err(cx.invalid(path, value, "a list of processors"));
    };
    let mut processors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let item_path = join(path, &index.to_string());
        if let Some(processor) = read_entry(item, &item_path, cx)? {
            processors.push(processor);
        }
    }
    Ok(processors)
}

fn read_entry(
    item: &Value,
    path: &str,
    cx: &mut Context,
) -> Result<Option<ProcessorConfig>, ConfigError> {
    let mut section = Section::new(item, path, cx)?;
    let keys = section.keys();
    if keys.contains(&"if") {
        return read_if(section, cx).map(Some);
    }
    let [name] = keys.as_slice() else {
        return Err(ConfigError::Conflict {
            message: format!(
                "processor {path} must have exactly one name, found {}: {}",
                keys.len(),
                keys.join(", ")
            ),
            file: cx.file.to_owned(),
            line: item.line,
        });
    };
    let name = *name;
    let key = join(path, name);
    let line = section.key_line(name).unwrap_or(item.line);
    let Some(value) = take_named(&mut section, name) else {
        if UNIMPLEMENTED.contains(&name) {
            cx.not_applied.push(key);
            return Ok(None);
        }
        let candidates = IMPLEMENTED.iter().chain(UNIMPLEMENTED.iter()).copied();
        let hint = reader::closest(name, candidates).map(|k| format!("did you mean {k}?"));
        return Err(cx.unknown(key, line, hint));
    };
    let options = Section::new(value, &key, cx)?;
    let processor = match name {
        "add_host_metadata" => ProcessorConfig::AddHostMetadata(read_host(options, cx)?),
        "add_cloud_metadata" => ProcessorConfig::AddCloudMetadata(read_cloud(options, cx)?),
        "add_docker_metadata" => ProcessorConfig::AddDockerMetadata(read_docker(options, cx)?),
        _ => ProcessorConfig::DropFields(read_drop_fields(options, cx)?),
    };
    Ok(Some(processor))
}

/// Returns the options of an implemented processor, or `None` for any other name.
fn take_named<'v>(section: &mut Section<'v>, name: &str) -> Option<&'v Value> {
    let known = IMPLEMENTED.iter().find(|k| **k == name)?;
    section.take_raw(known)
}

fn read_if(mut section: Section<'_>, cx: &mut Context) -> Result<ProcessorConfig, ConfigError> {
    let condition_value = section
        .take_raw("if")
        .expect("caller checked that `if` is present");
    let condition = condition::read(condition_value, &section.key_path("if"), cx)?;
    let then = match section.take_raw("then") {
        Some(value) => read_list(value, &section.key_path("then"), cx)?,
        None => {
            return Err(ConfigError::MissingKey {
                key: section.key_path("then"),
                file: cx.file.to_owned(),
                line: section.line(),
            })
        }
    };
    let otherwise = match section.take_raw("else") {
        Some(value) => read_list(value, &section.key_path("else"), cx)?,
        None => Vec::new(),
    };
    section.finish(&[], cx)?;
    Ok(ProcessorConfig::IfThenElse {
        condition,
        then,
        otherwise,
    })
}

fn read_when(
    section: &mut Section<'_>,
    cx: &mut Context,
) -> Result<Option<crate::Condition>, ConfigError> {
    match section.take("when") {
        Some(value) => condition::read(value, &section.key_path("when"), cx).map(Some),
        None => Ok(None),
    }
}

fn read_host(
    mut section: Section<'_>,
    cx: &mut Context,
) -> Result<AddHostMetadataConfig, ConfigError> {
    let mut netinfo = section.section("netinfo", cx)?;
    let netinfo_enabled = netinfo.bool("enabled", cx)?.unwrap_or(true);
    netinfo.finish(&[], cx)?;
    let mut cache = section.section("cache", cx)?;
    let cache_ttl = cache
        .duration("ttl", cx)?
        .unwrap_or(Duration::from_secs(300));
    cache.finish(&[], cx)?;
    let config = AddHostMetadataConfig {
        netinfo_enabled,
        cache_ttl,
        replace_fields: section.bool("replace_fields", cx)?.unwrap_or(true),
        name: section.string("name", cx)?,
        when: read_when(&mut section, cx)?,
    };
    section.finish(&["geo"], cx)?;
    Ok(config)
}

fn read_cloud(
    mut section: Section<'_>,
    cx: &mut Context,
) -> Result<AddCloudMetadataConfig, ConfigError> {
    let config = AddCloudMetadataConfig {
        timeout: section
            .duration("timeout", cx)?
            .unwrap_or(Duration::from_secs(3)),
        providers: section.strings("providers", cx)?.unwrap_or_default(),
        overwrite: section.bool("overwrite", cx)?.unwrap_or(false),
        when: read_when(&mut section, cx)?,
    };
    section.finish(&["ssl"], cx)?;
    Ok(config)
}

fn read_docker(
    mut section: Section<'_>,
    cx: &mut Context,
) -> Result<AddDockerMetadataConfig, ConfigError> {
    let default_pids = vec!["process.pid".to_owned(), "process.ppid".to_owned()];
    let config = AddDockerMetadataConfig {
        host: section
            .string("host", cx)?
            .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned()),
        match_fields: section.strings("match_fields", cx)?.unwrap_or_default(),
        match_pids: section.strings("match_pids", cx)?.unwrap_or(default_pids),
        match_source: section.bool("match_source", cx)?.unwrap_or(true),
        when: read_when(&mut section, cx)?,
    };
    let unimplemented = [
        "match_short_id",
        "match_source_index",
        "cleanup_timeout",
        "ssl",
        "labels",
    ];
    section.finish(&unimplemented, cx)?;
    Ok(config)
}

fn read_drop_fields(
    mut section: Section<'_>,
    cx: &mut Context,
) -> Result<DropFieldsConfig, ConfigError> {
    let Some(fields) = section.strings("fields", cx)? else {
        return Err(ConfigError::MissingKey {
            key: section.key_path("fields"),
            file: cx.file.to_owned(),
            line: section.line(),
        });
    };
    let config = DropFieldsConfig {
        fields,
        ignore_missing: section.bool("ignore_missing", cx)?.unwrap_or(false),
        when: read_when(&mut section, cx)?,
    };
    section.finish(&[], cx)?;
    Ok(config)
}

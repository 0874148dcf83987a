//! `output.*`: the file and console outputs. Other Beats outputs are recorded as not applied.

use crate::reader::{Context, Section};
use crate::{ConfigError, ConsoleOutputConfig, FileOutputConfig, JsonCodecConfig, OutputConfig};

/// Beats 7.17 outputs that dnstel does not implement.
const UNIMPLEMENTED_OUTPUTS: [&str; 4] = ["elasticsearch", "logstash", "kafka", "redis"];

/// Reads the `output` section and returns the enabled implemented output.
pub(crate) fn read(
    mut section: Section<'_>,
    cx: &mut Context,
) -> Result<OutputConfig, ConfigError> {
    let file_line = section.key_line("file");
    let console_line = section.key_line("console");
    let file_present = section.take_raw("file").is_some_and(|v| !v.is_null());
    let console_present = section.take_raw("console").is_some_and(|v| !v.is_null());
    let file = section.section("file", cx)?;
    let file = read_file(file, file_present, cx)?;
    let console = section.section("console", cx)?;
    let console = read_console(console, console_present, cx)?;
    section.finish(&UNIMPLEMENTED_OUTPUTS, cx)?;
    match (file, console) {
        (Some(_), Some(_)) => Err(ConfigError::Conflict {
            message: "output.file and output.console are both enabled; Packetbeat allows one \
                      output, so set enabled: false on one of them"
                .to_owned(),
            file: cx.file.to_owned(),
            line: file_line.max(console_line).unwrap_or(1),
        }),
        (Some(file), None) => Ok(OutputConfig::File(file)),
        (None, Some(console)) => Ok(OutputConfig::Console(console)),
        (None, None) => Ok(OutputConfig::None),
    }
}

/// Reads `output.file`; returns `None` when it is absent or disabled.
fn read_file(
    mut section: Section<'_>,
    present: bool,
    cx: &mut Context,
) -> Result<Option<FileOutputConfig>, ConfigError> {
    let enabled = section.bool("enabled", cx)?.unwrap_or(true);
    let path = section.path_buf("path", cx)?;
    let filename = section
        .string("filename", cx)?
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| "packetbeat".to_owned());
    if filename.contains('/') || filename == "." || filename == ".." {
        return Err(ConfigError::InvalidValue {
            key: section.key_path("filename"),
            file: cx.file.to_owned(),
            line: section.key_line("filename").unwrap_or(section.line()),
            value: filename,
            expected: "a file name without a slash".to_owned(),
        });
    }

    let rotate_every_kb = section.int("rotate_every_kb", 1, i64::MAX / 1024, cx)?;
    let number_of_files = section.int("number_of_files", 2, 1024, cx)?;
    let permissions = read_permissions(&mut section, cx)?;
    let rotate_on_startup = section.bool("rotate_on_startup", cx)?.unwrap_or(true);
    let codec = read_codec(&mut section, cx)?;
    let path_line = section.line();
    let path_key = section.key_path("path");
    section.finish(&["suffix", "queue"], cx)?;

    if !present || !enabled {
        return Ok(None);
    }
    let Some(path) = path.filter(|p| !p.as_os_str().is_empty()) else {
        return Err(ConfigError::MissingKey {
            key: path_key,
            file: cx.file.to_owned(),
            line: path_line,
        });
    };

    Ok(Some(FileOutputConfig {
        path,
        filename,
        rotate_every_kb: rotate_every_kb.map_or(10 * 1024, |kb| {
            u64::try_from(kb).expect("range checked to be positive")
        }),
        number_of_files: number_of_files
            .map_or(7, |n| u32::try_from(n).expect("range checked to 2..=1024")),
        permissions,
        rotate_on_startup,
        codec,
    }))
}

/// Reads `permissions`: an octal integer such as `0600` (YAML 1.1 reads a leading 0 as octal),
/// `0o600`, or the same as a quoted string.
fn read_permissions(section: &mut Section<'_>, cx: &Context) -> Result<u32, ConfigError> {
    let Some(value) = section.take("permissions") else {
        return Ok(0o600);
    };
    let key = section.key_path("permissions");
    let expected = "file permissions in octal from 0000 to 0777, such as 0600";
    let crate::tree::ValueKind::Scalar { text, .. } = &value.kind else {
        return Err(cx.invalid(&key, value, expected));
    };
    match crate::scalar::parse_int(text) {
        Some(mode) if (0..=0o777).contains(&mode) => {
            Ok(u32::try_from(mode).expect("range checked to 0..=0o777"))
        }
        _ => Err(cx.invalid(&key, value, expected)),
    }
}

/// Reads `codec.json`; `codec.format` is recorded as not applied.
fn read_codec(section: &mut Section<'_>, cx: &mut Context) -> Result<JsonCodecConfig, ConfigError> {
    let mut codec = section.section("codec", cx)?;
    let mut json = codec.section("json", cx)?;
    let config = JsonCodecConfig {
        pretty: json.bool("pretty", cx)?.unwrap_or(false),
        escape_html: json.bool("escape_html", cx)?.unwrap_or(false),
    };
    json.finish(&["local_time"], cx)?;
    codec.finish(&["format"], cx)?;
    Ok(config)
}

/// Reads `output.console`; returns `None` when it is absent or disabled.
fn read_console(
    mut section: Section<'_>,
    present: bool,
    cx: &mut Context,
) -> Result<Option<ConsoleOutputConfig>, ConfigError> {
    let enabled = section.bool("enabled", cx)?.unwrap_or(true);
    let codec = read_codec(&mut section, cx)?;
    section.finish(&["bulk_max_size", "queue"], cx)?;
    if !present || !enabled {
        return Ok(None);
    }
    Ok(Some(ConsoleOutputConfig { codec }))
}

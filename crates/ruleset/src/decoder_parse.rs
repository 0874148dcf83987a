//! Builds [`Decoder`]s from the parsed elements of one decoder file.

use crate::decoder::{
    Decoder, DecoderOffset, JsonArrayStructure, JsonNullField, PluginDecoder, PluginKind,
};
use crate::error::{truncate_for_message, LoadError, LoadErrorKind, SourceLocation};
use crate::matcher::{FieldMatch, MatchKind, Pattern};
use crate::rule::Category;
use crate::xml::Element;

type Result<T> = std::result::Result<T, LoadErrorKind>;

/// Reads every `<decoder>` root of a file. Decoders with errors are skipped
/// and their errors appended to `errors`.
pub fn decoders_from_roots(
    file: &str,
    roots: &[Element],
    errors: &mut Vec<LoadError>,
) -> Vec<Decoder> {
    let mut decoders = Vec::new();
    for root in roots {
        let mut location = SourceLocation {
            file: file.to_owned(),
            line: root.line,
        };
        let name = root.attribute("name").map(str::to_owned);
        if !root.name.eq_ignore_ascii_case("decoder") {
            errors.push(LoadError {
                location,
                rule_id: None,
                decoder: None,
                kind: LoadErrorKind::UnknownOption(root.name.clone()),
            });
            continue;
        }
        match build(root, location.clone()) {
            Ok(decoder) => decoders.push(decoder),
            Err((line, kind)) => {
                location.line = line;
                errors.push(LoadError {
                    location,
                    rule_id: None,
                    decoder: name,
                    kind,
                });
            }
        }
    }
    decoders
}

fn build(
    element: &Element,
    source: SourceLocation,
) -> std::result::Result<Decoder, (u32, LoadErrorKind)> {
    let name = element.attribute("name").ok_or((
        element.line,
        LoadErrorKind::Missing("decoder name attribute".into()),
    ))?;
    let mut decoder = Decoder {
        name: name.to_owned(),
        status: element.attribute("status").map(str::to_owned),
        source,
        ..Decoder::default()
    };
    for option in &element.children {
        apply_option(&mut decoder, option).map_err(|kind| (option.line, kind))?;
    }
    if decoder.plugin.is_some() && (decoder.regex.is_some() || !decoder.order.is_empty()) {
        return Err((
            element.line,
            invalid(
                "plugin_decoder",
                name,
                "a plugin decoder cannot have regex or order",
            ),
        ));
    }
    Ok(decoder)
}

fn apply_option(decoder: &mut Decoder, option: &Element) -> Result<()> {
    let text = option.text.as_str();
    match option.name.to_ascii_lowercase().as_str() {
        "parent" => decoder.parent = Some(text.to_owned()),
        "program_name" => {
            decoder.program_name = Some(field_match(option, MatchKind::OsMatch, false)?)
        }
        "prematch" => {
            decoder.prematch = Some(field_match(option, MatchKind::OsRegex, false)?);
            decoder.prematch_offset = offset(option)?;
        }
        "regex" => {
            decoder.regex = Some(field_match(option, MatchKind::OsRegex, true)?);
            decoder.regex_offset = offset(option)?;
        }
        "order" => {
            decoder.order = text
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect()
        }
        "type" => {
            decoder.decoder_type = Category::parse(text)
                .ok_or_else(|| invalid("type", text, "unknown decoder type"))?
        }
        "fts" => decoder
            .fts
            .extend(text.split(',').map(|n| n.trim().to_owned())),
        "ftscomment" => decoder.ftscomment = Some(text.to_owned()),
        "accumulate" => decoder.accumulate = true,
        "use_own_name" => decoder.use_own_name = text.trim().eq_ignore_ascii_case("true"),
        "plugin_decoder" => {
            let kind = PluginKind::parse(text.trim())
                .ok_or_else(|| invalid("plugin_decoder", text, "unknown plugin"))?;
            decoder.plugin = Some(PluginDecoder {
                kind,
                offset: offset(option)?,
            });
        }
        "json_null_field" => {
            decoder.json_null_field = match text.trim() {
                "string" | "empty" => JsonNullField::String,
                "discard" => JsonNullField::Discard,
                _ => {
                    return Err(invalid(
                        "json_null_field",
                        text,
                        "expected string or discard",
                    ))
                }
            }
        }
        "json_array_structure" => {
            decoder.json_array_structure = match text.trim() {
                "array" => JsonArrayStructure::Array,
                "csv" => JsonArrayStructure::Csv,
                _ => {
                    return Err(invalid(
                        "json_array_structure",
                        text,
                        "expected array or csv",
                    ))
                }
            }
        }
        _ => return Err(LoadErrorKind::UnknownOption(option.name.clone())),
    }
    Ok(())
}

/// Compiles a decoder pattern. Wazuh records OS_Regex groups only for
/// `<regex>` (`captures`), not for `<prematch>` or `<program_name>`.
fn field_match(option: &Element, default: MatchKind, captures: bool) -> Result<FieldMatch> {
    let kind = match option.attribute("type") {
        Some(value) => MatchKind::from_attr(value)
            .ok_or_else(|| invalid("type", value, "expected osregex, osmatch or pcre2"))?,
        None => default,
    };
    let compiled = if captures {
        Pattern::compile_capturing(kind, &option.text)
    } else {
        Pattern::compile(kind, &option.text)
    };
    let pattern = compiled.map_err(|err| LoadErrorKind::Pattern {
        engine: kind.name(),
        pattern: truncate_for_message(&option.text),
        reason: err.reason,
    })?;
    Ok(FieldMatch {
        pattern,
        negate: false,
    })
}

fn offset(option: &Element) -> Result<DecoderOffset> {
    match option.attribute("offset") {
        Some(value) => DecoderOffset::parse(value).ok_or_else(|| {
            invalid(
                "offset",
                value,
                "expected after_parent, after_prematch or after_regex",
            )
        }),
        None => Ok(DecoderOffset::Start),
    }
}

fn invalid(what: &str, value: &str, reason: &str) -> LoadErrorKind {
    LoadErrorKind::InvalidValue {
        what: what.to_owned(),
        value: truncate_for_message(value),
        reason: reason.to_owned(),
    }
}

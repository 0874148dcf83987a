//! `name`, `tags`, `fields` and `fields_under_root`, global or per protocol.

use crate::reader::{field_value, Context, Section};
use crate::tree::ValueKind;
use crate::{ConfigError, GeneralConfig};

/// Reads the event metadata options of `section`; `name` only when `with_name` is set.
pub(crate) fn read(
    section: &mut Section<'_>,
    with_name: bool,
    cx: &Context,
) -> Result<GeneralConfig, ConfigError> {
    let name = if with_name {
        section.string("name", cx)?
    } else {
        None
    };
    let tags = section.strings("tags", cx)?.unwrap_or_default();
    let mut fields = Vec::new();
    if let Some(value) = section.take("fields") {
        let ValueKind::Map(entries) = &value.kind else {
            return Err(cx.invalid(
                &section.key_path("fields"),
                value,
                "a map of field names to values",
            ));
        };
        fields = entries
            .iter()
            .map(|e| (e.key.clone(), field_value(&e.value)))
            .collect();
    }
    let fields_under_root = section.bool("fields_under_root", cx)?.unwrap_or(false);
    Ok(GeneralConfig {
        name,
        tags,
        fields,
        fields_under_root,
    })
}

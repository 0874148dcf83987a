//! Decoder selection and field extraction: the first top-level decoder whose program name and
//! prematch match, then its first matching child, then that child's regex or plugin and the
//! regexes of its same-name siblings.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use dnstel_ruleset::matcher::{MatchKind, Matcher, Pattern};
use dnstel_ruleset::{
    Decoder, DecoderOffset, FieldMatch, JsonArrayStructure, JsonNullField, PluginDecoder,
    PluginKind,
};

use crate::event::{DecoderInfo, Event, StaticField};
use crate::json_decoder::{
    decode_json_stopping, ArrayMode, JsonDecodeOutcome, JsonOptions, NullMode,
};

/// Prematch of Wazuh's `json` decoder: an object whose first member key starts.
pub const JSON_PREMATCH: &str = r#"^{\s*""#;

/// Decoders arranged for selection.
#[derive(Debug, Default)]
pub struct DecoderSet {
    decoders: Vec<Decoder>,
    /// Per decoder index: the [`DecoderInfo`] that events it decodes share.
    infos: Vec<Arc<DecoderInfo>>,
    with_program: Vec<usize>,
    without_program: Vec<usize>,
    children: HashMap<String, Vec<usize>>,
}

impl DecoderSet {
    /// Arranges decoders given in load order.
    pub fn new(decoders: Vec<Decoder>) -> DecoderSet {
        let mut set = DecoderSet::default();
        for decoder in decoders {
            let index = set.decoders.len();
            match &decoder.parent {
                Some(parent) => set.children.entry(parent.clone()).or_default().push(index),
                // Top-level decoders sharing a name are separate candidates that share the
                // children of that name.
                None if decoder.program_name.is_some() => set.with_program.push(index),
                None => set.without_program.push(index),
            }
            set.infos.push(Arc::new(info(&decoder)));
            set.decoders.push(decoder);
        }
        set
    }

    /// Wazuh's `json` decoder alone, for runs without decoder files.
    pub fn builtin_json() -> DecoderSet {
        DecoderSet::new(vec![json_decoder()])
    }

    /// Adds the built-in `json` decoder when no decoder of that name was loaded.
    pub fn ensure_json(decoders: &mut Vec<Decoder>) {
        if !decoders.iter().any(|decoder| decoder.name == "json") {
            decoders.push(json_decoder());
        }
    }

    /// Number of decoders.
    pub fn len(&self) -> usize {
        self.decoders.len()
    }

    /// Returns true when no decoder is loaded.
    pub fn is_empty(&self) -> bool {
        self.decoders.is_empty()
    }

    /// Decodes `event` in place; leaves `event.decoder` unset when no decoder matches.
    pub fn decode(&self, event: &mut Event) {
        let candidates = if event.program_name.is_some() {
            &self.with_program
        } else {
            &self.without_program
        };
        for &index in candidates {
            let parent = &self.decoders[index];
            if let Some(program) = &parent.program_name {
                let name = event.program_name.as_deref().unwrap_or("");
                if !program.test(name) {
                    continue;
                }
            }
            let mut after_parent = 0;
            match &parent.prematch {
                Some(prematch) => match find_end(prematch, event.log(), 0) {
                    Some(end) => after_parent = end,
                    None => continue,
                },
                // A decoder without program name needs a prematch to be selected.
                None if parent.program_name.is_none() => continue,
                None => {}
            }
            event.decoder = Some(Arc::clone(&self.infos[index]));
            self.run_children(event, index, after_parent);
            return;
        }
    }

    fn run_children(&self, event: &mut Event, parent_index: usize, after_parent: usize) {
        let parent = &self.decoders[parent_index];
        let children = self
            .children
            .get(&parent.name)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if children.is_empty() {
            self.run_chain(event, &[parent_index], after_parent, after_parent);
            return;
        }
        let mut position = 0;
        while position < children.len() {
            let child = &self.decoders[children[position]];
            // Children sharing a name are one sibling chain: a failed prematch skips them all.
            let chain_len = children[position..]
                .iter()
                .take_while(|&&index| self.decoders[index].name == child.name)
                .count();
            let after_prematch = match &child.prematch {
                Some(prematch) => {
                    let start = match child.prematch_offset {
                        DecoderOffset::AfterParent => after_parent,
                        _ => 0,
                    };
                    find_end(prematch, event.log(), start)
                }
                None => Some(after_parent),
            };
            let Some(after_prematch) = after_prematch else {
                position += chain_len;
                continue;
            };
            event.decoder = Some(Arc::clone(&self.infos[children[position]]));
            let chain = &children[position..position + chain_len];
            self.run_chain(event, chain, after_parent, after_prematch);
            return;
        }
    }

    /// Runs the regex or plugin of each decoder of a sibling chain.
    fn run_chain(
        &self,
        event: &mut Event,
        chain: &[usize],
        after_parent: usize,
        after_prematch: usize,
    ) {
        let mut after_regex = after_prematch;
        for &index in chain {
            let decoder = &self.decoders[index];
            if let Some(plugin) = decoder.plugin {
                run_plugin(event, decoder, plugin, after_parent, after_prematch);
                continue;
            }
            let Some(regex) = &decoder.regex else {
                continue;
            };
            let start = match decoder.regex_offset {
                DecoderOffset::Start => 0,
                DecoderOffset::AfterParent => after_parent,
                DecoderOffset::AfterPrematch => after_prematch,
                DecoderOffset::AfterRegex => after_regex,
            };
            // The full log is moved out while fields are stored, so it is not copied for each
            // decoder. Storing fields does not read it.
            let full_log = std::mem::take(&mut event.full_log);
            let log = &full_log[event.log_start()..];
            let end = run_regex(event, &decoder.order, &regex.pattern, log, start);
            event.full_log = full_log;
            if let Some(end) = end {
                after_regex = end;
            }
        }
    }
}

/// Runs a decoder regex on `log` from `start` and stores its captures. Returns the offset
/// after the match, or `None` when it does not match.
fn run_regex(
    event: &mut Event,
    order: &[String],
    pattern: &Pattern,
    log: &str,
    start: usize,
) -> Option<usize> {
    let text = log.get(start..)?;
    let span = pattern.find(text)?;
    for (group, name) in order.iter().enumerate() {
        if let Some(value) = span.group(text, group) {
            store_ordered(event, name, value);
        }
    }
    Some(next_offset(log, start + span.end))
}

fn run_plugin(
    event: &mut Event,
    decoder: &Decoder,
    plugin: PluginDecoder,
    after_parent: usize,
    after_prematch: usize,
) {
    if plugin.kind != PluginKind::Json {
        // NOTE: only the JSON plugin is implemented; the others decode no field.
        return;
    }
    let start = match plugin.offset {
        DecoderOffset::AfterParent => after_parent,
        DecoderOffset::AfterPrematch => after_prematch,
        DecoderOffset::Start | DecoderOffset::AfterRegex => 0,
    };
    let options = JsonOptions {
        null_mode: match decoder.json_null_field {
            JsonNullField::String => NullMode::String,
            JsonNullField::Discard => NullMode::Discard,
        },
        array_mode: match decoder.json_array_structure {
            JsonArrayStructure::Array => ArrayMode::Array,
            JsonArrayStructure::Csv => ArrayMode::Csv,
        },
    };
    let full_log = std::mem::take(&mut event.full_log);
    let log = &full_log[event.log_start()..];
    let is_whole_log = event.log_start() == 0 && start == 0;
    let stops_unless_compact = is_whole_log && event.stops_unless_compact();
    let input = log.get(start..).unwrap_or("");
    let outcome = decode_json_stopping(event, input, options, stops_unless_compact);
    if is_whole_log
        && outcome
            == (JsonDecodeOutcome::Decoded {
                is_compact_object: true,
            })
    {
        event.set_compact_object();
    }
    event.full_log = full_log;
}

/// Stores a captured `<order>` value: static names fill their slot, others are dynamic.
fn store_ordered(event: &mut Event, name: &str, value: Cow<'_, str>) {
    match StaticField::from_decoder_name(name) {
        Some(field) => event.set_static(field, value.into_owned()),
        None => {
            event.push_field(name, &value);
        }
    }
}

/// Runs a decoder pattern from `start` and returns where the following text begins. The
/// matchers report Wazuh's end pointer (usually the last matched byte), and Wazuh moves one
/// byte past it unless the text ended there.
fn find_end(matcher: &FieldMatch, log: &str, start: usize) -> Option<usize> {
    let text = log.get(start..)?;
    let span = matcher.pattern.find(text)?;
    Some(next_offset(log, start + span.end))
}

fn next_offset(log: &str, end: usize) -> usize {
    let mut next = if end < log.len() { end + 1 } else { log.len() };
    while !log.is_char_boundary(next) {
        next += 1;
    }
    next
}

/// Builds the information that events show about `decoder`. A child's parent is every
/// top-level decoder named `decoder.parent`, because children attach to parents by name.
fn info(decoder: &Decoder) -> DecoderInfo {
    DecoderInfo {
        name: decoder.reported_name().to_string(),
        parent: decoder.parent.clone(),
        fts_comment: decoder.ftscomment.clone(),
        accumulate: decoder.accumulate,
        fts: decoder.fts.clone(),
        category: decoder.decoder_type,
    }
}

fn json_decoder() -> Decoder {
    let prematch = Pattern::compile(MatchKind::OsRegex, JSON_PREMATCH)
        .expect("the built-in JSON prematch is a valid OS_Regex pattern");
    Decoder {
        name: "json".to_string(),
        prematch: Some(FieldMatch {
            pattern: prematch,
            negate: false,
        }),
        plugin: Some(PluginDecoder {
            kind: PluginKind::Json,
            offset: DecoderOffset::Start,
        }),
        ..Decoder::default()
    }
}

//! Entry point shared by the fuzz target and the corpus replay test.

use chrono::DateTime;

use crate::compact_decoder::{decode_compact, decode_compact_with};
use crate::data::{build_data, write_data, DataTree};
use crate::event::Event;
use crate::json::{write_compact_prefix, JsonValue, NESTING_TOO_DEEP};
use crate::json_decoder::{
    decode_json, decode_json_general, ArrayMode, JsonDecodeOutcome, JsonOptions, NullMode,
};
use crate::predecode::parse_header;
use crate::shapes::Shapes;
use crate::testini::parse_ini;

/// Pre-decodes `bytes` as an event line, decodes it as JSON in both array modes, rebuilds
/// `data` and prints it in each way. The same bytes are also parsed as a ruleset test file.
pub fn decode_line(bytes: &[u8]) {
    let line = String::from_utf8_lossy(bytes);
    let header = parse_header(&line);
    assert!(
        line.is_char_boundary(header.log_start),
        "log offset on a character boundary"
    );
    let _ = parse_ini(&line);
    check_compact_printer(&line);
    check_one_pass_decoder(&line);
    let time = DateTime::UNIX_EPOCH.fixed_offset();
    for array_mode in [ArrayMode::Array, ArrayMode::Csv] {
        let options = JsonOptions {
            null_mode: NullMode::String,
            array_mode,
        };
        let mut event = Event::new(line.to_string(), "fuzz".into(), time);
        decode_json(&mut event, &line, options);
        let data = JsonValue::Object(build_data(&event));
        let compact = data.to_compact();
        let mut printed = String::new();
        DataTree::new(&event).write(&mut printed);
        assert_eq!(printed, compact, "data printer and data tree agree");
        let mut written = String::new();
        if write_data(&event, &mut written) {
            assert_eq!(written, compact, "alert data writer and data tree agree");
        } else {
            assert_eq!(compact, "{}", "alert data left out only when empty");
        }
        // `data` nests at each dot of a key, as Wazuh's alerts do, so a key with about a
        // thousand dots nests it past the parser's limit. Only that error is allowed.
        let reparsed = JsonValue::parse_prefix(&compact);
        let too_deep = matches!(&reparsed, Err(error) if error.reason == NESTING_TOO_DEEP);
        assert!(
            reparsed.is_ok() || too_deep,
            "printed data must parse again: {compact}"
        );
        let _ = data.to_pretty();
    }
}

/// Checks that the one-pass decoder of compact events either declines or stores what the
/// general JSON decoder stores, and returns whether it accepted `line`. Panics on a
/// difference. The pass runs with the key sequences and memos of the earlier lines of this
/// thread, then three times with its own: learning the keys, following them while recording
/// memos, and writing the objects from the memos.
pub fn check_one_pass_decoder(line: &str) -> bool {
    let accepted = check_one_pass_with(line, None);
    let mut shapes = Shapes::new();
    for _ in 0..3 {
        let again = check_one_pass_with(line, Some(&mut shapes));
        assert_eq!(again, accepted, "known shapes decide alike: {line}");
    }
    accepted
}

/// Does what [`check_one_pass_decoder`] does with the shapes given, or with this thread's.
pub(crate) fn check_one_pass_with(line: &str, shapes: Option<&mut Shapes>) -> bool {
    let time = DateTime::UNIX_EPOCH.fixed_offset();
    let mut general = Event::new(line.to_string(), "fuzz".into(), time);
    let general_outcome = decode_json_general(&mut general, line, JsonOptions::default(), false);
    let mut one_pass = Event::new(line.to_string(), "fuzz".into(), time);
    let accepted = match shapes {
        Some(shapes) => decode_compact_with(&mut one_pass, line, shapes),
        None => decode_compact(&mut one_pass, line),
    };
    if !accepted {
        assert_eq!(
            one_pass.decoded_summary(),
            Event::new(String::new(), "fuzz".into(), time).decoded_summary(),
            "a declined pass leaves the event as it was: {line}"
        );
        return false;
    }
    assert_eq!(
        general_outcome,
        JsonDecodeOutcome::Decoded {
            is_compact_object: true
        },
        "the pass takes compact objects only: {line}"
    );
    assert_eq!(
        one_pass.decoded_summary(),
        general.decoded_summary(),
        "both decoders store the same: {line}"
    );
    true
}

/// Checks that the allocation-free compact printer either gives up or prints what the full
/// parser and printer print.
fn check_compact_printer(text: &str) {
    let mut fast = String::new();
    let Some(end) = write_compact_prefix(text, &mut fast) else {
        return;
    };
    let (value, full_end) = JsonValue::parse_prefix_with_end(text)
        .expect("the compact printer accepts valid JSON only");
    assert_eq!(end, full_end, "both stop after the same value");
    assert_eq!(fast, value.to_compact(), "both print the same text");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn fuzz_corpus_replays_cleanly() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/json_decoder");
        let mut count = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            decode_line(&bytes);
            count += 1;
        }
        assert!(count >= 3);
    }
}

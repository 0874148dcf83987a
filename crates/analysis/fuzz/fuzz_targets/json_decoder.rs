//! Fuzzes header pre-decoding, the JSON decoder, the alert `data` rebuild, the JSON printers and
//! the ruleset test file parser with arbitrary lines.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dnstel_analysis::fuzzing::decode_line(data);
});

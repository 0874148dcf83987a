//! Fuzzes the JSON decoder, the alert `data` rebuild and the JSON printers with arbitrary lines.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dnstel_analysis::fuzzing::decode_line(data);
});

//! Fuzzes the `bpf_filter` parser, the program generator and the cBPF interpreter.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dnstel_capture::fuzzing::filter_parse(data);
});

//! Fuzz target: arbitrary TCP segment sequences through reassembly and pairing.
#![no_main]

use dnstel_pairing::fuzzing::fuzz_tcp_reassembly;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_tcp_reassembly(data);
});

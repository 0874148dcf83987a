//! Fuzz target: arbitrary UDP datagrams and clock ticks through the pairing.
#![no_main]

use dnstel_pairing::fuzzing::fuzz_pairing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_pairing(data);
});

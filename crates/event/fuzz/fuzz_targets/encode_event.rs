//! Fuzz target: encode arbitrary bytes as a DNS transaction event and check the JSON.
#![no_main]

use dnstel_event::fuzz::fuzz_encode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_encode(data);
});

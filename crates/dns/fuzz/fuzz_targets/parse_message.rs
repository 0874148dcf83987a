//! Fuzz target: parse arbitrary bytes as a DNS message, with and without mDNS class bits.
#![no_main]

use dnstel_dns::fuzz_parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_parse(data);
});

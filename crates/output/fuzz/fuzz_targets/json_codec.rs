#![no_main]

use dnstel_output::JsonCodec;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    for (pretty, escape_html) in [(false, false), (false, true), (true, false), (true, true)] {
        out.clear();
        let codec = JsonCodec { pretty, escape_html };
        if codec.encode_into(data, &mut out).is_ok() {
            assert_eq!(out.last(), Some(&b'\n'));
        }
    }
});

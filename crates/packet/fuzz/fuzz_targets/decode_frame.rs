#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dnstel_packet::fuzzing::decode_frame(data);
});

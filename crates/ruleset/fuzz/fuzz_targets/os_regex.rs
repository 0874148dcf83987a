//! Compiles the first line as an OS_Regex pattern and runs it on the rest.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dnstel_ruleset::fuzzing::os_regex(data);
});

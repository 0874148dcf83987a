//! Feeds arbitrary bytes to the rule and decoder file loaders.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dnstel_ruleset::fuzzing::rule_xml(data);
});

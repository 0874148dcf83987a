#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = dnstel_config::Config::from_yaml_with_env(text, "fuzz.yml", &|name| {
            (name.len() < 8).then(|| name.to_owned())
        });
    }
});

//! The example configuration in deploy/ loads as shipped, with its paths moved into a
//! temporary folder.

mod support;

use std::fs;
use std::path::PathBuf;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Returns `xml` without its `<!-- ... -->` comments.
fn without_comments(xml: &str) -> String {
    let mut rest = xml;
    let mut uncommented = String::new();
    while let Some(start) = rest.find("<!--") {
        uncommented.push_str(&rest[..start]);
        let end = rest[start..].find("-->").expect("comment is closed");
        rest = &rest[start + end + 3..];
    }
    uncommented.push_str(rest);
    uncommented
}

#[test]
fn example_ossec_conf_accepted() {
    let shipped = fs::read_to_string(repository().join("deploy/ossec.conf")).expect("read");
    let directory = tempfile::tempdir().expect("temporary directory");
    let events = directory.path().join("packetbeat");
    fs::write(&events, "\n{\"method\":\"QUERY\"}\n").expect("write events");
    let rules = repository().join("rules");
    let text = shipped
        .replace("/var/log/packetbeat", events.to_str().expect("UTF-8"))
        .replace("/etc/dnstel/rules", rules.to_str().expect("UTF-8"));
    assert_ne!(text, shipped, "the example names no path the test knows");
    let elements = without_comments(&text);
    assert!(
        !elements.contains("/var/"),
        "a path was not moved: {elements}"
    );
    assert!(
        !elements.contains("/etc/"),
        "a path was not moved: {elements}"
    );
    let config = directory.path().join("ossec.conf");
    fs::write(&config, text).expect("write configuration");
    let data = directory.path().join("data");

    let output = support::dnstel()
        .args(["analyze", "--once", "-c"])
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .env("DNSTEL_LOG", "info")
        .output()
        .expect("run dnstel");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("WARN"), "{stderr}");
    assert!(!stderr.contains("not applied"), "{stderr}");
    let alerts = fs::read_to_string(data.join("alerts.json")).expect("read alerts");
    let alert: serde_json::Value = serde_json::from_str(alerts.trim_end()).expect("one alert");
    assert_eq!(alert["rule"]["id"], "200300", "{alerts}");
    assert_eq!(
        alert["location"],
        events.to_str().expect("UTF-8"),
        "{alerts}"
    );
}

/// The example's `<localfile>` is the event file `dnstel capture` writes with its built-in
/// settings, so the two halves of the split deployment meet without edits.
#[test]
fn example_ossec_conf_follows_capture_default() {
    let shipped = fs::read_to_string(repository().join("deploy/ossec.conf")).expect("read");
    let dnstel_config::OutputConfig::File(file) = dnstel_config::Config::builtin().output else {
        panic!("the built-in configuration has no file output");
    };
    let location = file.path.join(&file.filename);
    let element = format!("<location>{}</location>", location.display());
    assert!(
        without_comments(&shipped).contains(&element),
        "deploy/ossec.conf does not follow {}",
        location.display()
    );
}

//! Live capture against a real resolver: unbound on 127.0.0.1:53 answers `dig` while
//! `dnstel capture -i lo` runs with the stock packetbeat.yml.
//!
//! Needs root for the packet socket and port 53 (see `support::live::live_tests_enabled`).

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use support::live::{live_tests_enabled, read_json_lines, start_capture, stop};
use support::unbound::{dig, Unbound};

#[test]
fn capture_lo_writes_one_event_per_dig() {
    if !live_tests_enabled() {
        return;
    }
    let server_address = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let _server = Unbound::start(server_address);
    let output = tempfile::tempdir().expect("temporary directory");
    let events_path = output.path().join("events");
    let config = support::shared_dir().join("seed/packetbeat.yml");
    let child = start_capture(&[
        "capture",
        "-i",
        "lo",
        "-c",
        config.to_str().expect("UTF-8 path"),
        "-o",
        events_path.to_str().expect("UTF-8 path"),
        "--data-dir",
        output.path().to_str().expect("UTF-8 path"),
    ]);

    let queries = [
        ("www.example.test", "A", "NOERROR", "udp"),
        ("www.example.test", "AAAA", "NOERROR", "udp"),
        ("alias.example.test", "A", "NOERROR", "udp"),
        ("example.test", "MX", "NOERROR", "udp"),
        ("example.test", "TXT", "NOERROR", "tcp"),
        ("missing.example.test", "A", "NXDOMAIN", "udp"),
    ];
    for (name, record_type, _, transport) in queries {
        let mut options = vec!["+tries=1", "+time=2"];
        if transport == "tcp" {
            options.push("+tcp");
        }
        let answer = dig(server_address, name, record_type, &options);
        assert!(answer.status.success(), "dig {name} {record_type} failed");
    }
    // The ring hands over a partly filled block after its timeout; give it time to do so.
    std::thread::sleep(Duration::from_millis(500));
    let stop_time = stop(child);
    assert!(
        stop_time < Duration::from_secs(10),
        "stop took {stop_time:?}"
    );

    assert!(
        output.path().join("meta.json").is_file(),
        "the agent id is kept in --data-dir"
    );
    let mode = std::fs::metadata(&events_path)
        .expect("event file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "event file mode");
    let events = read_json_lines(&events_path);
    assert_eq!(
        events.len(),
        queries.len(),
        "one event per query: {events:#?}"
    );
    for (event, (name, record_type, rcode, transport)) in events.iter().zip(queries) {
        assert_eq!(event["type"], "dns");
        assert_eq!(
            event["status"],
            if rcode == "NOERROR" { "OK" } else { "Error" }
        );
        assert_eq!(event["dns"]["question"]["name"], name);
        assert_eq!(event["dns"]["question"]["type"], record_type);
        assert_eq!(event["dns"]["response_code"], rcode);
        assert_eq!(event["network"]["transport"], transport);
        assert_eq!(event["server"]["ip"], "127.0.0.1");
        assert_eq!(event["server"]["port"], 53);
        assert_eq!(event["method"], "QUERY");
        assert_eq!(event["agent"]["type"], "packetbeat");
    }
    let cname = &events[2]["dns"]["answers"][0];
    assert_eq!(cname["type"], "CNAME");
    assert_eq!(cname["data"], "www.example.test");
    assert_eq!(events[3]["dns"]["answers"][0]["data"], "mail.example.test");
    assert_eq!(events[3]["dns"]["answers"][0]["preference"], 10);
}

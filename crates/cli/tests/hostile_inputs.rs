//! Hostile input for `dnstel read`, `dnstel logtest` and the configuration loaders: damaged
//! capture files, hostile YAML, hostile rule XML and hostile event lines. Each case must end with
//! the documented exit code (0 success, 1 runtime, 3 configuration) and a message naming the
//! file, never with a panic or a hang.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// One DNS query to 127.0.0.1:53 in Ethernet, IPv4 and UDP headers.
const QUERY_FRAME: &str = concat!(
    "000000000002000000000001",
    "0800",
    "4500003e00010000401100007f0000027f000001",
    "9c400035002a0000",
    "123401000001000000000000",
    "03777777076578616d706c65047465737400",
    "00010001",
);

fn dnstel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dnstel"))
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(&text[index..index + 2], 16).expect("valid hex literal"))
        .collect()
}

fn pcap_header(snap_length: u32, link_type: u32) -> Vec<u8> {
    let mut bytes = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&4u16.to_le_bytes());
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(&snap_length.to_le_bytes());
    bytes.extend_from_slice(&link_type.to_le_bytes());
    bytes
}

fn pcap_record(data: &[u8], captured_length: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    for field in [1, 0, captured_length, data.len() as u32] {
        bytes.extend_from_slice(&field.to_le_bytes());
    }
    bytes.extend_from_slice(data);
    bytes
}

fn pcapng_block(block_type: u32, body: &[u8], length: Option<u32>) -> Vec<u8> {
    let mut body = body.to_vec();
    body.resize(body.len().div_ceil(4) * 4, 0);
    let real = 12 + body.len() as u32;
    let length = length.unwrap_or(real);
    let mut bytes = block_type.to_le_bytes().to_vec();
    bytes.extend_from_slice(&length.to_le_bytes());
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(&length.to_le_bytes());
    bytes
}

fn pcapng_start() -> Vec<u8> {
    let mut section = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    section.extend_from_slice(&1u16.to_le_bytes());
    section.extend_from_slice(&0u16.to_le_bytes());
    section.extend_from_slice(&(-1i64).to_le_bytes());
    let mut bytes = pcapng_block(0x0a0d_0d0a, &section, None);
    let interface = [1u8, 0, 0, 0, 0, 0, 0, 0];
    bytes.extend(pcapng_block(1, &interface, None));
    bytes
}

fn enhanced_packet(interface: u32, data: &[u8], captured_length: u32) -> Vec<u8> {
    let mut body = Vec::new();
    for field in [interface, 0, 1, captured_length, data.len() as u32] {
        body.extend_from_slice(&field.to_le_bytes());
    }
    body.extend_from_slice(data);
    pcapng_block(6, &body, None)
}

/// Damaged captures, each with whether it still contains one readable query before the damage.
fn damaged_captures() -> Vec<(&'static str, Vec<u8>, bool)> {
    let frame = hex(QUERY_FRAME);
    let good = [
        pcap_header(65535, 1),
        pcap_record(&frame, frame.len() as u32),
    ]
    .concat();
    let good_ng = [
        pcapng_start(),
        enhanced_packet(0, &frame, frame.len() as u32),
    ]
    .concat();
    let mut cases = vec![
        ("empty.pcap", Vec::new(), false),
        ("magic-only.pcap", good[..4].to_vec(), false),
        ("header-cut.pcap", good[..17].to_vec(), false),
        (
            "record-header-cut.pcap",
            [&good[..], &pcap_record(&frame, 60)[..9]].concat(),
            true,
        ),
        (
            "record-data-cut.pcap",
            [&good[..], &pcap_record(&frame, 60)[..30]].concat(),
            true,
        ),
        (
            "record-length-max.pcap",
            [good.clone(), pcap_record(&frame, u32::MAX)].concat(),
            true,
        ),
        (
            "snaplen-zero.pcap",
            [pcap_header(0, 1), pcap_record(&frame, frame.len() as u32)].concat(),
            true,
        ),
        (
            "zero-length-frames.pcap",
            [pcap_header(65535, 1), pcap_record(&[], 0).repeat(1000)].concat(),
            false,
        ),
        (
            "unknown-link-type.pcap",
            [pcap_header(65535, 0xffff), pcap_record(&frame, 60)].concat(),
            false,
        ),
        (
            "interface-out-of-range.pcapng",
            [
                good_ng.clone(),
                enhanced_packet(u32::MAX, &frame, frame.len() as u32),
            ]
            .concat(),
            true,
        ),
        (
            "block-length-zero.pcapng",
            [good_ng.clone(), 6u32.to_le_bytes().to_vec(), vec![0; 60]].concat(),
            true,
        ),
        (
            "block-length-max.pcapng",
            [
                good_ng.clone(),
                pcapng_block(6, &frame, Some(0xffff_fffc))[..40].to_vec(),
            ]
            .concat(),
            true,
        ),
        (
            "captured-length-past-block.pcapng",
            [good_ng.clone(), enhanced_packet(0, &frame, 0xffff_ff00)].concat(),
            true,
        ),
        (
            "section-length-huge.pcapng",
            pcapng_block(0x0a0d_0d0a, &[0x4d, 0x3c, 0x2b, 0x1a], Some(0xffff_fffc)),
            false,
        ),
    ];
    let mut noise = Vec::with_capacity(1 << 16);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..1 << 16 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        noise.push(state as u8);
    }
    cases.push(("random.bin", noise.clone(), false));
    cases.push((
        "random-records.pcap",
        [pcap_header(65535, 1), noise.clone()].concat(),
        false,
    ));
    cases.push((
        "random-blocks.pcapng",
        [pcapng_start(), noise].concat(),
        false,
    ));
    cases
}

fn assert_no_panic(output: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{what} made dnstel panic: {stderr}"
    );
}

fn read_capture(path: &Path) -> Output {
    dnstel()
        .arg("read")
        .arg(path)
        .env("DNSTEL_LOG", "warn")
        .output()
        .expect("run dnstel read")
}

#[test]
fn damaged_captures_end_cleanly() {
    let directory = tempfile::tempdir().expect("temporary directory");
    for (name, bytes, has_query) in damaged_captures() {
        let path = directory.path().join(name);
        std::fs::write(&path, &bytes).expect("write capture");
        let output = read_capture(&path);
        assert_no_panic(&output, name);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code();
        assert!(
            code == Some(0) || code == Some(1),
            "{name}: exit code {code:?}, stderr: {stderr}"
        );
        if code == Some(1) || stderr.contains("WARN") {
            assert!(
                stderr.contains(name),
                "{name}: error names no file: {stderr}"
            );
        }
        let events = String::from_utf8_lossy(&output.stdout).lines().count();
        assert_eq!(
            events,
            usize::from(has_query),
            "{name}: events, stderr: {stderr}"
        );
    }
}

#[test]
fn mid_file_damage_names_offset() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let frame = hex(QUERY_FRAME);
    let bytes = [
        pcap_header(65535, 1),
        pcap_record(&frame, frame.len() as u32),
        pcap_record(&frame, u32::MAX),
    ]
    .concat();
    let path = directory.path().join("damaged.pcap");
    std::fs::write(&path, bytes).expect("write capture");
    let output = read_capture(&path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("damaged.pcap"), "{stderr}");
    assert!(stderr.contains("at offset 116"), "{stderr}");
    assert!(stderr.contains("unreadable capture records: 1"), "{stderr}");
}

#[test]
fn record_over_snap_length_read_and_counted() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let frame = hex(QUERY_FRAME);
    let bytes = [pcap_header(40, 1), pcap_record(&frame, frame.len() as u32)].concat();
    let path = directory.path().join("over-snap-length.pcap");
    std::fs::write(&path, bytes).expect("write capture");
    let output = read_capture(&path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let events = String::from_utf8_lossy(&output.stdout).lines().count();
    assert_eq!(events, 1, "{stderr}");
    assert!(
        stderr.contains("capture records longer than the snapshot length: 1"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing dropped"), "{stderr}");
}

#[test]
fn directory_and_device_inputs_rejected() {
    let directory = tempfile::tempdir().expect("temporary directory");
    for path in [
        directory.path(),
        Path::new("/dev/zero"),
        Path::new("/dev/null"),
    ] {
        let output = read_capture(path);
        assert_no_panic(&output, &path.display().to_string());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}: {stderr}",
            path.display()
        );
        assert!(stderr.contains(&*path.to_string_lossy()), "{stderr}");
    }
}

#[test]
fn yaml_alias_bomb_rejected() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let references = vec![format!("*a{}", level - 1); 10].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{references}]\n"));
    }
    text.push_str("packetbeat.protocols:\n- type: dns\n  ports: *a9\n");
    let config = directory.path().join("bomb.yml");
    std::fs::write(&config, text).expect("write config");
    let capture = directory.path().join("empty.pcap");
    std::fs::write(&capture, pcap_header(65535, 1)).expect("write capture");
    let output = dnstel()
        .arg("read")
        .arg(&capture)
        .arg("-c")
        .arg(&config)
        .arg("-o")
        .arg("-")
        .output()
        .expect("run dnstel read");
    assert_no_panic(&output, "bomb.yml");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("bomb.yml:"), "{stderr}");
}

fn logtest(rules: &Path, input: &[u8]) -> Output {
    let mut child = dnstel()
        .arg("logtest")
        .arg("--rules")
        .arg(rules)
        .arg("--json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dnstel logtest");
    let mut stdin = child.stdin.take().expect("piped standard input");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("wait for dnstel logtest");
    match writer.join().expect("writer thread") {
        Ok(()) => {}
        // dnstel exits before reading its input when the rule file is rejected.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(error) => panic!("write standard input: {error}"),
    }
    output
}

fn write_rules(directory: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let path = directory.join(name);
    std::fs::write(&path, format!(r#"<group name="t,">{body}</group>"#)).expect("write rules");
    path
}

#[test]
fn hostile_event_lines_skipped() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let rules = write_rules(
        directory.path(),
        "query.xml",
        r#"<rule id="100001" level="3"><decoded_as>json</decoded_as>
           <field name="method">QUERY</field><description>query</description></rule>"#,
    );
    let mut input = Vec::new();
    let long_value = "a".repeat(10 << 20);
    input.extend(format!("{{\"method\":\"QUERY\",\"x\":\"{long_value}\"}}\n").bytes());
    input.extend(b"{\"method\":\"QUERY\",\"x\":\"a\0b\"}\n\0\0\0\n");
    input.extend(b"{\"method\":\"QUERY\",\"x\":\"\xff\xfe\xc3\"}\n");
    input.extend(format!("{}{}\n", "[".repeat(30_000), "]".repeat(30_000)).bytes());
    input.extend(
        format!(
            "{{\"method\":\"QUERY\",\"a\":{}1{}}}\n",
            "{\"b\":".repeat(10_000),
            "}".repeat(10_000)
        )
        .bytes(),
    );
    input.extend(b"{\"method\":\"QUERY\",\"n\":1e999,\"i\":123456789012345678901234567890}\n");
    input.extend(b"{\"method\":\"QUERY\",\"method\":\"ANSWER\"}\n");
    input.extend(b"{\"method\":\"QUERY\",\"seq\":\"last\"}\n");
    let output = logtest(&rules, &input);
    assert_no_panic(&output, "hostile event lines");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("longer than"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().expect("one result per line");
    let result: serde_json::Value = serde_json::from_str(last).expect("JSON result");
    assert_eq!(result["alert"], true, "{last}");
    assert_eq!(result["output"]["data"]["seq"], "last", "{last}");
}

#[test]
fn hostile_rule_files_fail_or_load() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let nested = format!(
        "{}<rule id=\"100001\" level=\"3\"><match>a</match><description>x</description></rule>{}",
        "<group name=\"n\">".repeat(100_000),
        "</group>".repeat(100_000)
    );
    let cases = [
        (
            "unclosed.xml",
            r#"<rule id="100001" level="3"><match>a</match>"#.to_owned(),
            3,
        ),
        ("nested.xml", nested, 3),
        (
            "long-attribute.xml",
            format!(
                r#"<rule id="100001" level="3" x="{}"><match>a</match><description>x</description></rule>"#,
                "a".repeat(10 << 20)
            ),
            3,
        ),
        (
            "bad-pcre2.xml",
            r#"<rule id="100001" level="3"><regex type="pcre2">(a[</regex><description>x</description></rule>"#
                .to_owned(),
            3,
        ),
        (
            "if-sid-cycle.xml",
            r#"<rule id="100001" level="3"><if_sid>100002</if_sid><match>a</match><description>x</description></rule>
               <rule id="100002" level="3"><if_sid>100001</if_sid><match>a</match><description>x</description></rule>"#
                .to_owned(),
            0,
        ),
        (
            "variable-loop.xml",
            r#"<var name="A">$B</var><var name="B">$A</var>
               <rule id="100001" level="3"><match>$A</match><description>x</description></rule>"#
                .to_owned(),
            0,
        ),
        (
            "frequency-huge.xml",
            r#"<rule id="100001" level="3" frequency="999999999" timeframe="2147483647"><if_matched_sid>200300</if_matched_sid><description>x</description></rule>"#
                .to_owned(),
            3,
        ),
    ];
    for (name, body, expected) in cases {
        let rules = write_rules(directory.path(), name, &body);
        let output = logtest(&rules, b"{\"method\":\"QUERY\"}\n");
        assert_no_panic(&output, name);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(expected), "{name}: {stderr}");
        if expected != 0 {
            assert!(
                stderr.contains(name),
                "{name}: error names no file: {stderr}"
            );
        }
    }
}

#[test]
fn pcre2_error_offset_in_pattern() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let rules = write_rules(
        directory.path(),
        "pcre2.xml",
        r#"<rule id="100001" level="3"><regex type="pcre2">ab(c[</regex><description>x</description></rule>"#,
    );
    let output = logtest(&rules, b"");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("at offset 5:"), "{stderr}");
}

/// Rules see a JSON string up to an escaped NUL, as Wazuh's C strings do, while the alert's
/// `data` keeps the text after it.
#[test]
fn escaped_nul_hides_nothing_from_alerts() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let rules = write_rules(
        directory.path(),
        "nul.xml",
        r#"<rule id="100010" level="3"><decoded_as>json</decoded_as>
           <field name="a">evil</field><description>after NUL</description></rule>
           <rule id="100011" level="3"><decoded_as>json</decoded_as>
           <field name="a">good.test$</field><description>before NUL</description></rule>"#,
    );
    let output = logtest(&rules, b"{\"a\":\"good.test\\u0000evil.test\"}\n");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).expect("logtest JSON");
    assert_eq!(result["output"]["rule"]["id"], "100011", "{stdout}");
    assert_eq!(result["output"]["data"]["a"], "good.test\u{0}evil.test");
}

/// The first fragment of a UDP datagram whose other fragments never arrive is reported as
/// dropped when the capture ends, not lost without a word.
#[test]
fn lone_fragment_reported_at_end() {
    let directory = tempfile::tempdir().expect("temporary directory");
    // IPv4, more-fragments set, offset 0, UDP, 127.0.0.1 -> 127.0.0.1, then 16 bytes of a UDP
    // header and payload to port 53.
    let fragment = hex(concat!(
        "45000024abcd20004011000",
        "07f0000017f000001",
        "9c40003500200000",
        "0102030405060708"
    ));
    let mut capture = pcap_header(65535, 101);
    capture.extend(pcap_record(&fragment, fragment.len() as u32));
    let path = directory.path().join("fragment.pcap");
    std::fs::write(&path, &capture).expect("write capture");

    let output = read_capture(&path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("fragments discarded: 1"), "{stderr}");
}

/// An empty UDP datagram to port 53 is reported as a packet without DNS, not as one on
/// another port.
#[test]
fn empty_dns_datagram_named_in_summary() {
    let directory = tempfile::tempdir().expect("temporary directory");
    // IPv4 127.0.0.1 -> 127.0.0.1, UDP 40000 -> 53 with no payload.
    let datagram = hex("4500001c00004000401100007f0000017f0000019c40003500080000");
    let mut capture = pcap_header(65535, 101);
    capture.extend(pcap_record(&datagram, datagram.len() as u32));
    let path = directory.path().join("empty.pcap");
    std::fs::write(&path, &capture).expect("write capture");

    let output = read_capture(&path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("packets without DNS (other ports, empty UDP, bare TCP): 1"),
        "{stderr}"
    );
}

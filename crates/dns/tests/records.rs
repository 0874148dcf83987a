//! Record data rendering, one case per record type.

mod support;

use dnstel_dns::{parse, FieldValue, ParseOptions, Rdata, Rtype};
use support::{name, record, response_with};

/// Parses a response holding one answer of `rtype` with `rdata` and returns its data.
fn render_one(rtype: u16, rdata: &[u8]) -> Option<Rdata> {
    let answer = record(&name("example.com"), rtype, 1, 300, rdata);
    let message = parse(&response_with(&[answer]), &ParseOptions::default()).expect("header");
    assert!(message.anomalies.is_empty(), "{:?}", message.anomalies);
    assert_eq!(message.answers.len(), 1);
    message
        .answers
        .into_iter()
        .next()
        .and_then(|record| record.data)
}

fn data(rtype: u16, rdata: &[u8]) -> String {
    render_one(rtype, rdata).expect("record renders").data
}

fn extra(rtype: u16, rdata: &[u8]) -> Vec<(&'static str, FieldValue)> {
    render_one(rtype, rdata).expect("record renders").extra
}

fn s(text: &str) -> FieldValue {
    FieldValue::Str(text.to_owned())
}

#[test]
fn a_address_and_empty() {
    assert_eq!(data(1, &[192, 0, 2, 1]), "192.0.2.1");
    assert_eq!(render_one(1, &[]), None);
}

#[test]
fn aaaa_compressed_and_mapped() {
    let mut v6 = [0u8; 16];
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[2] = 0x0d;
    v6[3] = 0xb8;
    v6[15] = 1;
    assert_eq!(data(28, &v6), "2001:db8::1");
    let mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1];
    assert_eq!(data(28, &mapped), "10.0.0.1");
    assert_eq!(render_one(28, &[]), None);
}

#[test]
fn cname_ns_ptr_trimmed() {
    let target = name("www.Example.org");
    assert_eq!(data(5, &target), "www.Example.org");
    assert_eq!(data(2, &target), "www.Example.org");
    assert_eq!(data(12, &target), "www.Example.org");
    assert_eq!(data(5, &[0]), ".");
}

#[test]
fn mx_preference_integer() {
    let mut rdata = 10u16.to_be_bytes().to_vec();
    rdata.extend(name("mx.example.com"));
    let rendered = render_one(15, &rdata).expect("renders");
    assert_eq!(rendered.data, "mx.example.com");
    assert_eq!(rendered.extra, vec![("preference", FieldValue::Int(10))]);
}

#[test]
fn soa_fields_in_order() {
    let mut rdata = name("ns1.example.com");
    rdata.extend(name("hostmaster.example.com"));
    for value in [2024010101u32, 7200, 3600, 1209600, 300] {
        rdata.extend_from_slice(&value.to_be_bytes());
    }
    let rendered = render_one(6, &rdata).expect("renders");
    assert_eq!(rendered.data, "ns1.example.com");
    assert_eq!(
        rendered.extra,
        vec![
            ("rname", s("hostmaster.example.com")),
            ("serial", FieldValue::Int(2024010101)),
            ("refresh", FieldValue::Int(7200)),
            ("retry", FieldValue::Int(3600)),
            ("expire", FieldValue::Int(1209600)),
            ("minimum", FieldValue::Int(300)),
        ]
    );
}

#[test]
fn srv_fields_in_order() {
    let mut rdata = vec![0, 1, 0, 5, 0x01, 0xbb];
    rdata.extend(name("sip.example.com"));
    let rendered = render_one(33, &rdata).expect("renders");
    assert_eq!(rendered.data, "sip.example.com");
    assert_eq!(
        rendered.extra,
        vec![
            ("priority", FieldValue::Int(1)),
            ("weight", FieldValue::Int(5)),
            ("port", FieldValue::Int(443)),
        ]
    );
}

#[test]
fn txt_joined_and_escaped() {
    assert_eq!(data(16, b"\x05hello\x07wo\"rl\\d"), "hello wo\\\"rl\\\\d");
    assert_eq!(data(16, b"\x02\xc3\xa9"), "\\195\\169");
    assert_eq!(data(16, b""), "");
    assert_eq!(data(16, b"\x00\x01a"), " a");
}

#[test]
fn dnskey_fields() {
    let rdata = [1, 1, 3, 8, 0xde, 0xad, 0xbe, 0xef];
    let rendered = render_one(48, &rdata).expect("renders");
    assert_eq!(rendered.data, "3q2+7w==");
    assert_eq!(
        rendered.extra,
        vec![
            ("flags", s("257")),
            ("protocol", s("3")),
            ("algorithm", s("RSASHA256"))
        ]
    );
}

#[test]
fn ds_fields() {
    let rdata = [0x4f, 0x66, 13, 2, 0xab, 0xcd];
    let rendered = render_one(43, &rdata).expect("renders");
    assert_eq!(rendered.data, "ABCD");
    assert_eq!(
        rendered.extra,
        vec![
            ("key_tag", s("20326")),
            ("algorithm", s("ECDSAP256SHA256")),
            ("digest_type", s("SHA256"))
        ]
    );
}

#[test]
fn rrsig_fields() {
    let mut rdata = vec![0, 1, 8, 2];
    rdata.extend_from_slice(&3600u32.to_be_bytes());
    rdata.extend_from_slice(&1_440_662_455u32.to_be_bytes());
    rdata.extend_from_slice(&0u32.to_be_bytes());
    rdata.extend_from_slice(&[0x12, 0x34]);
    rdata.extend(name("example.com"));
    rdata.extend_from_slice(&[1, 2, 3]);
    let rendered = render_one(46, &rdata).expect("renders");
    assert_eq!(rendered.data, "AQID");
    assert_eq!(
        rendered.extra,
        vec![
            ("type_covered", s("A")),
            ("algorithm", s("RSASHA256")),
            ("labels", s("2")),
            ("original_ttl", s("3600")),
            ("expiration", s("20150827080055")),
            ("inception", s("19700101000000")),
            ("key_tag", s("4660")),
            ("signer_name", s("example.com")),
        ]
    );
}

#[test]
fn nsec_keeps_trailing_dot() {
    let mut rdata = name("next.example.com");
    rdata.extend_from_slice(&[0, 6, 0x40, 0x01, 0, 0, 0, 0x03]);
    let rendered = render_one(47, &rdata).expect("renders");
    assert_eq!(rendered.data, "next.example.com.");
    assert_eq!(rendered.extra, vec![("type_bits", s("A MX RRSIG NSEC"))]);
}

#[test]
fn nsec_unknown_type_decimal() {
    let mut rdata = name("a.example");
    rdata.extend_from_slice(&[0, 2, 0, 0x10]);
    assert_eq!(extra(47, &rdata), vec![("type_bits", s("11"))]);
}

#[test]
fn nsec3_fields() {
    let mut rdata = vec![1, 1, 0, 10, 2, 0xaa, 0xbb, 5, 1, 2, 3, 4, 5];
    rdata.extend_from_slice(&[0, 1, 0x40]);
    let rendered = render_one(50, &rdata).expect("renders");
    assert_eq!(rendered.data, "04106105");
    assert_eq!(
        rendered.extra,
        vec![
            ("hash", s("SHA1")),
            ("flags", s("1")),
            ("iterations", s("10")),
            ("salt", s("AABB")),
            ("type_bits", s("A")),
        ]
    );
}

#[test]
fn nsec3param_salt_is_data() {
    let rendered = render_one(51, &[1, 0, 0, 0, 0]).expect("renders");
    assert_eq!(rendered.data, "-");
    assert_eq!(
        rendered.extra,
        vec![
            ("hash", s("SHA1")),
            ("flags", s("0")),
            ("iterations", s("0"))
        ]
    );
}

#[test]
fn caa_presentation() {
    assert_eq!(
        data(257, b"\x00\x05issueletsencrypt.org"),
        "0 issue \"letsencrypt.org\""
    );
}

#[test]
fn hinfo_and_spf_quoted() {
    assert_eq!(data(13, b"\x03x86\x05Linux"), "\"x86\" \"Linux\"");
    assert_eq!(data(99, b"\x08v=spf1 a"), "\"v=spf1 a\"");
}

#[test]
fn dname_keeps_trailing_dot() {
    assert_eq!(data(39, &name("target.example")), "target.example.");
}

#[test]
fn sshfp_tlsa_hex() {
    assert_eq!(data(44, &[1, 2, 0xab, 0xcd]), "1 2 ABCD");
    assert_eq!(data(52, &[3, 1, 1, 0x0f]), "3 1 1 0F");
}

#[test]
fn naptr_presentation() {
    let mut rdata = vec![0, 100, 0, 10, 1, b'S', 7];
    rdata.extend_from_slice(b"SIP+D2U");
    rdata.push(0);
    rdata.extend(name("_sip._udp.example.com"));
    assert_eq!(
        data(35, &rdata),
        "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com."
    );
}

#[test]
fn uri_presentation() {
    let mut rdata = vec![0, 10, 0, 1];
    rdata.extend_from_slice(b"https://example.com/");
    assert_eq!(data(256, &rdata), "10 1 \"https://example.com/\"");
}

#[test]
fn loc_presentation() {
    let latitude = (1u32 << 31) + (52 * 3600 + 22 * 60 + 23) * 1000;
    let longitude = (1u32 << 31) + (4 * 3600 + 53 * 60 + 32) * 1000;
    let altitude = 10_000_000u32 - 200;
    let mut rdata = vec![0, 0x12, 0x16, 0x13];
    for value in [latitude, longitude, altitude] {
        rdata.extend_from_slice(&value.to_be_bytes());
    }
    assert_eq!(
        data(29, &rdata),
        "52 22 23.000 N 4 53 32.000 E -2.00m 1.00m 10000.00m 10.00m"
    );
}

#[test]
fn https_presentation() {
    let mut rdata = vec![0, 1, 0];
    rdata.extend_from_slice(&[0, 1, 0, 6, 2, b'h', b'2', 2, b'h', b'3']);
    rdata.extend_from_slice(&[0, 3, 0, 2, 0x01, 0xbb]);
    rdata.extend_from_slice(&[0, 4, 0, 4, 192, 0, 2, 1]);
    assert_eq!(
        data(65, &rdata),
        "1 . alpn=\"h2,h3\" port=\"443\" ipv4hint=\"192.0.2.1\""
    );
}

#[test]
fn unknown_type_generic() {
    assert_eq!(data(65280, &[0xde, 0xad]), "\\# 2 dead");
    assert_eq!(data(65280, &[]), "\\# 0");
}

#[test]
fn type_mnemonics_as_packetbeat() {
    assert_eq!(Rtype(65280).to_string(), "65280");
    assert_eq!(Rtype(257).to_string(), "CAA");
}

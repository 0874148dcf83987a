//! Whole-message parsing: header, sections, OPT, pointers and damaged input.

mod support;

use dnstel_dns::{
    parse, Anomaly, Class, HeaderError, OptionValue, ParseOptions, Rcode, Rtype, Section,
};
use support::{header, name, question, record, response_with};

fn parse_default(bytes: &[u8]) -> dnstel_dns::Message {
    parse(bytes, &ParseOptions::default()).expect("header is complete")
}

fn opt_record(ttl: u32, rdata: &[u8]) -> Vec<u8> {
    record(&[0], 41, 1232, ttl, rdata)
}

#[test]
fn query_with_edns_do() {
    let mut bytes = header(0xbeef, 0x0120, [1, 0, 0, 1]);
    bytes.extend(question(&name("Google.com"), 1, 1));
    bytes.extend(opt_record(
        0x0000_8000,
        &[0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8],
    ));
    let message = parse_default(&bytes);
    assert!(message.anomalies.is_empty(), "{:?}", message.anomalies);
    assert_eq!(message.header.id, 0xbeef);
    assert!(!message.header.qr);
    assert!(message.header.rd);
    assert!(message.header.ad);
    assert_eq!(message.header_flags(), vec!["RD", "AD", "DO"]);
    let first = message.first_question().expect("one question");
    assert_eq!(first.name, "Google.com");
    assert_eq!(first.qtype, Rtype::A);
    assert_eq!(first.qclass, Class::IN);
    let opt = message.opt.as_ref().expect("OPT record");
    assert_eq!(opt.udp_size, 1232);
    assert!(opt.do_bit);
    assert_eq!(opt.version, 0);
    assert_eq!(opt.options.len(), 1);
    assert_eq!(opt.options[0].key(), "cookie");
    assert!(message.additionals.is_empty());
    assert_eq!(message.rcode(), Rcode::NOERROR);
}

#[test]
fn response_answers_in_order() {
    let owner = [0xc0, 0x0c];
    let answers = [
        record(&owner, 5, 1, 60, &name("alias.example.net")),
        record(&name("alias.example.net"), 1, 1, 60, &[192, 0, 2, 7]),
        record(&owner, 1, 1, 60, &[192, 0, 2, 8]),
    ];
    let message = parse_default(&response_with(&answers));
    assert!(message.anomalies.is_empty(), "{:?}", message.anomalies);
    assert_eq!(message.answers.len(), 3);
    assert_eq!(message.answers[0].name, "example.com");
    assert_eq!(message.answers[1].name, "alias.example.net");
    let resolved: Vec<&str> = message.resolved_ips().collect();
    assert_eq!(resolved, vec!["192.0.2.7", "192.0.2.8"]);
}

#[test]
fn header_only_refused() {
    let bytes = header(7, 0x8105, [0, 0, 0, 0]);
    let message = parse_default(&bytes);
    assert!(message.anomalies.is_empty());
    assert!(message.questions.is_empty());
    assert_eq!(message.rcode(), Rcode::REFUSED);
    assert_eq!(message.rcode().to_string(), "REFUSED");
}

#[test]
fn short_input_header_error() {
    let error = parse(&[0, 1, 2], &ParseOptions::default()).expect_err("too short");
    assert_eq!(error, HeaderError::TooShort { len: 3 });
    assert_eq!(
        error.to_string(),
        "message of 3 bytes is shorter than the 12-byte header"
    );
}

#[test]
fn truncated_answer_keeps_question() {
    let answer = record(&[0xc0, 0x0c], 1, 1, 60, &[192, 0, 2, 1]);
    let mut bytes = response_with(&[answer.clone(), answer]);
    bytes.truncate(bytes.len() - 10);
    let message = parse_default(&bytes);
    assert_eq!(message.questions.len(), 1);
    assert_eq!(message.answers.len(), 1);
    assert_eq!(message.anomalies.len(), 1);
    assert_eq!(
        message.anomalies[0].to_string(),
        "message truncated in answer section at offset 47"
    );
}

#[test]
fn counts_beyond_input_truncated() {
    let mut bytes = header(1, 0x8180, [1, 60000, 0, 0]);
    bytes.extend(question(&name("a.example"), 1, 1));
    let message = parse_default(&bytes);
    assert_eq!(message.answers.len(), 0);
    assert_eq!(
        message.anomalies,
        vec![Anomaly::Truncated {
            section: Section::Answer,
            offset: bytes.len()
        }]
    );
}

#[test]
fn rdata_overrun_reported() {
    let mut bytes = response_with(&[]);
    bytes[7] = 1;
    bytes.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 200, 1, 2]);
    let message = parse_default(&bytes);
    assert_eq!(
        message.anomalies[0].to_string(),
        "record data length 200 at offset 41 exceeds the 2 bytes left"
    );
}

#[test]
fn broken_record_beside_good_one() {
    let owner = [0xc0, 0x0c];
    let answers = [
        record(&owner, 15, 1, 60, &[0]),
        record(&owner, 1, 1, 60, &[192, 0, 2, 9]),
    ];
    let message = parse_default(&response_with(&answers));
    assert_eq!(message.answers.len(), 1);
    assert_eq!(
        message.answers[0].data.as_ref().expect("A data").data,
        "192.0.2.9"
    );
    assert_eq!(
        message.anomalies[0].to_string(),
        "invalid MX record data at offset 41: record data too short"
    );
}

#[test]
fn owner_pointer_loop_skips_record() {
    let mut bytes = response_with(&[]);
    bytes[7] = 2;
    let loop_offset = bytes.len();
    let looped = (0xc000u16 | loop_offset as u16).to_be_bytes();
    bytes.extend(record(&looped, 1, 1, 60, &[192, 0, 2, 1]));
    bytes.extend(record(&[0xc0, 0x0c], 1, 1, 60, &[192, 0, 2, 2]));
    let message = parse_default(&bytes);
    assert_eq!(message.answers.len(), 1);
    assert_eq!(
        message.anomalies,
        vec![Anomaly::NamePointerLoop {
            offset: loop_offset
        }]
    );
}

#[test]
fn forward_pointer_in_question() {
    let mut bytes = header(1, 0x0100, [1, 0, 0, 0]);
    bytes.extend_from_slice(&[1, b'a', 0xc0, 20, 0, 1, 0, 1]);
    bytes.extend(name("example"));
    let message = parse_default(&bytes);
    assert_eq!(message.questions[0].name, "a.example");
    assert_eq!(message.anomalies.len(), 1);
    assert!(matches!(
        message.anomalies[0],
        Anomaly::TrailingBytes { count: 9, .. }
    ));
}

#[test]
fn owner_pointers_into_question() {
    // Offset 12 is the question name `example.com`, and offset 20 its label `com`.
    let answers = [
        record(&[0xc0, 0x0c], 1, 1, 60, &[192, 0, 2, 1]),
        record(&[0xc0, 0x14], 1, 1, 60, &[192, 0, 2, 2]),
        record(
            &[3, b'w', b'w', b'w', 0xc0, 0x0c],
            1,
            1,
            60,
            &[192, 0, 2, 3],
        ),
        record(&[0xc0, 0x0c], 1, 1, 60, &[192, 0, 2, 4]),
    ];
    let message = parse_default(&response_with(&answers));
    assert!(message.anomalies.is_empty(), "{:?}", message.anomalies);
    let names: Vec<&str> = message.answers.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["example.com", "com", "www.example.com", "example.com"]
    );
    let resolved: Vec<&str> = message.resolved_ips().collect();
    assert_eq!(
        resolved,
        ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]
    );
}

#[test]
fn owner_pointer_to_compressed_question() {
    // The question name `a` continues through a pointer to `example` after the answer.
    let mut bytes = header(1, 0x8100, [1, 1, 0, 0]);
    bytes.extend_from_slice(&[1, b'a', 0xc0, 36, 0, 1, 0, 1]);
    bytes.extend(record(&[0xc0, 0x0c], 1, 1, 60, &[192, 0, 2, 1]));
    bytes.extend(name("example"));
    let message = parse_default(&bytes);
    assert_eq!(message.questions[0].name, "a.example");
    assert_eq!(message.answers[0].name, "a.example");
    assert_eq!(
        message.answers[0].data.as_ref().map(|d| d.data.as_str()),
        Some("192.0.2.1")
    );
}

#[test]
fn owner_pointer_after_failed_question() {
    // The first question name has a reserved label type, so the pointer to it fails too.
    let mut bytes = header(1, 0x8100, [1, 1, 0, 0]);
    bytes.extend_from_slice(&[0x40, 0, 1, 0, 1]);
    bytes.extend(record(&[0xc0, 0x0c], 1, 1, 60, &[192, 0, 2, 1]));
    let message = parse_default(&bytes);
    assert!(message.questions.is_empty());
    assert!(message.answers.is_empty());
    assert!(!message.anomalies.is_empty());
}

#[test]
fn forged_counts_reserve_little() {
    let mut bytes = header(1, 0x8100, [u16::MAX; 4]);
    bytes.extend(question(&name("a"), 1, 1));
    let message = parse_default(&bytes);
    assert_eq!(message.questions.len(), 1);
    assert!(
        !message.questions.spilled(),
        "one question is stored inline"
    );
    assert!(message.answers.capacity() == 0);
    assert!(message.authorities.capacity() == 0);
    assert!(message.additionals.capacity() == 0);
}

#[test]
fn escaped_label_bytes_in_question() {
    let mut bytes = header(1, 0x0100, [1, 0, 0, 0]);
    bytes.extend(question(b"\x03a.b\x02\x00\xff\x00", 16, 1));
    let message = parse_default(&bytes);
    assert_eq!(message.questions[0].name, "a\\.b.\\000\\255");
}

#[test]
fn root_question_name() {
    let mut bytes = header(1, 0x0100, [1, 0, 0, 0]);
    bytes.extend(question(&[0], 2, 1));
    assert_eq!(parse_default(&bytes).questions[0].name, ".");
}

#[test]
fn extended_rcode_merged() {
    let mut bytes = header(9, 0x8100, [0, 0, 0, 1]);
    bytes.extend(opt_record(0x0100_0000, &[]));
    let message = parse_default(&bytes);
    assert_eq!(message.rcode(), Rcode::BADVERS);
    assert_eq!(message.rcode().to_string(), "BADSIG");
    let opt = message.opt.expect("OPT record");
    assert_eq!(opt.ext_rcode_value(), Rcode(16));
}

#[test]
fn duplicate_and_misplaced_opt() {
    let mut bytes = header(9, 0x8100, [0, 1, 0, 2]);
    bytes.extend(opt_record(0, &[]));
    bytes.extend(opt_record(0, &[]));
    bytes.extend(opt_record(0, &[]));
    let message = parse_default(&bytes);
    assert!(message.opt.is_some());
    assert_eq!(message.anomalies.len(), 2);
    assert_eq!(
        message.anomalies[0].to_string(),
        "OPT record in answer section at offset 12"
    );
    assert_eq!(
        message.anomalies[1].to_string(),
        "extra OPT record at offset 34"
    );
}

#[test]
fn several_unknown_options_kept() {
    let mut bytes = header(9, 0x8100, [0, 0, 0, 1]);
    bytes.extend(opt_record(
        0,
        &[0xfd, 0xe9, 0, 1, 0xaa, 0xfd, 0xea, 0, 1, 0xbb],
    ));
    let message = parse_default(&bytes);
    let opt = message.opt.expect("OPT record");
    let values: Vec<&OptionValue> = opt.options.iter().map(|option| &option.value).collect();
    assert_eq!(
        values,
        vec![
            &OptionValue::Local("65001:0xaa".into()),
            &OptionValue::Local("65002:0xbb".into())
        ]
    );
}

#[test]
fn multicast_class_bits() {
    let mut bytes = header(0, 0x8400, [1, 1, 0, 0]);
    bytes.extend(question(&name("printer.local"), 1, 0x8001));
    bytes.extend(record(&[0xc0, 0x0c], 1, 0x8001, 120, &[192, 168, 1, 5]));
    let plain = parse_default(&bytes);
    assert_eq!(plain.questions[0].qclass.to_string(), "32769");
    assert!(!plain.questions[0].unicast_response);
    let options = ParseOptions {
        multicast_class_bit: true,
    };
    let mdns = parse(&bytes, &options).expect("header");
    assert_eq!(mdns.questions[0].qclass, Class::IN);
    assert!(mdns.questions[0].unicast_response);
    assert_eq!(mdns.answers[0].class, Class::IN);
    assert!(mdns.answers[0].cache_flush);
}

#[test]
fn several_questions_kept() {
    let mut bytes = header(3, 0x0100, [2, 0, 0, 0]);
    bytes.extend(question(&name("one.example"), 1, 1));
    bytes.extend(question(&[0xc0, 0x10], 28, 1));
    let message = parse_default(&bytes);
    assert_eq!(message.question_count(), 2);
    assert_eq!(message.questions[1].name, "example");
    assert_eq!(message.questions[1].qtype, Rtype::AAAA);
}

#[test]
fn empty_a_counted_not_rendered() {
    let answers = [record(&[0xc0, 0x0c], 1, 1, 60, &[])];
    let message = parse_default(&response_with(&answers));
    assert_eq!(message.answers.len(), 1);
    assert_eq!(message.answers[0].data, None);
    assert!(message.anomalies.is_empty());
}

#[test]
fn update_delete_empty_rdata() {
    let mut bytes = header(5, 0x2800, [1, 0, 1, 0]);
    bytes.extend(question(&name("example.com"), 6, 1));
    bytes.extend(record(&name("old.example.com"), 5, 255, 0, &[]));
    let message = parse_default(&bytes);
    assert!(message.anomalies.is_empty(), "{:?}", message.anomalies);
    assert_eq!(message.header.opcode.to_string(), "UPDATE");
    let rdata = message.authorities[0].data.as_ref().expect("renders");
    assert_eq!(rdata.data, "");
    assert!(rdata.extra.is_empty());
}

#[test]
fn anomaly_flood_is_capped() {
    let mut bytes = header(1, 0x0100, [2000, 0, 0, 0]);
    for _ in 0..2000 {
        bytes.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    }
    let message = parse_default(&bytes);
    assert_eq!(message.anomalies.len(), dnstel_dns::MAX_ANOMALIES + 1);
    assert_eq!(
        message.anomalies.last().map(ToString::to_string).as_deref(),
        Some("more than 16 anomalies, parsing stopped at offset 114")
    );
}

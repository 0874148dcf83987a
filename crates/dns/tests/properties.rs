//! Property tests: the parser never panics, and agrees with hickory-proto on messages
//! hickory builds (with its name compression).

use std::net::{Ipv4Addr, Ipv6Addr};

use dnstel_dns::{parse, FieldValue, ParseOptions};
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinEncodable;
use proptest::prelude::*;

fn label() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_][a-zA-Z0-9_-]{0,19}"
}

fn domain() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(label(), 1..5)
}

/// One generated answer record and its RDATA fields.
#[derive(Clone, Debug)]
enum Answer {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(Vec<String>),
    Mx(u16, Vec<String>),
    Txt(Vec<String>),
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        any::<u32>().prop_map(|bits| Answer::A(Ipv4Addr::from(bits))),
        any::<u128>()
            .prop_filter("not IPv4-mapped", |bits| {
                Ipv6Addr::from(*bits).to_ipv4_mapped().is_none()
            })
            .prop_map(|bits| Answer::Aaaa(Ipv6Addr::from(bits))),
        domain().prop_map(Answer::Cname),
        (any::<u16>(), domain()).prop_map(|(preference, labels)| Answer::Mx(preference, labels)),
        prop::collection::vec("[a-zA-Z0-9 =.:-]{0,40}", 1..4).prop_map(Answer::Txt),
    ]
}

fn to_name(labels: &[String]) -> Name {
    Name::from_ascii(format!("{}.", labels.join("."))).expect("generated labels are valid")
}

fn to_rdata(answer: &Answer) -> RData {
    match answer {
        Answer::A(address) => RData::A(A(*address)),
        Answer::Aaaa(address) => RData::AAAA(AAAA(*address)),
        Answer::Cname(labels) => RData::CNAME(CNAME(to_name(labels))),
        Answer::Mx(preference, labels) => RData::MX(MX::new(*preference, to_name(labels))),
        Answer::Txt(strings) => RData::TXT(TXT::new(strings.clone())),
    }
}

/// Returns (data, extra) as dnstel should render the answer.
fn expected(answer: &Answer) -> (String, Vec<(&'static str, FieldValue)>) {
    match answer {
        Answer::A(address) => (address.to_string(), vec![]),
        Answer::Aaaa(address) => (address.to_string(), vec![]),
        Answer::Cname(labels) => (labels.join("."), vec![]),
        Answer::Mx(preference, labels) => (
            labels.join("."),
            vec![("preference", FieldValue::Int(u64::from(*preference)))],
        ),
        Answer::Txt(strings) => (strings.join(" "), vec![]),
    }
}

/// Escapes a label as miekg does, written independently of the crate's code.
fn miekg_escape(label: &[u8]) -> String {
    let mut out = String::new();
    for &byte in label {
        if b".'@;()\" \\".contains(&byte) {
            out.push('\\');
            out.push(byte as char);
        } else if (0x20..=0x7e).contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("\\{byte:03}"));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..700)) {
        let _ = parse(&bytes, &ParseOptions::default());
        let _ = parse(&bytes, &ParseOptions { multicast_class_bit: true });
    }

    #[test]
    fn hickory_messages_agree(
        id in any::<u16>(),
        rcode in 0u16..16,
        qname in domain(),
        owners in prop::collection::vec(domain(), 1..3),
        answers in prop::collection::vec(answer(), 0..8),
    ) {
        let mut message = Message::new();
        message
            .set_id(id)
            .set_message_type(MessageType::Response)
            .set_op_code(OpCode::Query)
            .set_recursion_desired(true)
            .set_response_code(ResponseCode::from(0, rcode as u8));
        message.add_query(Query::query(to_name(&qname), RecordType::A));
        for (index, answer) in answers.iter().enumerate() {
            let owner = &owners[index % owners.len()];
            message.add_answer(Record::from_rdata(to_name(owner), 300, to_rdata(answer)));
        }
        let bytes = message.to_bytes().expect("hickory encodes its own message");

        let parsed = parse(&bytes, &ParseOptions::default()).expect("header");
        prop_assert!(parsed.anomalies.is_empty(), "{:?}", parsed.anomalies);
        prop_assert_eq!(parsed.header.id, id);
        prop_assert!(parsed.header.qr);
        prop_assert!(parsed.header.rd);
        prop_assert_eq!(parsed.rcode().0, rcode);
        prop_assert_eq!(&parsed.questions[0].name, &qname.join("."));
        prop_assert_eq!(parsed.questions[0].qtype.to_string(), "A");
        prop_assert_eq!(parsed.answers.len(), answers.len());
        for (index, (record, answer)) in parsed.answers.iter().zip(&answers).enumerate() {
            let owner = &owners[index % owners.len()];
            prop_assert_eq!(&record.name, &owner.join("."));
            prop_assert_eq!(record.ttl, 300);
            let rdata = record.data.as_ref().expect("generated records render");
            let (data, extra) = expected(answer);
            prop_assert_eq!(&rdata.data, &data);
            prop_assert_eq!(&rdata.extra, &extra);
        }
    }

    #[test]
    fn raw_label_bytes_escaped(
        labels in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..20), 1..4),
    ) {
        let name = Name::from_labels(labels.iter().map(Vec::as_slice))
            .expect("labels under 63 bytes are valid");
        let mut message = Message::new();
        message.set_id(7);
        message.add_query(Query::query(name, RecordType::TXT));
        let bytes = message.to_bytes().expect("hickory encodes its own message");
        let parsed = parse(&bytes, &ParseOptions::default()).expect("header");
        prop_assert!(parsed.anomalies.is_empty(), "{:?}", parsed.anomalies);
        let expected: Vec<String> = labels.iter().map(|label| miekg_escape(label)).collect();
        prop_assert_eq!(&parsed.questions[0].name, &expected.join("."));
    }

    #[test]
    fn mutated_messages_never_panic(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        answers in prop::collection::vec(answer(), 1..5),
    ) {
        let mut message = Message::new();
        message.set_id(1).set_message_type(MessageType::Response);
        message.add_query(Query::query(Name::from_ascii("a.example.").expect("valid"), RecordType::A));
        for answer in &answers {
            let owner = Name::from_ascii("www.a.example.").expect("valid");
            message.add_answer(Record::from_rdata(owner, 60, to_rdata(answer)));
        }
        let mut bytes = message.to_bytes().expect("hickory encodes its own message");
        for (index, value) in flips {
            let position = index.index(bytes.len());
            bytes[position] = value;
        }
        let _ = parse(&bytes, &ParseOptions::default());
    }
}

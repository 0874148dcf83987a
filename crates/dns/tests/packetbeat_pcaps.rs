//! Packetbeat's own DNS test captures, checked against the values Packetbeat's tests assert.
//! The captures sit in the shared reference folder beside the repository checkout, and each
//! test fails when they are missing.

mod support;

use dnstel_dns::{parse, FieldValue, Message, ParseOptions, Record, Rtype};
use support::capture::{dns_messages, require_shared};

/// Returns the parsed DNS messages of a capture, UDP and TCP, in capture order.
fn messages(file: &str) -> Vec<Message> {
    let path = require_shared("packetbeat-pcaps").join(file);
    assert!(path.exists(), "capture {} not found", path.display());
    let extraction = dns_messages(&path, &[]);
    assert_eq!(extraction.error, None, "{file}");
    let parsed = extraction
        .messages
        .iter()
        .map(|payload| parse(&payload.bytes, &ParseOptions::default()).expect("header"))
        .collect::<Vec<_>>();
    for message in &parsed {
        let serious: Vec<_> = message
            .anomalies
            .iter()
            .filter(|anomaly| !anomaly.is_informational())
            .collect();
        assert!(serious.is_empty(), "{file}: {serious:?}");
    }
    parsed
}

fn response(messages: &[Message]) -> &Message {
    messages
        .iter()
        .find(|message| message.header.qr)
        .expect("capture holds a response")
}

fn data(record: &Record) -> &str {
    &record.data.as_ref().expect("record renders").data
}

fn extra<'a>(record: &'a Record, key: &str) -> Option<&'a FieldValue> {
    record.data.as_ref().and_then(|rdata| rdata.get(key))
}

fn text(value: &str) -> FieldValue {
    FieldValue::Str(value.to_owned())
}

#[test]
fn google_com_sixteen_answers() {
    let messages = messages("dns_google_com.pcap");
    let query = &messages[0];
    assert_eq!(query.header.id, 0x4807);
    assert_eq!(query.questions[0].name, "google.com");
    assert_eq!(query.header_flags(), vec!["RD"]);
    let response = response(&messages);
    assert_eq!(response.answers.len(), 16);
    assert!(response.answers.iter().all(|record| record.ttl == 126));
    assert_eq!(response.resolved_ips().count(), 16);
    assert_eq!(response.header_flags(), vec!["RD", "RA"]);
    assert_eq!(response.wire_len, 284);
}

#[test]
fn not_found_soa_authority() {
    let messages = messages("dns_not_found.pcap");
    let response = response(&messages);
    assert_eq!(response.rcode().to_string(), "NXDOMAIN");
    assert_eq!(response.answers.len(), 0);
    let soa = &response.authorities[0];
    assert_eq!(soa.rtype, Rtype::SOA);
    assert_eq!(soa.ttl, 838);
    assert_eq!(data(soa), "ns-1183.awsdns-19.org");
    assert_eq!(
        extra(soa, "rname"),
        Some(&text("awsdns-hostmaster.amazon.com"))
    );
    assert_eq!(extra(soa, "serial"), Some(&FieldValue::Int(1)));
    assert_eq!(extra(soa, "refresh"), Some(&FieldValue::Int(7200)));
    assert_eq!(extra(soa, "retry"), Some(&FieldValue::Int(900)));
    assert_eq!(extra(soa, "expire"), Some(&FieldValue::Int(1209600)));
    assert_eq!(extra(soa, "minimum"), Some(&FieldValue::Int(86400)));
}

#[test]
fn mx_preferences_and_ns() {
    let messages = messages("dns_mx.pcap");
    let response = response(&messages);
    let preferences: Vec<Option<&FieldValue>> = response
        .answers
        .iter()
        .map(|record| extra(record, "preference"))
        .collect();
    let expected = [1, 10, 10, 5, 5].map(FieldValue::Int);
    assert_eq!(preferences, expected.iter().map(Some).collect::<Vec<_>>());
    assert!(response.answers.iter().all(|record| record.ttl == 276));
    assert_eq!(response.authorities.len(), 4);
    assert!(response
        .authorities
        .iter()
        .all(|record| record.rtype == Rtype::NS));
}

#[test]
fn txt_strings_as_packetbeat() {
    let messages = messages("dns_txt.pcap");
    let response = response(&messages);
    assert_eq!(response.header.id, 6075);
    let texts: Vec<&str> = response.answers.iter().map(data).collect();
    assert_eq!(
        texts,
        vec![
            "globalsign-domain-verification=l2wl8KOddZFyKJFy_NG1ZUFdWDEIR3dT3Gk2O0_9wS",
            "v=spf1 include:_spf.google.com include:support.zendesk.com \
             include:mail.zendesk.com include:mktomail.com include:servers.mcsv.net ?all",
        ]
    );
}

#[test]
fn additional_a_record() {
    let messages = messages("dns_additional.pcap");
    let response = response(&messages);
    assert_eq!(data(&response.answers[0]), "193.99.144.80");
    assert_eq!(response.authorities.len(), 5);
    assert_eq!(response.additionals.len(), 1);
    assert_eq!(response.additionals[0].name, "ns.heise.de");
    assert_eq!(data(&response.additionals[0]), "193.99.145.37");
    assert_eq!(response.additionals[0].ttl, 1298);
}

#[test]
fn edns_ds_and_rrsig() {
    let messages = messages("dns_udp_edns_ds.pcap");
    let query = &messages[0];
    assert_eq!(query.opt.as_ref().map(|opt| opt.udp_size), Some(4096));
    let response = response(&messages);
    let opt = response.opt.as_ref().expect("response OPT");
    assert_eq!(opt.udp_size, 4000);
    assert!(opt.do_bit);
    assert_eq!(opt.version, 0);
    assert_eq!(opt.ext_rcode_value().to_string(), "NOERROR");
    assert_eq!(response.header_flags(), vec!["RD", "RA", "AD", "DO"]);
    let ds: Vec<&Record> = response
        .answers
        .iter()
        .filter(|record| record.rtype == Rtype::DS)
        .collect();
    assert_eq!(ds.len(), 2);
    assert_eq!(extra(ds[0], "key_tag"), Some(&text("45586")));
    assert_eq!(extra(ds[0], "algorithm"), Some(&text("RSASHA1")));
    let digest_types: Vec<_> = ds
        .iter()
        .map(|record| extra(record, "digest_type"))
        .collect();
    assert!(digest_types.contains(&Some(&text("SHA256"))));
    assert!(digest_types.contains(&Some(&text("SHA1"))));
    let rrsig = response
        .answers
        .iter()
        .find(|record| record.rtype == Rtype::RRSIG)
        .expect("RRSIG answer");
    assert_eq!(extra(rrsig, "type_covered"), Some(&text("DS")));
    assert_eq!(extra(rrsig, "algorithm"), Some(&text("RSASHA1-NSEC3-SHA1")));
    assert_eq!(extra(rrsig, "labels"), Some(&text("2")));
    assert_eq!(extra(rrsig, "original_ttl"), Some(&text("86400")));
    assert_eq!(extra(rrsig, "expiration"), Some(&text("20130207154924")));
    assert_eq!(extra(rrsig, "inception"), Some(&text("20130117144924")));
}

#[test]
fn tcp_axfr_four_answers() {
    let messages = messages("dns_tcp_axfr.pcap");
    let response = response(&messages);
    let types: Vec<String> = response
        .answers
        .iter()
        .map(|record| record.rtype.to_string())
        .collect();
    assert_eq!(types, vec!["SOA", "NS", "A", "SOA"]);
    assert_eq!(response.answers[2].name, "welcome.etas.com");
    assert_eq!(data(&response.answers[2]), "1.1.1.1");
    assert_eq!(response.questions[0].qtype.to_string(), "AXFR");
    let query = &messages[0];
    assert_eq!(
        query.anomalies.first().map(ToString::to_string).as_deref(),
        Some("2 trailing bytes after the last record at offset 26")
    );
    assert!(query.anomalies[0].is_informational());
}

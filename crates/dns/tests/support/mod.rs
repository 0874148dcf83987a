//! Byte builders for hand-written DNS messages, and DNS messages read from capture files.

#![allow(dead_code)]

pub mod capture;

/// Builds a header with the given id, flag bytes and section counts.
pub fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut out = id.to_be_bytes().to_vec();
    out.extend_from_slice(&flags.to_be_bytes());
    for count in counts {
        out.extend_from_slice(&count.to_be_bytes());
    }
    out
}

/// Encodes a dotted name without compression; `""` is the root.
pub fn name(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in text.split('.').filter(|label| !label.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// Encodes a question.
pub fn question(owner: &[u8], qtype: u16, qclass: u16) -> Vec<u8> {
    let mut out = owner.to_vec();
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&qclass.to_be_bytes());
    out
}

/// Encodes a resource record with the given RDATA.
pub fn record(owner: &[u8], rtype: u16, class: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
    let mut out = owner.to_vec();
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&class.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
    out
}

/// Builds a response with one question for `example.com` and the given answer records.
pub fn response_with(answers: &[Vec<u8>]) -> Vec<u8> {
    let mut out = header(0x1234, 0x8180, [1, answers.len() as u16, 0, 0]);
    out.extend(question(&name("example.com"), 1, 1));
    for answer in answers {
        out.extend_from_slice(answer);
    }
    out
}

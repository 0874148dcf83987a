//! Builders of DNS wire messages and pairing inputs for unit tests.

use std::net::SocketAddr;

use dnstel_packet::Timestamp;

use crate::input::{DnsDatagram, DnsSegment, TcpFlags};
use crate::{Pairing, PairingConfig, Transaction};

/// Client and server addresses used throughout the tests.
pub const CLIENT: &str = "192.0.2.10:40000";
pub const SERVER: &str = "192.0.2.53:53";

pub fn address(text: &str) -> SocketAddr {
    text.parse().expect("test address literal is valid")
}

/// Returns a timestamp `millis` milliseconds after an arbitrary epoch.
pub fn at(millis: i64) -> Timestamp {
    Timestamp(1_700_000_000_000_000_000 + millis * 1_000_000)
}

/// Wire-format message under construction.
#[derive(Clone, Debug)]
pub struct Wire {
    id: u16,
    response: bool,
    rcode: u8,
    question: Option<String>,
    answers: usize,
    /// Answers claimed in the header but missing from the wire.
    missing_answers: u16,
    opt_padding: Option<usize>,
    trailing: Vec<u8>,
}

impl Wire {
    pub fn query(id: u16) -> Self {
        Wire {
            id,
            response: false,
            rcode: 0,
            question: Some("example.com".to_owned()),
            answers: 0,
            missing_answers: 0,
            opt_padding: None,
            trailing: Vec::new(),
        }
    }

    pub fn response(id: u16) -> Self {
        Wire {
            response: true,
            answers: 1,
            ..Wire::query(id)
        }
    }

    /// Builds a response with no question and no records, like a REFUSED or FORMERR reply.
    pub fn header_only(id: u16, rcode: u8) -> Self {
        Wire {
            rcode,
            question: None,
            answers: 0,
            ..Wire::response(id)
        }
    }

    pub fn answers(mut self, count: usize) -> Self {
        self.answers = count;
        self
    }

    /// Adds an OPT record carrying `padding` bytes of EDNS padding.
    pub fn edns(mut self, padding: usize) -> Self {
        self.opt_padding = Some(padding);
        self
    }

    /// Claims `count` more answers in the header than the message holds (a truncation).
    pub fn missing_answers(mut self, count: u16) -> Self {
        self.missing_answers = count;
        self
    }

    /// Appends bytes after the last record (a parser anomaly).
    pub fn trailing(mut self, bytes: &[u8]) -> Self {
        self.trailing = bytes.to_vec();
        self
    }

    pub fn build(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.id.to_be_bytes());
        let flags: u16 = (u16::from(self.response) << 15) | 0x0100 | u16::from(self.rcode);
        out.extend_from_slice(&flags.to_be_bytes());
        let question_count = u16::from(self.question.is_some());
        out.extend_from_slice(&question_count.to_be_bytes());
        let answer_count = self.answers as u16 + self.missing_answers;
        out.extend_from_slice(&answer_count.to_be_bytes());
        out.extend_from_slice(&0u16.to_be_bytes());
        let additional_count = u16::from(self.opt_padding.is_some());
        out.extend_from_slice(&additional_count.to_be_bytes());
        if let Some(name) = &self.question {
            for label in name.split('.') {
                out.push(label.len() as u8);
                out.extend_from_slice(label.as_bytes());
            }
            out.push(0);
            out.extend_from_slice(&[0, 1, 0, 1]);
        }
        for index in 0..self.answers {
            // Owner: pointer to the question name; type A, class IN, TTL 60, 4 bytes.
            out.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            out.extend_from_slice(&[198, 51, 100, (index % 256) as u8]);
        }
        if let Some(padding) = self.opt_padding {
            out.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0, 0]);
            let option_length = if padding > 0 { 4 + padding } else { 0 };
            out.extend_from_slice(&(option_length as u16).to_be_bytes());
            if padding > 0 {
                out.extend_from_slice(&12u16.to_be_bytes());
                out.extend_from_slice(&(padding as u16).to_be_bytes());
                out.extend(std::iter::repeat_n(0u8, padding));
            }
        }
        out.extend_from_slice(&self.trailing);
        out
    }

    /// Returns the message with its TCP length prefix.
    pub fn framed(&self) -> Vec<u8> {
        let body = self.build();
        let mut out = (body.len() as u16).to_be_bytes().to_vec();
        out.extend_from_slice(&body);
        out
    }
}

/// Builds a pairing with the default configuration.
pub fn pairing() -> Pairing {
    Pairing::new(PairingConfig::default()).expect("default configuration is valid")
}

pub fn udp<'a>(millis: i64, source: &str, destination: &str, payload: &'a [u8]) -> DnsDatagram<'a> {
    DnsDatagram {
        timestamp: at(millis),
        source: address(source),
        destination: address(destination),
        payload,
    }
}

/// Sends a UDP message from `source` to `destination`.
pub fn send_udp(pairing: &mut Pairing, millis: i64, source: &str, destination: &str, wire: &Wire) {
    let bytes = wire.build();
    pairing.process_udp(&udp(millis, source, destination, &bytes));
}

pub fn segment<'a>(
    millis: i64,
    source: &str,
    destination: &str,
    sequence: u32,
    flags: TcpFlags,
    payload: &'a [u8],
) -> DnsSegment<'a> {
    DnsSegment {
        timestamp: at(millis),
        source: address(source),
        destination: address(destination),
        sequence,
        flags,
        acknowledgment: None,
        payload,
    }
}

pub const DATA: TcpFlags = TcpFlags {
    syn: false,
    fin: false,
    rst: false,
};
pub const SYN: TcpFlags = TcpFlags {
    syn: true,
    fin: false,
    rst: false,
};
pub const FIN: TcpFlags = TcpFlags {
    syn: false,
    fin: true,
    rst: false,
};
pub const RST: TcpFlags = TcpFlags {
    syn: false,
    fin: false,
    rst: true,
};

/// Drains every completed transaction.
pub fn drain(pairing: &mut Pairing) -> Vec<Transaction> {
    pairing.drain().collect()
}

/// Returns the only transaction emitted so far.
pub fn single(pairing: &mut Pairing) -> Transaction {
    let mut all = drain(pairing);
    assert_eq!(all.len(), 1, "expected one transaction, got {all:#?}");
    all.remove(0)
}

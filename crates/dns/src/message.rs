//! The parsed message: header, questions, records, EDNS and anomalies.
//!
//! Everything here is owned data rendered once at parse time, so later stages (pairing, the
//! event encoder) read strings and numbers without touching the wire bytes again.

use smallvec::SmallVec;

use crate::anomaly::Anomaly;
use crate::edns::Opt;
use crate::rdata::Rdata;
use crate::types::{Class, Opcode, Rcode, Rtype};

/// Size of the fixed DNS header in bytes.
pub const HEADER_LEN: usize = 12;

/// Options that change how the wire is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Whether the top bit of each class is the mDNS/LLMNR flag (RFC 6762 sections 18.12 and
    /// 10.2). In a question it is the QU bit ([`Question::unicast_response`]), and in a record
    /// the cache-flush bit ([`Record::cache_flush`]). The class keeps its name (`IN`). When unset,
    /// the bit stays in the class number, which then prints as `32769` as in Packetbeat.
    pub multicast_class_bit: bool,
}

/// The 12-byte header, as on the wire (before any EDNS extended rcode merge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Message ID.
    pub id: u16,
    /// QR: true for a response.
    pub qr: bool,
    /// OPCODE.
    pub opcode: Opcode,
    /// AA: authoritative answer.
    pub aa: bool,
    /// TC: truncated.
    pub tc: bool,
    /// RD: recursion desired.
    pub rd: bool,
    /// RA: recursion available.
    pub ra: bool,
    /// Z: the reserved bit (bit 6 of the flags byte).
    pub z: bool,
    /// AD: authentic data (RFC 4035).
    pub ad: bool,
    /// CD: checking disabled (RFC 4035).
    pub cd: bool,
    /// The 4-bit RCODE of the header only. [`Message::rcode`] returns the EDNS-merged value.
    pub rcode: Rcode,
    /// QDCOUNT as sent.
    pub qdcount: u16,
    /// ANCOUNT as sent.
    pub ancount: u16,
    /// NSCOUNT as sent.
    pub nscount: u16,
    /// ARCOUNT as sent (includes the OPT record).
    pub arcount: u16,
}

/// One entry of the question section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// QNAME in presentation form with the trailing dot removed (the root stays `.`), escaped
    /// as Packetbeat escapes names. This is `dns.question.name` and `resource`.
    pub name: String,
    /// QTYPE.
    pub qtype: Rtype,
    /// QCLASS, without the top bit when [`ParseOptions::multicast_class_bit`] is set.
    pub qclass: Class,
    /// mDNS QU bit (top bit of QCLASS), false unless the multicast option is set.
    pub unicast_response: bool,
}

/// One resource record of the answer, authority or additional section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Owner name, presentation form, trailing dot removed (the root stays `.`).
    pub name: String,
    /// TYPE.
    pub rtype: Rtype,
    /// CLASS, without the top bit when [`ParseOptions::multicast_class_bit`] is set.
    pub class: Class,
    /// mDNS cache-flush bit (top bit of CLASS), false unless the multicast option is set.
    pub cache_flush: bool,
    /// TTL in seconds (Packetbeat prints it as a decimal string).
    pub ttl: u32,
    /// Rendered RDATA, or `None` where Packetbeat renders nothing for the record (A or AAAA
    /// with empty RDATA). Such a record still counts in the section count.
    pub data: Option<Rdata>,
}

/// Message section, used to say where an anomaly was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    /// The header.
    Header,
    /// The question section.
    Question,
    /// The answer section.
    Answer,
    /// The authority section.
    Authority,
    /// The additional section.
    Additional,
}

impl Section {
    /// Returns the lowercase section name used in anomaly texts.
    pub fn name(self) -> &'static str {
        match self {
            Section::Header => "header",
            Section::Question => "question",
            Section::Answer => "answer",
            Section::Authority => "authority",
            Section::Additional => "additional",
        }
    }
}

/// A parsed DNS message: what could be read, plus what was wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The fixed header.
    pub header: Header,
    /// Every question parsed, in wire order. Events use the first. A message almost always has
    /// one, which is stored inline, so it costs no allocation of its own.
    pub questions: SmallVec<[Question; 1]>,
    /// Answer records parsed, in wire order (`dns.answers_count` is its length).
    pub answers: Vec<Record>,
    /// Authority records parsed, in wire order.
    pub authorities: Vec<Record>,
    /// Additional records parsed, in wire order, without the OPT pseudo-record.
    pub additionals: Vec<Record>,
    /// The EDNS OPT pseudo-record (the first one, if several were sent).
    pub opt: Option<Opt>,
    /// Everything wrong with the message, in the order found. Empty for a clean message.
    pub anomalies: Vec<Anomaly>,
    /// Length of the message in bytes as given to the parser.
    pub wire_len: usize,
}

impl Message {
    /// Returns the full response code: the header RCODE with the EDNS extended bits ORed in
    /// above it, as Packetbeat computes `dns.response_code` and `status`.
    pub fn rcode(&self) -> Rcode {
        let extended = self
            .opt
            .as_ref()
            .map_or(0, |opt| u16::from(opt.ext_rcode) << 4);
        Rcode(self.header.rcode.0 | extended)
    }

    /// Returns the number of questions parsed.
    pub fn question_count(&self) -> usize {
        self.questions.len()
    }

    /// Returns the first question, the one events describe.
    pub fn first_question(&self) -> Option<&Question> {
        self.questions.first()
    }

    /// Returns whether the message carried an OPT record with the DO bit set.
    pub fn dnssec_ok(&self) -> bool {
        self.opt.as_ref().is_some_and(|opt| opt.do_bit)
    }

    /// Returns the header flags that are set, in Packetbeat's `dns.header_flags` order:
    /// `AA`, `TC`, `RD`, `RA`, `AD`, `CD`, then `DO` from the OPT record.
    pub fn header_flags(&self) -> Vec<&'static str> {
        let header = &self.header;
        let flags = [
            (header.aa, "AA"),
            (header.tc, "TC"),
            (header.rd, "RD"),
            (header.ra, "RA"),
            (header.ad, "AD"),
            (header.cd, "CD"),
            (self.dnssec_ok(), "DO"),
        ];
        flags
            .into_iter()
            .filter_map(|(set, name)| set.then_some(name))
            .collect()
    }

    /// Returns every A and AAAA `data` of the answer section in wire order, duplicates kept
    /// (`dns.resolved_ip`).
    pub fn resolved_ips(&self) -> impl Iterator<Item = &str> {
        self.answers
            .iter()
            .filter(|record| record.rtype == Rtype::A || record.rtype == Rtype::AAAA)
            .filter_map(|record| record.data.as_ref())
            .map(|rdata| rdata.data.as_str())
    }
}

/// Failure to read even the fixed header.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The input is shorter than the 12-byte header.
    #[error("message of {len} bytes is shorter than the 12-byte header")]
    TooShort {
        /// Length of the input in bytes.
        len: usize,
    },
}

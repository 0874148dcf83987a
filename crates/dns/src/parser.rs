//! The message parser: header, question and record sections, and the OPT pseudo-record.
//!
//! Work is linear in the message size. Every question consumes at least 5 bytes and every
//! record at least 11, so no section count can make the parser loop past the input, and each
//! name is bounded by the hop and length limits in `name.rs`.

use std::ops::Range;

use smallvec::SmallVec;

use crate::anomaly::{Anomaly, MAX_ANOMALIES};
use crate::edns::Opt;
use crate::message::HEADER_LEN;
use crate::message::{Header, HeaderError, Message, ParseOptions, Question, Record, Section};
use crate::name::{read_name, WireName};
use crate::options::read_options;
use crate::reader::Reader;
use crate::render::{render, RdataInput};
use crate::types::{Class, Opcode, Rcode, Rtype};

/// Wire length of the smallest question: the root name, QTYPE and QCLASS.
const MIN_QUESTION_LEN: usize = 5;
/// Wire length of the smallest record: the root name, TYPE, CLASS, TTL and RDLENGTH.
const MIN_RECORD_LEN: usize = 11;

/// Top bit of a class field: the mDNS QU or cache-flush flag.
const MULTICAST_CLASS_BIT: u16 = 0x8000;

/// Parses one DNS message as [`crate::parse`] documents.
///
/// Every part is written straight into the boxed message, so returning it moves only the
/// pointer. Returning parts by value and moving them into the box stalled the CPU on loads
/// that overlap several earlier stores.
pub(crate) fn parse_message(
    bytes: &[u8],
    options: &ParseOptions,
) -> Result<Box<Message>, HeaderError> {
    let header = read_header(bytes)?;
    let mut message = Box::new(Message {
        header,
        questions: SmallVec::new(),
        answers: Vec::new(),
        authorities: Vec::new(),
        additionals: Vec::new(),
        opt: None,
        anomalies: Vec::new(),
        wire_len: bytes.len(),
    });
    let mut parser = Parser {
        message: bytes,
        position: HEADER_LEN,
        options: *options,
        parsed: &mut message,
        uncompressed_question_start: None,
        stopped: false,
    };
    parser.read_questions(header.qdcount);
    parser.read_records(Section::Answer, header.ancount);
    parser.read_records(Section::Authority, header.nscount);
    parser.read_records(Section::Additional, header.arcount);
    parser.check_trailing_bytes();
    Ok(message)
}

fn read_header(bytes: &[u8]) -> Result<Header, HeaderError> {
    let mut reader = Reader::new(bytes, 0);
    let too_short = HeaderError::TooShort { len: bytes.len() };
    let fields = (
        reader.u16(),
        reader.u8(),
        reader.u8(),
        reader.u16(),
        reader.u16(),
        reader.u16(),
        reader.u16(),
    );
    let (
        Some(id),
        Some(high),
        Some(low),
        Some(qdcount),
        Some(ancount),
        Some(nscount),
        Some(arcount),
    ) = fields
    else {
        return Err(too_short);
    };
    Ok(Header {
        id,
        qr: high & 0x80 != 0,
        opcode: Opcode((high >> 3) & 0x0F),
        aa: high & 0x04 != 0,
        tc: high & 0x02 != 0,
        rd: high & 0x01 != 0,
        ra: low & 0x80 != 0,
        z: low & 0x40 != 0,
        ad: low & 0x20 != 0,
        cd: low & 0x10 != 0,
        rcode: Rcode(u16::from(low & 0x0F)),
        qdcount,
        ancount,
        nscount,
        arcount,
    })
}

/// Outcome of reading one question or record. A parsed entry goes straight into the message,
/// because returning it by value and moving it there stalled on overlapping stores.
enum Step {
    /// The entry was consumed: added to the message, or dropped (malformed, or the OPT record).
    Read,
    /// The section cannot be read further.
    Stop,
}

/// The fixed fields of a record after its owner name.
struct FixedFields {
    rtype: Rtype,
    raw_class: u16,
    ttl: u32,
    /// Offsets of the RDATA in the message.
    rdata: Range<usize>,
}

struct Parser<'a> {
    message: &'a [u8],
    position: usize,
    options: ParseOptions,
    /// The message being filled. Its header is set, and the parser adds everything else.
    parsed: &'a mut Message,
    /// Offset of the name of `parsed.questions[0]` when that name contains no compression
    /// pointer.
    uncompressed_question_start: Option<usize>,
    /// Set once a section could not be read to its end, so later sections are not read.
    stopped: bool,
}

impl Parser<'_> {
    fn read_questions(&mut self, count: u16) {
        let capacity = self.capacity_for(count, MIN_QUESTION_LEN);
        self.parsed.questions.reserve_exact(capacity);
        for _ in 0..count {
            if self.should_stop() {
                break;
            }
            if let Step::Stop = self.read_question() {
                self.stop();
            }
        }
    }

    /// Returns the capacity for `count` entries of at least `min_len` bytes each that the rest
    /// of the message can hold, so a forged count cannot make the parser reserve more memory
    /// than the message justifies.
    fn capacity_for(&self, count: u16, min_len: usize) -> usize {
        let remaining = self.message.len().saturating_sub(self.position);
        usize::from(count).min(remaining / min_len)
    }

    fn read_records(&mut self, section: Section, count: u16) {
        let capacity = self.capacity_for(count, MIN_RECORD_LEN);
        self.section_records(section).reserve_exact(capacity);
        for _ in 0..count {
            if self.should_stop() {
                break;
            }
            if let Step::Stop = self.read_record(section) {
                self.stop();
            }
        }
    }

    /// Returns the record list of `section`, one of the three record sections.
    fn section_records(&mut self, section: Section) -> &mut Vec<Record> {
        match section {
            Section::Answer => &mut self.parsed.answers,
            Section::Authority => &mut self.parsed.authorities,
            _ => &mut self.parsed.additionals,
        }
    }

    /// Returns whether parsing must end, stopping it when the anomaly limit is passed.
    fn should_stop(&mut self) -> bool {
        if !self.stopped && self.parsed.anomalies.len() > MAX_ANOMALIES {
            self.parsed.anomalies.truncate(MAX_ANOMALIES);
            self.parsed.anomalies.push(Anomaly::TooManyAnomalies {
                offset: self.position,
            });
            self.stopped = true;
        }
        self.stopped
    }

    /// Marks the parse as stopped. Every path that stops has already recorded why.
    fn stop(&mut self) {
        self.stopped = true;
    }

    /// Reads the owner name at the current position. On failure the anomaly is recorded
    /// and the position moved past the name when that is known.
    fn owner_name(&mut self, section: Section) -> Result<Option<WireName>, ()> {
        if let Some(text) = self.pointed_question_name() {
            self.position += 2;
            return Ok(Some(WireName {
                text,
                end: self.position,
                compressed: true,
            }));
        }
        match read_name(self.message, self.position, section) {
            Ok(name) => {
                self.position = name.end;
                Ok(Some(name))
            }
            Err(error) => {
                self.parsed.anomalies.push(error.anomaly);
                match error.resume {
                    Some(resume) => {
                        self.position = resume;
                        Ok(None)
                    }
                    None => Err(()),
                }
            }
        }
    }

    /// Returns a copy of the first question's name when the name at the current position is
    /// a compression pointer to it, as most answer names are. Reading the name again would give
    /// the same text, because the question's name has no pointer and so the read follows one.
    fn pointed_question_name(&self) -> Option<String> {
        let start = self.uncompressed_question_start?;
        let pointer = self.message.get(self.position..self.position + 2)?;
        let target = usize::from(u16::from_be_bytes([pointer[0] & 0x3F, pointer[1]]));
        if pointer[0] & 0xC0 != 0xC0 || target != start {
            return None;
        }
        self.parsed
            .questions
            .first()
            .map(|question| question.name.clone())
    }

    /// Reads one question into the message.
    fn read_question(&mut self) -> Step {
        let start = self.position;
        let Ok(name) = self.owner_name(Section::Question) else {
            return Step::Stop;
        };
        let mut reader = Reader::new(self.message, self.position);
        let (Some(qtype), Some(raw_class)) = (reader.u16(), reader.u16()) else {
            self.push_truncated(Section::Question);
            return Step::Stop;
        };
        self.position = reader.position();
        let Some(name) = name else {
            return Step::Read;
        };
        if self.parsed.questions.is_empty() && !name.compressed {
            self.uncompressed_question_start = Some(start);
        }
        let (qclass, unicast_response) = self.split_class(raw_class);
        self.parsed.questions.push(Question {
            name: name.text,
            qtype: Rtype(qtype),
            qclass,
            unicast_response,
        });
        Step::Read
    }

    /// Reads one record of `section` into the message.
    fn read_record(&mut self, section: Section) -> Step {
        let record_start = self.position;
        let Ok(name) = self.owner_name(section) else {
            return Step::Stop;
        };
        let Some(fields) = self.fixed_fields(section) else {
            return Step::Stop;
        };
        let Some(WireName { text: name, .. }) = name else {
            return Step::Read;
        };
        if fields.rtype == Rtype::OPT {
            self.take_opt(section, record_start, &name, &fields);
            return Step::Read;
        }
        let input = RdataInput {
            message: self.message,
            rtype: fields.rtype,
            start: fields.rdata.start,
            end: fields.rdata.end,
            section,
        };
        match render(&input) {
            Ok(data) => {
                let (class, cache_flush) = self.split_class(fields.raw_class);
                self.section_records(section).push(Record {
                    name,
                    rtype: fields.rtype,
                    class,
                    cache_flush,
                    ttl: fields.ttl,
                    data,
                });
            }
            Err(anomaly) => self.parsed.anomalies.push(anomaly),
        }
        Step::Read
    }

    /// Reads TYPE, CLASS, TTL and RDLENGTH after an owner name and moves past the RDATA.
    /// Returns `None`, with the anomaly recorded, when the message ends first.
    fn fixed_fields(&mut self, section: Section) -> Option<FixedFields> {
        let mut reader = Reader::new(self.message, self.position);
        let fixed = (reader.u16(), reader.u16(), reader.u32(), reader.u16());
        let (Some(rtype), Some(raw_class), Some(ttl), Some(rdlength)) = fixed else {
            self.push_truncated(section);
            return None;
        };
        let rdata_start = reader.position();
        let rdata_end = rdata_start + usize::from(rdlength);
        if rdata_end > self.message.len() {
            self.parsed.anomalies.push(Anomaly::RdataOverrun {
                offset: rdata_start,
                rdlength,
                remaining: self.message.len() - rdata_start,
            });
            self.position = self.message.len();
            return None;
        }
        self.position = rdata_end;
        Some(FixedFields {
            rtype: Rtype(rtype),
            raw_class,
            ttl,
            rdata: rdata_start..rdata_end,
        })
    }

    /// Stores the first OPT record of the additional section and reports any other.
    fn take_opt(&mut self, section: Section, offset: usize, name: &str, fields: &FixedFields) {
        if section != Section::Additional {
            self.parsed
                .anomalies
                .push(Anomaly::MisplacedOpt { section, offset });
            return;
        }
        if self.parsed.opt.is_some() {
            self.parsed.anomalies.push(Anomaly::DuplicateOpt { offset });
            return;
        }
        if name != "." {
            self.parsed.anomalies.push(Anomaly::OptNotRoot { offset });
        }
        let bytes = self.message.get(fields.rdata.clone()).unwrap_or_default();
        let options = read_options(bytes, fields.rdata.start, &mut self.parsed.anomalies);
        // The OPT TTL contains the extended rcode, the version, and the DO bit with 15 flags.
        let [ext_rcode, version, flags_high, flags_low] = fields.ttl.to_be_bytes();
        let flags = u16::from_be_bytes([flags_high, flags_low]);
        self.parsed.opt = Some(Opt {
            version,
            do_bit: flags & 0x8000 != 0,
            // The OPT CLASS field is the requestor's UDP payload size.
            udp_size: fields.raw_class,
            ext_rcode,
            z: flags & 0x7FFF,
            options,
        });
    }

    fn split_class(&self, raw: u16) -> (Class, bool) {
        if self.options.multicast_class_bit {
            (
                Class(raw & !MULTICAST_CLASS_BIT),
                raw & MULTICAST_CLASS_BIT != 0,
            )
        } else {
            (Class(raw), false)
        }
    }

    fn push_truncated(&mut self, section: Section) {
        self.parsed.anomalies.push(Anomaly::Truncated {
            section,
            offset: self.position,
        });
        self.position = self.message.len();
    }

    fn check_trailing_bytes(&mut self) {
        if self.should_stop() || self.position >= self.message.len() {
            return;
        }
        self.parsed.anomalies.push(Anomaly::TrailingBytes {
            offset: self.position,
            count: self.message.len() - self.position,
        });
    }
}

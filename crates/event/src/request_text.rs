//! The `request` and `response` texts written with `send_request` / `send_response`.
//!
//! Layout (Packetbeat 7.17): `ID <id>; QR <query|response>; OPCODE <op>; FLAGS <flags>;
//! RCODE <rcode>`, then `; QUESTION `, `; ANSWER `, `; AUTHORITY ` and `; ADDITIONAL `
//! sections for the non-empty ones, entries joined by `; `. Flags are the lowercase set
//! header bits (`aa tc rd ra ad cd`). A question prints as `class IN, type A, name`. A
//! record prints only its type-specific keys, sorted by name, as `key value, `, then its
//! `data`. Packetbeat prints string keys only, so the numeric keys (MX preference, SOA
//! timers, SRV priority/weight/port) are absent. The OPT record prints as an empty entry,
//! so an EDNS message ends with `; ADDITIONAL ` and a trailing space.

use std::fmt::Write as _;

use dnstel_dns::{FieldValue, Message, Question, Record};

/// Renders `message` as Packetbeat's `dnsToString` does.
pub fn message_text(message: &Message) -> String {
    let mut text = String::with_capacity(128);
    write_header(&mut text, message);

    if !message.questions.is_empty() {
        text.push_str("; QUESTION ");
        for (index, question) in message.questions.iter().enumerate() {
            if index > 0 {
                text.push_str("; ");
            }
            write_question(&mut text, question);
        }
    }
    write_section(&mut text, "ANSWER", &message.answers, false);
    write_section(&mut text, "AUTHORITY", &message.authorities, false);
    write_section(
        &mut text,
        "ADDITIONAL",
        &message.additionals,
        message.opt.is_some(),
    );
    text
}

/// Formats a question as `class <class>, type <type>, <name>` (the `query` field).
pub fn question_text(question: &Question) -> String {
    let mut text = String::with_capacity(question.name.len() + 24);
    write_question(&mut text, question);
    text
}

fn write_header(text: &mut String, message: &Message) {
    let header = &message.header;
    let flags = [
        (header.aa, "aa"),
        (header.tc, "tc"),
        (header.rd, "rd"),
        (header.ra, "ra"),
        (header.ad, "ad"),
        (header.cd, "cd"),
    ];
    let set_flags: Vec<&str> = flags
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect();
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "ID {}; QR {}; OPCODE {}; FLAGS {}; RCODE {}",
        header.id,
        if header.qr { "response" } else { "query" },
        header.opcode,
        set_flags.join(" "),
        message.rcode(),
    );
}

fn write_question(text: &mut String, question: &Question) {
    let _ = write!(
        text,
        "class {}, type {}, {}",
        question.qclass, question.qtype, question.name
    );
}

/// Writes `; <title> ` and the records. `with_opt` adds the OPT record's empty entry last,
/// because the parser takes OPT out of the additional section and senders put it last.
fn write_section(text: &mut String, title: &str, records: &[Record], with_opt: bool) {
    if records.is_empty() && !with_opt {
        return;
    }
    text.push_str("; ");
    text.push_str(title);
    text.push(' ');
    for (index, record) in records.iter().enumerate() {
        if index > 0 {
            text.push_str("; ");
        }
        write_record(text, record);
    }
    if with_opt && !records.is_empty() {
        text.push_str("; ");
    }
}

fn write_record(text: &mut String, record: &Record) {
    let Some(rdata) = &record.data else {
        return;
    };
    let mut keys: Vec<(&str, &str)> = rdata
        .extra
        .iter()
        .filter_map(|(key, value)| match value {
            FieldValue::Str(value) => Some((*key, value.as_str())),
            FieldValue::Int(_) | FieldValue::Bool(_) => None,
        })
        .collect();
    keys.sort_unstable_by_key(|(key, _)| *key);
    for (key, value) in keys {
        let _ = write!(text, "{key} {value}, ");
    }
    text.push_str(&rdata.data);
}

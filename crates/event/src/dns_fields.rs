//! Writes the `dns` object: header fields, question with public suffix fields, record
//! sections, `resolved_ip` and `opt`.
//!
//! JSON types follow Packetbeat 7.17. `id` is a number, while `ttl` and `opt.version` are
//! strings. `header_flags` is `[]` when no flag is set. Record `data` is always a string, and
//! the extra record keys keep the type the DNS parser gives them.

use std::sync::LazyLock;

use dnstel_dns::{EdnsOption, FieldValue, Header, Message, Opt, OptionValue, Record};

use crate::encode::write_display;
use crate::event::DnsFields;
use crate::json::{self, quoted_key, ObjectWriter};
use crate::registry_names::{write_class, write_opcode, write_rcode, write_rtype};

/// Writes the `dns` object. Its fixed members are written as byte literals.
pub(crate) fn write_dns(out: &mut Vec<u8>, dns: &DnsFields<'_>) {
    let message = dns.message;
    out.extend_from_slice(b"{\"header_flags\":");
    write_header_flags(out, message);
    out.extend_from_slice(b",\"authorities_count\":");
    json::write_u64(out, message.authorities.len() as u64);
    out.extend_from_slice(b",\"answers_count\":");
    json::write_u64(out, message.answers.len() as u64);
    out.extend_from_slice(b",\"additionals_count\":");
    json::write_u64(out, message.additionals.len() as u64);
    write_flags(out, message);

    // The object is not empty here, so the writer only adds the commas.
    let mut object = ObjectWriter::continue_object(out);
    write_records(&mut object, quoted_key!("answers"), &message.answers);
    if dns.include_authorities {
        write_records(
            &mut object,
            quoted_key!("authorities"),
            &message.authorities,
        );
    }
    if dns.include_additionals {
        write_records(
            &mut object,
            quoted_key!("additionals"),
            &message.additionals,
        );
    }
    if message.resolved_ips().next().is_some() {
        let out = object.quoted_key(quoted_key!("resolved_ip"));
        out.push(b'[');
        for (index, address) in message.resolved_ips().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            json::write_str(out, address);
        }
        out.push(b']');
    }

    let out = object.quoted_key(quoted_key!("type"));
    out.push(b'"');
    out.extend_from_slice(dns.kind.as_str().as_bytes());
    out.extend_from_slice(b"\",\"op_code\":");
    write_opcode(out, message.header.opcode);
    write_question(&mut object, dns);
    if let Some(opt) = &message.opt {
        write_opt(object.object("opt"), opt);
    }
    let out = object.quoted_key(quoted_key!("id"));
    json::write_u64(out, u64::from(message.header.id));
    let rcode = message.rcode();
    write_rcode(object.quoted_key(quoted_key!("response_code")), rcode);
    object.end();
}

/// Writes `dns.header_flags`: the set header bits in Packetbeat's order (`AA`, `TC`, `RD`,
/// `RA`, `AD`, `CD`), then `DO` from the OPT record.
fn write_header_flags(out: &mut Vec<u8>, message: &Message) {
    let header = &message.header;
    let flags = [
        (header.aa, b"\"AA\""),
        (header.tc, b"\"TC\""),
        (header.rd, b"\"RD\""),
        (header.ra, b"\"RA\""),
        (header.ad, b"\"AD\""),
        (header.cd, b"\"CD\""),
        (message.dnssec_ok(), b"\"DO\""),
    ];
    out.push(b'[');
    let mut first = true;
    for (set, quoted) in flags {
        if set {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(quoted);
        }
    }
    out.push(b']');
}

/// The `,"flags":{...}` text for each combination of the six header bits, indexed by
/// [`flags_index`]. One copy per event replaces twelve small appends.
static FLAGS_MEMBERS: LazyLock<[Vec<u8>; 64]> = LazyLock::new(|| {
    std::array::from_fn(|index| {
        let mut member = Vec::new();
        render_flags(&mut member, index);
        member
    })
});

fn write_flags(out: &mut Vec<u8>, message: &Message) {
    out.extend_from_slice(&FLAGS_MEMBERS[flags_index(&message.header)]);
}

/// Packs the header bits in the order `render_flags` writes them, the first in bit 0.
fn flags_index(header: &Header) -> usize {
    let bits = [
        header.ra, header.ad, header.cd, header.aa, header.tc, header.rd,
    ];
    bits.iter()
        .enumerate()
        .map(|(position, &set)| usize::from(set) << position)
        .sum()
}

/// Writes `,"flags":{...}` with each flag set when its bit in `index` is.
fn render_flags(out: &mut Vec<u8>, index: usize) {
    let keys: [&[u8]; 6] = [
        b",\"flags\":{\"recursion_available\":",
        b",\"authentic_data\":",
        b",\"checking_disabled\":",
        b",\"authoritative\":",
        b",\"truncated_response\":",
        b",\"recursion_desired\":",
    ];
    for (position, quoted_key) in keys.into_iter().enumerate() {
        out.extend_from_slice(quoted_key);
        json::write_bool(out, index & (1 << position) != 0);
    }
    out.push(b'}');
}

fn write_question(object: &mut ObjectWriter<'_>, dns: &DnsFields<'_>) {
    let message = dns.message;
    let Some(question) = message.first_question() else {
        return;
    };
    // The public suffix fields are parts of the question name in lower case, and lowering the
    // case changes no byte that JSON escapes. So the name is checked for escapes once.
    let plain = json::is_plain(&question.name);
    let write_part = |out: &mut Vec<u8>, part: &str| {
        if plain {
            json::write_plain_str(out, part);
        } else {
            json::write_str(out, part);
        }
    };
    let mut inner = ObjectWriter::new(object.quoted_key(quoted_key!("question")));
    if let Some(domain) = &dns.domain {
        if let Some(tld) = domain.top_level_domain() {
            write_part(inner.quoted_key(quoted_key!("top_level_domain")), tld);
        }
        if let Some(subdomain) = domain.subdomain() {
            write_part(inner.quoted_key(quoted_key!("subdomain")), subdomain);
        }
    }
    let out = inner.quoted_key(quoted_key!("name"));
    write_part(out, &question.name);
    out.extend_from_slice(b",\"type\":");
    write_rtype(out, question.qtype);
    out.extend_from_slice(b",\"class\":");
    write_class(out, question.qclass);
    if let Some(domain) = &dns.domain {
        if let Some(etld_plus_one) = domain.etld_plus_one() {
            write_part(
                inner.quoted_key(quoted_key!("etld_plus_one")),
                etld_plus_one,
            );
        }
        if let Some(registered) = domain.registered_domain() {
            write_part(
                inner.quoted_key(quoted_key!("registered_domain")),
                registered,
            );
        }
    }
    inner.end();
    if message.question_count() > 1 {
        let out = object.quoted_key(quoted_key!("question_count"));
        json::write_u64(out, message.question_count() as u64);
    }
}

/// Writes a record array; records without rendered data are skipped, and the key is left
/// out when none renders.
fn write_records(object: &mut ObjectWriter<'_>, quoted_key: &[u8], records: &[Record]) {
    let mut rendered = records
        .iter()
        .filter(|record| record.data.is_some())
        .peekable();
    if rendered.peek().is_none() {
        return;
    }
    let out = object.quoted_key(quoted_key);
    out.push(b'[');
    for (index, record) in rendered.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_record(out, record);
    }
    out.push(b']');
}

fn write_record(out: &mut Vec<u8>, record: &Record) {
    let Some(rdata) = &record.data else {
        return;
    };
    out.extend_from_slice(b"{\"class\":");
    write_class(out, record.class);
    out.extend_from_slice(b",\"ttl\":\"");
    json::write_u64(out, u64::from(record.ttl));
    out.extend_from_slice(b"\",\"data\":");
    json::write_str(out, &rdata.data);
    out.extend_from_slice(b",\"name\":");
    json::write_str(out, &record.name);
    out.extend_from_slice(b",\"type\":");
    write_rtype(out, record.rtype);
    let mut object = ObjectWriter::continue_object(out);
    for (key, value) in &rdata.extra {
        match value {
            FieldValue::Str(text) => object.str(key, text),
            FieldValue::Int(number) => object.u64(key, *number),
            FieldValue::Bool(flag) => object.bool(key, *flag),
        }
    }
    object.end();
}

/// Writes `dns.opt`. Each option key appears once, where its first option appears. For most
/// keys the last option wins, as in Packetbeat. `ede` collects every Extended DNS Error into
/// an array, and `local` becomes an array when several unknown options are present.
fn write_opt(mut object: ObjectWriter<'_>, opt: &Opt) {
    write_display(object.key("ext_rcode"), &opt.ext_rcode_value());
    object.bool("do", opt.do_bit);
    let version = object.key("version");
    version.push(b'"');
    json::write_u64(version, u64::from(opt.version));
    version.push(b'"');
    object.u64("udp_size", u64::from(opt.udp_size));

    // Option keys form a small fixed set, so the list of keys written stays short and the
    // loop is linear in the number of options.
    let mut written: Vec<&'static str> = Vec::new();
    for option in &opt.options {
        let key = option.key();
        if !written.contains(&key) {
            written.push(key);
            write_option(&mut object, key, &opt.options);
        }
    }
    object.end();
}

fn write_option(object: &mut ObjectWriter<'_>, key: &'static str, options: &[EdnsOption]) {
    let same_key = || options.iter().filter(move |option| option.key() == key);
    match key {
        "ede" => {
            let out = object.key(key);
            out.push(b'[');
            for (index, option) in same_key().enumerate() {
                if let OptionValue::ExtendedError(error) = &option.value {
                    if index > 0 {
                        out.push(b',');
                    }
                    let mut entry = ObjectWriter::new(out);
                    entry.u64("code", u64::from(error.code));
                    entry.str("purpose", error.purpose);
                    entry.str("text", &error.text);
                    entry.end();
                }
            }
            out.push(b']');
        }
        "local" if same_key().count() > 1 => {
            let texts: Vec<&str> = same_key()
                .filter_map(|option| match &option.value {
                    OptionValue::Local(text) => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            object.str_array(key, &texts);
        }
        _ => {
            if let Some(last) = same_key().next_back() {
                write_option_value(object, key, &last.value);
            }
        }
    }
}

fn write_option_value(object: &mut ObjectWriter<'_>, key: &str, value: &OptionValue) {
    match value {
        OptionValue::Subnet(text)
        | OptionValue::Cookie(text)
        | OptionValue::Nsid(text)
        | OptionValue::Dau(text)
        | OptionValue::Dhu(text)
        | OptionValue::N3u(text)
        | OptionValue::Llq(text)
        | OptionValue::UpdateLease(text)
        | OptionValue::Local(text) => object.str(key, text),
        OptionValue::Expire(Some(seconds)) => object.u64(key, u64::from(*seconds)),
        OptionValue::TcpKeepalive(Some(timeout)) => object.u64(key, u64::from(*timeout)),
        OptionValue::Padding(length) => object.u64(key, u64::from(*length)),
        // NOTE: an empty EXPIRE or TCP keepalive option (a client signalling support) has no
        // value to write, so its key is left out.
        OptionValue::Expire(None) | OptionValue::TcpKeepalive(None) => {}
        OptionValue::ExtendedError(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_each_header_bit() {
        for index in 0..64usize {
            let set = |position: usize| index & (1 << position) != 0;
            let mut message =
                dnstel_dns::parse(&[0; 12], &Default::default()).expect("header parses");
            let header = &mut message.header;
            header.ra = set(0);
            header.ad = set(1);
            header.cd = set(2);
            header.aa = set(3);
            header.tc = set(4);
            header.rd = set(5);

            let mut out = Vec::new();
            write_flags(&mut out, &message);
            let expected = format!(
                ",\"flags\":{{\"recursion_available\":{},\"authentic_data\":{},\
                 \"checking_disabled\":{},\"authoritative\":{},\"truncated_response\":{},\
                 \"recursion_desired\":{}}}",
                set(0),
                set(1),
                set(2),
                set(3),
                set(4),
                set(5),
            );
            assert_eq!(String::from_utf8_lossy(&out), expected, "index {index}");
        }
    }
}

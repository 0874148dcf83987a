//! Writes the `dns` object: header fields, question with public suffix fields, record
//! sections, `resolved_ip` and `opt`.
//!
//! JSON types follow Packetbeat 7.17. `id` is a number, while `ttl` and `opt.version` are
//! strings. `header_flags` is `[]` when no flag is set. Record `data` is always a string, and
//! the extra record keys keep the type the DNS parser gives them.

use dnstel_dns::{EdnsOption, FieldValue, Message, Opt, OptionValue, Record};

use crate::encode::{write_display, write_named};
use crate::event::DnsFields;
use crate::json::{self, ObjectWriter};

/// Writes the members of `dns` into `object` and closes it.
pub(crate) fn write_dns(mut object: ObjectWriter<'_>, dns: &DnsFields<'_>) {
    let message = dns.message;
    object.str_array("header_flags", &message.header_flags());
    object.u64("authorities_count", message.authorities.len() as u64);
    object.u64("answers_count", message.answers.len() as u64);
    object.u64("additionals_count", message.additionals.len() as u64);
    write_flags(&mut object, message);

    write_records(&mut object, "answers", &message.answers);
    if dns.include_authorities {
        write_records(&mut object, "authorities", &message.authorities);
    }
    if dns.include_additionals {
        write_records(&mut object, "additionals", &message.additionals);
    }
    if message.resolved_ips().next().is_some() {
        let out = object.key("resolved_ip");
        out.push(b'[');
        for (index, address) in message.resolved_ips().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            json::write_str(out, address);
        }
        out.push(b']');
    }

    object.str("type", dns.kind.as_str());
    write_named(
        object.key("op_code"),
        message.header.opcode.mnemonic(),
        &message.header.opcode,
    );
    write_question(&mut object, dns);
    if let Some(opt) = &message.opt {
        write_opt(object.object("opt"), opt);
    }
    object.u64("id", u64::from(message.header.id));
    write_display(object.key("response_code"), &message.rcode());
    object.end();
}

fn write_flags(object: &mut ObjectWriter<'_>, message: &Message) {
    let header = &message.header;
    let mut flags = object.object("flags");
    flags.bool("recursion_available", header.ra);
    flags.bool("authentic_data", header.ad);
    flags.bool("checking_disabled", header.cd);
    flags.bool("authoritative", header.aa);
    flags.bool("truncated_response", header.tc);
    flags.bool("recursion_desired", header.rd);
    flags.end();
}

fn write_question(object: &mut ObjectWriter<'_>, dns: &DnsFields<'_>) {
    let message = dns.message;
    let Some(question) = message.first_question() else {
        return;
    };
    let mut inner = object.object("question");
    if let Some(domain) = &dns.domain {
        if let Some(tld) = domain.top_level_domain() {
            inner.str("top_level_domain", tld);
        }
        if let Some(subdomain) = domain.subdomain() {
            inner.str("subdomain", subdomain);
        }
    }
    inner.str("name", &question.name);
    write_named(
        inner.key("type"),
        question.qtype.mnemonic(),
        &question.qtype,
    );
    write_named(
        inner.key("class"),
        question.qclass.mnemonic(),
        &question.qclass,
    );
    if let Some(domain) = &dns.domain {
        if let Some(etld_plus_one) = domain.etld_plus_one() {
            inner.str("etld_plus_one", etld_plus_one);
        }
        if let Some(registered) = domain.registered_domain() {
            inner.str("registered_domain", registered);
        }
    }
    inner.end();
    if message.question_count() > 1 {
        object.u64("question_count", message.question_count() as u64);
    }
}

/// Writes a record array; records without rendered data are skipped, and the key is left
/// out when none renders.
fn write_records(object: &mut ObjectWriter<'_>, key: &str, records: &[Record]) {
    let mut rendered = records
        .iter()
        .filter(|record| record.data.is_some())
        .peekable();
    if rendered.peek().is_none() {
        return;
    }
    let out = object.key(key);
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
    let mut object = ObjectWriter::new(out);
    write_named(object.key("class"), record.class.mnemonic(), &record.class);
    let ttl = object.key("ttl");
    ttl.push(b'"');
    json::write_u64(ttl, u64::from(record.ttl));
    ttl.push(b'"');
    object.str("data", &rdata.data);
    object.str("name", &record.name);
    write_named(object.key("type"), record.rtype.mnemonic(), &record.rtype);
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

//! Domain names: reading wire names with compression and rendering them in presentation form
//! as Packetbeat 7.17 prints them (miekg/dns v1.1.41 escaping).

use crate::anomaly::Anomaly;
use crate::message::Section;

/// Maximum wire length of a name, terminating zero byte included (RFC 1035 section 2.3.4).
const MAX_NAME_WIRE_LEN: usize = 255;

/// Maximum compression pointers followed in one name. A 255-byte name has at most 127
/// labels, so a longer chain must revisit a place and is reported as a loop.
const MAX_POINTER_HOPS: usize = 128;

/// A name read from the wire.
#[derive(Debug)]
pub(crate) struct WireName {
    /// Presentation form without the trailing dot; the root is `.`.
    pub(crate) text: String,
    /// Offset just past the name in the record stream (after the first pointer, if any).
    pub(crate) end: usize,
    /// Whether the name followed a compression pointer.
    pub(crate) compressed: bool,
}

/// A name that could not be read.
#[derive(Debug)]
pub(crate) struct NameError {
    /// The problem found.
    pub(crate) anomaly: Anomaly,
    /// Offset just past the name in the record stream, when it is known despite the error
    /// (the error was found behind a compression pointer), so the caller can go on.
    pub(crate) resume: Option<usize>,
}

/// Reads the name starting at `start`, following compression pointers backward or forward.
/// `section` names where the name sits, for the truncation anomaly.
pub(crate) fn read_name(
    message: &[u8],
    start: usize,
    section: Section,
) -> Result<WireName, NameError> {
    // Most names fit, so the text is allocated once. It is built as bytes and checked as
    // UTF-8 once at the end, instead of once per label.
    let mut text = Vec::with_capacity(32);
    let mut position = start;
    let mut end = None;
    let mut wire_len = 1usize;
    let mut hops = 0usize;
    // Brent's cycle detection over the pointer targets: each target fixes the next one, so a
    // loop shows up as a target equal to the one saved at the last power of two.
    let mut saved_target = None;
    let mut power = 1usize;
    let mut since_saved = 0usize;
    let fail = |anomaly, end| {
        Err(NameError {
            anomaly,
            resume: end,
        })
    };

    loop {
        let Some(&length) = message.get(position) else {
            let anomaly = Anomaly::Truncated {
                section,
                offset: position,
            };
            return fail(anomaly, end);
        };
        match length & 0xC0 {
            0x00 if length == 0 => break,
            0x00 => {
                let label_start = position + 1;
                let label_end = label_start + usize::from(length);
                let Some(label) = message.get(label_start..label_end) else {
                    let anomaly = Anomaly::Truncated {
                        section,
                        offset: label_start,
                    };
                    return fail(anomaly, end);
                };
                wire_len += 1 + label.len();
                if wire_len > MAX_NAME_WIRE_LEN {
                    return fail(Anomaly::NameTooLong { offset: start }, end);
                }
                if !text.is_empty() {
                    text.push(b'.');
                }
                escape_label(label, &mut text);
                position = label_end;
            }
            0xC0 => {
                let Some(&low) = message.get(position + 1) else {
                    let anomaly = Anomaly::Truncated {
                        section,
                        offset: position + 1,
                    };
                    return fail(anomaly, end);
                };
                end.get_or_insert(position + 2);
                let target = usize::from(u16::from_be_bytes([length & 0x3F, low]));
                if target >= message.len() {
                    let anomaly = Anomaly::NamePointerOutOfRange {
                        offset: position,
                        target,
                    };
                    return fail(anomaly, end);
                }
                hops += 1;
                if saved_target == Some(target) || hops > MAX_POINTER_HOPS {
                    return fail(Anomaly::NamePointerLoop { offset: position }, end);
                }
                since_saved += 1;
                if since_saved == power {
                    saved_target = Some(target);
                    power *= 2;
                    since_saved = 0;
                }
                position = target;
            }
            _ => {
                let anomaly = Anomaly::InvalidLabelLength {
                    length,
                    offset: position,
                };
                return fail(anomaly, end);
            }
        }
    }

    if text.is_empty() {
        text.push(b'.');
    }
    let text = String::from_utf8(text).expect("escaped names contain only printable ASCII");
    Ok(WireName {
        text,
        end: end.unwrap_or(position + 1),
        compressed: end.is_some(),
    })
}

/// Appends `label` with miekg's name escaping: `. space ' @ ; ( ) " \` get a backslash, and
/// bytes outside 0x20..=0x7e become `\DDD` (three decimal digits).
fn escape_label(label: &[u8], out: &mut Vec<u8>) {
    if label.iter().all(|&byte| PLAIN[usize::from(byte)]) {
        out.extend_from_slice(label);
        return;
    }
    out.reserve(label.len());
    for &byte in label {
        if PLAIN[usize::from(byte)] {
            out.push(byte);
        } else if matches!(byte, 0x20..=0x7e) {
            out.push(b'\\');
            out.push(byte);
        } else {
            out.extend_from_slice(&[
                b'\\',
                b'0' + byte / 100,
                b'0' + byte / 10 % 10,
                b'0' + byte % 10,
            ]);
        }
    }
}

/// Bytes that names keep as they are: printable ASCII except `. space ' @ ; ( ) " \`.
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0x20;
    while byte <= 0x7e {
        table[byte] = true;
        byte += 1;
    }
    let escaped = *b". '@;()\"\\";
    let mut index = 0;
    while index < escaped.len() {
        table[escaped[index] as usize] = false;
        index += 1;
    }
    table
};

/// Appends `\DDD` for `byte`.
pub(crate) fn push_decimal_escape(byte: u8, out: &mut String) {
    out.push('\\');
    out.push(char::from(b'0' + byte / 100));
    out.push(char::from(b'0' + byte / 10 % 10));
    out.push(char::from(b'0' + byte % 10));
}

/// Returns `text` as a fully qualified name with its trailing dot (the root stays `.`).
pub(crate) fn with_trailing_dot(text: &str) -> String {
    if text == "." {
        return text.to_owned();
    }
    let mut fqdn = String::with_capacity(text.len() + 1);
    fqdn.push_str(text);
    fqdn.push('.');
    fqdn
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_at(message: &[u8], start: usize) -> Result<WireName, NameError> {
        read_name(message, start, Section::Answer)
    }

    #[test]
    fn name_plain_labels() {
        let wire = b"\x03www\x07example\x03com\x00";
        let name = name_at(wire, 0).expect("valid name");
        assert_eq!(name.text, "www.example.com");
        assert_eq!(name.end, wire.len());
    }

    #[test]
    fn name_root_is_dot() {
        let name = name_at(&[0], 0).expect("valid name");
        assert_eq!(name.text, ".");
        assert_eq!(name.end, 1);
    }

    #[test]
    fn name_backward_pointer() {
        let wire = b"\x07example\x00\x03www\xc0\x00";
        let name = name_at(wire, 9).expect("valid name");
        assert_eq!(name.text, "www.example");
        assert_eq!(name.end, 15);
    }

    #[test]
    fn name_pointer_to_pointer() {
        let wire = b"\x03com\x00\x03foo\xc0\x00\xc0\x05";
        let name = name_at(wire, 11).expect("valid name");
        assert_eq!(name.text, "foo.com");
        assert_eq!(name.end, 13);
    }

    #[test]
    fn name_forward_pointer_accepted() {
        let wire = b"\x01a\xc0\x04\x01b\x00";
        let name = name_at(wire, 0).expect("valid name");
        assert_eq!(name.text, "a.b");
        assert_eq!(name.end, 4);
    }

    #[test]
    fn name_self_pointer_loop() {
        let wire = b"\x00\x00\xc0\x02";
        let error = name_at(wire, 2).expect_err("loop");
        assert_eq!(error.anomaly, Anomaly::NamePointerLoop { offset: 2 });
        assert_eq!(error.resume, Some(4));
    }

    #[test]
    fn name_two_pointer_loop() {
        let wire = b"\xc0\x02\xc0\x00";
        let error = name_at(wire, 0).expect_err("loop");
        assert_eq!(error.anomaly, Anomaly::NamePointerLoop { offset: 0 });
        assert_eq!(error.anomaly.to_string(), "name pointer loop at offset 0");
    }

    #[test]
    fn name_label_loop_is_loop() {
        let wire = b"\x01a\xc0\x00";
        let error = name_at(wire, 0).expect_err("loop");
        assert_eq!(error.anomaly, Anomaly::NamePointerLoop { offset: 2 });
    }

    /// Builds `count` pointers, each to the next, then a label `a` and the root.
    fn pointer_chain(count: usize) -> Vec<u8> {
        let mut wire = Vec::new();
        for index in 0..count {
            let target = (index + 1) * 2;
            wire.extend_from_slice(&(0xC000 | target as u16).to_be_bytes());
        }
        wire.extend_from_slice(b"\x01a\x00");
        wire
    }

    #[test]
    fn name_long_pointer_chain_accepted() {
        let name = name_at(&pointer_chain(MAX_POINTER_HOPS), 0).expect("no loop");
        assert_eq!(name.text, "a");
        assert_eq!(name.end, 2);
    }

    #[test]
    fn name_chain_over_cap_is_loop() {
        let error = name_at(&pointer_chain(MAX_POINTER_HOPS + 1), 0).expect_err("cap");
        assert_eq!(
            error.anomaly,
            Anomaly::NamePointerLoop {
                offset: MAX_POINTER_HOPS * 2
            }
        );
    }

    #[test]
    fn name_pointer_out_of_range() {
        let wire = b"\xc0\x40";
        let error = name_at(wire, 0).expect_err("out of range");
        assert_eq!(
            error.anomaly,
            Anomaly::NamePointerOutOfRange {
                offset: 0,
                target: 64
            }
        );
    }

    #[test]
    fn name_reserved_label_type() {
        let wire = b"\x46abc";
        let error = name_at(wire, 0).expect_err("bad label");
        assert_eq!(
            error.anomaly.to_string(),
            "invalid label length 70 at offset 0"
        );
        assert_eq!(error.resume, None);
    }

    #[test]
    fn name_over_255_bytes() {
        let mut wire = Vec::new();
        for _ in 0..5 {
            wire.push(63);
            wire.extend_from_slice(&[b'a'; 63]);
        }
        wire.push(0);
        let error = name_at(&wire, 0).expect_err("too long");
        assert_eq!(error.anomaly, Anomaly::NameTooLong { offset: 0 });
    }

    #[test]
    fn name_exactly_255_bytes() {
        let mut wire = Vec::new();
        for _ in 0..3 {
            wire.push(63);
            wire.extend_from_slice(&[b'a'; 63]);
        }
        wire.push(61);
        wire.extend_from_slice(&[b'b'; 61]);
        wire.push(0);
        assert_eq!(wire.len(), 255);
        assert!(name_at(&wire, 0).is_ok());
    }

    #[test]
    fn name_truncated_label() {
        let wire = b"\x05ab";
        assert!(name_at(wire, 0).is_err());
    }

    #[test]
    fn name_escapes_special_bytes() {
        let wire = b"\x0aa.b c\\d\"@;\x05(')\x01\xff\x00";
        let name = name_at(wire, 0).expect("valid name");
        assert_eq!(name.text, "a\\.b\\ c\\\\d\\\"\\@\\;.\\(\\'\\)\\001\\255");
    }

    #[test]
    fn name_keeps_case() {
        let name = name_at(b"\x03WwW\x00", 0).expect("valid name");
        assert_eq!(name.text, "WwW");
    }

    #[test]
    fn trailing_dot_rules() {
        assert_eq!(with_trailing_dot("."), ".");
        assert_eq!(with_trailing_dot("a.b"), "a.b.");
    }
}

//! Pre-decoding: recognises a timestamp header at the start of a message (syslog, ISO 8601,
//! xferlog, snort, suricata, apache, squid) and, for syslog-style headers, the host name and
//! program name, as Wazuh's analysisd does before decoders run. A JSON line has no header, so
//! its log is the whole message.

/// Header fields found by pre-decoding a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// Byte offset where the log (the text decoders and rules see) starts.
    pub log_start: usize,
    /// The timestamp text of the header.
    pub timestamp: Option<String>,
    /// Host name from a syslog header.
    pub hostname: Option<String>,
    /// Program name from a syslog header.
    pub program_name: Option<String>,
}

/// Characters allowed in host and program names: letters, digits and `( ) - . / @ _`.
fn is_name_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'(' | b')' | b'-' | b'.' | b'/' | b'@' | b'_')
}

/// Parses the header of `message`.
pub fn parse_header(message: &str) -> Header {
    let bytes = message.as_bytes();
    // A month written with an umlaut ("Mär") takes one byte more; Wazuh shifts the positions.
    let base = usize::from(bytes.len() >= 3 && bytes[1] == 195 && bytes[2] == 164);
    let at = |index: usize| bytes.get(base + index).copied().unwrap_or(0);
    let len = bytes.len() + 1;
    if let Some(skip) = syslog_timestamp_len(&at, len) {
        return syslog_header(message, skip);
    }
    let other = if len > 28
        && at(3) == b' '
        && at(7) == b' '
        && at(10) == b' '
        && at(13) == b':'
        && at(16) == b':'
        && at(19) == b' '
        && at(24) == b' '
        && at(26) == b' '
    {
        Some(25)
    } else if len > 24
        && at(2) == b'/'
        && at(5) == b'-'
        && at(8) == b':'
        && at(11) == b':'
        && at(14) == b'.'
        && at(21) == b' '
    {
        Some(23)
    } else if len > 26
        && at(2) == b'/'
        && at(5) == b'/'
        && at(10) == b'-'
        && at(13) == b':'
        && at(16) == b':'
        && at(19) == b'.'
        && at(26) == b' '
    {
        Some(28)
    } else if len > 27
        && at(0) == b'['
        && at(4) == b' '
        && at(8) == b' '
        && at(11) == b' '
        && at(14) == b':'
        && at(17) == b':'
        && at(20) == b' '
        && at(25) == b']'
    {
        Some(27)
    } else {
        squid_start(&at, bytes, len)
    };
    match other {
        Some(start) if message.is_char_boundary(start.min(message.len())) => Header {
            log_start: start.min(message.len()),
            ..Header::default()
        },
        _ => Header::default(),
    }
}

fn squid_start(at: &impl Fn(usize) -> u8, bytes: &[u8], len: usize) -> Option<usize> {
    let matches = len > 32
        && at(0) == b'1'
        && at(1).is_ascii_digit()
        && at(2).is_ascii_digit()
        && at(3).is_ascii_digit()
        && at(10) == b'.'
        && at(13).is_ascii_digit()
        && at(14) == b' '
        && (at(21) == b' ' || at(22) == b' ');
    if !matches {
        return None;
    }
    let mut start = 14;
    while bytes.get(start) == Some(&b' ') {
        start += 1;
    }
    Some(start)
}

/// Length of a syslog-family timestamp header, including its trailing separator.
fn syslog_timestamp_len(at: &impl Fn(usize) -> u8, len: usize) -> Option<usize> {
    if len > 17
        && at(3) == b' '
        && at(6) == b' '
        && at(9) == b':'
        && at(12) == b':'
        && at(15) == b' '
    {
        return Some(16);
    }
    if len > 24
        && at(4) == b'-'
        && at(7) == b'-'
        && at(10) == b' '
        && at(13) == b':'
        && at(16) == b':'
        && at(19) == b','
    {
        return Some(23);
    }
    if len > 33
        && at(4) == b'-'
        && at(7) == b'-'
        && at(10) == b'T'
        && at(13) == b':'
        && at(16) == b':'
    {
        if at(22) == b':' && at(25) == b' ' {
            return Some(26);
        }
        if at(19) == b'.' && at(29) == b':' {
            return Some(33);
        }
        if at(19) == b'.' {
            return Some(32);
        }
    }
    if len > 21
        && at(0).is_ascii_digit()
        && at(4) == b' '
        && at(8) == b' '
        && at(11) == b' '
        && at(14) == b':'
        && at(17) == b':'
        && at(20) == b' '
    {
        return Some(21);
    }
    None
}

fn syslog_header(message: &str, skip: usize) -> Header {
    let bytes = message.as_bytes();
    let mut log = skip.min(bytes.len());
    let timestamp = message.get(..log.saturating_sub(1)).map(str::to_string);
    if bytes.get(log) == Some(&b' ') {
        log += 1;
    }
    let host_start = log;
    let mut pos = host_start;
    while bytes.get(pos).copied().is_some_and(is_name_char) {
        pos += 1;
    }
    let mut header = Header {
        log_start: host_start,
        timestamp,
        ..Header::default()
    };
    let name = |from: usize, to: usize| message.get(from..to).map(str::to_string);
    if bytes.get(pos) == Some(&b':') && bytes.get(pos + 1) == Some(&b' ') {
        // No host name (Solaris style): the first word is the program name.
        header.program_name = name(host_start, pos);
        header.log_start = pos + 2;
        return finish(message, header);
    }
    if bytes.get(pos) != Some(&b' ') {
        return finish(message, header);
    }
    header.hostname = name(host_start, pos);
    let program_start = pos + 1;
    header.log_start = program_start;
    let mut pos = program_start;
    while bytes.get(pos).copied().is_some_and(is_name_char) {
        pos += 1;
    }
    let after_program = match bytes.get(pos) {
        Some(b':') => {
            let mut next = pos + 1;
            if bytes.get(next) == Some(&b' ') {
                next += 1;
            }
            Some(next)
        }
        Some(b'[') if bytes.get(pos + 1).is_some_and(u8::is_ascii_digit) => {
            let mut next = pos + 2;
            while bytes.get(next).is_some_and(u8::is_ascii_digit) {
                next += 1;
            }
            match (bytes.get(next), bytes.get(next + 1)) {
                (Some(b']'), Some(b':')) => {
                    let mut after = next + 2;
                    if bytes.get(after) == Some(&b' ') {
                        after += 1;
                    }
                    Some(after)
                }
                (Some(b']'), Some(b' ')) => Some(next + 2),
                _ => None,
            }
        }
        // NOTE: AIX headers ("auth|security:info prog:") are not recognised.
        _ => None,
    };
    if let Some(mut after) = after_program {
        header.program_name = name(program_start, pos);
        if message
            .get(after..)
            .is_some_and(|rest| rest.starts_with("[ID "))
        {
            if let Some(close) = message[after + 4..].find(']') {
                after = (after + 4 + close + 2).min(bytes.len());
            }
        }
        header.log_start = after;
    }
    finish(message, header)
}

fn finish(message: &str, mut header: Header) -> Header {
    header.log_start = header.log_start.min(message.len());
    if !message.is_char_boundary(header.log_start) {
        header.log_start = 0;
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsd_syslog_with_pid() {
        let header = parse_header("Dec 29 10:00:01 host1 sshd[1234]: Accepted password");
        assert_eq!(header.hostname.as_deref(), Some("host1"));
        assert_eq!(header.program_name.as_deref(), Some("sshd"));
        assert_eq!(header.timestamp.as_deref(), Some("Dec 29 10:00:01"));
        assert_eq!(
            &"Dec 29 10:00:01 host1 sshd[1234]: Accepted password"[header.log_start..],
            "Accepted password"
        );
    }

    #[test]
    fn iso_syslog_program_only() {
        let line = "2009-05-22T09:36:46.214994-07:00 web su: session opened";
        let header = parse_header(line);
        assert_eq!(header.hostname.as_deref(), Some("web"));
        assert_eq!(header.program_name.as_deref(), Some("su"));
        assert_eq!(&line[header.log_start..], "session opened");
    }

    #[test]
    fn json_line_has_no_header() {
        let header = parse_header(r#"{"a":"Dec 29 10:00:01 x"}"#);
        assert_eq!(header, Header::default());
    }

    #[test]
    fn solaris_without_hostname() {
        let line = "Dec 29 10:00:01 sshd: message";
        let header = parse_header(line);
        assert_eq!(header.hostname, None);
        assert_eq!(header.program_name.as_deref(), Some("sshd"));
        assert_eq!(&line[header.log_start..], "message");
    }

    #[test]
    fn apache_error_header() {
        let line = "[Fri Feb 11 18:06:35 2004] [warn] x";
        assert_eq!(&line[parse_header(line).log_start..], "[warn] x");
    }
}

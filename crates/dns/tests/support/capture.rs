//! DNS messages of a capture file, read through the project's own readers: dnstel-pcap for
//! pcap and pcapng, dnstel-packet for link, IP and transport headers and IP reassembly.
//!
//! UDP payloads on a DNS port are messages as they are. TCP payloads on a DNS port are split
//! with the 2-byte length prefix, reading each direction of a connection in sequence order.
//! A flow whose next segment leaves a gap stops yielding messages, so a lost segment never
//! turns the middle of a message into a false one. Retransmitted bytes are dropped.
//! DNS quoted in ICMP errors, carried in tunnels (GRE, VXLAN, ...) or in DNS over HTTPS is
//! not extracted.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use dnstel_packet::{decode, DefragConfig, Defragmenter, IpHeader, TcpSegment, Transport};

/// Ports on which UDP and TCP payloads are taken as DNS: DNS, mDNS and LLMNR.
pub const DNS_PORTS: [u16; 3] = [53, 5353, 5355];

/// How a message reached the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrier {
    /// A whole UDP payload, possibly reassembled from IP fragments.
    Udp,
    /// One length-prefixed message of a TCP stream, prefix removed.
    Tcp,
}

/// One DNS message and the frame that completed it.
#[derive(Clone, Debug)]
pub struct DnsPayload {
    /// 1-based frame number in the file, as tshark counts frames.
    pub frame: usize,
    /// UDP or TCP.
    pub carrier: Carrier,
    /// The message bytes.
    pub bytes: Vec<u8>,
}

/// Every DNS message found in one capture file.
#[derive(Debug, Default)]
pub struct Extraction {
    /// The messages in capture order.
    pub messages: Vec<DnsPayload>,
    /// Frames read.
    pub frames: usize,
    /// The error that ended the file early, if any (fuzzed captures have them).
    pub error: Option<String>,
}

/// One direction of a TCP connection.
#[derive(Debug, Default)]
struct Flow {
    /// Sequence number of the next byte expected, once known.
    next_sequence: Option<u32>,
    /// Stream bytes not yet split into messages.
    buffer: Vec<u8>,
    /// Set after a gap: the rest of this direction is ignored.
    broken: bool,
}

type FlowKey = (IpAddr, u16, IpAddr, u16);

/// Reads every DNS message of the capture at `path`. `extra_ports` are ports besides
/// [`DNS_PORTS`] that carry DNS in this capture.
pub fn dns_messages(path: &Path, extra_ports: &[u16]) -> Extraction {
    let mut extraction = Extraction::default();
    let mut reader = match dnstel_pcap::open(path) {
        Ok(reader) => reader,
        Err(error) => {
            extraction.error = Some(error.to_string());
            return extraction;
        }
    };
    let is_dns_port = |port: u16| DNS_PORTS.contains(&port) || extra_ports.contains(&port);
    let mut defragmenter = Defragmenter::new(DefragConfig::default());
    let mut flows: HashMap<FlowKey, Flow> = HashMap::new();
    loop {
        let frame = match reader.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(error) if error.is_recoverable() => continue,
            Err(error) => {
                extraction.error = Some(error.to_string());
                break;
            }
        };
        extraction.frames += 1;
        let number = extraction.frames;
        let Ok(decoded) = decode(&frame) else {
            continue;
        };
        let mut sink = |ip: &IpHeader, transport: &Transport<'_>| match transport {
            Transport::Udp(udp) => {
                if is_dns_port(udp.source_port) || is_dns_port(udp.destination_port) {
                    extraction.messages.push(DnsPayload {
                        frame: number,
                        carrier: Carrier::Udp,
                        bytes: udp.payload.to_vec(),
                    });
                }
            }
            Transport::Tcp(tcp) => {
                if is_dns_port(tcp.source_port) || is_dns_port(tcp.destination_port) {
                    let key = (
                        ip.source,
                        tcp.source_port,
                        ip.destination,
                        tcp.destination_port,
                    );
                    let flow = flows.entry(key).or_default();
                    for bytes in flow.push(tcp) {
                        extraction.messages.push(DnsPayload {
                            frame: number,
                            carrier: Carrier::Tcp,
                            bytes,
                        });
                    }
                }
            }
            Transport::Fragment(_) | Transport::Other { .. } => {}
        };
        if let Some(datagram) = defragmenter.insert_decoded(frame.timestamp, &decoded) {
            if let Ok(transport) = datagram.transport() {
                sink(&datagram.ip, &transport);
            }
        } else {
            sink(&decoded.ip, &decoded.transport);
        }
    }
    extraction
}

impl Flow {
    /// Appends the in-order part of `segment` and returns the messages it completes.
    fn push(&mut self, segment: &TcpSegment<'_>) -> Vec<Vec<u8>> {
        if segment.flags.syn() {
            self.next_sequence = Some(segment.sequence.wrapping_add(1));
            self.buffer.clear();
            self.broken = false;
        }
        if self.broken || segment.payload.is_empty() {
            return Vec::new();
        }
        let next = *self.next_sequence.get_or_insert(segment.sequence);
        // Signed distance of the segment start ahead of the expected byte (RFC 1982 style).
        let ahead = segment.sequence.wrapping_sub(next) as i32;
        if ahead > 0 {
            self.broken = true;
            self.buffer.clear();
            return Vec::new();
        }
        let skip = ahead.unsigned_abs() as usize;
        let Some(fresh) = segment.payload.get(skip..) else {
            return Vec::new();
        };
        self.buffer.extend_from_slice(fresh);
        self.next_sequence = Some(next.wrapping_add(fresh.len() as u32));
        self.split_messages()
    }

    /// Removes and returns every whole length-prefixed message at the start of the buffer.
    fn split_messages(&mut self) -> Vec<Vec<u8>> {
        let mut messages = Vec::new();
        let mut start = 0;
        while let Some(prefix) = self.buffer.get(start..start + 2) {
            let length = usize::from(u16::from_be_bytes([prefix[0], prefix[1]]));
            let Some(message) = self.buffer.get(start + 2..start + 2 + length) else {
                break;
            };
            messages.push(message.to_vec());
            start += 2 + length;
        }
        self.buffer.drain(..start);
        messages
    }
}

/// Returns the shared reference folder beside the checkout, or `relative` inside it.
/// Fails the test when it is missing, because CI clones it there and a silent skip would
/// hide a broken setup.
pub fn require_shared(relative: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(relative);
    assert!(
        path.exists(),
        "{} not found: clone the shared reference folder beside the checkout",
        path.display()
    );
    path
}

/// Returns the capture files (`.pcap`, `.pcapng`) of a folder, sorted by name.
pub fn capture_files(folder: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(folder)
        .unwrap_or_else(|error| panic!("failed to list {}: {error}", folder.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("directory entry is readable").path())
        .filter(|path| {
            let extension = path.extension().and_then(|extension| extension.to_str());
            matches!(extension, Some("pcap" | "pcapng"))
        })
        .collect();
    files.sort();
    files
}

/// Returns the non-standard DNS ports of each corpus capture, read from the
/// `tshark_decode_as` column of the corpus manifest (`-d udp.port==8053,dns`).
pub fn manifest_dns_ports(manifest: &Path) -> HashMap<String, Vec<u16>> {
    let text = std::fs::read_to_string(manifest)
        .unwrap_or_else(|error| panic!("failed to read {}: {error}", manifest.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let column = header
        .iter()
        .position(|name| *name == "tshark_decode_as")
        .unwrap_or_else(|| panic!("{} has no tshark_decode_as column", manifest.display()));
    let mut ports = HashMap::new();
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        let (Some(name), Some(decode_as)) = (fields.first(), fields.get(column)) else {
            continue;
        };
        let found: Vec<u16> = decode_as
            .split_whitespace()
            .filter_map(|word| word.split_once(".port==")?.1.strip_suffix(",dns"))
            .filter_map(|port| port.parse().ok())
            .collect();
        if !found.is_empty() {
            ports.insert((*name).to_owned(), found);
        }
    }
    ports
}

//! Live captures on the loopback interface and on `any`. They need root (CAP_NET_RAW) and
//! print why they are skipped otherwise.

use std::collections::HashMap;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use dnstel_capture::{CaptureConfig, Fanout, LiveCapture};
use dnstel_packet::{Frame, LinkType};

/// How long to wait for the expected datagrams before failing. This is a hang guard, not a
/// timing assertion: loopback delivery normally takes microseconds.
const DEADLINE: Duration = Duration::from_secs(10);
/// Quiet time after the last expected datagram during which duplicates would show up.
const SETTLE: Duration = Duration::from_millis(300);
const DATAGRAMS: usize = 20;

fn is_root() -> bool {
    // SAFETY: geteuid takes no arguments and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A UDP payload seen in a frame, with its ports.
#[derive(Debug, PartialEq, Eq)]
struct Datagram {
    source_port: u16,
    destination_port: u16,
    payload: Vec<u8>,
}

/// Decodes IPv4 + UDP from the network header on; returns `None` for anything else.
fn decode_ipv4_udp(network: &[u8]) -> Option<Datagram> {
    if network.first()? >> 4 != 4 || *network.get(9)? != 17 {
        return None;
    }
    let header_length = usize::from(network[0] & 0x0f) * 4;
    let udp = network.get(header_length..)?;
    let length = usize::from(u16::from_be_bytes([*udp.get(4)?, *udp.get(5)?]));
    Some(Datagram {
        source_port: u16::from_be_bytes([udp[0], udp[1]]),
        destination_port: u16::from_be_bytes([udp[2], udp[3]]),
        payload: udp.get(8..length)?.to_vec(),
    })
}

/// Decodes a frame's link header; returns the datagram and, for SLL frames, the packet type.
fn decode(frame: &Frame<'_>) -> Option<(Datagram, Option<u16>)> {
    match frame.link_type {
        LinkType::ETHERNET => {
            let ethertype = u16::from_be_bytes([*frame.data.get(12)?, *frame.data.get(13)?]);
            (ethertype == 0x0800).then_some(())?;
            Some((decode_ipv4_udp(&frame.data[14..])?, None))
        }
        LinkType::LINUX_SLL => {
            let packet_type = u16::from_be_bytes([*frame.data.first()?, *frame.data.get(1)?]);
            let protocol = u16::from_be_bytes([*frame.data.get(14)?, *frame.data.get(15)?]);
            (protocol == 0x0800).then_some(())?;
            Some((decode_ipv4_udp(&frame.data[16..])?, Some(packet_type)))
        }
        other => panic!("unexpected {other}"),
    }
}

/// Checks that the sensor's packet decoder reads the same datagram from the frame.
fn assert_decoder_agrees(frame: &Frame<'_>, datagram: &Datagram) {
    let decoded = dnstel_packet::decode(frame).expect("packet decoder accepts the frame");
    let dnstel_packet::Transport::Udp(udp) = decoded.transport else {
        panic!("packet decoder found {:?}, expected UDP", decoded.transport);
    };
    assert_eq!(udp.destination_port, datagram.destination_port);
    assert_eq!(udp.source_port, datagram.source_port);
    assert_eq!(udp.payload, datagram.payload.as_slice());
}

struct Traffic {
    dns_port: u16,
    other_port: u16,
    _receivers: (UdpSocket, UdpSocket),
    sender: UdpSocket,
}

impl Traffic {
    fn new() -> Traffic {
        let dns = UdpSocket::bind("127.0.0.1:0").expect("bind DNS receiver");
        let other = UdpSocket::bind("127.0.0.1:0").expect("bind other receiver");
        let sender = UdpSocket::bind("127.0.0.1:0").expect("bind sender");
        Traffic {
            dns_port: dns.local_addr().expect("address").port(),
            other_port: other.local_addr().expect("address").port(),
            _receivers: (dns, other),
            sender,
        }
    }

    /// Sends numbered datagrams to the DNS port and, interleaved, to the other port.
    fn send(&self) -> Vec<Vec<u8>> {
        let mut payloads = Vec::new();
        for index in 0..DATAGRAMS {
            let payload = format!("dnstel capture test {index}").into_bytes();
            self.sender
                .send_to(&payload, ("127.0.0.1", self.dns_port))
                .expect("send to DNS port");
            self.sender
                .send_to(b"not dns", ("127.0.0.1", self.other_port))
                .expect("send to other port");
            payloads.push(payload);
        }
        payloads
    }
}

/// Captures until every payload was seen and the capture stayed quiet for [`SETTLE`]; returns
/// how often each payload was seen and the frames that were not expected.
fn collect(
    capture: &mut LiveCapture,
    traffic: &Traffic,
    payloads: &[Vec<u8>],
    expected_link: LinkType,
) -> (HashMap<Vec<u8>, usize>, Vec<String>) {
    let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut unexpected = Vec::new();
    let start = Instant::now();
    let mut quiet_since = None;
    while start.elapsed() < DEADLINE {
        let frame = capture
            .next_frame(Duration::from_millis(50))
            .expect("capture works");
        let Some(frame) = frame else {
            if payloads.iter().all(|payload| seen.contains_key(payload)) {
                let since = *quiet_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= SETTLE {
                    break;
                }
            }
            continue;
        };
        quiet_since = None;
        assert_eq!(frame.link_type, expected_link);
        assert_eq!(frame.original_length as usize, frame.data.len());
        assert!(frame.timestamp.as_nanos() > 0);
        match decode(&frame) {
            Some((datagram, packet_type)) if datagram.destination_port == traffic.dns_port => {
                assert_eq!(
                    packet_type.unwrap_or(0),
                    0,
                    "loopback packets arrive as host"
                );
                assert!(frame.interface > 0);
                assert_decoder_agrees(&frame, &datagram);
                *seen.entry(datagram.payload).or_default() += 1;
            }
            other => unexpected.push(format!("{other:?}")),
        }
    }
    (seen, unexpected)
}

fn config(device: &str, port: u16) -> CaptureConfig {
    CaptureConfig {
        device: device.to_owned(),
        dns_ports: vec![port],
        block_size: 1 << 20,
        block_count: 4,
        block_timeout_ms: 10,
        ..CaptureConfig::default()
    }
}

/// Opens the capture first, so it sees the traffic sent afterwards.
fn open_for_next_traffic(device: &str) -> Option<(LiveCapture, Traffic)> {
    if !is_root() {
        println!("skipped: live capture needs root (CAP_NET_RAW)");
        return None;
    }
    let traffic = Traffic::new();
    let capture = LiveCapture::open(&config(device, traffic.dns_port)).expect("open capture");
    Some((capture, traffic))
}

fn run_exactly_once(device: &str, link: LinkType) {
    let Some((mut capture, traffic)) = open_for_next_traffic(device) else {
        return;
    };
    assert_eq!(capture.link_type(), link);
    let payloads = traffic.send();
    let (seen, unexpected) = collect(&mut capture, &traffic, &payloads, link);
    assert!(unexpected.is_empty(), "unexpected frames: {unexpected:?}");
    for payload in &payloads {
        assert_eq!(
            seen.get(payload).copied().unwrap_or(0),
            1,
            "{}",
            String::from_utf8_lossy(payload)
        );
    }
    let stats = capture.stats();
    assert!(stats.packets >= DATAGRAMS as u64, "{stats:?}");
    assert_eq!(stats.drops, 0, "{stats:?}");
}

#[test]
fn loopback_sees_each_datagram_once() {
    run_exactly_once("lo", LinkType::ETHERNET);
}

#[test]
fn any_sees_each_datagram_once() {
    run_exactly_once("any", LinkType::LINUX_SLL);
}

#[test]
fn idle_capture_returns_tick() {
    let Some((mut capture, _traffic)) = open_for_next_traffic("lo") else {
        return;
    };
    let frame = capture
        .next_frame(Duration::from_millis(20))
        .expect("capture works");
    assert!(frame.is_none(), "nothing is sent to the configured port");
}

#[test]
fn missing_interface_is_error() {
    if !is_root() {
        println!("skipped: live capture needs root (CAP_NET_RAW)");
        return;
    }
    let error = LiveCapture::open(&config("dnstel-none0", 53)).expect_err("no such interface");
    assert!(error.to_string().contains("dnstel-none0"), "{error}");
}

#[test]
fn user_filter_narrows_capture() {
    let Some((_, traffic)) = open_for_next_traffic("lo") else {
        return;
    };
    let mut config = config("lo", traffic.dns_port);
    config.bpf_filter = Some("udp and not host 127.0.0.1".to_owned());
    let mut capture = LiveCapture::open(&config).expect("open capture");
    let _ = traffic.send();
    let start = Instant::now();
    while start.elapsed() < SETTLE {
        let frame = capture
            .next_frame(Duration::from_millis(50))
            .expect("capture works");
        assert!(frame.is_none(), "the user filter excludes 127.0.0.1");
    }
}

#[test]
fn fanout_group_splits_flows() {
    let Some((_, traffic)) = open_for_next_traffic("lo") else {
        return;
    };
    let mut config = config("lo", traffic.dns_port);
    config.fanout = Some(Fanout::NewGroup);
    let first = LiveCapture::open(&config).expect("open first member");
    let group = first.fanout_group().expect("the kernel assigned a group");
    config.fanout = Some(Fanout::Join(group));
    let second = LiveCapture::open(&config).expect("open second member");
    assert_eq!(second.fanout_group(), Some(group));
    // A second new group gets an id of its own.
    config.fanout = Some(Fanout::NewGroup);
    let other = LiveCapture::open(&config).expect("open another group");
    assert_ne!(other.fanout_group(), Some(group));
    drop(other);
    let mut members = [first, second];
    let payloads = traffic.send();
    let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
    let start = Instant::now();
    while start.elapsed() < SETTLE * 2 {
        for member in &mut members {
            while let Some(frame) = member
                .next_frame(Duration::from_millis(10))
                .expect("capture works")
            {
                if let Some((datagram, _)) = decode(&frame) {
                    *seen.entry(datagram.payload).or_default() += 1;
                }
            }
        }
    }
    for payload in &payloads {
        assert_eq!(
            seen.get(payload).copied().unwrap_or(0),
            1,
            "each datagram reaches exactly one group member"
        );
    }
}

#[test]
fn stop_flag_ends_long_wait() {
    let Some((mut capture, _traffic)) = open_for_next_traffic("lo") else {
        return;
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    capture.set_stop_flag(stop.clone());
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let frame = capture
        .next_frame(Duration::from_secs(3600))
        .expect("capture works");
    assert!(frame.is_none());
    setter.join().expect("setter thread");
}

#[test]
fn capture_moves_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<LiveCapture>();
}

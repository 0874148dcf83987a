//! Captures on a veth interface between two network namespaces that the test creates and
//! deletes, with frames injected through a packet socket in the peer namespace. This covers
//! a named Ethernet interface, VLAN tags the kernel strips on receive, and fragments. Needs
//! root and the `ip` tool; prints why it is skipped otherwise.

mod support;

use std::ffi::CString;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use dnstel_capture::bpf::LinkLayer;
use dnstel_capture::{CaptureConfig, LiveCapture};
use dnstel_packet::LinkType;
use support::packets::{Model, Tagging};

const DNS_PORT: u16 = 5300;
/// Hang guard while collecting frames, not a timing assertion.
const COLLECT_FOR: Duration = Duration::from_millis(700);

/// Two namespaces joined by a veth pair, deleted on drop.
struct Namespaces {
    capture_namespace: String,
    peer_namespace: String,
    capture_interface: String,
    peer_interface: String,
}

fn ip(arguments: &[&str]) -> bool {
    Command::new("ip")
        .args(arguments)
        .status()
        .is_ok_and(|status| status.success())
}

impl Namespaces {
    /// Creates the namespaces; `tag` keeps the names of tests running in parallel apart.
    fn create(tag: char) -> Option<Namespaces> {
        let id = std::process::id() % 100_000;
        let namespaces = Namespaces {
            capture_namespace: format!("dnstel-capture-{tag}a{id}"),
            peer_namespace: format!("dnstel-capture-{tag}b{id}"),
            capture_interface: format!("dc{tag}a{id}"),
            peer_interface: format!("dc{tag}b{id}"),
        };
        let created = ip(&["netns", "add", &namespaces.capture_namespace])
            && ip(&["netns", "add", &namespaces.peer_namespace])
            && ip(&[
                "-n",
                &namespaces.capture_namespace,
                "link",
                "add",
                &namespaces.capture_interface,
                "type",
                "veth",
                "peer",
                "name",
                &namespaces.peer_interface,
                "netns",
                &namespaces.peer_namespace,
            ])
            && ip(&[
                "-n",
                &namespaces.capture_namespace,
                "link",
                "set",
                &namespaces.capture_interface,
                "up",
            ])
            && ip(&[
                "-n",
                &namespaces.peer_namespace,
                "link",
                "set",
                &namespaces.peer_interface,
                "up",
            ]);
        created.then_some(namespaces)
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        ip(&["netns", "del", &self.capture_namespace]);
        ip(&["netns", "del", &self.peer_namespace]);
    }
}

/// Moves the calling thread into the named network namespace.
fn enter_namespace(name: &str) {
    let file = File::open(format!("/var/run/netns/{name}")).expect("namespace file exists");
    // SAFETY: setns with a valid namespace descriptor affects only the calling thread.
    let status = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(status, 0, "setns into {name}");
}

/// Opens a capture inside the capture namespace; the socket stays there afterwards.
fn open_capture(namespaces: &Namespaces, bpf_filter: Option<&str>) -> LiveCapture {
    let config = CaptureConfig {
        device: namespaces.capture_interface.clone(),
        dns_ports: vec![DNS_PORT],
        bpf_filter: bpf_filter.map(str::to_owned),
        // IPv6 multicast listener reports sent at link-up start with a hop-by-hop header, so
        // they pass the DNS filter. Each one can retire a block, so the ring needs enough
        // blocks to survive the pause before the test starts reading.
        block_size: 1 << 20,
        block_count: 8,
        promiscuous: true,
        ..CaptureConfig::default()
    };
    let namespace = namespaces.capture_namespace.clone();
    thread::spawn(move || {
        enter_namespace(&namespace);
        LiveCapture::open(&config)
    })
    .join()
    .expect("capture thread")
    .expect("open capture on veth")
}

/// Sends raw Ethernet frames out of the peer interface.
fn inject(namespaces: &Namespaces, frames: Vec<Vec<u8>>) {
    let namespace = namespaces.peer_namespace.clone();
    let interface = CString::new(namespaces.peer_interface.clone()).expect("interface name");
    thread::spawn(move || {
        enter_namespace(&namespace);
        // SAFETY: if_nametoindex reads a valid NUL-terminated string.
        let ifindex = unsafe { libc::if_nametoindex(interface.as_ptr()) };
        assert_ne!(ifindex, 0, "peer interface exists");
        // SAFETY: socket() takes no pointers; the descriptor is checked and closed below.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0) };
        assert!(fd >= 0, "packet socket for sending");
        // SAFETY: sockaddr_ll is plain data for which all-zero bytes are valid.
        let mut address: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        address.sll_family = libc::AF_PACKET as u16;
        address.sll_ifindex = ifindex as i32;
        address.sll_halen = 6;
        for frame in frames {
            // SAFETY: the buffer and address pointers are valid for their given lengths.
            let sent = unsafe {
                libc::sendto(
                    fd,
                    frame.as_ptr().cast(),
                    frame.len(),
                    0,
                    (&address as *const libc::sockaddr_ll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as u32,
                )
            };
            assert_eq!(sent, frame.len() as isize, "frame sent");
        }
        // SAFETY: fd is the descriptor opened above and not used afterwards.
        unsafe { libc::close(fd) };
    })
    .join()
    .expect("sender thread");
}

fn collect(capture: &mut LiveCapture) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let start = Instant::now();
    while start.elapsed() < COLLECT_FOR {
        if let Some(frame) = capture
            .next_frame(Duration::from_millis(50))
            .expect("capture works")
        {
            assert_eq!(frame.link_type, LinkType::ETHERNET);
            frames.push(frame.data.to_vec());
        }
    }
    frames
}

fn frame(model: &Model) -> Vec<u8> {
    model.encode(LinkLayer::Ethernet).0
}

fn setup(tag: char) -> Option<Namespaces> {
    // SAFETY: geteuid takes no arguments and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        println!("skipped: network namespaces need root");
        return None;
    }
    let namespaces = Namespaces::create(tag);
    if namespaces.is_none() {
        println!("skipped: creating network namespaces with the ip tool failed");
    }
    namespaces
}

#[test]
fn veth_capture_filters_and_restores_vlan() {
    let Some(namespaces) = setup('v') else {
        return;
    };
    let dns = Model::udp("10.213.0.2", "10.213.0.1", (40000, DNS_PORT));
    let tagged = dns.clone().with_tagging(Tagging::InPacket(42));
    let other = Model::udp("10.213.0.2", "10.213.0.1", (40000, 80));
    let fragment = Model::udp("10.213.0.2", "10.213.0.1", (0, 0)).with_fragment(100, false);
    let sent = [frame(&dns), frame(&tagged), frame(&other), frame(&fragment)];

    let mut capture = open_capture(&namespaces, None);
    let mut vlan_only = open_capture(&namespaces, Some("vlan 42"));
    inject(&namespaces, sent.to_vec());

    let frames = collect(&mut capture);
    assert_eq!(
        frames.iter().filter(|f| **f == sent[0]).count(),
        1,
        "untagged DNS"
    );
    assert_eq!(
        frames.iter().filter(|f| **f == sent[1]).count(),
        1,
        "tagged DNS"
    );
    assert_eq!(
        frames.iter().filter(|f| **f == sent[2]).count(),
        0,
        "port 80"
    );
    assert_eq!(
        frames.iter().filter(|f| **f == sent[3]).count(),
        1,
        "fragment"
    );

    let frames_seen = frames.len();
    let frames = collect(&mut vlan_only);
    assert_eq!(frames, vec![sent[1].clone()], "only the VLAN 42 frame");
    let stats = capture.stats();
    assert_eq!(stats.drops, 0, "{stats:?} {frames_seen}");
}

/// Creates a tun interface in the capture namespace; the returned file is its packet queue.
fn create_tun(namespace: &str, name: &str) -> File {
    let namespace = namespace.to_owned();
    let name = name.to_owned();
    thread::spawn(move || {
        enter_namespace(&namespace);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/net/tun")
            .expect("open /dev/net/tun");
        // SAFETY: ifreq is plain data for which all-zero bytes are valid.
        let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
        for (slot, byte) in request.ifr_name.iter_mut().zip(name.bytes()) {
            *slot = byte as libc::c_char;
        }
        request.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
        // SAFETY: TUNSETIFF reads and writes the valid ifreq passed by pointer.
        let status = unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut request) };
        assert_eq!(status, 0, "TUNSETIFF {name}");
        file
    })
    .join()
    .expect("tun thread")
}

#[test]
fn tun_capture_gives_raw_ip() {
    let Some(namespaces) = setup('t') else {
        return;
    };
    if !std::path::Path::new("/dev/net/tun").exists() {
        println!("skipped: /dev/net/tun is missing");
        return;
    }
    let tun_name = format!("dtun{}", std::process::id() % 100_000);
    let mut tun = create_tun(&namespaces.capture_namespace, &tun_name);
    assert!(ip(&[
        "-n",
        &namespaces.capture_namespace,
        "link",
        "set",
        &tun_name,
        "up"
    ]));
    let config = CaptureConfig {
        device: tun_name.clone(),
        dns_ports: vec![DNS_PORT],
        ..CaptureConfig::default()
    };
    let namespace = namespaces.capture_namespace.clone();
    let mut capture = thread::spawn(move || {
        enter_namespace(&namespace);
        LiveCapture::open(&config)
    })
    .join()
    .expect("capture thread")
    .expect("open capture on tun");
    assert_eq!(capture.link_type(), LinkType::RAW);

    let dns = Model::udp("10.215.0.2", "10.215.0.1", (40000, DNS_PORT)).network_bytes();
    let other = Model::udp("10.215.0.2", "10.215.0.1", (40000, 80)).network_bytes();
    use std::io::Write;
    tun.write_all(&other).expect("write to tun");
    tun.write_all(&dns).expect("write to tun");

    let mut frames = Vec::new();
    let start = Instant::now();
    while start.elapsed() < COLLECT_FOR {
        if let Some(frame) = capture
            .next_frame(Duration::from_millis(50))
            .expect("capture works")
        {
            assert_eq!(frame.link_type, LinkType::RAW);
            frames.push(frame.data.to_vec());
        }
    }
    assert_eq!(frames, vec![dns], "only the DNS datagram, as raw IP");
}

#[test]
fn removed_interface_is_error() {
    let Some(namespaces) = setup('r') else {
        return;
    };
    let mut capture = open_capture(&namespaces, None);
    assert!(ip(&[
        "-n",
        &namespaces.capture_namespace,
        "link",
        "set",
        &namespaces.capture_interface,
        "down",
    ]));
    let outcome = capture.next_frame(Duration::from_millis(300));
    assert!(outcome.is_ok(), "a downed interface is not an error");
    assert!(ip(&[
        "-n",
        &namespaces.capture_namespace,
        "link",
        "del",
        &namespaces.capture_interface,
    ]));
    let start = Instant::now();
    let error = loop {
        match capture.next_frame(Duration::from_millis(100)) {
            Err(error) => break error,
            Ok(_) => assert!(
                start.elapsed() < Duration::from_secs(10),
                "no error reported"
            ),
        }
    };
    assert!(
        error.to_string().contains(&namespaces.capture_interface),
        "{error}"
    );
}

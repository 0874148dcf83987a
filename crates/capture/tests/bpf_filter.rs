//! Runs generated kernel filters in the cBPF interpreter against hand-made packets.

mod support;

use dnstel_capture::bpf::{compile_filter, run, FilterSpec, Instruction, LinkLayer};
use dnstel_capture::filter::{parse, Expr};
use support::packets::{Model, Tagging, ICMPV6, IPV6_FRAGMENT, IPV6_HOP_BY_HOP, TCP};

const LINK_LAYERS: [LinkLayer; 4] = [
    LinkLayer::Ethernet,
    LinkLayer::LinuxSll,
    LinkLayer::Cooked,
    LinkLayer::RawIp,
];
const SNAPLEN: u32 = 65535;

fn program(link: LinkLayer, expression: Option<&Expr>, loopback: Option<u32>) -> Vec<Instruction> {
    compile_filter(&FilterSpec {
        link_layer: link,
        expression,
        snaplen: SNAPLEN,
        loopback_ifindex: loopback,
    })
    .expect("filter compiles")
}

fn accepts(program: &[Instruction], model: &Model, link: LinkLayer) -> bool {
    let (bytes, meta) = model.encode(link);
    match run(program, &bytes, &meta) {
        0 => false,
        SNAPLEN => true,
        other => panic!("filter returned {other}, expected 0 or the snap length"),
    }
}

fn dns_expression() -> Expr {
    Expr::dns_ports(&[53, 5353]).expect("ports given")
}

/// Packets and whether the DNS port filter must pass them.
fn dns_cases() -> Vec<(&'static str, Model, bool)> {
    vec![
        (
            "v4 udp to 53",
            Model::udp("10.0.0.1", "10.0.0.2", (40000, 53)),
            true,
        ),
        (
            "v4 udp from 53",
            Model::udp("10.0.0.2", "10.0.0.1", (53, 40000)),
            true,
        ),
        (
            "v4 udp to 5353",
            Model::udp("10.0.0.1", "224.0.0.251", (5353, 5353)),
            true,
        ),
        (
            "v4 tcp to 53",
            Model::udp("10.0.0.1", "10.0.0.2", (40000, 53)).with_protocol(TCP),
            true,
        ),
        (
            "v4 udp to 80",
            Model::udp("10.0.0.1", "10.0.0.2", (40000, 80)),
            false,
        ),
        (
            "v6 udp to 53",
            Model::udp("2001:db8::1", "2001:db8::2", (40000, 53)),
            true,
        ),
        (
            "v6 udp to 80",
            Model::udp("2001:db8::1", "2001:db8::2", (40000, 80)),
            false,
        ),
        (
            "v4 later fragment",
            Model::udp("10.0.0.1", "10.0.0.2", (0, 0)).with_fragment(185, false),
            true,
        ),
        (
            "v4 first fragment to 80",
            Model::udp("10.0.0.1", "10.0.0.2", (40000, 80)).with_fragment(0, true),
            true,
        ),
        (
            "v6 fragment header",
            Model::udp("2001:db8::1", "2001:db8::2", (0, 0)).with_protocol(IPV6_FRAGMENT),
            true,
        ),
        (
            "v6 hop-by-hop header",
            Model::udp("2001:db8::1", "2001:db8::2", (0, 0)).with_protocol(IPV6_HOP_BY_HOP),
            true,
        ),
        (
            "v6 icmpv6",
            Model::udp("2001:db8::1", "2001:db8::2", (0, 0)).with_protocol(ICMPV6),
            false,
        ),
        ("arp", Model::arp(), false),
    ]
}

#[test]
fn dns_filter_on_every_link_layer() {
    let expression = dns_expression();
    for link in LINK_LAYERS {
        let program = program(link, Some(&expression), None);
        for tagging in [Tagging::None, Tagging::InPacket(100), Tagging::Stripped(7)] {
            for (name, model, expected) in dns_cases() {
                let model = model.with_tagging(tagging);
                assert_eq!(
                    accepts(&program, &model, link),
                    expected,
                    "{name} on {link:?} with {tagging:?}"
                );
            }
        }
    }
}

#[test]
fn truncated_packet_is_rejected() {
    let expression = dns_expression();
    let program = program(LinkLayer::Ethernet, Some(&expression), None);
    let (bytes, meta) = Model::udp("10.0.0.1", "10.0.0.2", (40000, 53)).encode(LinkLayer::Ethernet);
    assert_ne!(run(&program, &bytes, &meta), 0);
    for length in [0, 13, 20, 34, 36] {
        assert_eq!(run(&program, &bytes[..length], &meta), 0, "length {length}");
    }
}

#[test]
fn loopback_outgoing_copy_is_rejected() {
    let expression = dns_expression();
    let loopback = 1;
    for link in [LinkLayer::Cooked, LinkLayer::Ethernet] {
        let program = program(link, Some(&expression), Some(loopback));
        let mut model = Model::udp("127.0.0.1", "127.0.0.1", (40000, 53));
        model.ifindex = loopback;
        model.packet_type = 4;
        assert!(!accepts(&program, &model, link), "outgoing on lo, {link:?}");
        model.packet_type = 0;
        assert!(accepts(&program, &model, link), "incoming on lo, {link:?}");
        model.ifindex = 2;
        model.packet_type = 4;
        assert!(accepts(&program, &model, link), "outgoing on eth, {link:?}");
    }
}

#[test]
fn no_expression_accepts_everything() {
    let program = program(LinkLayer::Ethernet, None, None);
    assert!(accepts(&program, &Model::arp(), LinkLayer::Ethernet));
    assert!(accepts(
        &program,
        &Model::udp("10.0.0.1", "10.0.0.2", (1, 2)),
        LinkLayer::Ethernet
    ));
}

#[test]
fn user_filter_table() {
    let v4 = Model::udp("192.168.1.10", "10.1.2.3", (40000, 53));
    let v6 = Model::udp("2001:db8::10", "fe80::1", (53, 40000));
    let tagged = v4.clone().with_tagging(Tagging::InPacket(42));
    let cases: Vec<(&str, &Model, bool)> = vec![
        ("host 192.168.1.10", &v4, true),
        ("host 10.1.2.3", &v4, true),
        ("src host 10.1.2.3", &v4, false),
        ("dst host 10.1.2.3", &v4, true),
        ("host 10.1.2.4", &v4, false),
        ("net 192.168.0.0/16", &v4, true),
        ("src net 10.0.0.0/8", &v4, false),
        ("net 0.0.0.0/0", &v4, true),
        ("net 0.0.0.0/0", &v6, false),
        ("host 2001:db8::10", &v6, true),
        ("dst host 2001:db8::10", &v6, false),
        ("net 2001:db8::/32", &v6, true),
        ("net fe80::/10", &v6, true),
        ("net fe80::/64 and not src net 2001:db8::/33", &v6, false),
        ("port 53", &v4, true),
        ("src port 53", &v4, false),
        ("src port 53", &v6, true),
        ("portrange 50-60", &v4, true),
        ("dst portrange 54-60", &v4, false),
        ("udp dst port 53", &v4, true),
        ("tcp port 53", &v4, false),
        ("ip and udp", &v4, true),
        ("ip6", &v4, false),
        ("ip6 && !tcp", &v6, true),
        ("vlan", &v4, false),
        ("vlan", &tagged, true),
        ("vlan 42 and port 53", &tagged, true),
        ("vlan 43", &tagged, false),
        ("port 53 and host 10.1.2.3", &tagged, true),
        ("not (port 53 or port 5353)", &v4, false),
        ("(udp or tcp) and (host ::1 or host 10.1.2.3)", &v4, true),
    ];
    for (source, model, expected) in cases {
        let expression = parse(source).expect("valid filter");
        assert_eq!(
            model.evaluate(&expression),
            expected,
            "reference for {source}"
        );
        for link in LINK_LAYERS {
            let program = program(link, Some(&expression), None);
            assert_eq!(
                accepts(&program, model, link),
                expected,
                "{source} on {link:?}"
            );
        }
    }
}

/// A deterministic xorshift generator, so failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

const PRIMITIVES: &[&str] = &[
    "host 10.0.0.1",
    "src host 10.0.0.2",
    "dst host 2001:db8::1",
    "net 10.0.0.0/30",
    "dst net 2001:db8::/127",
    "port 53",
    "src port 5353",
    "dst port 53",
    "portrange 50-60",
    "src portrange 5000-6000",
    "udp",
    "tcp",
    "ip",
    "ip6",
    "vlan",
    "vlan 10",
];

fn random_filter(random: &mut Random, depth: u32) -> String {
    let choice = if depth == 0 { 0 } else { random.next() % 4 };
    match choice {
        0 => (*random.pick(PRIMITIVES)).to_owned(),
        1 => format!("not {}", random_filter(random, depth - 1)),
        2 => format!(
            "({} and {})",
            random_filter(random, depth - 1),
            random_filter(random, depth - 1)
        ),
        _ => format!(
            "({} or {})",
            random_filter(random, depth - 1),
            random_filter(random, depth - 1)
        ),
    }
}

fn random_model(random: &mut Random) -> Model {
    let addresses = [
        ("10.0.0.1", "10.0.0.2"),
        ("10.0.0.2", "10.0.0.9"),
        ("192.0.2.1", "10.0.0.3"),
        ("2001:db8::1", "2001:db8::2"),
        ("2001:db8::3", "2001:db8::1"),
    ];
    let (source, destination) = *random.pick(&addresses);
    let ports = *random.pick(&[(53, 40000), (40000, 53), (5353, 5353), (55, 5999), (1, 2)]);
    let mut model = Model::udp(source, destination, ports);
    model.protocol = *random.pick(&[17, 17, 6, 58, 44]);
    if source.contains('.') && random.next() % 4 == 0 {
        model = model.with_fragment(*random.pick(&[0, 1, 100]), random.next() % 2 == 0);
    }
    model.tagging = *random.pick(&[
        Tagging::None,
        Tagging::InPacket(10),
        Tagging::Stripped(10),
        Tagging::InPacket(11),
    ]);
    if random.next() % 10 == 0 {
        model = Model::arp();
    }
    model
}

#[test]
fn random_filters_match_reference() {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let source = random_filter(&mut random, 3);
        let expression = parse(&source).expect("generated filter parses");
        let programs: Vec<_> = LINK_LAYERS
            .iter()
            .map(|link| (*link, program(*link, Some(&expression), None)))
            .collect();
        for _ in 0..20 {
            let model = random_model(&mut random);
            let expected = model.evaluate(&expression);
            for (link, program) in &programs {
                assert_eq!(
                    accepts(program, &model, *link),
                    expected,
                    "{source} on {link:?} for {model:?}"
                );
            }
        }
    }
}

#[test]
fn large_filter_uses_long_jumps() {
    let source = (0..150)
        .map(|port| format!("port {port}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let expression = parse(&source).expect("valid filter");
    let program = program(LinkLayer::Ethernet, Some(&expression), None);
    assert!(program.len() > 256);
    let model = Model::udp("10.0.0.1", "10.0.0.2", (40000, 149));
    assert!(accepts(&program, &model, LinkLayer::Ethernet));
    let model = Model::udp("10.0.0.1", "10.0.0.2", (40000, 150));
    assert!(!accepts(&program, &model, LinkLayer::Ethernet));
}

#[test]
fn oversized_filter_is_error() {
    let source = (0..600)
        .map(|port| format!("port {port}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let expression = parse(&source).expect("valid filter");
    let result = compile_filter(&FilterSpec {
        link_layer: LinkLayer::Ethernet,
        expression: Some(&expression),
        snaplen: SNAPLEN,
        loopback_ifindex: None,
    });
    assert!(result.is_err());
}

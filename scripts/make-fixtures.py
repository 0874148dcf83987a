#!/usr/bin/env python3
"""Regenerate the capture fixtures of crates/cli/tests/data/ (run as root, from any folder).

Two kinds of fixtures are written:

* live-*.pcap(ng): real traffic recorded on the loopback interface (Ethernet framing), on
  `any` as Linux cooked v2, and the first converted to pcapng with editcap. The script starts unbound
  on 127.0.0.77 and ::1 with a static zone (the root zone is local, so unbound never sends a
  query anywhere), records with tcpdump while dig and a small Python client send queries, and
  stops both. Ids, ports and times change on every run.
* crafted-*.pcap: packets built with scapy with fixed addresses, ids and times, for cases that
  real tools do not produce on demand (damaged messages, fragments, VLAN tags, reordering).

All traffic stays on 127.0.0.0/8 and ::1. Needs unbound, dig, tcpdump, editcap and scapy.
Run with --crafted-only to rewrite only the crafted captures.
"""

import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

from scapy.all import (DNS, DNSQR, DNSRR, DNSRROPT, Dot1Q, Ether, IP, IPv6, IPv6ExtHdrFragment,
                       Raw, TCP, UDP, fragment, fragment6, wrpcap)

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "cli", "tests", "data")
SERVER4 = "127.0.0.77"
SERVER6 = "::1"
# A port where nothing listens; the test configuration declares it as DNS.
SILENT_PORT = 5399

ZONE = [
    "www.example.test. 300 IN A 192.0.2.10",
    "www.example.test. 300 IN AAAA 2001:db8::10",
    "alias.example.test. 300 IN CNAME www.example.test.",
    "example.test. 300 IN MX 10 mail.example.test.",
    "mail.example.test. 300 IN A 192.0.2.25",
    'example.test. 300 IN TXT \\"v=spf1 -all\\"',
    "_sip._udp.example.test. 300 IN SRV 10 20 5060 sip.example.test.",
]


def unbound_config(directory):
    lines = [
        "server:",
        f"  interface: {SERVER4}",
        f"  interface: {SERVER6}",
        "  port: 53",
        "  do-daemonize: no",
        '  username: ""',
        '  chroot: ""',
        f'  directory: "{directory}"',
        f'  pidfile: "{directory}/unbound.pid"',
        "  use-syslog: no",
        "  verbosity: 0",
        "  num-threads: 1",
        "  do-ip6: yes",
        "  access-control: 127.0.0.0/8 allow",
        "  access-control: ::1 allow",
        '  module-config: "iterator"',
        '  local-zone: "." static',
    ]
    lines += [f'  local-data: "{record}"' for record in ZONE]
    lines += ["remote-control:", "  control-enable: no"]
    return "\n".join(lines) + "\n"


def dig(server, *arguments):
    subprocess.run(["dig", f"@{server}", "+tries=1", "+time=1", *arguments],
                   stdout=subprocess.DEVNULL, check=False)


def query_bytes(name, qtype, ident):
    return bytes(DNS(id=ident, rd=1, qd=DNSQR(qname=name, qtype=qtype)))


def send_duplicate_query():
    """Sends one query twice with the same id and source port, reading each reply in turn.

    The resolver answers each copy before the next is sent, so both copies pair with an
    answer; crafted-duplicate.pcap covers a repeat sent before the answer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(1)
        payload = query_bytes("mail.example.test", "A", 0x0d0d)
        for _ in range(2):
            client.sendto(payload, (SERVER4, 53))
            time.sleep(0.05)
        for _ in range(2):
            try:
                client.recv(4096)
            except socket.timeout:
                pass


def send_pipelined_tcp():
    """Sends two length-prefixed queries in one TCP segment and reads both replies."""
    first = query_bytes("www.example.test", "A", 0x7101)
    second = query_bytes("www.example.test", "AAAA", 0x7102)
    segment = struct.pack("!H", len(first)) + first + struct.pack("!H", len(second)) + second
    with socket.create_connection((SERVER4, 53), timeout=2) as client:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.sendall(segment)
        received = b""
        while len(framed_messages(received)) < 2:
            try:
                chunk = client.recv(4096)
            except socket.timeout:
                break
            if not chunk:
                break
            received += chunk
        time.sleep(0.2)


def framed_messages(stream):
    """Return the complete length-prefixed DNS messages at the start of a TCP stream."""
    messages = []
    while len(stream) >= 2:
        length = struct.unpack("!H", stream[:2])[0]
        if len(stream) < 2 + length:
            break
        messages.append(stream[2:2 + length])
        stream = stream[2 + length:]
    return messages


def send_live_traffic():
    dig(SERVER4, "www.example.test", "A")
    dig(SERVER4, "www.example.test", "AAAA")
    dig(SERVER4, "alias.example.test", "CNAME")
    dig(SERVER4, "example.test", "MX")
    dig(SERVER4, "_sip._udp.example.test", "SRV")
    dig(SERVER4, "example.test", "TXT")
    dig(SERVER4, "missing.example.test", "A")
    dig(SERVER6, "www.example.test", "AAAA")
    dig(SERVER4, "+subnet=192.0.2.0/24", "+cookie", "mail.example.test", "A")
    dig(SERVER4, "-p", str(SILENT_PORT), "silent.example.test", "A")
    send_duplicate_query()
    send_pipelined_tcp()


def record_live():
    """Records the live traffic three ways: Ethernet on lo, SLL2 on any, pcapng on lo."""
    with tempfile.TemporaryDirectory() as directory:
        with open(os.path.join(directory, "unbound.conf"), "w") as config:
            config.write(unbound_config(directory))
        unbound = subprocess.Popen(["unbound", "-d", "-c", os.path.join(directory, "unbound.conf")])
        time.sleep(1.5)
        filter_text = f"port 53 or port {SILENT_PORT}"
        outputs = {
            "live-lo.pcap": ["-i", "lo"],
            "live-any-sll2.pcap": ["-i", "any", "-y", "LINUX_SLL2"],
        }
        recorders = []
        for name, arguments in outputs.items():
            path = os.path.join(DATA, name)
            recorders.append(subprocess.Popen(
                ["tcpdump", "-U", "-n", "-s", "0", *arguments, "-w", path, filter_text],
                stderr=subprocess.DEVNULL))
        time.sleep(1.5)
        try:
            send_live_traffic()
            time.sleep(1)
        finally:
            for recorder in recorders:
                recorder.terminate()
                recorder.wait()
            unbound.terminate()
            unbound.wait()
    # The same recording as pcapng, written by Wireshark's editcap.
    subprocess.run(["editcap", "-F", "pcapng", os.path.join(DATA, "live-lo.pcap"),
                    os.path.join(DATA, "live-lo.pcapng")], check=True)


# Crafted captures: fixed endpoints and a fixed start time (2026-01-02T03:04:05Z).
CLIENT4, RESOLVER4 = "127.0.0.10", "127.0.0.53"
CLIENT6, RESOLVER6 = "::1", "::1"
START = 1767323045.0
MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def stamp(packets, step=0.001):
    for index, packet in enumerate(packets):
        packet.time = START + index * step
    return packets


def udp4(source, destination, sport, dport, payload):
    return Ether(**MAC) / IP(src=source, dst=destination) / UDP(sport=sport, dport=dport) / Raw(payload)


def query4(ident, name, qtype="A", sport=40000):
    return udp4(CLIENT4, RESOLVER4, sport, 53, query_bytes(name, qtype, ident))


def header(ident, flags, qd, an, ns, ar):
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


def question(name_wire, qtype=1):
    return name_wire + struct.pack("!HH", qtype, 1)


def wire_name(*labels):
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"


def a_record(owner, ttl, address):
    return owner + struct.pack("!HHIH", 1, 1, ttl, 4) + socket.inet_aton(address)


def craft_simple():
    orphan = DNS(id=0x0bad, qr=1, rd=1, ra=1, qd=DNSQR(qname="orphan.example.test"),
                 an=DNSRR(rrname="orphan.example.test", type="A", ttl=60, rdata="192.0.2.99"))
    write("crafted-orphan.pcap", [udp4(RESOLVER4, CLIENT4, 53, 40001, bytes(orphan))])

    vlan_query = Ether(**MAC) / Dot1Q(vlan=42) / IP(src=CLIENT4, dst=RESOLVER4) / UDP(sport=40002, dport=53) \
        / Raw(query_bytes("vlan.example.test", "A", 0x0042))
    vlan_reply = DNS(id=0x0042, qr=1, rd=1, ra=1, qd=DNSQR(qname="vlan.example.test"),
                     an=DNSRR(rrname="vlan.example.test", type="A", ttl=60, rdata="192.0.2.42"))
    vlan_response = Ether(src=MAC["dst"], dst=MAC["src"]) / Dot1Q(vlan=42) / IP(src=RESOLVER4, dst=CLIENT4) \
        / UDP(sport=53, dport=40002) / Raw(bytes(vlan_reply))
    write("crafted-vlan.pcap", [vlan_query, vlan_response])

    # The client repeats its query (same id and port) before the answer arrives.
    duplicate_reply = DNS(id=0xd0d0, qr=1, rd=1, ra=1, qd=DNSQR(qname="dup.example.test"),
                          an=DNSRR(rrname="dup.example.test", type="A", ttl=60, rdata="192.0.2.77"))
    write("crafted-duplicate.pcap",
          [query4(0xd0d0, "dup.example.test", sport=40005), query4(0xd0d0, "dup.example.test", sport=40005),
           udp4(RESOLVER4, CLIENT4, 53, 40005, bytes(duplicate_reply))])

    # LLMNR: a query to the multicast group, and a unicast reply from a responder whose answer
    # names another host.
    llmnr_query = Ether(**MAC) / IP(src=CLIENT4, dst="224.0.0.252", ttl=1) / UDP(sport=40006, dport=5355) \
        / Raw(bytes(DNS(id=0x11aa, qd=DNSQR(qname="printer"))))
    llmnr_reply = DNS(id=0x11aa, qr=1, qd=DNSQR(qname="printer"),
                      an=DNSRR(rrname="printer", type="A", ttl=30, rdata="192.0.2.60"))
    write("crafted-llmnr-unicast-reply.pcap",
          [llmnr_query, udp4("127.0.0.66", CLIENT4, 5355, 40006, bytes(llmnr_reply))])

    refused = header(0x5e5e, 0x8105, 0, 0, 0, 0)
    write("crafted-refused-header-only.pcap",
          [query4(0x5e5e, "refused.example.test", sport=40003),
           udp4(RESOLVER4, CLIENT4, 53, 40003, refused)])

    split_reply = DNS(id=0x5151, qr=1, rd=1, ra=1, qd=DNSQR(qname="split.example.test"),
                      an=DNSRR(rrname="split.example.test", type="A", ttl=60, rdata="192.0.2.51"))
    query = query4(0x5151, "split.example.test", sport=40004)
    response = udp4(RESOLVER4, CLIENT4, 53, 40004, bytes(split_reply))
    stamp([query, response])
    write("crafted-split-1.pcap", [query], restamp=False)
    write("crafted-split-2.pcap", [response], restamp=False)


def craft_edns_options():
    """Write an EDNS exchange whose response echoes a client subnet with scope 24 and carries a
    client and server cookie."""
    subnet = struct.pack("!HBB", 1, 24, 0) + bytes([192, 0, 2])
    client_cookie = bytes.fromhex("0102030405060708")
    server_cookie = bytes.fromhex("1112131415161718")
    def opt(scope, cookie):
        options = struct.pack("!HH", 8, len(subnet)) + subnet[:3] + bytes([scope]) + subnet[4:]
        options += struct.pack("!HH", 10, len(cookie)) + cookie
        return b"\x00" + struct.pack("!HHIH", 41, 1232, 0, len(options)) + options
    qname = wire_name(b"ecs", b"example", b"test")
    query = header(0x4004, 0x0100, 1, 0, 0, 1) + question(qname) + opt(0, client_cookie)
    reply = header(0x4004, 0x8180, 1, 1, 0, 1) + question(qname) + a_record(b"\xc0\x0c", 60, "192.0.2.40") \
        + opt(24, client_cookie + server_cookie)
    write("crafted-edns-subnet-cookie.pcap",
          [udp4(CLIENT4, RESOLVER4, 40040, 53, query), udp4(RESOLVER4, CLIENT4, 53, 40040, reply)])


def craft_names():
    """Damaged and unusual names: a pointer loop, chained pointers, escaped label bytes, and a
    broken record next to a good one."""
    # Pointer loop: the answer's owner name is a pointer to its own offset.
    name = wire_name(b"loop", b"example", b"test")
    loop_offset = 12 + len(question(name))
    loop = header(0x1001, 0x8180, 1, 1, 0, 0) + question(name) + struct.pack("!H", 0xc000 | loop_offset) \
        + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
    write("crafted-pointer-loop.pcap",
          [query4(0x1001, "loop.example.test", sport=40010), udp4(RESOLVER4, CLIENT4, 53, 40010, loop)])

    # Chained pointers: the first record's owner is "www" plus a pointer to the question name.
    # The second record's owner points at the first owner, so one pointer leads to another.
    qname = wire_name(b"chain", b"example", b"test")
    message = header(0x1002, 0x8180, 1, 2, 0, 0) + question(qname)
    first_owner_offset = len(message)
    first_owner = b"\x03www\xc0\x0c"
    message += a_record(first_owner, 60, "192.0.2.2")
    message += a_record(struct.pack("!H", 0xc000 | first_owner_offset), 60, "192.0.2.3")
    write("crafted-pointer-chain.pcap",
          [query4(0x1002, "chain.example.test", sport=40011), udp4(RESOLVER4, CLIENT4, 53, 40011, message)])

    # Escaped label bytes: a label holding a dot, and a label holding a tab and a 0xff byte.
    odd = wire_name(b"a.b", b"x\ty\xff", b"example", b"test")
    query = header(0x1003, 0x0100, 1, 0, 0, 0) + question(odd)
    reply = header(0x1003, 0x8180, 1, 1, 0, 0) + question(odd) + a_record(b"\xc0\x0c", 60, "192.0.2.4")
    write("crafted-escaped-labels.pcap",
          [udp4(CLIENT4, RESOLVER4, 40012, 53, query), udp4(RESOLVER4, CLIENT4, 53, 40012, reply)])

    # A broken record (A with 3 bytes of RDATA) before a good A record.
    qname = wire_name(b"broken", b"example", b"test")
    broken = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 3) + bytes([192, 0, 2])
    reply = header(0x1004, 0x8180, 1, 2, 0, 0) + question(qname) + broken + a_record(b"\xc0\x0c", 60, "192.0.2.5")
    write("crafted-broken-record.pcap",
          [query4(0x1004, "broken.example.test", sport=40013), udp4(RESOLVER4, CLIENT4, 53, 40013, reply)])


def large_txt_reply(ident, name):
    strings = [bytes([ord("a") + index]) * 200 for index in range(10)]
    return bytes(DNS(id=ident, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype="TXT"),
                     an=DNSRR(rrname=name, type="TXT", ttl=60, rdata=strings),
                     ar=DNSRROPT(rclass=1232)))


def craft_fragments():
    name4 = "frag4.example.test"
    query = Ether(**MAC) / IP(src=CLIENT4, dst=RESOLVER4) / UDP(sport=40020, dport=53) \
        / Raw(bytes(DNS(id=0x2004, rd=1, qd=DNSQR(qname=name4, qtype="TXT"), ar=DNSRROPT(rclass=1232))))
    reply = IP(src=RESOLVER4, dst=CLIENT4, id=0x4242) / UDP(sport=53, dport=40020) / Raw(large_txt_reply(0x2004, name4))
    fragments = [Ether(src=MAC["dst"], dst=MAC["src"]) / part for part in fragment(reply, fragsize=800)]
    # The fragments are written in reverse order, so reassembly cannot rely on arrival order.
    write("crafted-ipv4-fragments.pcap", [query] + fragments[::-1])

    name6 = "frag6.example.test"
    query6 = Ether(**MAC) / IPv6(src=CLIENT6, dst=RESOLVER6) / UDP(sport=40021, dport=53) \
        / Raw(bytes(DNS(id=0x2006, rd=1, qd=DNSQR(qname=name6, qtype="TXT"), ar=DNSRROPT(rclass=1232))))
    reply6 = IPv6(src=RESOLVER6, dst=CLIENT6) / IPv6ExtHdrFragment(id=0x6666) / UDP(sport=53, dport=40021) \
        / Raw(large_txt_reply(0x2006, name6))
    fragments6 = [Ether(src=MAC["dst"], dst=MAC["src"]) / part for part in fragment6(reply6, 1000)]
    write("crafted-ipv6-fragments.pcap", [query6] + fragments6)


def craft_edns_notes():
    """Write the three UDP size and EDNS mismatches that Packetbeat notes: an EDNS query answered
    without OPT, a plain query answered with OPT, and a plain answer larger than 512 bytes."""
    def exchange(ident, name, sport, query_opt, reply_opt, answers=1):
        query = DNS(id=ident, rd=1, qd=DNSQR(qname=name), ar=DNSRROPT(rclass=1232) if query_opt else None)
        records = [DNSRR(rrname=name, type="A", ttl=60, rdata=f"192.0.2.{index + 1}") for index in range(answers)]
        reply = DNS(id=ident, qr=1, rd=1, ra=1, qd=DNSQR(qname=name), an=records,
                    ar=DNSRROPT(rclass=1232) if reply_opt else None)
        return [udp4(CLIENT4, RESOLVER4, sport, 53, bytes(query)), udp4(RESOLVER4, CLIENT4, 53, sport, bytes(reply))]
    packets = exchange(0x6001, "noedns.example.test", 40050, True, False)
    packets += exchange(0x6002, "unexpected.example.test", 40051, False, True)
    packets += exchange(0x6003, "large.example.test", 40052, False, False, answers=40)
    write("crafted-edns-notes.pcap", packets)


def tcp_session(sport, client_payloads, server_payloads, close=True):
    """Build a TCP session: handshake, the client's segments, the server's segments, then FINs."""
    c_seq, s_seq = 1000, 5000

    def to_server(flags, data=b""):
        packet = Ether(**MAC) / IP(src=CLIENT4, dst=RESOLVER4) / TCP(sport=sport, dport=53, flags=flags, seq=c_seq, ack=s_seq)
        return packet / Raw(data) if data else packet

    def to_client(flags, data=b""):
        packet = Ether(src=MAC["dst"], dst=MAC["src"]) / IP(src=RESOLVER4, dst=CLIENT4) \
            / TCP(sport=53, dport=sport, flags=flags, seq=s_seq, ack=c_seq)
        return packet / Raw(data) if data else packet

    packets = [Ether(**MAC) / IP(src=CLIENT4, dst=RESOLVER4) / TCP(sport=sport, dport=53, flags="S", seq=c_seq - 1)]
    packets.append(Ether(src=MAC["dst"], dst=MAC["src"]) / IP(src=RESOLVER4, dst=CLIENT4)
                   / TCP(sport=53, dport=sport, flags="SA", seq=s_seq - 1, ack=c_seq))
    packets.append(to_server("A"))
    for payload in client_payloads:
        packets.append(to_server("PA", payload))
        c_seq += len(payload)
    for payload in server_payloads:
        packets.append(to_client("PA", payload))
        s_seq += len(payload)
    if close:
        packets.append(to_client("FA"))
        s_seq += 1
        packets.append(to_server("FA"))
    return packets


def craft_tcp_errors():
    """Write a TCP response cut short by FIN, and a TCP response with a zero length prefix."""
    query = query_bytes("cut.example.test", "A", 0x7007)
    reply = bytes(DNS(id=0x7007, qr=1, rd=1, ra=1, qd=DNSQR(qname="cut.example.test"),
                      an=DNSRR(rrname="cut.example.test", type="A", ttl=60, rdata="192.0.2.70")))
    framed_query = struct.pack("!H", len(query)) + query
    framed_reply = struct.pack("!H", len(reply)) + reply
    write("crafted-tcp-incomplete.pcap", tcp_session(40060, [framed_query], [framed_reply[:20]]))

    query = query_bytes("zero.example.test", "A", 0x7008)
    framed_query = struct.pack("!H", len(query)) + query
    write("crafted-tcp-zero-length.pcap", tcp_session(40061, [framed_query], [b"\x00\x00"]))


def craft_tcp_out_of_order():
    """Write a TCP exchange whose response arrives in two segments, the second one first."""
    client, server, sport = CLIENT4, RESOLVER4, 40030
    payload = query_bytes("tcp.example.test", "A", 0x3003)
    reply = bytes(DNS(id=0x3003, qr=1, rd=1, ra=1, qd=DNSQR(qname="tcp.example.test"),
                      an=DNSRR(rrname="tcp.example.test", type="A", ttl=60, rdata="192.0.2.30")))
    framed_query = struct.pack("!H", len(payload)) + payload
    framed_reply = struct.pack("!H", len(reply)) + reply
    c_seq, s_seq = 1000, 5000

    def to_server(flags, seq, ack, data=b""):
        return Ether(**MAC) / IP(src=client, dst=server) / TCP(sport=sport, dport=53, flags=flags, seq=seq, ack=ack) / Raw(data)

    def to_client(flags, seq, ack, data=b""):
        return Ether(src=MAC["dst"], dst=MAC["src"]) / IP(src=server, dst=client) \
            / TCP(sport=53, dport=sport, flags=flags, seq=seq, ack=ack) / Raw(data)

    half = 20
    packets = [
        to_server("S", c_seq, 0),
        to_client("SA", s_seq, c_seq + 1),
        to_server("A", c_seq + 1, s_seq + 1),
        to_server("PA", c_seq + 1, s_seq + 1, framed_query),
        to_client("PA", s_seq + 1 + half, c_seq + 1 + len(framed_query), framed_reply[half:]),
        to_client("A", s_seq + 1, c_seq + 1 + len(framed_query), framed_reply[:half]),
        to_server("FA", c_seq + 1 + len(framed_query), s_seq + 1 + len(framed_reply)),
        to_client("FA", s_seq + 1 + len(framed_reply), c_seq + 2 + len(framed_query)),
        to_server("A", c_seq + 2 + len(framed_query), s_seq + 2 + len(framed_reply)),
    ]
    for packet in packets:
        if not packet[Raw].load:
            del packet[Raw]
    write("crafted-tcp-out-of-order.pcap", packets)


def write(name, packets, restamp=True):
    if restamp:
        stamp(packets)
    wrpcap(os.path.join(DATA, name), packets)


def main():
    if os.geteuid() != 0:
        sys.exit("run as root: tcpdump and unbound on port 53 need it")
    craft_simple()
    craft_names()
    craft_edns_options()
    craft_edns_notes()
    craft_fragments()
    craft_tcp_out_of_order()
    craft_tcp_errors()
    if "--crafted-only" not in sys.argv:
        record_live()


if __name__ == "__main__":
    main()

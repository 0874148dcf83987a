#!/usr/bin/env python3
"""Write pcaps of malformed DNS and of floods that try to grow dnstel's tables.

Usage: gen_dns.py OUTDIR [--scale N]

Malformed messages (one small pcap each) and floods (large pcaps; --scale multiplies the
packet counts, default 1 gives 100k-400k packets per flood). Needs scapy.
"""
import argparse
import os
import random
import socket
import struct

from scapy.all import IP, TCP, UDP, Ether, PcapWriter, raw

CLIENT = "127.0.0.2"
SERVER = "127.0.0.1"


def header(ident=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar)


def qname(labels):
    out = b""
    for label in labels:
        out += bytes([len(label)]) + label
    return out + b"\0"


QUESTION = qname([b"www", b"example", b"test"]) + struct.pack(">HH", 1, 1)


def udp(payload, sport=40000, dport=53, src=CLIENT, dst=SERVER, ts=1.0):
    packet = Ether() / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / payload
    packet.time = ts
    return packet


def malformed_messages():
    # A name that is a pointer to itself.
    yield "dns-pointer-loop", header() + b"\xc0\x0c" + struct.pack(">HH", 1, 1)
    # Two pointers pointing at each other.
    yield "dns-pointer-pair-loop", header() + b"\xc0\x0e\xc0\x0c" + struct.pack(">HH", 1, 1)
    # A chain of 2000 pointers, each to the one before, ending at a real name.
    # A pointer-to-pointer chain of 2000 hops. The question is "a" at offset 12; answer 1 is
    # a NULL record whose data is the chain (each pointer to the one before, the first to 12);
    # answer 2's owner name is a pointer to the last link.
    question = qname([b"a"]) + struct.pack(">HH", 1, 1)
    rdata_start = 12 + len(question) + 2 + 10
    chain = bytearray()
    previous = 12
    for _ in range(2000):
        here = rdata_start + len(chain)
        chain += struct.pack(">H", 0xC000 | previous)
        previous = here
    null_record = b"\xc0\x0c" + struct.pack(">HHIH", 10, 1, 0, len(chain)) + bytes(chain)
    last_link = struct.pack(">H", 0xC000 | previous)
    a_record = last_link + struct.pack(">HHIH", 1, 1, 0, 4) + b"\x01\x02\x03\x04"
    yield "dns-deep-pointer-chain", header(flags=0x8180, an=2) + question + null_record + a_record
    # Question 1 at offset 12 is "a", then up to 4000 names "b" + pointer to the one before.
    questions = bytearray(qname([b"a"]) + struct.pack(">HH", 1, 1))
    previous = 12
    count = 1
    while len(questions) < 60000 and count < 4000:
        here = 12 + len(questions)
        # Each name: one label "b" then a pointer to the previous name.
        questions += b"\x01b" + struct.pack(">H", 0xC000 | previous) + struct.pack(">HH", 1, 1)
        previous = here
        count += 1
    yield "dns-pointer-chain-4000", header(qd=count) + bytes(questions)
    # 127 one-byte labels: 254 bytes, the maximum legal length.
    yield "dns-127-labels", header() + qname([b"x"] * 127) + struct.pack(">HH", 1, 1)
    # 255 labels: over the 255-byte limit.
    yield "dns-255-labels", header() + qname([b"x"] * 255) + struct.pack(">HH", 1, 1)
    # Labels of 63 bytes to a 1000-byte name.
    yield "dns-long-name", header() + qname([b"y" * 63] * 16) + struct.pack(">HH", 1, 1)
    # Label length 0x40 and 0x80 (reserved label types).
    yield "dns-reserved-label-type", header() + b"\x41" + b"z" * 65 + b"\0" + struct.pack(">HH", 1, 1)
    # An answer with RDLENGTH 65535 and 4 bytes of data.
    answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 0xFFFF) + b"\x01\x02\x03\x04"
    yield "dns-huge-rdlength", header(flags=0x8180, an=1) + QUESTION + answer
    # All four counts 65535 and no records.
    yield "dns-counts-65535", header(flags=0x8180, qd=0xFFFF, an=0xFFFF, ns=0xFFFF, ar=0xFFFF)
    # Answer count 65535, each answer a 2-byte pointer name plus 10-byte fixed fields, until 64k.
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + b"\x01\x02\x03\x04"
    many = rr * ((65000 - len(QUESTION)) // len(rr))
    yield "dns-answers-max", header(flags=0x8180, an=0xFFFF) + QUESTION + many
    # EDNS OPT with an option length past the end of the record.
    opt = b"\0" + struct.pack(">HHIH", 41, 4096, 0, 8) + struct.pack(">HH", 10, 0xFFFF) + b"abcd"
    yield "dns-edns-option-overrun", header(ar=1) + QUESTION + opt
    # EDNS client subnet with a prefix longer than its family allows and a bad family.
    ecs = struct.pack(">HBB", 99, 255, 255) + b"\xff" * 4
    opt = b"\0" + struct.pack(">HHIH", 41, 4096, 0, 4 + len(ecs)) + struct.pack(">HH", 8, len(ecs)) + ecs
    yield "dns-edns-bad-subnet", header(ar=1) + QUESTION + opt
    # Two OPT records and an OPT with a non-root owner name.
    opt = b"\0" + struct.pack(">HHIH", 41, 512, 0, 0)
    bad_owner = b"\x01a\0" + struct.pack(">HHIH", 41, 512, 0, 0)
    yield "dns-edns-double-opt", header(ar=3) + QUESTION + opt + opt + bad_owner
    # 10000 zero-length EDNS options.
    options = struct.pack(">HH", 65001, 0) * 10000
    opt = b"\0" + struct.pack(">HHIH", 41, 4096, 0, len(options)) + options
    yield "dns-edns-many-options", header(ar=1) + QUESTION + opt
    # Every record type 0..300 with 3 bytes of rdata, in a response.
    records = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", t, 1, 1, 3) + b"\xff\xfe\xfd" for t in range(0, 300))
    yield "dns-all-types-short-rdata", header(flags=0x8180, an=300) + QUESTION + records
    # Opcode 15, rcode 15, all flags set, zero-length message, 1-byte message.
    yield "dns-all-flags", header(flags=0xFFFF) + QUESTION
    yield "dns-empty-payload", b""
    yield "dns-one-byte", b"\x00"


def write(path, packets):
    writer = PcapWriter(path, linktype=1, sync=False)
    for packet in packets:
        writer.write(packet)
    writer.close()


def tcp_segment(payload, seq, sport, flags="PA", ts=1.0, src=CLIENT, dst=SERVER, dport=53):
    packet = Ether() / IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, seq=seq, flags=flags) / payload
    packet.time = ts
    return packet


def tcp_cases(out):
    message = header() + QUESTION
    # Length prefix 0, then a valid message.
    write(os.path.join(out, "tcp-length-zero.pcap"),
          [tcp_segment(b"\0\0" + struct.pack(">H", len(message)) + message, 1, 41000)])
    # Length prefix 65535 with 20 bytes of data, stream ends.
    write(os.path.join(out, "tcp-length-65535-short.pcap"),
          [tcp_segment(b"\xff\xff" + message, 1, 41001), tcp_segment(b"", 1 + 2 + len(message), 41001, flags="FA")])
    # Length prefix 1 (too short for a header) repeated.
    write(os.path.join(out, "tcp-length-one.pcap"),
          [tcp_segment(b"\0\x01\x00" * 1000, 1, 41002)])


class RawPcap:
    """A classic pcap writer for prebuilt Ethernet frames, much faster than scapy per packet."""

    def __init__(self, path):
        self.handle = open(path, "wb")
        self.handle.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.count = 0

    def write(self, frame):
        # Packet time advances 10 us per frame: 100k frames per second of capture time.
        seconds, micros = 1 + self.count // 100000, (self.count % 100000) * 10
        self.handle.write(struct.pack("<IIII", seconds, micros, len(frame), len(frame)))
        self.handle.write(frame)
        self.count += 1

    def close(self):
        self.handle.close()


ETHERNET = b"\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\x08\x00"


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0, flags_offset=0x4000, total=None):
    length = 20 + len(payload) if total is None else total
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, ident, flags_offset, 64, proto, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return ETHERNET + header + payload


def udp_flood_unanswered(path, count, rng):
    """Queries with random source address, port and DNS id, never answered."""
    writer = RawPcap(path)
    message = header() + QUESTION
    for _ in range(count):
        ident = rng.randrange(65536)
        body = struct.pack("!H", ident) + message[2:]
        segment = struct.pack("!HHHH", rng.randrange(1024, 65536), 53, 8 + len(body), 0) + body
        src = "127.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
        writer.write(ipv4(src, SERVER, 17, segment))
    writer.close()


def tcp_header(sport, seq, flags, dport=53):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)


def tcp_flood_half_open(path, count, rng):
    """Each stream opens with SYN, then sends a length prefix promising 65535 bytes and 100
    bytes of it, and is never finished."""
    writer = RawPcap(path)
    payload = b"\xff\xff" + header() + QUESTION + b"\0" * 70
    for _ in range(count // 2):
        src = "127.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
        sport = rng.randrange(1024, 65536)
        writer.write(ipv4(src, SERVER, 6, tcp_header(sport, 999, 0x02)))
        writer.write(ipv4(src, SERVER, 6, tcp_header(sport, 1000, 0x18) + payload))
    writer.close()


def tcp_flood_gaps(path, count, rng):
    """One stream whose segments arrive with huge sequence gaps, never filling the holes."""
    writer = RawPcap(path)
    chunk = b"\xab" * 1400
    writer.write(ipv4(CLIENT, SERVER, 6, tcp_header(42000, 0, 0x02)))
    seq = 1
    for _ in range(count):
        writer.write(ipv4(CLIENT, SERVER, 6, tcp_header(42000, seq, 0x18) + chunk))
        seq = (seq + 1400 + rng.randrange(1, 1 << 20)) & 0xFFFFFFFF
    writer.close()


def frag_flood_incomplete(path, count, rng):
    """First fragments of datagrams whose other fragments never come, each a new id."""
    writer = RawPcap(path)
    first = struct.pack("!HHHH", 40000, 53, 8 + 1400, 0) + b"\0" * 1392
    for _ in range(count):
        src = "127.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
        writer.write(ipv4(src, SERVER, 17, first, ident=rng.randrange(65536), flags_offset=0x2000))
    writer.close()


def frag_flood_huge(path, count):
    """Datagrams grown toward 65535 bytes from overlapping 1480-byte fragments, each ended by
    a last fragment that reaches past 65535 bytes, so none completes."""
    writer = RawPcap(path)
    piece = b"\xcd" * 1480
    ident = 0
    while writer.count < count:
        ident = (ident + 1) & 0xFFFF
        src = "127.1.%d.%d" % ((ident >> 8) & 0xFF, (ident & 0xFF) or 1)
        for units in range(0, 8000, 37):
            writer.write(ipv4(src, SERVER, 17, piece, ident=ident, flags_offset=0x2000 | units))
            if writer.count >= count:
                break
        writer.write(ipv4(src, SERVER, 17, piece, ident=ident, flags_offset=8189))
    writer.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--no-floods", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, payload in malformed_messages():
        query = udp(payload)
        response = udp(payload, sport=53, dport=40000, src=SERVER, dst=CLIENT, ts=1.001)
        write(os.path.join(args.out, name + ".pcap"), [query, response])
        # The same message over TCP with a correct length prefix.
        framed = struct.pack(">H", len(payload) & 0xFFFF) + payload
        handshake = [tcp_segment(b"", 0, 40001, flags="S")]
        write(os.path.join(args.out, name + "-tcp.pcap"),
              handshake + [tcp_segment(framed[i:i + 1400], 1 + i, 40001, ts=1.0) for i in range(0, len(framed), 1400)])
    tcp_cases(args.out)
    if args.no_floods:
        return
    rng = random.Random(7)
    scale = args.scale
    udp_flood_unanswered(os.path.join(args.out, "flood-udp-unanswered.pcap"), int(400000 * scale), rng)
    tcp_flood_half_open(os.path.join(args.out, "flood-tcp-half-open.pcap"), int(200000 * scale), rng)
    tcp_flood_gaps(os.path.join(args.out, "flood-tcp-gaps.pcap"), int(100000 * scale), rng)
    frag_flood_incomplete(os.path.join(args.out, "flood-frag-incomplete.pcap"), int(200000 * scale), rng)
    frag_flood_huge(os.path.join(args.out, "flood-frag-huge.pcap"), int(200000 * scale))


if __name__ == "__main__":
    main()

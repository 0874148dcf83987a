#!/usr/bin/env python3
"""Writes a pcap that tries to exhaust the sensor's state tables.

Two floods, all within one second of packet time so nothing times out before the end:
  * QUERIES unanswered UDP queries with random IDs and source ports (pending-query table), and
  * STREAMS half-open TCP connections to port 53, each sending a length prefix of 65535 and
    then CHUNK bytes of a message that never completes (TCP reassembly buffers).

Usage: scripts/bench/flood.py OUT.pcap [QUERIES] [STREAMS] [CHUNK]
Defaults: 300000 queries, 20000 streams, 4000 bytes per stream. Only documentation and
loopback-style addresses appear (198.18.0.0/15 clients, 192.0.2.53 server); the file is never
sent anywhere.
"""

import random
import struct
import sys

SERVER = bytes([192, 0, 2, 53])
LINKTYPE_ETHERNET = 1


def checksum(header: bytes) -> int:
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(source: bytes, protocol: int, payload: bytes) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, protocol, 0,
                         source, SERVER)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ethernet(packet: bytes) -> bytes:
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + packet


def client(index: int) -> bytes:
    return bytes([198, 18 + (index >> 16) % 2, (index >> 8) & 0xFF, index & 0xFF])


def query(rng: random.Random, index: int) -> bytes:
    name = b"".join(bytes([len(label)]) + label
                    for label in (b"q%d" % index, b"flood", b"test")) + b"\x00"
    header = struct.pack("!HHHHHH", rng.getrandbits(16), 0x0100, 1, 0, 0, 0)
    return header + name + struct.pack("!HH", 1, 1)


def udp(source_port: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", source_port, 53, 8 + len(payload), 0) + payload


def tcp(source_port: int, sequence: int, flags: int, payload: bytes) -> bytes:
    return struct.pack("!HHIIBBHHH", source_port, 53, sequence, 0, 0x50, flags, 65535, 0,
                       0) + payload


def main() -> None:
    out = sys.argv[1]
    queries = int(sys.argv[2]) if len(sys.argv) > 2 else 300_000
    streams = int(sys.argv[3]) if len(sys.argv) > 3 else 20_000
    chunk = int(sys.argv[4]) if len(sys.argv) > 4 else 4000
    rng = random.Random(53)
    packets = queries + 2 * streams
    step = max(1, 1_000_000 // max(1, packets))
    micros = 0
    with open(out, "wb") as pcap:
        pcap.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LINKTYPE_ETHERNET))

        def write(frame: bytes) -> None:
            nonlocal micros
            micros += step
            pcap.write(struct.pack("<IIII", 1_700_000_000 + micros // 1_000_000,
                                   micros % 1_000_000, len(frame), len(frame)))
            pcap.write(frame)

        for index in range(queries):
            port = 1024 + rng.randrange(64000)
            write(ethernet(ipv4(client(index), 17, udp(port, query(rng, index)))))
        for index in range(streams):
            source = client(index)
            port = 1024 + index % 64000
            write(ethernet(ipv4(source, 6, tcp(port, 1000, 0x02, b""))))
            data = struct.pack("!H", 65535) + bytes(rng.getrandbits(8) for _ in range(8)) \
                + b"\x00" * (chunk - 10)
            write(ethernet(ipv4(source, 6, tcp(port, 1001, 0x18, data))))


if __name__ == "__main__":
    main()

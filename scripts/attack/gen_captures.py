#!/usr/bin/env python3
"""Write malformed pcap and pcapng files for `dnstel read` into a folder.

Usage: gen_captures.py OUTDIR

Each file name says what is wrong with it. Only the Python standard library is used.
"""
import os
import random
import struct
import sys

ETH_IPV4_UDP53 = bytes.fromhex(
    # Ethernet, IPv4 (len 40), UDP 12345 -> 53 (len 20), a 12-byte DNS header
    "000000000002" "000000000001" "0800"
    "4500002800010000401100007f0000017f000001"
    "30390035001400000001010000010000000000000000"
)[:14 + 20 + 8 + 12]


def pcap_header(snaplen=65535, linktype=1, magic=0xA1B2C3D4):
    return struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)


def pcap_record(data, caplen=None, origlen=None, ts=1):
    caplen = len(data) if caplen is None else caplen
    origlen = len(data) if origlen is None else origlen
    return struct.pack("<IIII", ts, 0, caplen, origlen) + data


def block(block_type, body, length=None, trailer=None):
    pad = (-len(body)) % 4
    body = body + b"\0" * pad
    real = 12 + len(body)
    length = real if length is None else length
    trailer = length if trailer is None else trailer
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", trailer)


def shb(length=None):
    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
    return block(0x0A0D0D0A, body, length)


def idb(linktype=1, snaplen=0):
    return block(1, struct.pack("<HHI", linktype, 0, snaplen))


def epb(data, interface=0, caplen=None, length=None, trailer=None):
    caplen = len(data) if caplen is None else caplen
    body = struct.pack("<IIIII", interface, 0, 1, caplen, len(data)) + data
    return block(6, body, length, trailer)


def cases():
    frame = ETH_IPV4_UDP53
    good = pcap_header() + pcap_record(frame)
    yield "pcap-empty.pcap", b""
    yield "pcap-magic-only.pcap", pcap_header()[:4]
    yield "pcap-header-truncated.pcap", pcap_header()[:17]
    yield "pcap-bad-version.pcap", struct.pack("<IHHiIII", 0xA1B2C3D4, 9, 9, 0, 0, 65535, 1)
    yield "pcap-snaplen-zero.pcap", pcap_header(snaplen=0) + pcap_record(frame)
    yield "pcap-record-header-truncated.pcap", good + pcap_record(frame)[:9]
    yield "pcap-record-data-truncated.pcap", good + pcap_record(frame)[:30]
    yield "pcap-caplen-max.pcap", good + struct.pack("<IIII", 1, 0, 0xFFFFFFFF, 0xFFFFFFFF) + frame
    yield "pcap-caplen-over-origlen.pcap", good + pcap_record(frame, origlen=1)
    yield "pcap-zero-length-frames.pcap", pcap_header() + pcap_record(b"") * 10000
    yield "pcap-unknown-linktype.pcap", pcap_header(linktype=0xFFFF) + pcap_record(frame) * 3
    yield "pcap-raw-linktype-garbage.pcap", pcap_header(linktype=101) + pcap_record(os.urandom(64)) * 3
    yield "pcap-usec-overflow.pcap", pcap_header() + struct.pack("<IIII", 0xFFFFFFFF, 0xFFFFFFFF, len(frame), len(frame)) + frame
    yield "random-bytes.bin", random.Random(1).randbytes(1 << 20)
    yield "pcap-random-records.pcap", pcap_header() + random.Random(2).randbytes(1 << 20)
    yield "pcapng-shb-truncated.pcapng", shb()[:10]
    yield "pcapng-shb-length-short.pcapng", shb(length=12)
    yield "pcapng-shb-length-huge.pcapng", shb(length=0xFFFFFFFC)
    yield "pcapng-shb-length-unaligned.pcapng", shb(length=29)
    yield "pcapng-no-idb.pcapng", shb() + epb(frame)
    yield "pcapng-interface-out-of-range.pcapng", shb() + idb() + epb(frame, interface=0xFFFFFFFF) + epb(frame)
    yield "pcapng-block-length-zero.pcapng", shb() + idb() + struct.pack("<II", 6, 0) + b"\0" * 64
    yield "pcapng-block-length-max.pcapng", shb() + idb() + struct.pack("<II", 6, 0xFFFFFFFC) + frame
    yield "pcapng-unknown-block-huge.pcapng", shb() + idb() + struct.pack("<II", 0x999, 0xFFFFFFFC) + frame
    yield "pcapng-trailer-mismatch.pcapng", shb() + idb() + epb(frame, trailer=7) + epb(frame)
    yield "pcapng-caplen-over-block.pcapng", shb() + idb() + epb(frame, caplen=0xFFFFFF00) + epb(frame)
    yield "pcapng-zero-length-frames.pcapng", shb() + idb() + epb(b"") * 10000
    yield "pcapng-idb-flood.pcapng", shb() + idb() * 200000 + epb(frame, interface=199999)
    yield "pcapng-idb-bad-options.pcapng", shb() + block(1, struct.pack("<HHI", 1, 0, 0) + struct.pack("<HH", 9, 0xFFFF)) + epb(frame)
    yield "pcapng-tsresol-huge.pcapng", shb() + block(1, struct.pack("<HHI", 1, 0, 0) + struct.pack("<HHB3x", 9, 1, 0x7F) + b"\0\0\0\0") + epb(frame)
    yield "pcapng-tsresol-pow2.pcapng", shb() + block(1, struct.pack("<HHI", 1, 0, 0) + struct.pack("<HHB3x", 9, 1, 0xFF) + b"\0\0\0\0") + epb(frame)
    yield "pcapng-tsoffset-huge.pcapng", shb() + block(1, struct.pack("<HHI", 1, 0, 0) + struct.pack("<HHq", 14, 8, 2**63 - 1) + b"\0\0\0\0") + epb(frame)
    yield "pcapng-simple-no-idb.pcapng", shb() + block(3, struct.pack("<I", 0xFFFFFFFF) + frame)
    yield "pcapng-random-blocks.pcapng", shb() + idb() + random.Random(3).randbytes(1 << 20)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in cases():
        with open(os.path.join(out, name), "wb") as handle:
            handle.write(data)
    # A 1 GiB sparse file: a valid header, then zeros (16-byte all-zero records).
    sparse = os.path.join(out, "pcap-sparse-1g.pcap")
    with open(sparse, "wb") as handle:
        handle.write(pcap_header())
    os.truncate(sparse, 1 << 30)
    sparse_ng = os.path.join(out, "pcapng-sparse-1g.pcapng")
    with open(sparse_ng, "wb") as handle:
        handle.write(shb() + idb())
    os.truncate(sparse_ng, 1 << 30)


if __name__ == "__main__":
    main()

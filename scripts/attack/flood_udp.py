#!/usr/bin/env python3
"""Send a bounded flood of DNS queries over UDP to a loopback resolver.

Usage: flood_udp.py SERVER COUNT [--seconds S] [--sockets N]

Only loopback (127.0.0.0/8) servers are accepted. Queries use random ids and rotating source
ports (N sockets); responses are read without waiting, so the resolver is never the bottleneck.
Stops after COUNT queries or S seconds, whichever comes first, and prints what it sent and got.
"""
import argparse
import ipaddress
import os
import random
import select
import socket
import struct
import time


def query(ident, name):
    labels = b"".join(bytes([len(part)]) + part for part in name.split(b"."))
    return struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + b"\0" + struct.pack(">HH", 1, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("count", type=int)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--sockets", type=int, default=64)
    args = parser.parse_args()
    if not ipaddress.ip_address(args.server).is_loopback:
        raise SystemExit("flood_udp.py only sends to loopback addresses")
    sockets = []
    for _ in range(args.sockets):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.connect((args.server, 53))
        sockets.append(sock)
    rng = random.Random(os.getpid())
    names = [b"www.example.test", b"example.test", b"nx%d.example.test"]
    sent = received = 0
    deadline = time.monotonic() + args.seconds
    while sent < args.count and time.monotonic() < deadline:
        sock = sockets[sent % len(sockets)]
        name = names[sent % 3]
        if b"%d" in name:
            name = name % rng.randrange(1 << 30)
        try:
            sock.send(query(rng.randrange(65536), name))
            sent += 1
        except BlockingIOError:
            pass
        if sent % 256 == 0:
            readable, _, _ = select.select(sockets, [], [], 0)
            for ready in readable:
                try:
                    while True:
                        ready.recv(4096)
                        received += 1
                except (BlockingIOError, ConnectionRefusedError):
                    pass
    time.sleep(0.5)
    for sock in sockets:
        try:
            while True:
                sock.recv(4096)
                received += 1
        except (BlockingIOError, ConnectionRefusedError):
            pass
    print("sent %d received %d" % (sent, received))


if __name__ == "__main__":
    main()

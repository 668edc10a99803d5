#!/usr/bin/env python3
"""A broken or hostile "TURN server" for tests/runtime/probe_hostile.sh.

Listens on 127.0.0.1:0 (UDP and TCP on two ports), prints "udp PORT" and
"tcp PORT", and answers every datagram, and every TCP connection, with
MODE's bytes:
  garbage   random bytes, and STUN-looking headers with the magic cookie
            whose lengths and attributes lie;
  mimic     well-formed Binding success responses for another transaction;
  flood     (TCP) a ChannelData header claiming 65535 bytes, then an
            endless trickle of bytes.
It exits by itself after 60 s, so it cannot outlive a broken test.
"""
import random
import select
import socket
import struct
import sys
import time

MODE = sys.argv[1]
COOKIE = 0x2112A442
rng = random.Random(20261203)


def stun_like(transaction):
    # A success response header whose length and attributes lie.
    body = noise(rng.randrange(0, 64))
    length = rng.choice([len(body), len(body) + 4, 0xFFFC, 3])
    return struct.pack("!HHI", 0x0101, length, COOKIE) + transaction + body


def mimic(transaction):
    other = bytes(b ^ 0xFF for b in transaction)
    # XOR-MAPPED-ADDRESS 127.0.0.1:1
    value = struct.pack("!BBH4s", 0, 1, 1 ^ (COOKIE >> 16),
                        bytes(a ^ b for a, b in zip(bytes([127, 0, 0, 1]),
                                                    struct.pack("!I", COOKIE))))
    attribute = struct.pack("!HH", 0x0020, len(value)) + value
    return struct.pack("!HHI", 0x0101, len(attribute), COOKIE) + other + attribute


def noise(size):
    return bytes(rng.getrandbits(8) for _ in range(size))


def answers(request, stream):
    transaction = request[8:20] if len(request) >= 20 else noise(12)
    if MODE == "mimic":
        return [mimic(transaction)]
    if stream:
        # First two bits 11: neither STUN nor ChannelData, so the stream
        # has lost its framing for good.
        return [b"\xc0" + noise(rng.randrange(1, 200))]
    return [noise(rng.randrange(1, 200)), stun_like(transaction),
            b"\x40\x00\xff\xff" + noise(8)]


udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.bind(("127.0.0.1", 0))
tcp.listen(8)
print("udp", udp.getsockname()[1], flush=True)
print("tcp", tcp.getsockname()[1], flush=True)
streams = []
end = time.monotonic() + 60
while time.monotonic() < end:
    readable, _, _ = select.select([udp, tcp] + streams, [], [], 0.05)
    for s in readable:
        if s is udp:
            request, source = udp.recvfrom(65535)
            for answer in answers(request, False):
                udp.sendto(answer, source)
        elif s is tcp:
            connection, _ = tcp.accept()
            connection.setblocking(False)
            streams.append(connection)
            if MODE == "flood":
                connection.send(b"\x40\x00\xff\xff")
        else:
            try:
                request = s.recv(65535)
            except OSError:
                request = b""
            if not request:
                streams.remove(s)
                s.close()
                continue
            if MODE != "flood":
                for answer in answers(request, True):
                    try:
                        s.send(answer)
                    except OSError:
                        pass
    if MODE == "flood":
        for s in streams:
            try:
                s.send(b"\x00")
            except OSError:
                pass

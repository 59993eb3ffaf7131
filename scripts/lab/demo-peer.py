#!/usr/bin/env python3
"""Small, bounded peers for the lab captures: a DNS responder, a fake
command shell, a keep-alive HTTP/1.1 server, and the client side of each.

Every server stops after a count of requests or a number of seconds,
whichever comes first, so a lab run can never leave one behind. Only the
documentation names under .example (RFC 2606) are answered.

  demo-peer.py dns-server  [--port 53] [--max-requests N] [--max-seconds S]
  demo-peer.py dns-query   SERVER NAME TYPE [--id N]
  demo-peer.py shell-server [--port 4444] [--max-requests N] [--max-seconds S]
  demo-peer.py send        SERVER PORT HEX
  demo-peer.py http-server ROOT [--port 8080] [--max-seconds S] [--buffered]
"""

import argparse
import http.server
import os
import socket
import socketserver
import struct
import sys
import threading
import time

# Records of the demo zone: name -> {qtype: address}.
ZONE = {
    "www.example": {1: "203.0.113.2", 28: "2001:db8:2::2"},
    "mail.example": {1: "203.0.113.25"},
    "c2.bad.example": {1: "203.0.113.66"},
}
QTYPES = {"A": 1, "AAAA": 28}
DNS_TTL_S = 300
ID_OUTPUT = b"uid=0(root) gid=0(root) groups=0(root)\n"
RECV_TIMEOUT_S = 2.0


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def decode_question(packet):
    """Returns (name, qtype, end offset) of the first question."""
    labels = []
    at = 12
    while True:
        length = packet[at]
        at += 1
        if length == 0:
            break
        if length > 63:
            raise ValueError("compressed or invalid label in question")
        labels.append(packet[at : at + length].decode("ascii", "replace"))
        at += length
    qtype, _qclass = struct.unpack_from("!HH", packet, at)
    return ".".join(labels).lower(), qtype, at + 4


def build_answer(query):
    txid, _flags, qdcount = struct.unpack_from("!HHH", query, 0)
    if qdcount != 1:
        return None
    name, qtype, end = decode_question(query)
    address = ZONE.get(name, {}).get(qtype)
    known = name in ZONE
    # QR=1, opcode 0, AA=1, RD copied, RA=0, rcode NOERROR or NXDOMAIN.
    flags = 0x8400 | (struct.unpack_from("!H", query, 2)[0] & 0x0100)
    if not known:
        flags |= 3
    answers = 1 if address else 0
    header = struct.pack("!HHHHHH", txid, flags, 1, answers, 0, 0)
    body = query[12:end]
    if address:
        family = socket.AF_INET if qtype == 1 else socket.AF_INET6
        rdata = socket.inet_pton(family, address)
        # Name as a pointer to the question at offset 12 (RFC 1035 4.1.4).
        body += struct.pack("!HHHIH", 0xC00C, qtype, 1, DNS_TTL_S, len(rdata)) + rdata
    return header + body


def dns_server(args):
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", args.port))
    deadline = time.monotonic() + args.max_seconds
    served = 0
    while served < args.max_requests:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            query, peer = sock.recvfrom(4096)
        except socket.timeout:
            break
        try:
            answer = build_answer(query)
        except (ValueError, IndexError, struct.error):
            answer = None
        if answer:
            sock.sendto(answer, peer)
        served += 1
    sock.close()


def dns_query(args):
    qtype = QTYPES[args.type.upper()]
    query = struct.pack("!HHHHHH", args.id, 0x0100, 1, 0, 0, 0)
    query += encode_name(args.name) + struct.pack("!HH", qtype, 1)
    family = socket.AF_INET6 if ":" in args.server else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.settimeout(RECV_TIMEOUT_S)
    sock.sendto(query, (args.server, 53))
    try:
        answer, _ = sock.recvfrom(4096)
        print(f"{args.name} {args.type}: {len(answer)} bytes, rcode {answer[3] & 0x0F}")
    except socket.timeout:
        print(f"{args.name} {args.type}: no response within {RECV_TIMEOUT_S} s", file=sys.stderr)
        return 1
    return 0


def shell_server(args):
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("::", args.port))
    server.listen(8)
    deadline = time.monotonic() + args.max_seconds
    served = 0
    while served < args.max_requests:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        server.settimeout(remaining)
        try:
            conn, _ = server.accept()
        except socket.timeout:
            break
        with conn:
            conn.settimeout(RECV_TIMEOUT_S)
            try:
                data = conn.recv(4096)
                conn.sendall(ID_OUTPUT if data == b"id\n" else b"ok\n")
            except (socket.timeout, ConnectionError):
                pass
        served += 1
    server.close()


def send(args):
    payload = bytes.fromhex(args.hex)
    with socket.create_connection((args.server, args.port), timeout=RECV_TIMEOUT_S) as conn:
        conn.sendall(payload)
        try:
            reply = conn.recv(4096)
        except socket.timeout:
            reply = b""
    print(f"sent {len(payload)} bytes, received {len(reply)}")
    return 0


class KeepAliveHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - name fixed by the base class
        pass


class BufferedHandler(KeepAliveHandler):
    """Sends each response (up to 64 KiB) with one write, so its header and
    body share the first segment, as most production servers send them."""

    wbufsize = 64 * 1024


class DualStackServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def http_server(args):
    os.chdir(args.root)
    handler = BufferedHandler if args.buffered else KeepAliveHandler
    server = DualStackServer(("::", args.port), handler)
    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever(poll_interval=0.2)
    server.server_close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("dns-server")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--max-requests", type=int, default=100)
    p.add_argument("--max-seconds", type=float, default=120)
    p.set_defaults(run=dns_server)

    p = sub.add_parser("dns-query")
    p.add_argument("server")
    p.add_argument("name")
    p.add_argument("type", choices=sorted(QTYPES) + [t.lower() for t in QTYPES])
    p.add_argument("--id", type=lambda v: int(v, 0), default=0x1000)
    p.set_defaults(run=dns_query)

    p = sub.add_parser("shell-server")
    p.add_argument("--port", type=int, default=4444)
    p.add_argument("--max-requests", type=int, default=20)
    p.add_argument("--max-seconds", type=float, default=120)
    p.set_defaults(run=shell_server)

    p = sub.add_parser("send")
    p.add_argument("server")
    p.add_argument("port", type=int)
    p.add_argument("hex")
    p.set_defaults(run=send)

    p = sub.add_parser("http-server")
    p.add_argument("root")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--max-seconds", type=float, default=300)
    p.add_argument("--buffered", action="store_true", help="send header and body with one write")
    p.set_defaults(run=http_server)

    args = parser.parse_args()
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())

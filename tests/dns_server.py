"""A tiny private DNS server for system tests (standard library only).

UDP on a free loopback port; answers from a dict, so tests can point the
MTA's resolver at it (main.cf: import_environment = ... MTA_DNS_NAMESERVER=
127.0.0.1:PORT, see util/dns.h) and control every answer:

    zone = {
        "example.com": {"MX": [(10, "mx1.example.com"), (20, "mx2.example.com")]},
        "mx1.example.com": {"A": ["127.0.0.1"], "AAAA": ["::1"]},
        "1.0.0.127.in-addr.arpa": {"PTR": ["localhost"]},
        "txt.example": {"TXT": ["v=spf1 -all"]},
        "alias.example": {"CNAME": "mx1.example.com"},
        "broken.example": "SERVFAIL",   # every query: SERVFAIL
        "gone.example": "NXDOMAIN",     # explicitly absent (same as unlisted)
        "slow.example": "DROP",         # no answer at all: the client times out
    }
    with DnsServer(zone) as dns:
        env = f"MTA_DNS_NAMESERVER=127.0.0.1:{dns.port}"
        ...
        dns.queries  # [(name, "MX"), ...] in arrival order

A name that is listed without the asked type answers NOERROR with no
records (NODATA); an unlisted name answers NXDOMAIN. Names compare
case-insensitively, without the trailing dot. A CNAME is followed inside
the zone. `zone` may be changed while running (dns.zone[...] = ...).

Run alone for manual tests: python3 tests/dns_server.py ZONE.json [PORT]
(the JSON zone uses lists for MX: [[10, "mx1.example.com"]]).
"""

import ipaddress
import json
import socket
import struct
import sys
import threading

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
NOERROR, SERVFAIL, NXDOMAIN = 0, 2, 3


def _encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("idna") if not label.isascii() else label.encode()
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def _decode_name(msg, pos):
    labels = []
    jumped = False
    end = pos
    for _ in range(128):
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            if not jumped:
                end = pos + 2
            pos = ((length & 0x3F) << 8) | msg[pos + 1]
            jumped = True
            continue
        pos += 1
        if length == 0:
            break
        labels.append(msg[pos:pos + length].decode("ascii", "replace"))
        pos += length
    if not jumped:
        end = pos
    return ".".join(labels), end


def _rdata(rtype, value):
    if rtype == "A":
        return ipaddress.IPv4Address(value).packed
    if rtype == "AAAA":
        return ipaddress.IPv6Address(value).packed
    if rtype == "MX":
        pref, host = value
        return struct.pack("!H", pref) + _encode_name(host)
    if rtype in ("PTR", "CNAME", "NS"):
        return _encode_name(value)
    if rtype == "TXT":
        raw = value.encode()
        chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
        return b"".join(bytes([len(c)]) + c for c in chunks)
    raise ValueError("unsupported type " + rtype)


class DnsServer:
    """The server; start() (or `with`) binds and serves on a thread."""

    def __init__(self, zone=None, ttl=60):
        self.zone = zone if zone is not None else {}
        self.ttl = ttl
        self.queries = []
        self.port = 0
        self._sock = None
        self._thread = None
        self._stop = threading.Event()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self.port

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._sock:
            self._sock.close()
            self._sock = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _lookup(self, name):
        key = name.lower().rstrip(".")
        for k, v in list(self.zone.items()):
            if k.lower().rstrip(".") == key:
                return v
        return None

    def _serve(self):
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                reply = self._answer(data)
            except Exception:  # a malformed query: ignore it
                continue
            if reply is not None:
                try:
                    self._sock.sendto(reply, peer)
                except OSError:
                    pass

    def _answer(self, query):
        qid, flags, qdcount = struct.unpack("!HHH", query[:6])
        if qdcount != 1:
            return None
        qname, pos = _decode_name(query, 12)
        qtype, qclass = struct.unpack("!HH", query[pos:pos + 4])
        question = query[12:pos + 4]
        tname = TYPE_NAMES.get(qtype, str(qtype))
        self.queries.append((qname, tname))
        rcode = NOERROR
        answers = []
        name = qname
        for _ in range(8):  # follow CNAMEs inside the zone
            entry = self._lookup(name)
            if entry == "DROP":
                return None
            if entry == "SERVFAIL":
                rcode = SERVFAIL
                break
            if entry is None or entry == "NXDOMAIN":
                if not answers:
                    rcode = NXDOMAIN
                break
            if tname in entry:
                values = entry[tname]
                if isinstance(values, (str, tuple)):
                    values = [values]
                for v in values:
                    answers.append((name, tname, _rdata(tname, tuple(v) if isinstance(v, list) else v)))
                break
            if "CNAME" in entry and tname != "CNAME":
                target = entry["CNAME"]
                answers.append((name, "CNAME", _rdata("CNAME", target)))
                name = target
                continue
            break
        rflags = 0x8000 | (flags & 0x0100) | 0x0080 | 0x0400 | rcode  # QR RD RA AA
        out = struct.pack("!HHHHHH", qid, rflags, 1, len(answers), 0, 0) + question
        for owner, rtype, rdata in answers:
            out += _encode_name(owner) + struct.pack(
                "!HHIH", TYPES[rtype], 1, self.ttl, len(rdata)) + rdata
        return out


def main():
    if len(sys.argv) < 2:
        print("usage: dns_server.py ZONE.json [PORT]", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        zone = json.load(f)
    server = DnsServer(zone)
    if len(sys.argv) > 2:
        server._sock = None
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", int(sys.argv[2])))
        sock.settimeout(0.2)
        server._sock = sock
        server.port = sock.getsockname()[1]
        server._thread = threading.Thread(target=server._serve, daemon=True)
        server._thread.start()
    else:
        server.start()
    print(f"listening on 127.0.0.1:{server.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

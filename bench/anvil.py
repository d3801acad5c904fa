#!/usr/bin/env python3
"""Benchmark: a sender flood of distinct client addresses against anvil(8),
ours vs. Debian's Postfix, in the same run.

For each system an instance is started (benchlib) and the script talks to
its anvil directly on $queue_directory/private/anvil, as smtpd does: one
client connection, one request at a time (Postfix's anvil does not answer
pipelined requests), for each of ANVIL_CLIENTS (1,000,000) distinct client
addresses (smtp:10.x.y.z) a connect, a message rate request and a
disconnect. Both speak Postfix's anvil requests over the attribute
protocol, each in its own encoding: Debian's anvil the plain one
("name=value\\n", after a "protocol=anvil_protocol" greeting), ours
util/attr.h's ("name=LEN:value\\n").

Every 100,000 clients (ANVIL_STEP) and at the end it prints the requests
per second of that stretch and anvil's RSS; then, side by side, both
systems, the ratio of the RSS ours/Debian's, anvil's own "max cache size"
(the most records it held at once, from its statistics line at exit) and
the RSS growth per record held. Records are forgotten a time unit after
their last use (anvil_rate_time_unit, ANVIL_TIME_UNIT, default 60s, as in
production), so a flood longer than that levels off; ANVIL_TIME_UNIT=3600s
keeps every record of the run. Needs root; KEEP=1 keeps the instances.

Usage: bench/anvil.py [BUILD_DIR]   (make bench runs it)
"""
import os
import re
import socket
import subprocess
import time

import benchlib
from benchlib import (DEBIAN_POSTFIX, Failed, can_run, daemon_pid, proc_stat, stop_instance,
                      write_instance)

CLIENTS = int(os.environ.get("ANVIL_CLIENTS", 1000000))
STEP = int(os.environ.get("ANVIL_STEP", 100000))
TIME_UNIT = os.environ.get("ANVIL_TIME_UNIT", "60s")


def encode(kind, request, ident):
    if kind == "debian":  # Postfix's plain attribute format
        return b"request=%s\nident=%s\n\n" % (request, ident)
    return b"request=%d:%s\nident=%d:%s\n\n" % (len(request), request, len(ident), ident)


def parse(kind, reply):
    out = {}
    for line in reply.split(b"\n"):
        if not line:
            continue
        name, _, value = line.partition(b"=")
        if kind != "debian":
            value = value.partition(b":")[2]
        out[name.decode()] = int(value)
    return out


class Client:
    """One client connection to anvil, request by request."""

    def __init__(self, kind, path):
        self.kind = kind
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.buf = b""
        if kind == "debian":
            hello = self.reply()
            if hello != b"protocol=anvil_protocol\n\n":
                raise Failed("unexpected greeting from anvil: %r" % hello)

    def reply(self):
        while b"\n\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise Failed("anvil closed the connection")
            self.buf += data
        reply, _, self.buf = self.buf.partition(b"\n\n")
        return reply + b"\n\n"

    def ask(self, request):
        self.sock.sendall(request)
        return self.reply()


def rss(pid):
    st = proc_stat(pid)
    return st[2] if st else 0


def measure(kind):
    """([(clients, requests/s, RSS kB)] at each step, the RSS before the
    flood, the max cache size anvil logged, requests/s over the whole
    flood); None on failure."""
    def run(root, cleanups):
        etc, port, postfix = write_instance(root, kind,
                                            "anvil_rate_time_unit = %s\nanvil_status_update_time = 10s\n" % TIME_UNIT, "")
        cleanups.append(lambda: stop_instance(postfix, etc))
        benchlib.start_instance(root, postfix, etc, port)
        client = Client(kind, os.path.join(root, "queue", "private", "anvil"))
        first = parse(kind, client.ask(encode(kind, b"connect", b"smtp:192.0.2.1")))
        if first.get("status") != 0 or first.get("count") != 1 or first.get("rate") != 1:
            raise Failed("unexpected connect reply: %r" % first)
        client.ask(encode(kind, b"disconnect", b"smtp:192.0.2.1"))
        pid = daemon_pid(root, "anvil")
        if not pid:
            raise Failed("no anvil process")
        base = rss(pid)
        rows = []
        ask = client.ask
        stretch = began = time.monotonic()
        for i in range(1, CLIENTS + 1):
            ident = b"smtp:10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
            r = ask(encode(kind, b"connect", ident))
            if not r.startswith(b"status=0" if kind == "debian" else b"status=1:0"):
                raise Failed("connect %s: %r" % (ident.decode(), r))
            ask(encode(kind, b"message", ident))
            ask(encode(kind, b"disconnect", ident))
            if i % STEP == 0 or i == CLIENTS:
                now = time.monotonic()
                n = i - rows[-1][0] if rows else i
                rows.append((i, 3 * n / (now - stretch), rss(pid)))
                print("  %-7s %9d clients  %8.0f requests/s  anvil RSS %8d kB"
                      % (kind, i, rows[-1][1], rows[-1][2]), flush=True)
                stretch = now
        elapsed = time.monotonic() - began
        client.sock.close()
        stop_instance(postfix, etc)
        with open(os.path.join(root, "maillog"), errors="replace") as f:
            sizes = re.findall(r"anvil\[\d+\]: statistics: max cache size (\d+)", f.read())
        return rows, base, max(int(s) for s in sizes) if sizes else None, 3 * CLIENTS / elapsed
    return benchlib.measure(kind, "anvil-", run)


def main():
    if not can_run("anvil", (DEBIAN_POSTFIX,)):
        return
    print("anvil: %d distinct clients (connect, message, disconnect each), "
          "anvil_rate_time_unit = %s" % (CLIENTS, TIME_UNIT))
    ours = measure("ours")
    theirs = measure("debian")
    if not ours or not theirs:
        return
    print("  %9s  %21s  %21s  %s" % ("clients", "ours req/s  RSS kB", "Debian's req/s  RSS kB",
                                    "RSS ours/Debian's"))
    for a, b in zip(ours[0], theirs[0]):
        print("  %9d  %10.0f %10d  %10.0f %10d  %.2f" % (a[0], a[1], a[2], b[1], b[2], a[2] / b[2]))
    for name, (rows, base, cache, total) in (("ours", ours), ("Debian's", theirs)):
        peak = max(r[2] for r in rows)
        per = ("%.0f bytes of RSS per record held" % (1024.0 * (peak - base) / cache)
               if cache else "no cache size logged")
        print("  %-9s %.0f requests/s; anvil RSS %d kB before, peak %d kB; max cache size %s; %s"
              % (name, total, base, peak, cache, per))
    print("  ratio ours/Debian's: requests/s %.2f (higher is better), peak RSS %.2f "
          "(lower is better)" % (ours[3] / theirs[3],
                                 max(r[2] for r in ours[0]) / max(r[2] for r in theirs[0])))


if __name__ == "__main__":
    main()

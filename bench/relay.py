#!/usr/bin/env python3
"""Benchmark: relaying through a smarthost, ours vs. Debian's Postfix
configured identically, in the same run.

Postfix's smtp-source sends MESSAGES messages (default 5,000) of SIZE bytes
(default 2,048) over SESSIONS parallel sessions (default 10) into an instance
that relays everything (relayhost = [127.0.0.1]:PORT, mynetworks =
127.0.0.0/8, the plain smtp transport with default concurrency) to Debian's
smtp-sink, which throws the mail away and counts it (-c). Three figures per
system:
  acceptance   messages per second until smtp-source has every "250 Ok:
               queued" (each acknowledged message is synced to disk first)
  end-to-end   messages per second until smtp-sink has received the final
               "." of every message from the instance's smtp client
  drain        the smtp client alone: the instance restarts without qmgr
               (and with in_flow_delay = 0s, as nothing hands out in-flow
               tokens), smtp-source fills the incoming queue again, then a
               reload adds qmgr; messages per second from the reload until
               smtp-sink has them all (DRAIN=0 skips this phase)
and the ratio ours/Debian's (higher is better for us). Not a test: it prints
figures. Needs root (both systems run their daemons as `postfix`, as in
production, and smtp-sink drops to `postfix` too), /usr/sbin/smtp-source and
/usr/sbin/smtp-sink; without Debian's Postfix it measures ours alone.

Connection reuse: by default both master.cf files run scache and both
keep Postfix's default smtp_connection_cache_on_demand = yes (each system's
smtp reuses its connections to the sink when deliveries come back to
back); SCACHE=0 runs neither scache and sets on-demand caching off in both,
one connection per message.

Usage: bench/relay.py [BUILD_DIR]   (make bench runs it)
"""
import os
import re
import subprocess
import threading
import time

import benchlib
from benchlib import (BUILD, DEBIAN_POSTFIX, FS_NOTE, MESSAGES, SESSIONS, SIZE,
                      SMTP_SINK, SMTP_SOURCE, Failed, can_run, free_port,
                      report, smtp_source, start_instance, stop_instance, wait_listening,
                      wait_until)

SCACHE = os.environ.get("SCACHE") != "0"
DRAIN = os.environ.get("DRAIN") != "0"


class Sink:
    """smtp-sink on a free loopback port; follows its running counters (-c
    prints "sess=N quit=N mesg=N" records ended by CR) to know how many
    messages have arrived. `options`: more of smtp-sink's options (e.g.
    ["-w", "1"] to wait a second before answering DATA)."""

    def __init__(self, log_path, options=()):
        self.port = free_port()
        self.messages = 0
        self.sessions = 0   # sessions that have ended (smtp-sink -c's sess=)
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [SMTP_SINK, "-c", "-u", "postfix", *options, "127.0.0.1:%d" % self.port, "1000"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._follow, daemon=True)
        self.reader.start()

    def _follow(self):
        partial = b""
        while True:
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                return
            self.log.write(data)
            records = (partial + data).replace(b"\n", b"\r").split(b"\r")
            partial = records.pop()
            for record in reversed(records):
                m = re.search(rb"\bmesg=(\d+)", record)
                if m:
                    self.messages = int(m.group(1))
                    s = re.search(rb"\bsess=(\d+)", record)
                    if s:
                        self.sessions = int(s.group(1))
                    break

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.reader.join(timeout=5)
        self.proc.stdout.close()
        self.log.close()


def write_master(etc, port, kind, qmgr=True):
    extra = "smtp unix - - n - - smtp\n"
    if SCACHE:
        extra += "scache unix - - n - 1 scache\n"
    benchlib.write_master(etc, port, extra, qmgr)


def setup(root, kind, sink_port):
    """Writes an instance under root; returns (etc, port, postfix_cmd)."""
    etc, port, postfix = benchlib.write_instance(
        root, kind, "relayhost = [127.0.0.1]:%d\n%s"
        % (sink_port, "" if SCACHE else "smtp_connection_cache_on_demand = no\n"), "")
    write_master(etc, port, kind)
    return etc, port, postfix


def send(port):
    return smtp_source(port, "user@relay.example.net")


def wait_sink(sink, want, root):
    """Waits until the sink has counted want messages in all."""
    def count():
        if sink.proc.poll() is not None:
            raise Failed("smtp-sink exited; see %s/sink.log" % root)
        return sink.messages
    wait_until(count, want, "relayed", root)


def measure(kind):
    """(acceptance, end-to-end[, drain]) in messages per second (drain
    unless DRAIN=0); None on failure (after printing why)."""
    def run(root, cleanups):
        sink = Sink(os.path.join(root, "sink.log"))
        cleanups.append(sink.stop)
        etc, port, postfix = setup(root, kind, sink.port)
        cleanups.append(lambda: stop_instance(postfix, etc))
        if not wait_listening(sink.port):
            raise Failed("smtp-sink does not answer; see %s/sink.log" % root)
        start_instance(root, postfix, etc, port, kind)
        # Phase 1: relaying while smtp-source sends.
        benchlib.begin_usage(kind)
        start = time.time()
        accepted = send(port)
        wait_sink(sink, MESSAGES, root)
        total = time.time() - start
        benchlib.end_usage(kind, MESSAGES)
        # (Cached connections still open are not counted yet.)
        print("  %-9s %d sink sessions ended for %d messages"
              % ("ours" if kind == "ours" else "Debian's", sink.sessions, MESSAGES))
        if not DRAIN:
            return MESSAGES / accepted, MESSAGES / total
        # Phase 2: the queue fills with qmgr absent, then qmgr joins by a
        # reload and the smtp client alone empties it.
        stop_instance(postfix, etc)
        write_master(etc, port, kind, qmgr=False)
        # With no qmgr to hand out in-flow tokens, Postfix's cleanup would
        # pause in_flow_delay before each message.
        with open(os.path.join(etc, "main.cf"), "a") as f:
            f.write("in_flow_delay = 0s\n")
        start_instance(root, postfix, etc, port)
        base = sink.messages
        send(port)
        if sink.messages != base:
            raise Failed("mail was relayed with no qmgr running; see %s/maillog" % root)
        write_master(etc, port, kind, qmgr=True)
        start = time.time()
        r = subprocess.run([postfix, "-c", etc, "reload"], capture_output=True, text=True)
        if r.returncode != 0:
            raise Failed("postfix reload failed: %s" % r.stderr.strip())
        wait_sink(sink, base + MESSAGES, root)
        drain = time.time() - start
        return MESSAGES / accepted, MESSAGES / total, MESSAGES / drain
    return benchlib.measure(kind, "relay-", run)


def main():
    if not can_run("relay", (SMTP_SOURCE, SMTP_SINK)):
        return
    print("relay: %d messages of %d bytes to %d recipient(s) each, %d sessions, relayhost"
          " smtp-sink (%s)%s"
          % (MESSAGES, SIZE, benchlib.RECIPIENTS, SESSIONS,
             "connection cache on demand in both" if SCACHE else "no connection cache", FS_NOTE))
    ours = None
    if os.access(BUILD + "/bin/smtp", os.X_OK):
        ours = measure("ours")
    else:
        print("ours: %s/bin/smtp is not built; measuring Debian's only" % BUILD)
    theirs = (measure("debian") if os.access(DEBIAN_POSTFIX, os.X_OK) and not benchlib.ONLY_OURS
              else None)
    report(["acceptance", "end-to-end"] + (["drain"] if DRAIN else []), ours, theirs)
    benchlib.report_usage()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark: flow control under overload (in_flow_delay), ours vs. Debian's
Postfix configured alike, in the same run.

Each instance relays everything (relayhost, plain smtp transport, no
connection cache) to Debian's smtp-sink, slowed down: it waits SINK_WAIT
(1) second before it answers DATA, and the smtp client may open at most
CONCURRENCY (10) connections to it (default_destination_concurrency_limit),
so delivery manages about CONCURRENCY / SINK_WAIT messages a second.
qmgr_message_active_limit is ACTIVE_LIMIT (1,000; Postfix's default of
20,000 would take minutes to fill), so that the active queue fills and qmgr
stops taking mail in. Meanwhile SESSIONS (20) SMTP sessions of the script's
own (Python smtplib, one thread each, one connection each, kept open) send
messages of SIZE bytes back to back for SECONDS (30) seconds.

With in_flow_delay = 1s (the default) cleanup waits for a token that qmgr
gives as it takes mail in, or in_flow_delay when there is none: once the
active queue is full, arrivals slow down to about one message per session
per second. With in_flow_delay = 0 (the contrast) the queue grows as fast
as smtpd and cleanup can write.

Every second it samples the queue size (files in incoming/, active/ and
deferred/), the messages accepted and delivered (smtp-sink's count) so
far, and the acceptance latency: from the end of DATA (the "." sent) to the
250, measured by the sessions themselves; and the transaction time, from
MAIL FROM to that 250, since the pause may come before DATA (Postfix's
smtpd opens its cleanup stream, where cleanup waits for the token, at the
first RCPT TO). It prints the time series of the
four runs side by side (ours and Debian's, in_flow_delay 1s and 0), then
per run the messages accepted and delivered, the peak queue, the median,
p99 and largest accept latency, and the ratios ours/Debian's. Needs root;
KEEP=1 keeps the instances. Settings: OVERLOAD_SECONDS, OVERLOAD_SESSIONS,
SIZE (2,048), SINK_WAIT, CONCURRENCY, ACTIVE_LIMIT, FLOW_DELAYS ("1s 0").

Usage: bench/overload.py [BUILD_DIR]   (make bench runs it)
"""
import os
import smtplib
import statistics
import threading
import time

import benchlib
from benchlib import (BUILD, DEBIAN_POSTFIX, FS_NOTE, SIZE, SMTP_SINK, Failed, can_run, queue_files,
                      start_instance, stop_instance, wait_listening, write_instance, write_master)
from relay import Sink

SECONDS = int(os.environ.get("OVERLOAD_SECONDS", 30))
SESSIONS = int(os.environ.get("OVERLOAD_SESSIONS", 20))
SINK_WAIT = os.environ.get("SINK_WAIT", "1")
CONCURRENCY = int(os.environ.get("CONCURRENCY", 10))
ACTIVE_LIMIT = int(os.environ.get("ACTIVE_LIMIT", 1000))
FLOW_DELAYS = os.environ.get("FLOW_DELAYS", "1s 0").split()
QUEUES = ("incoming", "active", "deferred")


def message():
    head = b"From: sender@example.org\r\nTo: user@relay.example.net\r\nSubject: overload\r\n\r\n"
    line = b"x" * 76 + b"\r\n"
    body = line * max(1, (SIZE - len(head)) // len(line))
    return head + body + b".\r\n"


class Load:
    """SESSIONS threads sending back to back until stop(); each message's
    (time of its 250, seconds from the end of DATA to the 250, seconds
    from MAIL FROM to the 250)."""

    def __init__(self, port):
        self.port = port
        self.accepted = []
        self.errors = 0
        self.stopping = False
        self.data = message()
        self.threads = [threading.Thread(target=self.session, daemon=True)
                        for _ in range(SESSIONS)]
        self.start = time.monotonic()
        for t in self.threads:
            t.start()

    def session(self):
        client = None
        while not self.stopping:
            try:
                if client is None:
                    client = smtplib.SMTP("127.0.0.1", self.port, timeout=120)
                    client.ehlo("load.example.org")
                began = time.monotonic()
                client.mail("sender@example.org")
                client.rcpt("user@relay.example.net")
                code, _ = client.docmd("DATA")
                if code != 354:
                    raise smtplib.SMTPException("DATA: %d" % code)
                client.send(self.data)
                sent = time.monotonic()
                code, _ = client.getreply()
                done = time.monotonic()
                if code != 250:
                    raise smtplib.SMTPException("end of DATA: %d" % code)
                self.accepted.append((done - self.start, done - sent, done - began))
            except (OSError, smtplib.SMTPException):
                self.errors += 1
                if client is not None:
                    client.close()
                client = None
                time.sleep(0.1)
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(timeout=150)


def measure(kind, delay):
    """{"samples": [(second, queue, accepted, delivered)], "latencies":
    [(when, seconds)], "errors", "delivered"}; None on failure."""
    def run(root, cleanups):
        sink = Sink(os.path.join(root, "sink.log"), ["-w", SINK_WAIT])
        cleanups.append(sink.stop)
        etc, port, postfix = write_instance(
            root, kind, "relayhost = [127.0.0.1]:%d\nsmtp_connection_cache_on_demand = no\n"
            "in_flow_delay = %s\nqmgr_message_active_limit = %d\n"
            "default_destination_concurrency_limit = %d\n"
            % (sink.port, delay, ACTIVE_LIMIT, CONCURRENCY), "")
        write_master(etc, port, "smtp unix - - n - - smtp\n")
        cleanups.append(lambda: stop_instance(postfix, etc))
        if not wait_listening(sink.port):
            raise Failed("smtp-sink does not answer; see %s/sink.log" % root)
        start_instance(root, postfix, etc, port)
        time.sleep(2)  # master, qmgr and the flow pipe settle
        load = Load(port)
        samples = []
        for second in range(1, SECONDS + 1):
            time.sleep(max(0.0, load.start + second - time.monotonic()))
            samples.append((second, len(queue_files(root, *QUEUES)), len(load.accepted), sink.messages))
        load.stop()
        return {"samples": samples, "latencies": list(load.accepted), "errors": load.errors,
                "delivered": sink.messages}
    return benchlib.measure(kind, "overload-", run)


def pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]


def summary(r):
    lat = [l for t, l, _ in r["latencies"] if t <= SECONDS]
    txn = [x for t, _, x in r["latencies"] if t <= SECONDS]
    return {"accepted": len(lat), "delivered": r["samples"][-1][3],
            "peak": max(s[1] for s in r["samples"]),
            "p50": statistics.median(lat) if lat else 0.0, "p99": pct(lat, 99),
            "max": max(lat) if lat else 0.0, "txn50": statistics.median(txn) if txn else 0.0,
            "txn99": pct(txn, 99), "errors": r["errors"]}


def main():
    if not can_run("overload", (SMTP_SINK, DEBIAN_POSTFIX)):
        return
    print("overload: %d sessions sending %d-byte messages back to back for %d s; relay to "
          "smtp-sink -w %s, %d connections at most (about %.0f msg/s), "
          "qmgr_message_active_limit = %d%s"
          % (SESSIONS, SIZE, SECONDS, SINK_WAIT, CONCURRENCY,
             CONCURRENCY / max(float(SINK_WAIT), 0.001), ACTIVE_LIMIT, FS_NOTE))
    runs = []
    for delay in FLOW_DELAYS:
        for kind in ("ours", "debian"):
            if kind == "ours" and not os.access(BUILD + "/bin/smtp", os.X_OK):
                continue
            r = measure(kind, delay)
            if r:
                runs.append((kind, delay, r))
    if not runs:
        return
    names = ["%s %s" % ("ours" if k == "ours" else "Debian's", "in_flow_delay=" + d)
             for k, d, _ in runs]
    print("  per second: queue size (incoming+active+deferred), messages accepted in that "
          "second, their median accept latency (end of DATA to 250) and median transaction "
          "time (MAIL FROM to 250), in ms")
    print("  %4s" % "s" + "".join("  %27s" % n for n in names))
    print("  %4s" % "" + "  %27s" % "queue acc/s  accept   txn" * len(names))
    for i in range(SECONDS):
        cells = ""
        for _, _, r in runs:
            second, queue, accepted, _ = r["samples"][i]
            before = r["samples"][i - 1][2] if i else 0
            lat = [(l, x) for t, l, x in r["latencies"] if second - 1 < t <= second]
            cells += "  %27s" % ("%6d %5d %7.0f %5.0f" % (
                queue, accepted - before, 1000 * statistics.median(l for l, _ in lat) if lat else 0,
                1000 * statistics.median(x for _, x in lat) if lat else 0))
        print("  %4d%s" % (i + 1, cells))
    sums = {}
    for (kind, delay, r), name in zip(runs, names):
        s = sums[kind, delay] = summary(r)
        print("  %-26s accepted %6d (%5.1f/s), delivered %5d, peak queue %6d, accept latency "
              "median %4.0f ms p99 %4.0f ms max %4.0f ms, transaction median %4.0f ms p99 %4.0f "
              "ms%s"
              % (name, s["accepted"], s["accepted"] / SECONDS, s["delivered"], s["peak"],
                 1000 * s["p50"], 1000 * s["p99"], 1000 * s["max"], 1000 * s["txn50"],
                 1000 * s["txn99"],
                 ", %d session errors" % s["errors"] if s["errors"] else ""))
    for delay in FLOW_DELAYS:
        a, b = sums.get(("ours", delay)), sums.get(("debian", delay))
        if a and b:
            print("  ratio ours/Debian's, in_flow_delay=%s: accepted %.2f, peak queue %.2f, "
                  "accept latency median %.2f p99 %.2f, transaction median %.2f"
                  % (delay, a["accepted"] / max(b["accepted"], 1), a["peak"] / max(b["peak"], 1),
                     a["p50"] / b["p50"] if b["p50"] else 0, a["p99"] / b["p99"] if b["p99"] else 0,
                     a["txn50"] / b["txn50"] if b["txn50"] else 0))


if __name__ == "__main__":
    main()

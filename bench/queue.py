#!/usr/bin/env python3
"""Benchmark: a large queue of deferred messages, ours vs. Debian's Postfix
configured identically, in the same run, at two queue sizes (QUEUE, default
100,000, and QUEUE/10) to show whether each cost grows linearly.

Filling the queue (not timed): each instance relays everything to a closed
loopback port (relayhost = [127.0.0.1]:PORT), smtp-source sends SEED
messages (default 500, of SIZE bytes) which the smtp client defers; the
instance stops, and the bench clones those deferred queue files and their
defer logs until the deferred queue holds the wanted number: each clone is
a new file with the seed's bytes, owner, mode and times (the deferred
file's time is its next retry time), named as both systems name a queue
file, the short queue ID (5 hex digits of microseconds, here random, then
the file's inode number in hex), in the hash subdirectory hash_queue_names
and hash_queue_depth ask for (the first characters of the ID). `postqueue
-p` must then list every message. Both systems set minimal_backoff_time
and queue_run_delay to 4000s so no retry happens during the run.

Figures per system and size (times in seconds unless said):
  postqueue -p       the listing to /dev/null (a second run checks its
                     last line, "-- N Kbytes in M Requests.")
  postqueue -j       the JSON listing to /dev/null (a second run counts its
                     lines)
  restart            `postfix start` with the full queue until smtpd
                     answers and qmgr runs
  qmgr RSS start     qmgr's RSS (kB) once it has scanned the queue after
                     the start (its CPU time stopped moving for a second;
                     deferred messages wait for their time, so this is the
                     cost of the scan itself)
  first delivery     relayhost changed to an smtp-sink (postconf -e,
                     postfix reload), then `postqueue -f`: seconds until
                     the sink has the first message
  flush to sink      ... until the sink has all of them
  qmgr RSS flush     qmgr's peak RSS (kB, VmHWM) during the flush, which
                     brings up to qmgr_message_active_limit (20,000)
                     messages into the active queue at a time
  postsuper -d ALL   the queue filled again the same way (instance
                     stopped, restarted), then deleted; the queue must be
                     empty afterwards
then per operation the ratio ours/Debian's (lower is better; the goal of
issue 19 is <= 1.0, and qmgr's RSS no more than Postfix's), the time per
message at both sizes and the growth factor (time per message at QUEUE
divided by that at QUEUE/10; 1.0 is linear).

Each instance runs on a fresh loop-mounted ext4 image (benchlib
InstanceRoot; 4 GB with an inode per 8 KB, as QUEUE queue files and as many
defer logs need 2 * QUEUE inodes). Needs root, /usr/sbin/smtp-source and
/usr/sbin/smtp-sink; without Debian's Postfix it measures ours alone.
KEEP=1 keeps the instances' logs; ONLY=ours measures ours alone.

Usage: QUEUE=100000 bench/queue.py [BUILD_DIR]   (make bench runs it)
"""
import os
import random
import subprocess
import time

import benchlib
from benchlib import (BUILD, DEBIAN_POSTFIX, FS_NOTE, SIZE, SMTP_SINK, SMTP_SOURCE, Failed,
                      daemon_pid, queue_files,
                      can_run, free_port, stop_instance, wait_listening, wait_until)
from relay import Sink

QUEUE = int(os.environ.get("QUEUE", 100000))
SEED = int(os.environ.get("SEED", 500))
# A retry time far beyond the run: deferred mail stays deferred until -f.
RETRY = "4000s"

OPS = [("postqueue -p", "s"), ("postqueue -j", "s"), ("restart", "s"),
       ("qmgr RSS start", "kB"), ("first delivery", "s"), ("flush to sink", "s"),
       ("qmgr RSS flush", "kB"), ("postsuper -d ALL", "s")]


def commands(kind):
    """{name: path} of the commands the bench runs for a system."""
    d = BUILD + "/bin" if kind == "ours" else "/usr/sbin"
    return {n: os.path.join(d, n) for n in ("postfix", "postconf", "postqueue", "postsuper")}


def run(argv, what, stdout=subprocess.DEVNULL):
    r = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise Failed("%s failed (%d): %s" % (what, r.returncode, r.stderr.strip()[-300:]))
    return r


def timed(argv, what):
    start = time.time()
    run(argv, what)
    return time.time() - start


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Seeds:
    """The deferred messages of the seed run, in memory: for each, the queue
    file's bytes, mode, owner and times, and its defer log's bytes."""

    def __init__(self, root, layout):
        self.root, self.layout = root, layout
        self.items = []
        for path in queue_files(root, "deferred"):
            qid = os.path.basename(path)
            st = os.stat(path)
            with open(path, "rb") as f:
                data = f.read()
            log_path = self.path("defer", qid)
            with open(log_path, "rb") as f:
                log = f.read()
            lst = os.stat(log_path)
            self.items.append((data, st, log, lst))
        if not self.items:
            raise Failed("no deferred messages to clone; see %s/maillog" % root)

    def path(self, queue, qid):
        depth, hashed = self.layout
        sub = "/".join(qid[:depth]) if queue in hashed and depth > 0 else ""
        return os.path.join(self.root, "queue", queue, sub, qid)

    def makedirs(self, path):
        """A hash subdirectory, made as the daemons make it (the queue's
        owner, mode 0700) when missing."""
        if os.path.isdir(path):
            return
        parent = os.path.dirname(path)
        self.makedirs(parent)
        st = os.stat(parent)
        os.mkdir(path, 0o700)
        os.chown(path, st.st_uid, st.st_gid)

    def clone(self, count):
        """Writes count more deferred messages (with their defer logs)."""
        tmp = os.path.join(self.root, "queue", "deferred", ".clone")
        for i in range(count):
            data, st, log, lst = self.items[i % len(self.items)]
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
                os.fchown(fd, st.st_uid, st.st_gid)
                os.fchmod(fd, st.st_mode & 0o7777)
                ino = os.fstat(fd).st_ino
            finally:
                os.close(fd)
            while True:  # a new ID, never an existing file's
                qid = "%05X%X" % (random.randrange(1 << 20), ino)
                dest = self.path("deferred", qid)
                if not os.path.exists(dest):
                    break
            self.makedirs(os.path.dirname(dest))
            log_dest = self.path("defer", qid)
            self.makedirs(os.path.dirname(log_dest))
            fd = os.open(log_dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, log)
                os.fchown(fd, lst.st_uid, lst.st_gid)
                os.fchmod(fd, lst.st_mode & 0o7777)
            finally:
                os.close(fd)
            os.utime(log_dest, ns=(lst.st_atime_ns, lst.st_mtime_ns))
            os.rename(tmp, dest)
            os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))


def listing_count(cmd, etc):
    """Messages in `postqueue -p`'s last line (0 for an empty queue)."""
    r = run([cmd["postqueue"], "-c", etc, "-p"], "postqueue -p", stdout=subprocess.PIPE)
    last = r.stdout.rstrip("\n").rsplit("\n", 1)[-1]
    if "queue is empty" in last:
        return 0
    words = last.split()
    if len(words) != 6 or words[0] != "--" or words[5] != "Requests.":
        raise Failed("unexpected last line of postqueue -p: %r" % last)
    return int(words[4])


def start(cmd, etc, root, port):
    """postfix start; seconds until smtpd answers and qmgr runs."""
    began = time.time()
    run([cmd["postfix"], "-c", etc, "start"], "postfix start")
    if not wait_listening(port, 120):
        raise Failed("smtpd does not answer; see %s/maillog" % root)
    deadline = time.time() + 120
    while not daemon_pid(root, "qmgr"):
        if time.time() > deadline:
            raise Failed("no qmgr after start; see %s/maillog" % root)
        time.sleep(0.01)
    return time.time() - began


def settled_rss(root):
    """qmgr's RSS (kB) once its CPU time stopped moving for a second."""
    pid = daemon_pid(root, "qmgr")
    last, since = None, time.time()
    deadline = time.time() + 300
    while time.time() < deadline:
        st = benchlib.proc_stat(pid)
        if not st:
            raise Failed("qmgr exited; see %s/maillog" % root)
        if st[1] != last:
            last, since = st[1], time.time()
        elif time.time() - since >= 1.0:
            return st[2]
        time.sleep(0.05)
    raise Failed("qmgr kept busy for 300 s after start")


def measure(kind, size):
    """{operation: figure} for one system at one queue size; None on
    failure (after printing why)."""
    cmd = commands(kind)

    def body(root, cleanups):
        closed = free_port()  # nothing listens there: every delivery defers
        etc, port, postfix = benchlib.write_instance(
            root, kind, "relayhost = [127.0.0.1]:%d\nsmtp_connection_cache_on_demand = no\n"
            "minimal_backoff_time = %s\nmaximal_backoff_time = %s\nqueue_run_delay = %s\n"
            % (closed, RETRY, RETRY, RETRY), "smtp unix - - n - - smtp\n")
        cleanups.append(lambda: stop_instance(postfix, etc))
        depth = int(run([cmd["postconf"], "-c", etc, "-h", "hash_queue_depth"], "postconf",
                        stdout=subprocess.PIPE).stdout)
        hashed = run([cmd["postconf"], "-c", etc, "-h", "hash_queue_names"], "postconf",
                     stdout=subprocess.PIPE).stdout.replace(",", " ").split()
        if run([cmd["postconf"], "-c", etc, "-h", "enable_long_queue_ids"], "postconf",
               stdout=subprocess.PIPE).stdout.strip() != "no":
            raise Failed("the clones need short queue IDs")
        # Fill: SEED real messages deferred, then clones.
        start(cmd, etc, root, port)
        benchlib.MESSAGES = min(SEED, size)
        benchlib.smtp_source(port, "user@relay.example.net")
        wait_until(lambda: len(queue_files(root, "deferred")), benchlib.MESSAGES, "deferred",
                   root)
        stop_instance(postfix, etc)
        for q in ("incoming", "active", "maildrop"):
            if queue_files(root, q):
                raise Failed("messages left in %s after the seed run" % q)
        seeds = Seeds(root, (depth, hashed))
        seeds.clone(size - len(seeds.items))
        fig = {}
        # Restart with the full queue.
        fig["restart"] = start(cmd, etc, root, port)
        fig["qmgr RSS start"] = settled_rss(root)
        n = listing_count(cmd, etc)
        if n != size:
            raise Failed("postqueue -p lists %d messages, not %d" % (n, size))
        fig["postqueue -p"] = timed([cmd["postqueue"], "-c", etc, "-p"], "postqueue -p")
        fig["postqueue -j"] = timed([cmd["postqueue"], "-c", etc, "-j"], "postqueue -j")
        r = run([cmd["postqueue"], "-c", etc, "-j"], "postqueue -j", stdout=subprocess.PIPE)
        if r.stdout.count("\n") != size:
            raise Failed("postqueue -j lists %d messages, not %d" % (r.stdout.count("\n"), size))
        # Flush to a sink.
        sink = Sink(os.path.join(root, "sink.log"))
        cleanups.append(sink.stop)
        if not wait_listening(sink.port):
            raise Failed("smtp-sink does not answer; see %s/sink.log" % root)
        run([cmd["postconf"], "-c", etc, "-e", "relayhost = [127.0.0.1]:%d" % sink.port],
            "postconf -e")
        old = daemon_pid(root, "qmgr")
        run([postfix, "-c", etc, "reload"], "postfix reload")
        deadline = time.time() + 60
        while daemon_pid(root, "qmgr") in (None, old):  # the new qmgr, with the new relayhost
            if time.time() > deadline:
                raise Failed("qmgr did not restart after the reload")
            time.sleep(0.01)
        qmgr = daemon_pid(root, "qmgr")
        settled_rss(root)
        began = time.time()
        run([cmd["postqueue"], "-c", etc, "-f"], "postqueue -f")
        first = None
        last, last_change = 0, time.time()
        while sink.messages < size:
            now = time.time()
            if sink.proc.poll() is not None:
                raise Failed("smtp-sink exited; see %s/sink.log" % root)
            if sink.messages != last:
                last, last_change = sink.messages, now
                if first is None:
                    first = now - began
            elif now - last_change > benchlib.STALL_SECONDS:
                raise Failed("only %d of %d messages flushed (stalled); see %s/maillog"
                             % (last, size, root))
            time.sleep(0.005)
        fig["flush to sink"] = time.time() - began
        fig["first delivery"] = first if first is not None else fig["flush to sink"]
        fig["qmgr RSS flush"] = status_kb(qmgr, "VmHWM")
        # Fill again, then delete everything.
        stop_instance(postfix, etc)
        seeds.clone(size)
        start(cmd, etc, root, port)
        n = listing_count(cmd, etc)
        if n != size:
            raise Failed("postqueue -p lists %d messages after the refill, not %d" % (n, size))
        fig["postsuper -d ALL"] = timed([cmd["postsuper"], "-c", etc, "-d", "ALL"],
                                        "postsuper -d ALL")
        left = sum(len(queue_files(root, q)) for q in ("deferred", "defer", "active"))
        if left or listing_count(cmd, etc):
            raise Failed("%d files left after postsuper -d ALL" % left)
        return fig
    return benchlib.measure(kind, "queue-", body, size_gb=4, bytes_per_inode=8192)


def report(sizes, results):
    """The table: each operation at each size, ours and Debian's, ratio;
    then time per message at both sizes and the growth factor."""
    kinds = [k for k in ("ours", "debian") if all(results.get((k, s)) for s in sizes)]
    print("  %-18s %8s %12s %12s %8s" % ("operation", "queue", "ours", "Debian's", "ratio"))
    for op, unit in OPS:
        for s in sizes:
            cells = []
            for k in ("ours", "debian"):
                r = results.get((k, s))
                cells.append("%12s" % (("%.3f s" if unit == "s" else "%d kB") % r[op]
                                       if r else "-"))
            o, d = results.get(("ours", s)), results.get(("debian", s))
            ratio = "%8.2f" % (o[op] / d[op]) if o and d and d[op] else "%8s" % "-"
            print("  %-18s %8d %s %s%s" % (op, s, cells[0], cells[1], ratio))
    if len(sizes) < 2 or not kinds:
        return
    small, big = sizes
    print("  per message (us or bytes) at %d and %d, growth factor (1.0 = linear):" % (small, big))
    for op, unit in OPS:
        cells = ""
        for k in ("ours", "debian"):
            if k not in kinds:
                cells += "%34s" % "-"
                continue
            scale = 1e6 if unit == "s" else 1024
            a = results[(k, small)][op] * scale / small
            b = results[(k, big)][op] * scale / big
            cells += "%34s" % ("%s: %.1f, %.1f, x%.2f" % (k, a, b, b / a if a else 0))
        print("  %-18s%s" % (op, cells))


def main():
    if not can_run("queue", (SMTP_SOURCE, SMTP_SINK)):
        return
    sizes = sorted({max(QUEUE // 10, 1), QUEUE})
    print("queue: %s deferred messages of %d bytes (cloned from %d real ones), "
          "postqueue -p/-j, restart, flush to smtp-sink, postsuper -d ALL%s"
          % (" and ".join(str(s) for s in sizes), SIZE, SEED, FS_NOTE))
    kinds = []
    if os.access(BUILD + "/bin/qmgr", os.X_OK):
        kinds.append("ours")
    else:
        print("ours: %s/bin/qmgr is not built; measuring Debian's only" % BUILD)
    if os.access(DEBIAN_POSTFIX, os.X_OK) and not benchlib.ONLY_OURS:
        kinds.append("debian")
    results = {}
    for s in sizes:
        for k in kinds:
            began = time.time()
            results[(k, s)] = measure(k, s)
            print("  (%s at %d: %.0f s in all)" % (k, s, time.time() - began), flush=True)
    report(sizes, results)


if __name__ == "__main__":
    main()

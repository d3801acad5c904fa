"""What bench/inbound.py and bench/relay.py share: the load settings (from
the environment), instances of ours and of Debian's Postfix configured
alike, starting and stopping them, and driving Postfix's smtp-source.

Settings: SESSIONS (10), MESSAGES (5,000), SIZE (2,048 bytes), RECIPIENTS
(1: recipients per message, smtp-source -r); ONLY=ours measures ours alone
(e.g. under perf record); TLS=1: every
session does STARTTLS (bench/tls_source_bench instead of smtp-source; both
systems with the same certificate, tlsmgr and session cache), RESUME=0
makes every handshake a full one (default: the load generator offers the
session it got last time, as a client with a session cache); KEEP=1 keeps
the instances' folders (logs) afterwards; FRESH_FS=0 runs the instances in
plain folders under /tmp instead of a fresh file system each (InstanceRoot);
USAGE=0 turns off the resource figures (class Usage)."""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
SESSIONS = int(os.environ.get("SESSIONS", 10))
MESSAGES = int(os.environ.get("MESSAGES", 5000))
SIZE = int(os.environ.get("SIZE", 2048))
RECIPIENTS = int(os.environ.get("RECIPIENTS", 1))
ONLY_OURS = os.environ.get("ONLY") == "ours"
KEEP = os.environ.get("KEEP") == "1"
TLS = os.environ.get("TLS") == "1"
RESUME = os.environ.get("RESUME") != "0"
FRESH_FS = os.environ.get("FRESH_FS") != "0"
FS_NOTE = ("; each instance on a fresh ext4 file system" if FRESH_FS
           else "; instances in folders under /tmp")
DOMAIN = "bench.example.jp"
SMTP_SOURCE = "/usr/sbin/smtp-source"
SMTP_SINK = "/usr/sbin/smtp-sink"
DEBIAN_POSTFIX = "/usr/sbin/postfix"
STALL_SECONDS = 60
PERF = shutil.which("perf")
USAGE = os.environ.get("USAGE") != "0"

# master.cf of both systems: smtpd on {listen}, the queue's services, and
# the delivery agent line(s) each benchmark adds.
SERVICES = """\
{listen} inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
proxymap unix - - n - - proxymap
anvil unix - - n - 1 anvil
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
postlog unix-dgram n - n - 1 postlogd
"""


class Failed(Exception):
    pass


class InstanceRoot:
    """The folder of one system's instance (queue, mailboxes, logs), on a
    file system of its own: a new ext4 image (1 GB unless size_gb says
    otherwise; mkfs's bytes-per-inode ratio bytes_per_inode, for a queue of
    many small files), loop-mounted, made the same way for each system. Both start from an empty, journaled file
    system, as a mail spool in production; in a shared folder the second
    run would pay for the first one's files (ext4 without a journal, as
    this machine's root, skips every inode freed in the last minute when it
    allocates one, so a run's file creations cost more the more files were
    deleted just before). Without loop devices (or with FRESH_FS=0) it is a
    plain folder under /tmp; `kind` says which. close() unmounts and
    removes it; KEEP=1 keeps the top-level files (maillog, sink.log) in the
    folder."""

    def __init__(self, prefix, size_gb=1, bytes_per_inode=None):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self.image = None
        self.kind = "a folder under /tmp"
        if not FRESH_FS:
            return
        image = self.path + ".img"
        with open(image, "wb") as f:
            f.truncate(size_gb << 30)
        inodes = ["-i", str(bytes_per_inode)] if bytes_per_inode else []
        steps = [["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0"]
                 + inodes + [image], ["mount", "-o", "loop", image, self.path]]
        for argv in steps:
            r = subprocess.run(argv, capture_output=True, text=True)
            if r.returncode != 0:
                print("  (no fresh file system: %s: %s)" % (argv[0], r.stderr.strip()[:200]))
                os.unlink(image)
                return
        os.chmod(self.path, 0o755)
        self.image = image
        self.kind = "a fresh ext4 file system each"

    def close(self):
        if self.image:
            kept = {}
            if KEEP:
                for e in os.scandir(self.path):
                    if e.is_file(follow_symlinks=False):
                        with open(e.path, "rb") as f:
                            kept[e.name] = f.read()
            for _ in range(50):  # the last daemons may still be exiting
                if subprocess.run(["umount", self.path], capture_output=True).returncode == 0:
                    break
                time.sleep(0.1)
            else:
                subprocess.run(["umount", "-l", self.path], capture_output=True)
            os.unlink(self.image)
            for name, data in kept.items():
                with open(os.path.join(self.path, name), "wb") as f:
                    f.write(data)
        if not KEEP:
            shutil.rmtree(self.path, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def programs(kind):
    """(main.cf directory lines, postmap, postfix) of "ours" or "debian"."""
    if kind == "ours":
        return ("command_directory = {b}\ndaemon_directory = {b}\n".format(b=BUILD + "/bin"),
                BUILD + "/bin/postmap", BUILD + "/bin/postfix")
    return ("command_directory = /usr/sbin\ndaemon_directory = /usr/lib/postfix/sbin\n"
            "meta_directory = /etc/postfix\nshlib_directory = /usr/lib/postfix\n",
            "/usr/sbin/postmap", DEBIAN_POSTFIX)


def main_cf(root, kind, extra):
    """The main.cf both systems share (queue and log under root, daemons as
    `postfix`, loopback only), plus `extra`."""
    dirs, _, _ = programs(kind)
    return ("compatibility_level = 3.6\nqueue_directory = %s/queue\ndata_directory = %s/data\n%s"
            "mail_owner = postfix\nsetgid_group = postdrop\n"
            "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
            "myhostname = mx.%s\nmydestination =\nalias_maps =\nmynetworks = 127.0.0.0/8\n"
            "maillog_file = %s/maillog\nmaillog_file_prefixes = %s\n%s"
            % (root, root, dirs, DOMAIN, root, root, extra))


def write_master(etc, port, extra, qmgr=True):
    """Writes master.cf: SERVICES with smtpd on `port`, plus `extra`;
    without qmgr when qmgr is False (mail then stays in incoming/)."""
    services = SERVICES + extra
    if not qmgr:
        services = "".join(line for line in services.splitlines(True)
                           if not line.startswith("qmgr "))
    with open(os.path.join(etc, "master.cf"), "w") as f:
        f.write(services.format(listen="127.0.0.1:%d" % port))


def write_instance(root, kind, main_extra, master_extra):
    """Creates root/etc and root/queue, writes main.cf (main_cf() plus
    main_extra) and master.cf (write_master with master_extra) with smtpd
    on a free port; returns (etc, port, postfix command)."""
    etc = os.path.join(root, "etc")
    for d in (etc, os.path.join(root, "queue")):
        os.makedirs(d)
    os.chmod(root, 0o755)
    port = free_port()
    _, _, postfix = programs(kind)
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write(main_cf(root, kind, main_extra))
    write_master(etc, port, master_extra)
    return etc, port, postfix


def start_instance(root, postfix, etc, port, kind=None):
    """Starts an instance and waits for its smtpd. With `kind` ("ours",
    "debian") and resource figures possible (root, perf; USAGE=1), the
    instance runs under a Usage (`postfix start-fg` under perf stat) kept
    in USAGES[kind]; begin() and end() mark the measured window."""
    if kind and USAGE and PERF and os.geteuid() == 0:
        USAGES[kind] = Usage(root, postfix, etc)
    else:
        r = subprocess.run([postfix, "-c", etc, "start"], capture_output=True, text=True)
        if r.returncode != 0:
            raise Failed("postfix start failed: %s" % r.stderr.strip())
    if not wait_listening(port):
        raise Failed("smtpd does not answer; see %s/maillog" % root)


def stop_instance(postfix, etc):
    subprocess.run([postfix, "-c", etc, "stop"], capture_output=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        if subprocess.run([postfix, "-c", etc, "status"], capture_output=True).returncode:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    for usage in USAGES.values():
        if usage.etc == etc:
            usage.finish()


# The acct_v3 record of the kernel's process accounting (acct(2), 64
# bytes): flag, version, tty, exitcode, uid, gid, pid, ppid, btime, etime,
# utime, stime, mem, io, rw, minflt, majflt, swaps (comp_t), comm.
ACCT_V3 = struct.Struct("<BBHIIIIIIf8H16s")
PERF_EVENTS = ["task-clock", "context-switches", "syscalls:sys_enter_fsync",
               "syscalls:sys_enter_fdatasync"]
USAGES = {}


def comp_t(v):
    """A comp_t (13-bit mantissa, 3-bit base-8 exponent) in AHZ ticks."""
    return (v & 0x1fff) << (3 * ((v >> 13) & 7))


def proc_stat(pid):
    """(comm, CPU seconds, RSS in kB, parent PID) of a live process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        with open("/proc/%d/status" % pid) as f:
            rss = [l for l in f if l.startswith("VmRSS:")]
    except OSError:
        return None
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    return comm, cpu, int(rss[0].split()[1]) if rss else 0, int(fields[1])


def master_pid(root):
    """The PID of the master of the instance under root, or None."""
    try:
        with open(os.path.join(root, "queue", "pid", "master.pid")) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def daemon_pid(root, name):
    """The PID of a `name` process (a child of the instance's master), or None."""
    master = master_pid(root)
    if not master:
        return None
    for e in os.scandir("/proc"):
        if e.name.isdigit():
            st = proc_stat(int(e.name))
            if st and st[0] == name and st[3] == master:
                return int(e.name)
    return None


def queue_files(root, *queues):
    """The paths of the files in the instance's queues (hash subdirectories
    walked; a missing queue has none)."""
    out = []
    for queue in queues:
        for dirpath, _, files in os.walk(os.path.join(root, "queue", queue)):
            out.extend(os.path.join(dirpath, f) for f in files)
    return out


class Usage:
    """What one instance spends in a measured window: the CPU of each daemon
    (by program name, processes that exited during the window included,
    from the kernel's process accounting; those alive at the end from
    /proc), and over every process of the instance (perf stat counters
    inherited from master, the window switched on and off through perf's
    control FIFO): task-clock, context switches, fsync and fdatasync calls;
    and the RSS of each daemon alive at the end. Process accounting counts
    CPU in 10 ms ticks per process, rounded down: the per-daemon figures of
    short-lived processes are low, the perf total is exact."""

    def __init__(self, root, postfix, etc):
        self.etc = etc
        self.dir = tempfile.mkdtemp(prefix="usage-")
        self.ctl, self.ack = os.path.join(self.dir, "ctl"), os.path.join(self.dir, "ack")
        os.mkfifo(self.ctl)
        os.mkfifo(self.ack)
        self.out = os.path.join(self.dir, "perf.out")
        self.acct = os.path.join(self.dir, "acct")
        self.perf = subprocess.Popen(
            [PERF, "stat", "-x,", "-o", self.out, "--delay=-1",
             "--control", "fifo:%s,%s" % (self.ctl, self.ack), "-e", ",".join(PERF_EVENTS),
             "--", postfix, "-c", etc, "start-fg"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ctl_fd = os.open(self.ctl, os.O_RDWR)
        self.ack_fd = os.open(self.ack, os.O_RDWR)
        self.master = None
        self.start = {}      # pid -> CPU seconds at begin()
        self.daemons = {}    # name -> [processes, CPU seconds]
        self.rss = {}        # name -> largest RSS (kB) at end()
        self.counters = {}   # perf event -> count in the window
        self.messages = 0
        self.finished = False

    def children(self):
        """{pid: (comm, cpu, rss)} of master's children and master."""
        out = {}
        for e in os.scandir("/proc"):
            if not e.name.isdigit():
                continue
            st = proc_stat(int(e.name))
            if st and (st[3] == self.master or int(e.name) == self.master):
                out[int(e.name)] = st[:3]
        return out

    def control(self, command):
        os.write(self.ctl_fd, command.encode() + b"\n")
        os.read(self.ack_fd, 16)

    def begin(self):
        self.master = master_pid(os.path.dirname(self.etc))
        if not self.master:
            raise Failed("no master.pid under %s" % os.path.dirname(self.etc))
        open(self.acct, "w").close()
        os.chmod(self.acct, 0o600)
        import ctypes
        self.libc = ctypes.CDLL(None, use_errno=True)
        if self.libc.acct(self.acct.encode()) != 0:
            self.acct = None
        self.start = {pid: st[1] for pid, st in self.children().items()}
        self.control("enable")

    def end(self, messages):
        self.control("disable")
        if self.acct:
            self.libc.acct(None)
        self.messages = messages
        seen = set()
        for pid, (comm, cpu, rss) in self.children().items():
            d = self.daemons.setdefault(comm, [0, 0.0])
            d[0] += 1
            d[1] += cpu - self.start.get(pid, 0.0)
            self.rss[comm] = max(self.rss.get(comm, 0), rss)
            seen.add(pid)
        if self.acct:
            with open(self.acct, "rb") as f:
                data = f.read()
            for off in range(0, len(data) - ACCT_V3.size + 1, ACCT_V3.size):
                r = ACCT_V3.unpack_from(data, off)
                if r[1] != 3 or r[7] != self.master or r[6] in seen:
                    continue
                comm = r[18].split(b"\0")[0].decode(errors="replace")
                d = self.daemons.setdefault(comm, [0, 0.0])
                d[0] += 1
                d[1] += (comp_t(r[10]) + comp_t(r[11])) / 100.0 - self.start.get(r[6], 0.0)

    def finish(self):
        """After the instance stopped: perf's counters (once)."""
        if self.finished:
            return
        self.finished = True
        try:
            self.perf.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.perf.kill()
            self.perf.wait()
        for fd in (self.ctl_fd, self.ack_fd):
            os.close(fd)
        try:
            with open(self.out) as f:
                for line in f:
                    fields = line.strip().split(",")
                    if len(fields) > 2 and fields[2] in PERF_EVENTS:
                        try:
                            self.counters[fields[2]] = float(fields[0])
                        except ValueError:
                            pass
        except OSError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def begin_usage(kind):
    if kind in USAGES:
        USAGES[kind].begin()


def end_usage(kind, messages):
    if kind in USAGES:
        USAGES[kind].end(messages)


def report_usage():
    """Prints the resource figures of the systems measured (ours, Debian's)
    per message, side by side, then forgets them."""
    kinds = [k for k in ("ours", "debian") if k in USAGES and USAGES[k].messages]
    if not kinds:
        return
    us = [USAGES[k] for k in kinds]
    names = sorted({n for u in us for n in u.daemons},
                   key=lambda n: -max(u.daemons.get(n, [0, 0])[1] for u in us))
    head = "".join("%24s" % ("ours" if k == "ours" else "Debian's") for k in kinds)
    print("  per message, in the measured window:%s" % head)
    for n in names:
        cells = ""
        for u in us:
            procs, cpu = u.daemons.get(n, [0, 0.0])
            cells += "%24s" % ("%.3f ms CPU (%d)" % (1000 * cpu / u.messages, procs)
                               if procs else "-")
        print("    %-35s%s" % (n, cells))

    def row(label, value):
        print("    %-35s%s" % (label, "".join("%24s" % value(u) for u in us)))
    row("CPU, every daemon (acct + /proc)",
        lambda u: "%.3f ms" % (1000 * sum(d[1] for d in u.daemons.values()) / u.messages))
    row("CPU, perf task-clock",
        lambda u: "%.3f ms" % (u.counters["task-clock"] / u.messages)
        if "task-clock" in u.counters else "-")
    row("context switches",
        lambda u: "%.1f" % (u.counters["context-switches"] / u.messages)
        if "context-switches" in u.counters else "-")
    row("fsync + fdatasync calls",
        lambda u: "%.2f" % ((u.counters.get("syscalls:sys_enter_fsync", 0)
                             + u.counters.get("syscalls:sys_enter_fdatasync", 0)) / u.messages)
        if u.counters else "-")
    print("  RSS at the end of the window (largest process of each program, kB):")
    for n in sorted({n for u in us for n in u.rss}):
        print("    %-35s%s" % (n, "".join("%24s" % (u.rss.get(n, "-")) for u in us)))
    if len(us) == 2 and all(sum(d[1] for d in u.daemons.values()) for u in us):
        cpu = [u.counters.get("task-clock", 0) / u.messages for u in us]
        if all(cpu):
            print("  CPU per message ratio ours/Debian's (lower is better): %.2f"
                  % (cpu[0] / cpu[1]))
    USAGES.clear()


def tls_main_cf(root):
    """With TLS=1: a certificate for both systems under root, and the
    main.cf lines that offer STARTTLS with it (and the session cache);
    master.cf needs TLS_SERVICES too. "" without TLS."""
    if not TLS:
        return ""
    cert, key = os.path.join(root, "cert.pem"), os.path.join(root, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=mx." + DOMAIN],
                   check=True, capture_output=True)
    return ("smtpd_tls_security_level = may\nsmtpd_tls_cert_file = %s\nsmtpd_tls_key_file = %s\n"
            "smtpd_tls_session_cache_database = btree:${data_directory}/smtpd_scache\n"
            % (cert, key))


TLS_SERVICES = "tlsmgr unix - - n 1000? 1 tlsmgr\n"


def smtp_source(port, to, numbered=False):
    """Runs smtp-source (SESSIONS, MESSAGES, SIZE), or with TLS=1
    bench/tls_source_bench; returns the seconds until every message was
    accepted. numbered: -N, recipients 1to, 2to, ... (with RECIPIENTS > 1
    the numbers run on across messages: 1to..5to, 6to..10to, ...)"""
    if TLS and RECIPIENTS > 1:
        raise Failed("TLS=1 sends one recipient per message (bench/tls_source_bench)")
    start = time.time()
    if TLS:
        tool = [os.path.join(BUILD, "bench", "tls_source_bench")] + (["-r"] if RESUME else [])
    else:
        tool = [SMTP_SOURCE]
    r = subprocess.run(tool + ["-s", str(SESSIONS), "-m", str(MESSAGES), "-l", str(SIZE)]
                       + (["-N"] if numbered else [])
                       + (["-r", str(RECIPIENTS)] if RECIPIENTS > 1 else [])
                       + ["-f", "sender@example.org", "-t", to, "127.0.0.1:%d" % port],
                       capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise Failed("%s failed: %s" % (os.path.basename(tool[0]),
                                        (r.stdout + r.stderr).strip()[-500:]))
    elapsed = time.time() - start
    if TLS:  # "messages N seconds S resumed R failed 0 retried T"
        f = r.stdout.split()
        print("  (%s of %s TLS handshakes resumed, %s messages sent again)" % (f[5], f[1], f[9]))
    return elapsed


def wait_until(count, want, what, root):
    """Waits until count() reaches want; Failed when it stops moving for
    STALL_SECONDS."""
    last, last_change = -1, time.time()
    while True:
        n = count()
        if n >= want:
            return
        if n != last:
            last, last_change = n, time.time()
        elif time.time() - last_change > STALL_SECONDS:
            raise Failed("only %d of %d messages %s (stalled); see %s/maillog"
                         % (n, want, what, root))
        time.sleep(0.02)


def can_run(bench, tools):
    """Whether `bench` can run here; says why not: it needs root (both
    systems run their daemons as `postfix`, as in production) and the given
    tools of Debian's postfix package."""
    if os.geteuid() != 0:
        print("%s: needs root (daemons run as `postfix` as in production); skipped" % bench)
        return False
    for tool in tools:
        if not os.access(tool, os.X_OK):
            print("%s: %s is missing (Debian's postfix package); skipped" % (bench, tool))
            return False
    return True


def measure(kind, prefix, run, **root_options):
    """Measures one system ("ours" or "debian"): run(root, cleanups) in a
    fresh InstanceRoot (made with root_options) returns its figures; what it
    appends to `cleanups` (stopping the instance, a sink) runs afterwards,
    last added first, then the root goes away. None on failure, after
    printing why."""
    instance_root = InstanceRoot(prefix + kind + "-", **root_options)
    cleanups = []
    try:
        return run(instance_root.path, cleanups)
    except Failed as e:
        print("%s: %s" % (kind, e))
        return None
    finally:
        for cleanup in reversed(cleanups):
            cleanup()
        instance_root.close()


def report(names, ours, theirs):
    """Prints each system's figures (messages per second, in the order of
    `names`) and, when both ran, the ratios ours/Debian's."""
    for system, r in (("ours", ours), ("Debian's", theirs)):
        if r:
            print("  %-10s " % system + "   ".join("%s %7.1f msg/s" % (n, v)
                                                   for n, v in zip(names, r)))
    if ours and theirs:
        print("  ratio ours/Debian's (higher is better): "
              + ", ".join("%s %.2f" % (n, a / b) for n, a, b in zip(names, ours, theirs)))

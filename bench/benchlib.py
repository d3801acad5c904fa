"""What bench/inbound.py and bench/relay.py share: the load settings (from
the environment), instances of ours and of Debian's Postfix configured
alike, starting and stopping them, and driving Postfix's smtp-source.

Settings: SESSIONS (10), MESSAGES (5,000), SIZE (2,048 bytes); TLS=1: every
session does STARTTLS (bench/tls_source_bench instead of smtp-source; both
systems with the same certificate, tlsmgr and session cache), RESUME=0
makes every handshake a full one (default: the load generator offers the
session it got last time, as a client with a session cache); KEEP=1 keeps
the instances' folders (logs) afterwards; FRESH_FS=0 runs the instances in
plain folders under /tmp instead of a fresh file system each (InstanceRoot)."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
SESSIONS = int(os.environ.get("SESSIONS", 10))
MESSAGES = int(os.environ.get("MESSAGES", 5000))
SIZE = int(os.environ.get("SIZE", 2048))
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
    file system of its own: a new 1 GB ext4 image, loop-mounted, made the
    same way for each system. Both start from an empty, journaled file
    system, as a mail spool in production; in a shared folder the second
    run would pay for the first one's files (ext4 without a journal, as
    this machine's root, skips every inode freed in the last minute when it
    allocates one, so a run's file creations cost more the more files were
    deleted just before). Without loop devices (or with FRESH_FS=0) it is a
    plain folder under /tmp; `kind` says which. close() unmounts and
    removes it; KEEP=1 keeps the top-level files (maillog, sink.log) in the
    folder."""

    def __init__(self, prefix):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self.image = None
        self.kind = "a folder under /tmp"
        if not FRESH_FS:
            return
        image = self.path + ".img"
        with open(image, "wb") as f:
            f.truncate(1 << 30)
        steps = [["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0",
                  image], ["mount", "-o", "loop", image, self.path]]
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


def start_instance(root, postfix, etc, port):
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
    accepted. numbered: -N, recipients 1to, 2to, ..."""
    start = time.time()
    if TLS:
        tool = [os.path.join(BUILD, "bench", "tls_source_bench")] + (["-r"] if RESUME else [])
    else:
        tool = [SMTP_SOURCE]
    r = subprocess.run(tool + ["-s", str(SESSIONS), "-m", str(MESSAGES), "-l", str(SIZE)]
                       + (["-N"] if numbered else [])
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


def measure(kind, prefix, run):
    """Measures one system ("ours" or "debian"): run(root, cleanups) in a
    fresh InstanceRoot returns its figures; what it appends to `cleanups`
    (stopping the instance, a sink) runs afterwards, last added first, then
    the root goes away. None on failure, after printing why."""
    instance_root = InstanceRoot(prefix + kind + "-")
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

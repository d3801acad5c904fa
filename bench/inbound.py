#!/usr/bin/env python3
"""Benchmark: inbound mail into a virtual mailbox host, ours vs. Debian's
Postfix configured identically, in the same run.

Postfix's smtp-source sends MESSAGES messages (default 5,000) of SIZE bytes
(default 2,048) over SESSIONS parallel sessions (default 10) to MAILBOXES
virtual mailboxes (default 1,000; hash tables, Maildir). Two figures per
system:
  acceptance   messages per second until smtp-source has every "250 Ok:
               queued" (each acknowledged message is synced to disk first)
  end-to-end   messages per second until every message is a file in a
               Maildir's new/ (virtual syncs each file before it reports)
and the ratio ours/Debian's (higher is better for us). Not a test: it prints
figures. Needs root (both systems run their daemons as `postfix`, as in
production) and /usr/sbin/smtp-source; without Debian's Postfix it measures
ours alone.

Usage: bench/inbound.py [BUILD_DIR]   (make bench runs it)
"""
import os
import pwd
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
MAILBOXES = int(os.environ.get("MAILBOXES", 1000))
DOMAIN = "bench.example.jp"
SMTP_SOURCE = "/usr/sbin/smtp-source"
DEBIAN_POSTFIX = "/usr/sbin/postfix"

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
virtual unix - n n - - virtual
postlog unix-dgram n - n - 1 postlogd
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(root, kind):
    """Writes an instance under root; returns (etc, port, base, postfix_cmd)."""
    etc, queue, base = (os.path.join(root, d) for d in ("etc", "queue", "vmail"))
    for d in (etc, queue, base):
        os.makedirs(d)
    os.chmod(root, 0o755)
    pw = pwd.getpwnam("postfix")
    os.chown(base, pw.pw_uid, pw.pw_gid)
    port = free_port()
    if kind == "ours":
        dirs = "command_directory = {b}\ndaemon_directory = {b}\n".format(b=BUILD + "/bin")
        postmap = BUILD + "/bin/postmap"
        postfix = BUILD + "/bin/postfix"
    else:
        dirs = ("command_directory = /usr/sbin\ndaemon_directory = /usr/lib/postfix/sbin\n"
                "meta_directory = /etc/postfix\nshlib_directory = /usr/lib/postfix\n")
        postmap = "/usr/sbin/postmap"
        postfix = DEBIAN_POSTFIX
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\nqueue_directory = %s\ndata_directory = %s/data\n%s"
                "mail_owner = postfix\nsetgid_group = postdrop\n"
                "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
                "myhostname = mx.%s\nmydestination =\nmynetworks = 127.0.0.0/8\nalias_maps =\n"
                "virtual_mailbox_domains = %s\nvirtual_mailbox_base = %s\n"
                "virtual_mailbox_maps = hash:%s/vmailbox\n"
                "virtual_uid_maps = static:%d\nvirtual_gid_maps = static:%d\n"
                "maillog_file = %s/maillog\nmaillog_file_prefixes = %s\n"
                % (queue, root, dirs, DOMAIN, DOMAIN, base, etc, pw.pw_uid, pw.pw_gid,
                   root, root))
    with open(os.path.join(etc, "master.cf"), "w") as f:
        f.write(SERVICES.format(listen="127.0.0.1:%d" % port))
    # smtp-source -N numbers the recipients 1..MESSAGES: "7user@domain".
    with open(os.path.join(etc, "vmailbox"), "w") as f:
        for n in range(1, MESSAGES + 1):
            f.write("%duser@%s %s/u%d/\n" % (n, DOMAIN, DOMAIN, n % MAILBOXES))
    subprocess.run([postmap, "-c", etc, "hash:" + os.path.join(etc, "vmailbox")], check=True)
    return etc, port, base, postfix


def delivered(base):
    n = 0
    d = os.path.join(base, DOMAIN)
    if not os.path.isdir(d):
        return 0
    for box in os.scandir(d):
        try:
            n += sum(1 for _ in os.scandir(os.path.join(box.path, "new")))
        except FileNotFoundError:
            pass
    return n


def measure(kind):
    root = tempfile.mkdtemp(prefix="inbound-%s-" % kind)
    etc, port, base, postfix = setup(root, kind)
    try:
        r = subprocess.run([postfix, "-c", etc, "start"], capture_output=True, text=True)
        if r.returncode != 0:
            print("%s: postfix start failed: %s" % (kind, r.stderr.strip()))
            return None
        # Wait until smtpd answers.
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        start = time.time()
        r = subprocess.run([SMTP_SOURCE, "-s", str(SESSIONS), "-m", str(MESSAGES), "-l",
                            str(SIZE), "-N", "-f", "sender@example.org", "-t",
                            "user@" + DOMAIN, "127.0.0.1:%d" % port],
                           capture_output=True, text=True, timeout=3600)
        accepted = time.time() - start
        if r.returncode != 0:
            print("%s: smtp-source failed: %s" % (kind, (r.stdout + r.stderr).strip()[-500:]))
            return None
        last, last_change = -1, time.time()
        while True:
            n = delivered(base)
            if n >= MESSAGES:
                break
            if n != last:
                last, last_change = n, time.time()
            elif time.time() - last_change > 60:
                print("%s: only %d of %d messages delivered (stalled); see %s/maillog"
                      % (kind, n, MESSAGES, root))
                return None
            time.sleep(0.05)
        total = time.time() - start
        return MESSAGES / accepted, MESSAGES / total
    finally:
        subprocess.run([postfix, "-c", etc, "stop"], capture_output=True)
        time.sleep(1)
        if os.environ.get("KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)


def main():
    if os.geteuid() != 0:
        print("inbound: needs root (daemons run as `postfix` as in production); skipped")
        return
    if not os.access(SMTP_SOURCE, os.X_OK):
        print("inbound: %s is missing (Debian's postfix package); skipped" % SMTP_SOURCE)
        return
    print("inbound: %d messages of %d bytes, %d sessions, %d mailboxes (Maildir, hash tables)"
          % (MESSAGES, SIZE, SESSIONS, MAILBOXES))
    ours = measure("ours")
    theirs = measure("debian") if os.access(DEBIAN_POSTFIX, os.X_OK) else None
    fmt = "  %-10s acceptance %7.1f msg/s   end-to-end %7.1f msg/s"
    if ours:
        print(fmt % ("ours", ours[0], ours[1]))
    if theirs:
        print(fmt % ("Debian's", theirs[0], theirs[1]))
    if ours and theirs:
        print("  ratio ours/Debian's (higher is better): acceptance %.2f, end-to-end %.2f"
              % (ours[0] / theirs[0], ours[1] / theirs[1]))


if __name__ == "__main__":
    main()

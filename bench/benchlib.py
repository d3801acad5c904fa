"""What bench/inbound.py and bench/relay.py share: the load settings (from
the environment), instances of ours and of Debian's Postfix configured
alike, starting and stopping them, and driving Postfix's smtp-source.

Settings: SESSIONS (10), MESSAGES (5,000), SIZE (2,048 bytes); KEEP=1 keeps
the instances' folders (logs) afterwards."""
import os
import socket
import subprocess
import sys
import time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
SESSIONS = int(os.environ.get("SESSIONS", 10))
MESSAGES = int(os.environ.get("MESSAGES", 5000))
SIZE = int(os.environ.get("SIZE", 2048))
KEEP = os.environ.get("KEEP") == "1"
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


def smtp_source(port, to, numbered=False):
    """Runs smtp-source (SESSIONS, MESSAGES, SIZE); returns the seconds until
    every message was accepted. numbered: -N, recipients 1to, 2to, ..."""
    start = time.time()
    r = subprocess.run([SMTP_SOURCE, "-s", str(SESSIONS), "-m", str(MESSAGES), "-l", str(SIZE)]
                       + (["-N"] if numbered else [])
                       + ["-f", "sender@example.org", "-t", to, "127.0.0.1:%d" % port],
                       capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise Failed("smtp-source failed: %s" % (r.stdout + r.stderr).strip()[-500:])
    return time.time() - start


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

"""Shared helpers for the system tests (standard library only).

The tests run the real programs from build/bin (MTA_BIN) on temporary
configuration directories and instances, the way an administrator would.
CTest sets MTA_BIN and MTA_SOURCE; run by hand from tests/:
    MTA_BIN=../build/bin python3 -m unittest -v test_x
The example configurations the tests use are the repository's own
(SOURCE/examples); nothing outside the source tree is read.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

SOURCE = os.path.abspath(os.environ.get("MTA_SOURCE", os.path.join(os.path.dirname(__file__), "..")))
BIN = os.path.abspath(os.environ.get("MTA_BIN", os.path.join(SOURCE, "build", "bin")))
EXAMPLES = os.path.join(SOURCE, "examples")

# Debian's Postfix, installed by `make test` as a test-only reference.
DEBIAN_POSTCONF = "/usr/sbin/postconf"
DEBIAN_POSTMAP = "/usr/sbin/postmap"


def have_debian_postfix():
    return os.access(DEBIAN_POSTCONF, os.X_OK)


def program(name):
    return os.path.join(BIN, name)


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return "rc=%d\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.out, self.err)


def run(argv, env=None, input=None, timeout=60):
    """Runs a command to completion (bounded by `timeout`) and returns a Result."""
    full_env = dict(os.environ)
    full_env.pop("MAIL_CONFIG", None)
    if env:
        full_env.update(env)
    proc = subprocess.run(argv, input=input, capture_output=True, text=True,
                          env=full_env, timeout=timeout)
    return Result(proc)


class TempDirTestCase(unittest.TestCase):
    """A test case with a fresh temporary directory, removed afterwards."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mta-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def make_config(self, main_cf="", master_cf=None, name="etc"):
        """Creates a config directory with the given main.cf text and, by
        default, the project's default master.cf."""
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "main.cf"), "w") as f:
            f.write(main_cf)
        if master_cf is None:
            shutil.copy(os.path.join(SOURCE, "conf", "master.cf"), os.path.join(d, "master.cf"))
        else:
            with open(os.path.join(d, "master.cf"), "w") as f:
                f.write(master_cf)
        return d


# --- Test daemons and the attribute protocol (added with the daemon skeletons) ---

def test_daemon(name):
    """Absolute path of a test daemon from tests/daemons/ (echo-single,
    echo-multi, trigger-log), built into build/tests/daemons/."""
    return os.path.join(os.path.dirname(BIN), "tests", "daemons", name)


def attr_encode(pairs):
    """Encodes an attribute list (util/attr.h): pairs is a dict or a list of
    (name, value) with str or bytes values."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    out = b""
    for name, value in items:
        if isinstance(value, str):
            value = value.encode()
        out += name.encode() + b"=" + str(len(value)).encode() + b":" + value + b"\n"
    return out + b"\n"


def attr_read(reader):
    """Reads one attribute list from a binary file object (sock.makefile("rb"))
    and returns a dict of str -> bytes, or None at end of file."""
    result = {}
    while True:
        first = reader.read(1)
        if first == b"":
            if result:
                raise ValueError("truncated attribute list")
            return None
        if first == b"\n":
            return result
        name = first
        while not name.endswith(b"="):
            c = reader.read(1)
            if c == b"":
                raise ValueError("truncated attribute list")
            name += c
        length = b""
        while True:
            c = reader.read(1)
            if c == b"":
                raise ValueError("truncated attribute list")
            if c == b":":
                break
            length += c
        value = reader.read(int(length))
        if reader.read(1) != b"\n":
            raise ValueError("bad attribute terminator")
        result[name[:-1].decode()] = value


# --- A running mail system instance (added with local submission, issue 5) ---

def wait_for(cond, timeout=10, what="condition", interval=0.05):
    """Polls cond() until it returns a true value (returned), or fails the
    test after `timeout` seconds. `what` names the condition in the failure:
    a string, or a function called then (to show a log as it is at the end)."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + (what() if callable(what) else what))
        time.sleep(interval)


def process_alive(pid):
    """True while the process exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def kill_leftovers(test, pids, grace=30):
    """Gives `pids` up to `grace` seconds to end on their own (a mail
    system's children exit a moment after their master, later on a busy
    machine), then kills (SIGKILL) whichever still run and fails `test` if
    there were any: every test ends with no process of its own left."""
    import signal
    try:
        wait_for(lambda: not any(process_alive(p) for p in pids), grace)
    except AssertionError:
        pass  # named below
    leftover = [p for p in pids if process_alive(p)]
    for p in leftover:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    test.assertEqual(leftover, [], "processes left behind")


def maildir_files(maildir, sub="new"):
    """The files in a Maildir's new/ (or `sub`), sorted by name; [] when the
    folder does not exist yet."""
    d = os.path.join(maildir, sub)
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, n) for n in os.listdir(d))


_PORTS_GIVEN = set()


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now, and that
    this process has not handed out before (the kernel may offer the same
    port to two calls in a row: two services of one instance must not get
    it both)."""
    import socket
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _PORTS_GIVEN:
            _PORTS_GIVEN.add(port)
            return port
    raise AssertionError("no free port that was not handed out already")


def children_of(pid):
    """PIDs of the live (not zombie) processes whose parent is pid."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            kids.append(int(entry))
    return kids


def argv(pid):
    """The arguments of process pid ([] when it is gone)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().decode("utf-8", "replace").split("\0")[:-1]
    except (FileNotFoundError, ProcessLookupError):
        return []


def unnamed_files(pid, directory):
    """The /proc/PID/fd/N paths of the files process pid holds open that
    were created unnamed (O_TMPFILE) in directory and have no name yet: how
    a test sees a queue file that is still being written."""
    prefix = os.path.realpath(directory) + "/#"
    found = []
    fd_dir = "/proc/%d/fd" % pid
    try:
        entries = os.listdir(fd_dir)
    except (FileNotFoundError, ProcessLookupError):
        return found
    for fd in entries:
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith(prefix) and target.endswith(" (deleted)"):
            found.append(os.path.join(fd_dir, fd))
    return found


def master_cf_services(names, overrides=None, keep_unpriv=False):
    """The entries of conf/master.cf whose service name is in `names`, with
    the unpriv column set to "n" so that daemons run as the test's user (even
    root), unless keep_unpriv (as administrators run it: unprivileged daemons
    become mail_owner). overrides: {name: {"wakeup": "2", "maxproc": "1"}}
    per service. Listeners on fixed ports (conf/master.cf's "smtp inet", port
    25) are left out: "smtp" names the smtp client, and a test's smtpd
    listens on a free port (smtpd_service)."""
    overrides = overrides or {}
    columns = {"private": 2, "unpriv": 3, "chroot": 4, "wakeup": 5, "maxproc": 6}
    out, keep = [], False
    with open(os.path.join(SOURCE, "conf", "master.cf")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t":
                if keep:
                    out.append(line)
                continue
            fields = line.split()
            keep = fields[0] in names and fields[1] != "inet"
            if keep:
                if not keep_unpriv:
                    fields[3] = "n"
                for col, value in overrides.get(fields[0], {}).items():
                    fields[columns[col]] = value
                out.append(" ".join(fields) + "\n")
    return "".join(out)


def smtpd_service(listen, options=()):
    """A master.cf line (unpriv n, like master_cf_services) for an smtpd
    listening on `listen`, e.g. "127.0.0.1:2525", with -o NAME=VALUE options."""
    line = "%s inet n n n - - smtpd\n" % listen
    return line + "".join("  -o %s\n" % o for o in options)


class MtaInstance:
    """One mail system instance under test.tmp/NAME: etc/ (main.cf, master.cf),
    queue/, data/, maillog; daemon_directory and command_directory are the
    build's bin/. Started and stopped with the real postfix command; every
    master and child PID seen is killed in cleanup if still alive.

        inst = mtatest.MtaInstance(self, services=["pickup", "cleanup"])
        inst.start()
        inst.run("sendmail", "bob@example.com", input="Subject: x\\n\\nhi\\n")
        inst.wait_log(r"pickup\\[\\d+\\]: \\w+: uid=")
    """

    def __init__(self, test, name="inst", services=(), overrides=None, main_cf="",
                 master_extra="", mail_owner=None):
        """mail_owner: run as administrators do (root only): that user is
        mail_owner and master.cf's unpriv column is kept, so unprivileged
        daemons run as mail_owner and privileged agents as root; the
        directories above the instance are opened to it. By default
        everything runs as the test's own user."""
        import pwd
        self.test = test
        self.admin = mail_owner is not None
        if self.admin:
            os.chmod(test.tmp, 0o755)
        self.root = os.path.join(test.tmp, name)
        self.etc = os.path.join(self.root, "etc")
        self.queue = os.path.join(self.root, "queue")
        self.maillog = os.path.join(self.root, "maillog")
        os.makedirs(self.etc)
        self.main_cf = (
            "queue_directory = %s\ndata_directory = %s\ndaemon_directory = %s\n"
            "command_directory = %s\nmail_owner = %s\ninet_interfaces = 127.0.0.1\n"
            "maillog_file = %s\nmaillog_file_prefixes = %s\n%s%s"
            % (self.queue, os.path.join(self.root, "data"), BIN, BIN,
               mail_owner or pwd.getpwuid(os.geteuid()).pw_name, self.maillog, self.root,
               # not the host's /etc/aliases (tests that want aliases set their own)
               "" if re.search(r"^alias_maps\s*=", main_cf, re.M) else "alias_maps =\n",
               # Without a queue manager nobody hands out flow tokens, and
               # cleanup would pause in_flow_delay for every message (as
               # Postfix's does): instances without qmgr turn it off.
               ("" if "qmgr" in services or re.search(r"^in_flow_delay\s*=", main_cf, re.M)
                else "in_flow_delay = 0\n") + main_cf))
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(self.main_cf)
        self.master_extra = master_extra
        self.set_services(services, overrides)
        self.pids = set()
        test.addCleanup(self.cleanup)

    def set_services(self, services, overrides=None):
        """Writes master.cf with these services of conf/master.cf."""
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(master_cf_services(services, overrides, keep_unpriv=self.admin) +
                    getattr(self, "master_extra", ""))

    def env(self):
        return {"MAIL_CONFIG": self.etc}

    def run(self, prog, *args, input=None, timeout=60):
        """Runs build program `prog` with MAIL_CONFIG pointing here."""
        return run([program(prog)] + list(args), env=self.env(), input=input, timeout=timeout)

    def postfix(self, *args, timeout=60):
        return run([program("postfix"), "-c", self.etc] + list(args), timeout=timeout)

    def start(self):
        r = self.postfix("start")
        if r.rc != 0:  # master's own reason is in the log
            self.test.assertEqual(r.rc, 0, "%r\nmaillog:\n%s" % (r, self.log()))
        self.master_pid()
        return r

    def stop(self):
        self.children()
        r = self.postfix("stop")
        self.test.assertEqual(r.rc, 0, r)
        return r

    def reload(self):
        n = self.log().count("reload -- version")
        r = self.postfix("reload")
        self.test.assertEqual(r.rc, 0, r)
        self.wait_log(r"reload -- version", count=n + 1)

    def master_pid(self):
        with open(os.path.join(self.queue, "pid", "master.pid")) as f:
            pid = int(f.read().split()[0])
        self.pids.add(pid)
        return pid

    def children(self):
        """PIDs of master's live children (remembered for cleanup)."""
        kids = children_of(self.master_pid())
        self.pids.update(kids)
        return kids

    def children_named(self, program):
        """PIDs of master's live children running `program` (the basename
        of their argv[0], e.g. "qmgr", "trivial-rewrite")."""
        return [p for p in self.children()
                if os.path.basename((argv(p) or [""])[0]) == program]

    def log(self):
        return read_log(self.maillog)

    def wait_log(self, pattern, timeout=10, count=1):
        import re
        return wait_for(lambda: len(re.findall(pattern, self.log())) >= count, timeout,
                        lambda: "log line %r in:\n%s" % (pattern, self.log()))

    def sendmail(self, *rcpts, sender, message):
        """Submits `message` (str or bytes) with sendmail -i -f SENDER RCPT...
        and fails the test unless it is accepted."""
        if isinstance(message, str):
            message = message.encode()
        full_env = dict(os.environ, **self.env())
        proc = subprocess.run([program("sendmail"), "-i", "-f", sender] + list(rcpts),
                              input=message, env=full_env, capture_output=True, timeout=60)
        self.test.assertEqual(proc.returncode, 0, proc)

    def send(self, *rcpts, sender="alice@example.com", body="body\n", headers=""):
        """Submits a "Subject: test" message with `headers` (lines ending in
        a newline) and `body`, str or bytes, like sendmail() (which takes a
        whole message)."""
        parts = ["Subject: test\n", headers, "\n", body]
        if any(isinstance(p, bytes) for p in parts):
            parts = [p if isinstance(p, bytes) else p.encode() for p in parts]
            message = b"".join(parts)
        else:
            message = "".join(parts)
        self.sendmail(*rcpts, sender=sender, message=message)

    def incoming(self, count=0, timeout=30):
        """{queue ID: queue_dump dict} of the ready files in incoming/ (one
        cleanup is still writing, or has just removed, is left out); with
        `count`, first waits until at least that many are ready."""
        def ready():
            out = {}
            for qid in self.queue_ids("incoming"):
                path = self.queue_path("incoming", qid)
                d = queue_dump(path) if path is not None else None
                if d is not None:
                    out[qid] = d
            return out
        if not count:
            return ready()
        return wait_for(lambda: (lambda d: d if len(d) >= count else None)(ready()), timeout,
                        lambda: "%d ready file(s) in incoming/; log:\n%s" % (count, self.log()))

    def queued(self):
        """How many messages are in incoming/, active/ and deferred/."""
        return sum(len(self.queue_ids(q)) for q in ("incoming", "active", "deferred"))

    def wait_empty(self, timeout=30):
        """Waits until incoming/, active/ and deferred/ are empty."""
        wait_for(lambda: self.queued() == 0, timeout, lambda: "empty queue; log:\n" + self.log())

    def queue_ids(self, queue):
        """Queue IDs of the files in a queue (walking hash subdirectories)."""
        ids = []
        for _, _, files in os.walk(os.path.join(self.queue, queue)):
            ids.extend(files)
        return sorted(ids)

    def queue_path(self, queue, qid):
        for top, _, files in os.walk(os.path.join(self.queue, queue)):
            if qid in files:
                return os.path.join(top, qid)
        return None

    def cleanup(self):
        if os.path.exists(os.path.join(self.queue, "pid", "master.pid")):
            if self.postfix("status").rc == 0:
                self.children()
                self.postfix("stop")
        kill_leftovers(self.test, self.pids)


def read_log(path):
    """The text of a maillog file; "" while it does not exist."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def unprivileged_n(path):
    """The text of master.cf file `path` with the unpriv column of every
    service set to "n", as MtaInstance does, so that daemons run as the
    test's user."""
    out = []
    with open(path) as f:
        for line in f:
            if line.strip() and not line[0].isspace() and not line.startswith("#"):
                fields = line.split()
                fields[3] = "n"
                line = " ".join(fields) + "\n"
            out.append(line)
    return "".join(out)


def queued_id(replies):
    """The queue ID in the first "250 2.0.0 Ok: queued as ID" of `replies`
    (one SMTP reply text, or a list of them); fails the test without one."""
    import re
    for r in [replies] if isinstance(replies, str) else replies:
        m = re.match(r"250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)$", r)
        if m:
            return m.group(1)
    raise AssertionError("no 'queued as' reply in %r" % (replies,))


def queue_dump(path, envelope_only=False):
    """Parses tests/daemons/queue-dump output for one queue file into a dict:
    sender, attrs {name: value}, recipients [address...] (done ones too),
    done [the recipients marked done], content [lines],
    arrival (seconds since the epoch, with microseconds);
    None when the file is not ready or is corrupt."""
    argv = [test_daemon("queue-dump")] + (["-e"] if envelope_only else []) + [path]
    proc = subprocess.run(argv, capture_output=True, timeout=30)
    if proc.returncode != 0:
        return None
    text = proc.stdout.decode("utf-8", "surrogateescape")
    head, _, body = text.partition("\n--\n")
    out = {"sender": None, "attrs": {}, "recipients": [], "done": [], "content": []}
    for line in head.split("\n"):
        key, _, value = line.partition(": ")
        if key == "sender":
            out["sender"] = value
        elif line.startswith("sender:"):
            out["sender"] = ""
        elif key == "attr":
            name, _, v = value.partition("=")
            out["attrs"][name] = v
        elif key == "recipient":
            out["recipients"].append(value)
        elif line.strip() == "done: yes" and out["recipients"]:
            out["done"].append(out["recipients"][-1])
        elif key == "arrival":
            sec, _, usec = value.partition(" ")
            out["arrival"] = int(sec) + int(usec) / 1e6
    if not envelope_only:
        out["content"] = body.split("\n")
        if out["content"] and out["content"][-1] == "":
            out["content"].pop()
    return out


# --- Raw SMTP clients, shared fixtures, Debian's Postfix (added with test_security) ---

def recv_replies(sock, count, timeout=10):
    """Reads from an SMTP server's socket until `count` complete replies
    (last line "NNN ") have arrived, or the server closed the connection;
    returns the reply texts (multi-line replies joined by \\n). Bytes after
    the last complete reply are kept for the next call on the same socket."""
    sock.settimeout(timeout)
    data = getattr(sock, "_mta_pending", b"")
    while True:
        replies, cur, used = [], [], 0
        pos = 0
        while len(replies) < count:
            end = data.find(b"\r\n", pos)
            if end < 0:
                break
            line = data[pos:end]
            pos = end + 2
            cur.append(line.decode("utf-8", "replace"))
            if len(line) >= 4 and line[3:4] == b" ":
                replies.append("\n".join(cur))
                cur, used = [], pos
        if len(replies) >= count:
            break
        try:
            chunk = sock.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        data += chunk
    try:
        sock._mta_pending = data[used:]
    except AttributeError:
        pass
    return replies


def recv_until_closed(sock, timeout=10):
    """Every reply the server sends until it closes the connection (bounded
    by `timeout` seconds of silence)."""
    return recv_replies(sock, 1 << 30, timeout)


def smtp_connect(port, source=None, host="127.0.0.1", timeout=10):
    """A TCP connection to an SMTP server (from loopback address `source`
    when given, e.g. "127.0.0.5" to be outside mynetworks = 127.0.0.1/32)
    whose greeting was read; returns (socket, greeting). The caller closes it."""
    import socket
    s = socket.create_connection((host, port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    s = _PendingSocket(s)
    return s, (recv_replies(s, 1, timeout) or [""])[0]


def smtplib_client(test, port, source=None, timeout=30):
    """An smtplib.SMTP session with 127.0.0.1:port (from loopback address
    `source` when given) that has said EHLO client.example.org and takes
    UTF-8 addresses; closed when `test` ends."""
    import smtplib
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org", timeout=timeout,
                     source_address=(source, 0) if source else None)
    test.addCleanup(s.close)
    test.assertEqual(s.ehlo()[0], 250)
    s.command_encoding = "utf-8"  # UTF-8 addresses after MAIL FROM ... SMTPUTF8
    return s


def starttls(port, ctx, session=None, server_hostname="mx.example.test", timeout=10):
    """A TLS socket (Python ssl, context `ctx`, offering `session` for
    resumption) to the SMTP server on 127.0.0.1:port after its banner,
    EHLO client.example and STARTTLS; the caller closes it."""
    s, banner = smtp_connect(port, timeout=timeout)
    try:
        if not banner.startswith("220 "):
            raise AssertionError("banner: %r" % banner)
        s.sendall(b"EHLO client.example\r\nSTARTTLS\r\n")
        replies = recv_replies(s, 2, timeout)
        if replies[1:] != ["220 2.0.0 Ready to start TLS"] or s._mta_pending:
            raise AssertionError("STARTTLS: %r" % replies)
        return ctx.wrap_socket(s._sock, server_hostname=server_hostname, session=session)
    except BaseException:
        s.close()
        raise


def starttls_injected(test, port, context, source=None):
    """The 2011 STARTTLS command injection against the server on port: EHLO,
    then "STARTTLS\\r\\nRSET\\r\\n" in one write. Checks that the answer in
    plain text is the 220 alone, then completes the handshake with `context`
    and returns the TLS socket (closed when `test` ends): whatever the caller
    sends next must get the first reply over TLS, not the injected RSET."""
    s, banner = smtp_connect(port, source)
    test.addCleanup(s.close)
    test.assertTrue(banner.startswith("220 "), banner)
    s.sendall(b"EHLO client.example\r\n")
    test.assertTrue(recv_replies(s, 1)[0].startswith("250"))
    s.sendall(b"STARTTLS\r\nRSET\r\n")
    test.assertEqual(recv_replies(s, 1), ["220 2.0.0 Ready to start TLS"])
    test.assertEqual(s._mta_pending, b"")
    t = context.wrap_socket(s._sock, server_hostname="mx.example.test")
    test.addCleanup(t.close)
    return t


class _PendingSocket:
    """A socket wrapper that can keep unread bytes between recv_replies calls."""

    def __init__(self, sock):
        self._sock = sock
        self._mta_pending = b""

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._sock.close()


def wait_smtpd(port, host="127.0.0.1", timeout=10):
    """Waits until an SMTP server on host:port answers with a 220 greeting
    (a session that says QUIT right away)."""
    import socket

    def ready():
        try:
            with socket.create_connection((host, port), timeout=2) as s:
                s.settimeout(5)
                if not s.recv(512).startswith(b"220"):
                    return False
                s.sendall(b"QUIT\r\n")
                s.recv(512)
            return True
        except OSError:
            return False
    wait_for(ready, timeout, "an SMTP server on %s:%d" % (host, port))


class ClassScope:
    """What MtaInstance and Dovecot need from a test case (tmp, addCleanup,
    assertEqual, skipTest), for one instance shared by all tests of a class:

        @classmethod
        def setUpClass(cls):
            scope = mtatest.ClassScope(cls)          # scope.tmp: a temporary directory
            cls.inst = mtatest.MtaInstance(scope, ...)

    The instance is stopped (every process checked gone) and the directory
    removed by the class cleanups."""

    def __init__(self, cls):
        self.tmp = tempfile.mkdtemp(prefix="mta-test-")
        self._cls = cls
        self._checks = unittest.TestCase()
        cls.addClassCleanup(shutil.rmtree, self.tmp, True)

    def addCleanup(self, function, *args, **kwargs):
        self._cls.addClassCleanup(function, *args, **kwargs)

    def assertEqual(self, first, second, msg=None):
        self._checks.assertEqual(first, second, msg)

    def skipTest(self, reason):
        raise unittest.SkipTest(reason)


# The services Debian's smtpd needs behind it, for DebianPostfix's master_cf
# (after the smtpd lines): cleanup, rewrite, anvil, postlog and tlsmgr
# (without tlsmgr Debian's smtpd offers no TLS).
DEBIAN_SMTPD_SERVICES = (
    "cleanup unix n - n - 0 cleanup\nrewrite unix - - n - - trivial-rewrite\n"
    "anvil unix - - n - 1 anvil\npostlog unix-dgram n - n - 1 postlogd\n"
    "tlsmgr unix - - n 1000? 1 tlsmgr\n")


class DebianPostfix:
    """A private instance of Debian's own Postfix (the test-only reference
    that `make test` installs), to compare replies with. Needs root (its
    master runs daemons as the postfix user). main_cf is added to a main.cf
    with the instance's own queue, data and log; master_cf is the whole
    master.cf (Debian's daemon names: smtpd, cleanup, trivial-rewrite ...).

        if not mtatest.DebianPostfix.usable(): self.skipTest(...)
        deb = mtatest.DebianPostfix(test, main_cf="mynetworks = 127.0.0.1/32\\n",
                                    master_cf="127.0.0.1:%d inet n - n - - smtpd\\n..." % port)
        if deb.start(): ...

    Stopped with its own `postfix stop` at cleanup; processes still alive
    then are killed and reported."""

    POSTFIX = "/usr/sbin/postfix"
    DAEMONS = "/usr/lib/postfix/sbin"

    @classmethod
    def usable(cls):
        import pwd
        if os.geteuid() != 0 or not os.access(cls.POSTFIX, os.X_OK) \
                or not os.access(os.path.join(cls.DAEMONS, "master"), os.X_OK):
            return False
        try:
            pwd.getpwnam("postfix")
        except KeyError:
            return False
        return True

    def __init__(self, test, name="debian", main_cf="", master_cf=""):
        self.test = test
        self.root = os.path.join(test.tmp, name)
        self.etc = os.path.join(self.root, "etc")
        self.queue = os.path.join(self.root, "queue")
        self.maillog = os.path.join(self.root, "maillog")
        os.makedirs(self.etc)
        os.makedirs(self.queue)
        for d in (test.tmp, self.root):
            os.chmod(d, 0o755)  # the postfix user walks down to its queue
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write("compatibility_level = 3.6\nqueue_directory = %s\ndata_directory = %s/data\n"
                    "command_directory = /usr/sbin\ndaemon_directory = %s\n"
                    "meta_directory = /etc/postfix\nshlib_directory = /usr/lib/postfix\n"
                    "mail_owner = postfix\nsetgid_group = postdrop\ninet_protocols = ipv4\n"
                    "maillog_file = %s\nmaillog_file_prefixes = %s\n%s"
                    % (self.queue, self.root, self.DAEMONS, self.maillog, self.root, main_cf))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(master_cf)
        self.pids = set()
        test.addCleanup(self.cleanup)

    def postfix(self, *args, timeout=60):
        return run([self.POSTFIX, "-c", self.etc] + list(args), timeout=timeout)

    @staticmethod
    def receiving_master_cf(port):
        """A master.cf that only receives: smtpd on 127.0.0.1:PORT, cleanup,
        trivial-rewrite, anvil and postlogd; no qmgr, so accepted mail stays
        in incoming/."""
        return ("127.0.0.1:%d inet n - n - - smtpd\ncleanup unix n - n - 0 cleanup\n"
                "rewrite unix - - n - - trivial-rewrite\nanvil unix - - n - 1 anvil\n"
                "postlog unix-dgram n - n - 1 postlogd\n" % port)

    def start(self):
        """Starts it; False when Debian's Postfix would not start here."""
        if self.postfix("start").rc != 0:
            return False
        try:
            self.pids.add(self.master_pid())
        except (OSError, ValueError):
            return False
        return True

    def master_pid(self):
        with open(os.path.join(self.queue, "pid", "master.pid")) as f:
            return int(f.read().split()[0])

    def log(self):
        return read_log(self.maillog)

    def cleanup(self):
        try:
            master = self.master_pid()
        except (OSError, ValueError):
            master = None
        if master is not None and process_alive(master):
            self.pids.add(master)
            self.pids.update(children_of(master))
            self.postfix("stop")
            wait_for(lambda: not process_alive(master), 30, "Debian's master to exit")
        kill_leftovers(self.test, self.pids)


# --- A private Dovecot (IMAP and/or the auth socket for smtpd's SASL) ---

DOVECOT = "/usr/sbin/dovecot"
DOVECOT_LMTP = "/usr/lib/dovecot/lmtp"


def have_dovecot():
    return os.access(DOVECOT, os.X_OK)


def crypt_password(password, scheme):
    """A Dovecot passdb password: "{SHA512-CRYPT}$6$..." or
    "{MD5-CRYPT}$1$..." (made with openssl passwd), "{PLAIN}..." otherwise."""
    flag = {"SHA512-CRYPT": "-6", "MD5-CRYPT": "-1"}.get(scheme)
    if flag is None:
        return "{%s}%s" % (scheme, password)
    r = run(["openssl", "passwd", flag, password])
    if r.rc != 0:
        raise AssertionError("openssl passwd: %r" % r)
    return "{%s}%s" % (scheme, r.out.strip())


def postfix_user():
    """"postfix" when that user exists (mail_owner for runs as root), else None."""
    import pwd
    try:
        pwd.getpwnam("postfix")
        return "postfix"
    except KeyError:
        return None


class Dovecot:
    """A private Dovecot under DIR (its config, base_dir and log), stopped
    (and waited for) in the test's cleanup.

        d = mtatest.Dovecot(self, os.path.join(self.tmp, "dovecot"),
                            passwd="bob@example.jp:{PLAIN}secret:1000:1000::/nonexistent\\n",
                            auth_socket=inst.queue + "/private/auth")
        d.imap_port                      # with imap=True: IMAP on 127.0.0.1

    passwd: passwd-file lines (user:password:uid:gid::home), used as passdb
    and userdb. sql: instead, an SQL passdb and userdb (dovecot-sql.conf.ext
    under DIR): a dict of its settings, e.g. {"driver": "mysql", "connect":
    "host=/tmp/.../mysqld.sock dbname=postfix user=... password=...",
    "default_pass_scheme": "MD5-CRYPT", "password_query": "SELECT ...",
    "user_query": "SELECT ..."}, as PostfixAdmin's Dovecot set-up has it
    (the driver's module is Debian's dovecot-mysql). auth_socket: a UNIX listener of the auth service at that path,
    mode 0660, owned by socket_user (default: the test's user).
    lmtp_socket: Dovecot's LMTP server (dovecot-lmtpd) on a UNIX listener
    at that path, mode 0666.
    mail_location, extra: more configuration text. Running as root,
    Dovecot's internal and login processes run as dovecot and dovenull;
    without those users the test is skipped."""

    def __init__(self, test, directory, passwd="", auth_socket=None, socket_user=None,
                 imap=False, mail_location=None, sql=None, extra="", lmtp_socket=None):
        import pwd
        import socket
        if not have_dovecot():
            test.skipTest("Dovecot is not installed")
        if lmtp_socket and not os.path.exists(DOVECOT_LMTP):
            test.skipTest("Dovecot's LMTP server (dovecot-lmtpd) is not installed")
        os.makedirs(os.path.join(directory, "run"), exist_ok=True)
        root = os.geteuid() == 0
        me = pwd.getpwuid(os.geteuid()).pw_name
        internal, login = ("dovecot", "dovenull") if root else (me, me)
        for name in (internal, login):
            try:
                pwd.getpwnam(name)
            except KeyError:
                test.skipTest("no %s user for Dovecot" % name)
        passwd_file = os.path.join(directory, "passwd")
        with open(passwd_file, "w") as f:
            f.write(passwd)
        self.imap_port = free_port() if imap else None
        conf = os.path.join(directory, "dovecot.conf")
        self.log_path = os.path.join(directory, "log")
        text = ("base_dir = %s/run\nlisten = 127.0.0.1\nprotocols = %s\n"
                "ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\n"
                "auth_failure_delay = 0\nfirst_valid_uid = 1\n"
                "default_internal_user = %s\ndefault_login_user = %s\nlog_path = %s\n"
                % (directory, " ".join(p for p, on in (("imap", imap), ("lmtp", lmtp_socket)) if on)
                   or "none", internal, login, self.log_path))
        if mail_location:
            text += "mail_location = %s\n" % mail_location
        if imap:
            text += ("service imap-login {\n  inet_listener imap {\n    port = %d\n  }\n}\n"
                     % self.imap_port)
        if lmtp_socket:
            text += ("service lmtp {\n  unix_listener %s {\n    mode = 0666\n  }\n}\n"
                     % lmtp_socket)
        if auth_socket:
            text += ("service auth {\n  unix_listener %s {\n    mode = 0660\n"
                     "    user = %s\n  }\n}\n" % (auth_socket, socket_user or me))
        driver, args = "passwd-file", passwd_file
        if sql:
            driver, args = "sql", os.path.join(directory, "dovecot-sql.conf.ext")
            with open(args, "w") as f:
                f.write("".join("%s = %s\n" % item for item in sql.items()))
        for db in ("passdb", "userdb"):
            text += "%s {\n  driver = %s\n  args = %s\n}\n" % (db, driver, args)
        text += extra
        with open(conf, "w") as f:
            f.write(text)
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        test.addCleanup(self.stop)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("dovecot exited: %s" % self.log())
            try:
                if auth_socket:
                    with socket.socket(socket.AF_UNIX) as s:
                        s.settimeout(0.5)
                        s.connect(auth_socket)
                if imap:
                    socket.create_connection(("127.0.0.1", self.imap_port), 0.5).close()
                if lmtp_socket:
                    with socket.socket(socket.AF_UNIX) as s:
                        s.settimeout(0.5)
                        s.connect(lmtp_socket)
                return True
            except OSError:
                return False
        wait_for(ready, 15, lambda: "dovecot listening; log:\n" + self.log())

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        """Stops Dovecot and waits until its processes (auth, imap ...) are gone."""
        kids = children_of(self.proc.pid) if self.proc.poll() is None else []
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # An auth process serving a client (smtpd) outlives the master: end it
        # too, as a crash or a restart of the whole service would.
        import signal
        for p in kids:
            if process_alive(p):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        wait_for(lambda: not any(process_alive(p) for p in kids), 10, "dovecot's processes to exit")


# --- Certificates made at test time with the openssl command ---

def openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def make_ca(directory, name="ca", cn="Test CA"):
    """NAME.pem and NAME.key in `directory`: a self-signed CA."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
            name + ".pem", "-days", "2", "-subj", "/CN=" + cn, cwd=directory)


def make_cert(directory, name, cn, sans=(), ca="ca", days=2):
    """NAME.pem and NAME.key (mode 0600) in `directory`: a certificate for CN
    with subjectAltNames `sans` ("DNS:x", "IP:127.0.0.1"), signed by the CA
    CA.pem/CA.key there. days=0 makes one that has expired by the time it
    is used."""
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
            name + ".csr", "-subj", "/CN=" + cn, cwd=directory)
    args = ["x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".pem", "-days", str(days)]
    if sans:
        with open(os.path.join(directory, name + ".ext"), "w") as f:
            f.write("subjectAltName = %s\n" % ", ".join(sans))
        args += ["-extfile", name + ".ext"]
    openssl(*args, cwd=directory)
    os.chmod(os.path.join(directory, name + ".key"), 0o600)


def cert_fingerprint(path, digest="sha256"):
    """The certificate's fingerprint as Postfix writes it: "AB:CD:..."."""
    out = openssl("x509", "-in", path, "-noout", "-fingerprint", "-" + digest,
                  cwd=os.path.dirname(path))
    return out.strip().split("=", 1)[1]


# main.cf of the TLS tests: smtpd_tls_security_level = may with the
# certificates of make_certificates in %(dir)s, loglevel 1, Received: clause.
TLS_MAIN_CF = (
    "myhostname = mx.example.test\n"
    "mydestination = $myhostname, localhost\n"
    "mynetworks = 127.0.0.0/8\n"
    "smtpd_peername_lookup = no\n"
    "smtpd_error_sleep_time = 0\n"
    "smtpd_tls_security_level = may\n"
    "smtpd_tls_cert_file = %(dir)s/server.pem\n"
    "smtpd_tls_key_file = %(dir)s/server.key\n"
    "smtpd_tls_loglevel = 1\n"
    "smtpd_tls_received_header = yes\n"
)


def make_certificates(directory):
    """In `directory` (made if missing): ca.pem and ca.key (a CA), server.pem
    (CN and DNS name mx.example.test, IP address 127.0.0.1, signed by the CA)
    and server.key (mode 0600); returns `directory`."""
    os.makedirs(directory, exist_ok=True)
    make_ca(directory)
    make_cert(directory, "server", "mx.example.test", sans=("DNS:mx.example.test", "IP:127.0.0.1"))
    return directory


def make_client_certificates(directory):
    """After make_certificates: client.pem/client.key (CN client.example,
    signed by the CA) and self.pem/self.key (self-signed, CN self.example)
    in `directory`."""
    make_cert(directory, "client", "client.example")
    make_ca(directory, "self", "self.example")


# --- The main.cf of examples/virtual-hosting (test_virtual_hosting, test_submission) ---

def virtual_hosting_main_cf(sql_dir, vmail, uid, certs=None):
    """The example's main.cf with its paths moved into the test's directory:
    the query files in sql_dir, the mailboxes under vmail belonging to uid.
    Without certs, the part before SMTP AUTH and, of the rest, only the
    recipient restrictions; with certs (a make_certificates directory) the
    whole file, its certificate, key and session cache there."""
    with open(os.path.join(EXAMPLES, "virtual-hosting", "main.cf")) as f:
        text = f.read()
    if certs is None:
        head, sasl = text.split("# SMTP AUTH")
        text = head + "".join(l + "\n" for l in sasl.splitlines()
                              if l.startswith("smtpd_recipient_restrictions"))
    else:
        text = text.replace("/etc/pki/dovecot/certs/dovecot.pem", os.path.join(certs, "server.pem"))
        text = text.replace("/etc/pki/dovecot/private/dovecot.pem",
                            os.path.join(certs, "server.key"))
        text = text.replace("/etc/postfix/smtpd_scache", os.path.join(certs, "smtpd_scache"))
    text = text.replace("/etc/postfix/sql", sql_dir).replace("/var/spool/virtual", vmail)
    text = text.replace("static:10000", "static:%d" % uid)
    # Settings of the machine, not of the example: the instance's own names.
    text = text.replace("inet_interfaces = all", "")
    # Postfix runs a main.cf without compatibility_level with its backwards-
    # compatible defaults: no smtpd_relay_restrictions, so the example's
    # recipient restrictions decide relaying (554 5.7.1). Ours start at level
    # 3.6 (README), so the test says so explicitly.
    return text + "smtpd_relay_restrictions =\n"

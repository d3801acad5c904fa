"""System tests of the daemon skeletons (server/single_server, multi_server,
trigger_server), maillog and postlogd, with master emulated here: each test
sets up the lifeline (fd 3), the status pipe (fd 4), the flow-control pipe
(fds 5 and 6) and the listeners (fd 7..)
the way global/master_proto.h says, and runs the test daemons of
tests/daemons/ and postlogd."""
import fcntl
import os
import re
import select
import signal
import socket
import struct
import threading
import time
import unittest

import mtatest

AVAILABLE, TAKEN = 1, 2
GENERATION = 7


wait_for = mtatest.wait_for


def high_fd(fd):
    """A close-on-exec copy of fd numbered 20 or more, so that the dup2
    actions onto 3, 4, 5 ... never clobber a source descriptor."""
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 20)


class Child:
    """One daemon started as master starts it; killed by PID in cleanup."""

    def __init__(self, test, program, args, listeners, config_dir, name="child"):
        self.test = test
        life_r, self.life_w = os.pipe()
        self.stat_r, stat_w = os.pipe()
        os.set_blocking(self.stat_r, False)
        self.stderr_path = os.path.join(test.tmp, "%s-%d.stderr" % (name, len(test.children)))
        flow_r, flow_w = os.pipe()
        os.set_blocking(flow_r, False)
        os.set_blocking(flow_w, False)
        sources = ([high_fd(life_r), high_fd(stat_w), high_fd(flow_r), high_fd(flow_w)]
                   + [high_fd(fd) for fd in listeners])
        actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 2, self.stderr_path,
                    os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
        for i, fd in enumerate(sources):
            actions.append((os.POSIX_SPAWN_DUP2, fd, 3 + i))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MAIL_CONFIG": config_dir,
               "MASTER_GENERATION": str(GENERATION)}
        argv = [program, "-n", name] + list(args)
        if not any(a == "-s" for a in args):
            argv += ["-s", str(len(listeners))]
        self.pid = os.posix_spawn(program, argv, env, file_actions=actions)
        for fd in sources + [life_r, stat_w, flow_r, flow_w]:
            os.close(fd)
        self.rc = None
        test.children.append(self)
        test.addCleanup(self.kill)

    def status(self, timeout=10):
        """The next StatusMessage as (pid, generation, status)."""
        r, _, _ = select.select([self.stat_r], [], [], timeout)
        if not r:
            raise AssertionError("no status message from pid %d" % self.pid)
        data = os.read(self.stat_r, 12)
        self.test.assertEqual(len(data), 12)
        return struct.unpack("=iii", data)

    def expect_status(self, want, timeout=10):
        pid, gen, st = self.status(timeout)
        self.test.assertEqual((pid, gen, st), (self.pid, GENERATION, want))

    def no_status(self, wait=0.2):
        r, _, _ = select.select([self.stat_r], [], [], wait)
        if r:  # readable: a message, or end of file once the child is gone
            self.test.assertEqual(os.read(self.stat_r, 12), b"", "unexpected status message")

    def close_lifeline(self):
        if self.life_w is not None:
            os.close(self.life_w)
            self.life_w = None

    def poll(self):
        if self.rc is None:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.rc = os.waitstatus_to_exitcode(st)
        return self.rc

    def wait(self, timeout=10):
        wait_for(lambda: self.poll() is not None, timeout, "exit of pid %d" % self.pid)
        return self.rc

    def running(self):
        return self.poll() is None

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def kill(self):
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.rc = -9
        self.close_lifeline()
        if self.stat_r is not None:
            os.close(self.stat_r)
            self.stat_r = None


class SkeletonTest(mtatest.TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.children = []
        self.queue = os.path.join(self.tmp, "queue")
        os.makedirs(os.path.join(self.queue, "public"))
        self.maillog = os.path.join(self.tmp, "maillog")
        self.config(maillog=True)

    def config(self, maillog=True, extra=""):
        text = "queue_directory = %s\n" % self.queue
        if maillog:
            text += "maillog_file = %s\nmaillog_file_prefixes = %s\n" % (self.maillog, self.tmp)
        self.etc = self.make_config(text + extra, master_cf="")

    def unix_listener(self, name, kind=socket.SOCK_STREAM):
        path = os.path.join(self.tmp, name)
        s = socket.socket(socket.AF_UNIX, kind)
        s.bind(path)
        if kind == socket.SOCK_STREAM:
            s.listen(64)
        self.addCleanup(s.close)
        return s, path

    def connect(self, path):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(10)
        c.connect(path)
        self.addCleanup(c.close)
        return c

    def start(self, daemon, listeners, args=(), name="echo", program=None):
        prog = program or mtatest.test_daemon(daemon)
        return Child(self, prog, list(args), [s.fileno() for s in listeners], self.etc, name)

    def maillog_text(self):
        if not os.path.exists(self.maillog):
            return ""
        with open(self.maillog) as f:
            return f.read()


class SingleServerTest(SkeletonTest):

    def echo(self, conn, line):
        conn.sendall(line.encode() + b"\n")
        f = conn.makefile("rb")
        return f.readline().decode().rstrip("\n")

    def test_echo_status_and_reuse(self):
        lsock, path = self.unix_listener("echo.sock")
        child = self.start("echo-single", [lsock], ["-t", "unix"])
        child.expect_status(AVAILABLE)
        for round in range(2):
            c = self.connect(path)
            self.assertEqual(self.echo(c, "hello %d" % round), "%d echo: hello %d" % (child.pid, round))
            child.expect_status(TAKEN)
            self.assertEqual(self.echo(c, "again"), "%d echo: again" % child.pid)
            c.close()
            child.expect_status(AVAILABLE)
        self.assertTrue(child.running())
        # The daemon logged through maillog (no postlogd: direct appends).
        wait_for(lambda: self.maillog_text().count("client done: 2 lines") == 2, what="log lines")
        self.assertRegex(self.maillog_text(),
                         r"(?m)^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ postfix/echo-single\[%d\]: "
                         r"client done: 2 lines$" % child.pid)

    def test_max_use_exit(self):
        lsock, path = self.unix_listener("echo.sock")
        child = self.start("echo-single", [lsock], ["-o", "max_use=2"])
        child.expect_status(AVAILABLE)
        for i in range(2):
            c = self.connect(path)
            self.assertTrue(self.echo(c, "x").endswith("echo: x"))
            c.close()
            child.expect_status(TAKEN)
            if i == 0:
                child.expect_status(AVAILABLE)
        self.assertEqual(child.wait(), 0)
        child.no_status(0)  # no "available" before exiting

    def test_max_idle_exit(self):
        lsock, _ = self.unix_listener("echo.sock")
        child = self.start("echo-single", [lsock], ["-o", "max_idle=1"])
        child.expect_status(AVAILABLE)
        start = time.monotonic()
        self.assertEqual(child.wait(10), 0)
        self.assertGreaterEqual(time.monotonic() - start, 0.5)

    def test_lifeline_eof_finishes_client(self):
        lsock, path = self.unix_listener("echo.sock")
        child = self.start("echo-single", [lsock])
        child.expect_status(AVAILABLE)
        c = self.connect(path)
        self.assertTrue(self.echo(c, "one").endswith("echo: one"))
        child.close_lifeline()
        time.sleep(0.2)
        self.assertTrue(child.running(), "exited in the middle of a client")
        self.assertTrue(self.echo(c, "two").endswith("echo: two"))
        c.close()
        self.assertEqual(child.wait(), 0)

    def test_lifeline_eof_when_idle(self):
        lsock, _ = self.unix_listener("echo.sock")
        child = self.start("echo-single", [lsock])
        child.expect_status(AVAILABLE)
        child.close_lifeline()
        self.assertEqual(child.wait(), 0)

    def test_two_children_share_a_listener(self):
        lsock, path = self.unix_listener("echo.sock")
        a = self.start("echo-single", [lsock])
        b = self.start("echo-single", [lsock])
        a.expect_status(AVAILABLE)
        b.expect_status(AVAILABLE)
        c1 = self.connect(path)
        r1 = self.echo(c1, "1")
        c2 = self.connect(path)
        r2 = self.echo(c2, "2")
        pids = {int(r1.split()[0]), int(r2.split()[0])}
        self.assertEqual(pids, {a.pid, b.pid})

    def test_inet_listener_and_syslog_name(self):
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(4)
        self.addCleanup(lsock.close)
        child = self.start("echo-single", [lsock], ["-t", "inet", "-o",
                           "syslog_name=postfix/$service_name"], name="127.0.0.1:2525")
        child.expect_status(AVAILABLE)
        c = socket.create_connection(lsock.getsockname(), timeout=10)
        self.addCleanup(c.close)
        self.assertEqual(self.echo(c, "hi"), "%d 127.0.0.1:2525: hi" % child.pid)
        c.close()
        wait_for(lambda: "postfix/127.0.0.1:2525/echo-single[%d]: client done" % child.pid
                 in self.maillog_text(), what="log line with syslog_name")

    def test_standalone(self):
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        proc = mtatest.subprocess.Popen([mtatest.test_daemon("echo-single"), "-S", "-n", "solo"],
                                        stdin=b, stdout=b, stderr=mtatest.subprocess.PIPE,
                                        env={"MAIL_CONFIG": self.etc})
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        b.close()
        a.settimeout(10)
        a.sendall(b"ping\n")
        self.assertEqual(a.makefile("rb").readline(), b"%d solo: ping\n" % proc.pid)
        a.shutdown(socket.SHUT_WR)
        self.assertEqual(proc.wait(10), 0)
        proc.stderr.close()

    def run_bad(self, args, env=None):
        full = {"MAIL_CONFIG": self.etc}
        full.update(env or {})
        return mtatest.run([mtatest.test_daemon("echo-single")] + args, env=full)

    def test_command_line_errors(self):
        rows = [
            ("unknown option", ["-Z"], "echo-single: fatal: invalid option -- 'Z'\n"),
            ("missing value", ["-n"], "echo-single: fatal: option requires an argument -- 'n'\n"),
            ("bad type", ["-t", "tcp"], "echo-single: fatal: unknown service type: \"tcp\"\n"),
            ("bad -o", ["-o", "novalue"],
             "echo-single: fatal: bad -o argument: \"novalue\" (want name=value)\n"),
            ("no master", ["-n", "x"],
             "echo-single: fatal: not started by master (descriptor 4 is not open); "
             "use -S to serve standard input\n"),
        ]
        for name, args, want in rows:
            with self.subTest(name):
                r = self.run_bad(args)
                self.assertEqual(r.rc, 1, r)
                self.assertEqual(r.err, want)

    def test_unsupported_type(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        self.config(maillog=False)
        child = Child(self, mtatest.test_daemon("echo-single"), ["-t", "fifo"], [r], self.etc, "x")
        self.assertEqual(child.wait(), 1)
        # Daemon logging goes to syslog (stderr is not a terminal), so only
        # the exit status is checked here; the fatal text is tested below.

    def test_fatal_at_start_is_logged(self):
        lsock, _ = self.unix_listener("echo.sock")
        child = self.start("echo-single", [lsock], ["-o", "test_fail_start=yes"])
        self.assertEqual(child.wait(), 1)
        self.assertIn("postfix/echo-single[%d]: fatal: test_fail_start is set" % child.pid,
                      self.maillog_text())

    def test_missing_queue_directory(self):
        lsock, _ = self.unix_listener("echo.sock")
        child = self.start("echo-single", [lsock], ["-o", "queue_directory=/nonexistent/q"])
        self.assertEqual(child.wait(), 1)
        self.assertIn("fatal: chdir(/nonexistent/q): No such file or directory",
                      self.maillog_text())

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_privileges(self):
        import pwd
        lsock, path = self.unix_listener("echo.sock")
        bad = self.start("echo-single", [lsock], ["-u", "-o", "mail_owner=nosuchuser42"])
        self.assertEqual(bad.wait(), 1)
        self.assertIn("fatal: file %s/main.cf: parameter mail_owner: unknown user name value: "
                      "nosuchuser42" % self.etc, self.maillog_text())
        try:
            owner = pwd.getpwnam("postfix")
        except KeyError:
            self.skipTest("no postfix user")
        os.chmod(self.tmp, 0o755)
        os.chmod(self.maillog, 0o666)
        for args, uid in ((["-u", "-o", "mail_owner=postfix"], owner.pw_uid), ([], 0)):
            child = self.start("echo-single", [lsock], args)
            child.expect_status(AVAILABLE)
            with open("/proc/%d/status" % child.pid) as f:
                uids = re.search(r"(?m)^Uid:\s+(\d+)\s+(\d+)\s+(\d+)", f.read()).groups()
            self.assertEqual(uids, (str(uid),) * 3)
            child.kill()


class MultiServerTest(SkeletonTest):

    def request(self, conn, reader, pairs):
        conn.sendall(mtatest.attr_encode(pairs))
        return mtatest.attr_read(reader)

    def test_many_clients_many_rounds(self):
        lsock, path = self.unix_listener("multi.sock")
        child = self.start("echo-multi", [lsock], name="multi")
        child.expect_status(AVAILABLE)
        conns = []
        for i in range(20):
            c = self.connect(path)
            conns.append((c, c.makefile("rb")))
        for rnd in range(5):
            for i, (c, f) in enumerate(conns):
                c.sendall(mtatest.attr_encode({"line": "c%d r%d" % (i, rnd)}))
            for i, (c, f) in enumerate(conns):
                self.assertEqual(mtatest.attr_read(f),
                                 {"reply": b"%d multi: c%d r%d" % (child.pid, i, rnd)})
        # Pipelined requests on one connection are answered in order.
        c, f = conns[0]
        c.sendall(b"".join(mtatest.attr_encode({"line": str(n)}) for n in range(50)))
        for n in range(50):
            self.assertEqual(mtatest.attr_read(f)["reply"], b"%d multi: %d" % (child.pid, n))
        self.assertTrue(child.running())

    def test_bad_request_drops_connection_only(self):
        lsock, path = self.unix_listener("multi.sock")
        child = self.start("echo-multi", [lsock], name="multi")
        good = self.connect(path)
        gf = good.makefile("rb")
        rows = [("unknown attribute", {"bogus": "1"}, "unknown attribute: bogus"),
                ("malformed", b"Line=1:x\n\n", "")]
        for name, req, logged in rows:
            with self.subTest(name):
                bad = self.connect(path)
                bad.sendall(req if isinstance(req, bytes) else mtatest.attr_encode(req))
                self.assertIsNone(mtatest.attr_read(bad.makefile("rb")))  # closed
                if logged:
                    wait_for(lambda: "warning: multi: connection" in self.maillog_text()
                             and logged in self.maillog_text(), what="warning")
        self.assertEqual(self.request(good, gf, {"line": "still"}),
                         {"reply": b"%d multi: still" % child.pid})

    def test_max_use_waits_for_last_client(self):
        lsock, path = self.unix_listener("multi.sock")
        child = self.start("echo-multi", [lsock], ["-o", "max_use=2"], name="multi")
        a = self.connect(path)
        af = a.makefile("rb")
        b = self.connect(path)
        bf = b.makefile("rb")
        self.request(a, af, {"line": "a"})
        self.request(b, bf, {"line": "b"})
        af.close()
        a.close()
        time.sleep(0.2)
        self.assertTrue(child.running())
        self.assertEqual(self.request(b, bf, {"line": "b2"})["reply"],
                         b"%d multi: b2" % child.pid)
        bf.close()
        b.close()
        self.assertEqual(child.wait(), 0)

    def test_max_idle(self):
        lsock, path = self.unix_listener("multi.sock")
        child = self.start("echo-multi", [lsock], ["-o", "max_idle=1"], name="multi")
        c = self.connect(path)
        f = c.makefile("rb")
        time.sleep(1.5)  # a connected client, even silent, keeps it alive
        self.assertTrue(child.running())
        self.request(c, f, {"line": "x"})
        f.close()
        c.close()
        self.assertEqual(child.wait(10), 0)

    def test_lifeline_drain(self):
        lsock, path = self.unix_listener("multi.sock")
        child = self.start("echo-multi", [lsock], name="multi")
        idle = self.connect(path)
        busy = self.connect(path)
        bf = busy.makefile("rb")
        self.request(idle, idle.makefile("rb"), {"line": "x"})
        whole = mtatest.attr_encode({"line": "half done"})
        busy.sendall(whole[:5])  # a request in progress
        time.sleep(0.1)
        child.close_lifeline()
        # The idle connection is closed at once; the busy one gets its answer.
        self.assertEqual(idle.recv(10), b"")
        self.assertTrue(child.running())
        busy.sendall(whole[5:])
        self.assertEqual(mtatest.attr_read(bf), {"reply": b"%d multi: half done" % child.pid})
        self.assertIsNone(mtatest.attr_read(bf))
        self.assertEqual(child.wait(), 0)

    def test_request_exit(self):
        lsock, path = self.unix_listener("multi.sock")
        child = self.start("echo-multi", [lsock], name="multi")
        c = self.connect(path)
        f = c.makefile("rb")
        self.assertEqual(self.request(c, f, {"exit": "yes"}), {"reply": b"bye"})
        self.assertIsNone(mtatest.attr_read(f))
        self.assertEqual(child.wait(), 0)


class TriggerServerTest(SkeletonTest):

    def trigger_lines(self):
        path = os.path.join(self.tmp, "triggers")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return f.read().splitlines()

    def start_trigger(self, listeners, kind, args=()):
        return self.start("trigger-log", listeners,
                          ["-t", kind, "-o", "test_trigger_log=%s/triggers" % self.tmp] + list(args),
                          name="pickup")

    def test_unix_trigger(self):
        lsock, path = self.unix_listener("pickup.sock")
        child = self.start_trigger([lsock], "unix")
        child.expect_status(AVAILABLE)
        for byte in (b"W", b"F\x01"):
            c = self.connect(path)
            c.sendall(byte)
            self.assertEqual(c.recv(1), b"")  # the server closes after the trigger
            c.close()
            child.expect_status(TAKEN)
            child.expect_status(AVAILABLE)
        self.assertEqual(self.trigger_lines(), ["%d: trigger W" % child.pid,
                                                "%d: trigger F" % child.pid,
                                                "%d: trigger \\001" % child.pid])

    def test_fifo_trigger_and_max_use(self):
        fifo = os.path.join(self.tmp, "qmgr.fifo")
        os.mkfifo(fifo)
        fd = os.open(fifo, os.O_RDWR)  # as master does: never EOF
        self.addCleanup(os.close, fd)
        child = Child(self, mtatest.test_daemon("trigger-log"),
                      ["-t", "fifo", "-o", "test_trigger_log=%s/triggers" % self.tmp,
                       "-o", "max_use=2"], [fd], self.etc, "qmgr")
        child.expect_status(AVAILABLE)
        w = os.open(fifo, os.O_WRONLY)
        self.addCleanup(os.close, w)
        os.write(w, b"S")
        child.expect_status(TAKEN)
        child.expect_status(AVAILABLE)
        os.write(w, b"W")
        self.assertEqual(child.wait(), 0)
        self.assertEqual(self.trigger_lines(), ["%d: trigger S" % child.pid,
                                                "%d: trigger W" % child.pid])

    def test_dgram_trigger_timer_and_lifeline(self):
        lsock, path = self.unix_listener("dgram.sock", socket.SOCK_DGRAM)
        child = self.start_trigger([lsock], "unix-dgram", ["-o", "test_timer=1"])
        child.expect_status(AVAILABLE)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(s.close)
        s.sendto(b"W", path)
        wait_for(lambda: "%d: trigger W" % child.pid in self.trigger_lines(), what="trigger")
        wait_for(lambda: "%d: timer" % child.pid in self.trigger_lines(), what="timer")
        child.close_lifeline()
        self.assertEqual(child.wait(), 0)

    def test_idle_exit_ignores_own_timers(self):
        lsock, _ = self.unix_listener("pickup.sock")
        child = self.start_trigger([lsock], "unix", ["-o", "max_idle=1", "-o", "test_timer=1"])
        self.assertEqual(child.wait(10), 0)

    def test_missing_parameter(self):
        lsock, _ = self.unix_listener("pickup.sock")
        child = self.start("trigger-log", [lsock], ["-t", "unix"], name="pickup")
        self.assertEqual(child.wait(), 1)
        self.assertIn("fatal: test_trigger_log is not set", self.maillog_text())


class PostlogdTest(SkeletonTest):

    def start_postlogd(self):
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        path = os.path.join(self.queue, "public", "postlog")
        lsock.bind(path)
        self.addCleanup(lsock.close)
        self.listeners = [lsock]
        child = self.start(None, [lsock], ["-t", "unix-dgram"], name="postlog",
                           program=mtatest.program("postlogd"))
        child.expect_status(AVAILABLE)
        return child, path

    def test_concurrent_senders_never_interleave(self):
        child, path = self.start_postlogd()
        senders, per_sender = 8, 300

        def send(i):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.connect(path)
            for j in range(per_sender):
                body = "sender %d line %d %s end" % (i, j, chr(ord("a") + i) * ((j * 37) % 3000))
                while True:
                    try:
                        s.send(body.encode())
                        break
                    except BlockingIOError:
                        time.sleep(0.001)
            s.close()

        threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = senders * per_sender
        wait_for(lambda: len(re.findall(r"(?m)^sender ", self.maillog_text())) >= total,
                 what="all lines")
        lines = [l for l in self.maillog_text().splitlines() if l.startswith("sender ")]
        self.assertEqual(len(lines), total)
        seen = set()
        for line in lines:
            m = re.fullmatch(r"sender (\d) line (\d+) ([a-z]*) end", line)
            self.assertIsNotNone(m, "mangled line: %r" % line[:80])
            i, j = int(m.group(1)), int(m.group(2))
            self.assertEqual(m.group(3), chr(ord("a") + i) * ((j * 37) % 3000))
            seen.add((i, j))
        self.assertEqual(len(seen), total)
        self.assertTrue(child.running())  # max_use does not apply to postlogd

    def test_daemon_logs_through_postlogd(self):
        postlogd, _ = self.start_postlogd()
        lsock, path = self.unix_listener("echo.sock")
        # The daemon's own maillog_file differs from postlogd's, so the file
        # a line lands in tells whether it went through postlogd.
        direct = os.path.join(self.tmp, "direct-log")
        echo = self.start("echo-single", [lsock], ["-o", "maillog_file=" + direct])
        echo.expect_status(AVAILABLE)

        def client_done(n):
            c = self.connect(path)
            c.close()
            return "postfix/echo-single[%d]: client done: 0 lines" % echo.pid

        def count(text, file):
            if not os.path.exists(file):
                return 0
            with open(file) as f:
                return f.read().count(text)

        line = client_done(1)
        wait_for(lambda: count(line, self.maillog) == 1, what="log line via postlogd")
        # postlogd stopped: lines wait in the socket queue (or, when it is
        # full, go to the file directly); none is lost.
        os.kill(postlogd.pid, signal.SIGSTOP)
        self.addCleanup(lambda: postlogd.poll() is None and os.kill(postlogd.pid, signal.SIGCONT))
        for _ in range(3):
            client_done(1)
        os.kill(postlogd.pid, signal.SIGCONT)
        wait_for(lambda: count(line, self.maillog) + count(line, direct) == 4, what="4 lines")
        # No postlogd socket at all: direct appends.
        postlogd.kill()
        for s in [x for x in self.listeners if x.type == socket.SOCK_DGRAM]:
            s.close()
        client_done(1)
        wait_for(lambda: count(line, self.maillog) + count(line, direct) == 5, what="5 lines")
        self.assertGreaterEqual(count(line, direct), 1)

    def test_lifeline_writes_queued_lines(self):
        child, path = self.start_postlogd()
        os.kill(child.pid, signal.SIGSTOP)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(s.close)
        for n in range(8):  # the queue may hold only 10 (net.unix.max_dgram_qlen)
            s.sendto(b"queued %d\n" % n, path)
        child.close_lifeline()
        os.kill(child.pid, signal.SIGCONT)
        self.assertEqual(child.wait(), 0)
        lines = [l for l in self.maillog_text().splitlines() if l.startswith("queued")]
        self.assertEqual(lines, ["queued %d" % n for n in range(8)])

    def test_reopens_rotated_file(self):
        child, path = self.start_postlogd()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(s.close)
        s.sendto(b"before", path)
        wait_for(lambda: "before" in self.maillog_text(), what="first line")
        os.rename(self.maillog, self.maillog + ".1")

        def after_in_new_file():
            s.sendto(b"after", path)
            return "after" in self.maillog_text()
        wait_for(after_in_new_file, timeout=10, what="line in the new file")

    def test_prefix_check(self):
        self.config(extra="maillog_file_prefixes = /var\n")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        lsock.bind(os.path.join(self.queue, "public", "postlog"))
        self.addCleanup(lsock.close)
        child = self.start(None, [lsock], ["-t", "unix-dgram"], name="postlog",
                           program=mtatest.program("postlogd"))
        self.assertEqual(child.wait(), 1)
        self.assertIn("postlogd: fatal: maillog_file value '%s' does not match any prefix in "
                      "maillog_file_prefixes (/var)" % self.maillog, child.stderr())
        self.assertFalse(os.path.exists(self.maillog))


if __name__ == "__main__":
    unittest.main()

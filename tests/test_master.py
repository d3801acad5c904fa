"""System tests of master and the postfix command (issue 4): real instances
in temporary directories, started and stopped with `postfix -c DIR`, serving
the test daemons of tests/daemons/ (echo-single, trigger-log) on free ports.
Every process an instance ever ran is checked gone (by PID) in cleanup."""
import os
import re
import signal
import socket
import stat
import time
import unittest

import mtatest

POSTFIX = mtatest.program("postfix")
ECHO = mtatest.test_daemon("echo-single")
TRIGGER = mtatest.test_daemon("trigger-log")


wait_for = mtatest.wait_for
alive = mtatest.process_alive


free_port = mtatest.free_port
children_of = mtatest.children_of


class Instance(mtatest.MtaInstance):
    """An mtatest.MtaInstance whose master.cf the test writes verbatim."""

    def __init__(self, test, name, master_cf, extra_main=""):
        super().__init__(test, name=name, main_cf=extra_main)
        self.write_master_cf(master_cf)

    def write_master_cf(self, text):
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(text)

    def reload_and_wait(self):
        self.reload()


def connect(port, timeout=10):
    """A connection to port; refused ones are tried again until `timeout`
    (master logs a reload before it opens the new listeners)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def talk(conn, line, timeout=10):
    """Sends a line to echo-single and returns (pid, service, text)."""
    conn.settimeout(timeout)
    conn.sendall(line.encode() + b"\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("connection closed; got %r" % data)
        data += chunk
    m = re.match(r"(\d+) (\S+): (.*)\n", data.decode())
    return int(m.group(1)), m.group(2), m.group(3)


class MasterTest(mtatest.TempDirTestCase):

    def instance(self, master_cf, name="inst", extra_main=""):
        return Instance(self, name, master_cf, extra_main)

    def test_spawn_on_demand_never_beyond_maxproc(self):
        port = free_port()
        inst = self.instance("%d inet n n n - 3 %s\n" % (port, ECHO))
        inst.start()
        self.assertIn("daemon started -- version", inst.log())
        self.assertEqual(inst.children(), [], "children before any client")
        conns = [connect(port) for _ in range(5)]
        for i, c in enumerate(conns):
            c.sendall(b"hello %d\n" % i)
        # Three are served at once; the other two wait in the backlog.
        served = {}
        for i, c in enumerate(conns[:5]):
            c.settimeout(0.5 if len(served) >= 3 else 10)
            try:
                data = c.recv(4096).decode()
            except socket.timeout:
                continue
            served[i] = int(data.split()[0])
        self.assertEqual(len(set(served.values())), 3, served)
        self.assertLessEqual(len(inst.children()), 3)
        # Closing served clients lets the waiting ones in, on the same processes.
        pids = set(served.values())
        for i in served:
            conns[i].close()
        for i, c in enumerate(conns):
            if i in served:
                continue
            c.settimeout(10)
            pid = int(c.recv(4096).decode().split()[0])
            pids.add(pid)
            self.assertLessEqual(len(inst.children()), 3)
            c.close()
        self.assertEqual(len(pids), 3, pids)
        inst.wait_log(r"has reached its process limit \"3\"")

    def test_idle_child_exits_after_max_idle(self):
        port = free_port()
        inst = self.instance("%d inet n n n - - %s -o max_idle=1s\n" % (port, ECHO))
        inst.start()
        c = connect(port)
        pid, service, text = talk(c, "ping")
        self.assertEqual((service, text), (str(port), "ping"))
        inst.pids.add(pid)
        c.close()
        wait_for(lambda: not alive(pid), 10, "idle child %d to exit" % pid)
        self.assertEqual(inst.children(), [])
        # The next client gets a new process.
        c = connect(port)
        pid2, _, _ = talk(c, "again")
        inst.pids.add(pid2)
        self.assertNotEqual(pid2, pid)
        c.close()

    def test_child_environment(self):
        port = free_port()
        inst = self.instance("%d inet n n n - 1 %s\n" % (port, ECHO),
                             extra_main="import_environment = MAIL_CONFIG TZ MTA_KEEP FOO=bar\n")
        r = mtatest.run([POSTFIX, "-c", inst.etc, "start"],
                        env={"MTA_KEEP": "kept", "MTA_DROP": "dropped"})
        self.assertEqual(r.rc, 0, r)
        c = connect(port)
        pid = talk(c, "env")[0]
        inst.pids.add(pid)
        with open("/proc/%d/environ" % pid, "rb") as f:
            env = dict(e.split("=", 1) for e in f.read().decode().split("\0") if "=" in e)
        c.close()
        self.assertEqual(env.get("MTA_KEEP"), "kept")
        self.assertEqual(env.get("FOO"), "bar")
        self.assertNotIn("MTA_DROP", env)
        self.assertEqual(env.get("MAIL_CONFIG"), inst.etc)
        self.assertRegex(env.get("MASTER_GENERATION", ""), r"^\d+$")
        self.assertEqual(mtatest.argv(pid), [ECHO, "-n", str(port), "-t", "inet", "-s", "1"])

    def test_killed_child_is_replaced(self):
        port = free_port()
        inst = self.instance("%d inet n n n - 1 %s\n" % (port, ECHO))
        inst.start()
        c = connect(port)
        pid, _, _ = talk(c, "one")
        inst.pids.add(pid)
        os.kill(pid, signal.SIGKILL)
        inst.wait_log(r"warning: process %s pid %d killed by signal 9" % (re.escape(ECHO), pid))
        c.close()
        c = connect(port)
        pid2, _, text = talk(c, "two")
        inst.pids.add(pid2)
        self.assertEqual(text, "two")
        self.assertNotEqual(pid2, pid)
        c.close()
        self.assertNotIn("bad command startup", inst.log())

    def test_killed_postlogd_is_replaced_at_once(self):
        # postlogd reports only its first log line to master (never_busy);
        # that one report must keep a killed postlogd from counting as a
        # bad command startup, whose service would be throttled for a
        # minute with the log lines waiting.
        extra = ""
        if os.geteuid() == 0:  # postlogd refuses a privileged mail_owner
            import pwd
            try:
                pwd.getpwnam("postfix")
            except KeyError:
                self.skipTest("runs as root without a postfix user")
            extra = "mail_owner = postfix\n"
        port = free_port()
        inst = self.instance("%d inet n n n - 1 %s\npostlog unix-dgram n - n - 1 %s\n"
                             % (port, ECHO, mtatest.program("postlogd")), extra_main=extra)
        inst.start()
        inst.wait_log(r"daemon started")
        c = connect(port)
        inst.pids.add(talk(c, "one")[0])
        c.close()
        # "daemon started" went to the file directly (master logs it before
        # the postlog socket exists); the echo child's line is postlogd's
        # first request, which must be taken before the kill, or the kill
        # is a bad command startup indeed.
        inst.wait_log(r"client done: 1 lines")
        logger = wait_for(lambda: inst.children_named("postlogd"),
                          what=lambda: "postlogd; log:\n" + inst.log())[0]
        os.kill(logger, signal.SIGKILL)
        # master's warning reaches the file only through a new postlogd.
        inst.wait_log(r"warning: process \S*postlogd pid %d killed by signal 9" % logger)
        self.assertNotIn("bad command startup", inst.log())

    def test_failing_command_is_throttled(self):
        port = free_port()
        inst = self.instance("%d inet n n n - 1 /bin/false\n" % port,
                             extra_main="service_throttle_time = 1s\n")
        inst.start()
        c = connect(port)  # waits in the backlog: master keeps trying
        inst.wait_log(r"warning: /bin/false: bad command startup -- throttling")
        self.assertRegex(inst.log(), r"warning: process /bin/false pid \d+ exit status 1")
        time.sleep(4)  # a measurement window, not a synchronisation
        spawns = len(re.findall(r"process /bin/false pid \d+ exit status 1", inst.log()))
        # One try per throttle period (1s): about 5, never a flood.
        self.assertGreaterEqual(spawns, 2, inst.log())
        self.assertLessEqual(spawns, 7, inst.log())
        c.close()

    def test_reload_adds_removes_changes_without_dropping(self):
        keep, gone, new = free_port(), free_port(), free_port()
        inst = self.instance("%d inet n n n - 2 %s\n%d inet n n n - 1 %s\n"
                             % (keep, ECHO, gone, ECHO))
        inst.start()
        c = connect(keep)
        pid, _, _ = talk(c, "before")
        inst.pids.add(pid)
        g = connect(gone)
        gpid, _, _ = talk(g, "x")
        inst.pids.add(gpid)
        g.close()
        # Change "keep" (maxproc, an override), drop "gone", add a TCP and a
        # public unix service.
        inst.write_master_cf("%d inet n n n - 3 %s -o test_x=1\n%d inet n n n - 1 %s\n"
                             "added unix n n n - 1 %s\n" % (keep, ECHO, new, ECHO, ECHO))
        inst.reload_and_wait()
        # The connection in progress goes on, on the same process.
        self.assertEqual(talk(c, "after")[0], pid)
        self.assertEqual(talk(c, "still")[0], pid)
        # The new services answer.
        n = connect(new)
        npid, service, _ = talk(n, "new")
        inst.pids.add(npid)
        self.assertEqual(service, str(new))
        n.close()
        u = socket.socket(socket.AF_UNIX)
        u.settimeout(10)
        u.connect(os.path.join(inst.queue, "public", "added"))
        upid, service, _ = talk(u, "unix")
        inst.pids.add(upid)
        self.assertEqual(service, "added")
        u.close()
        # The removed one refuses once its idle child is gone.
        wait_for(lambda: not alive(gpid), 10, "child of removed service to exit")

        def refused():
            try:
                socket.create_connection(("127.0.0.1", gone), timeout=2).close()
                return False
            except ConnectionRefusedError:
                return True
        wait_for(refused, 10, "removed service to refuse connections")
        # The old child exits after its client; new clients get a new process.
        c.close()
        wait_for(lambda: not alive(pid), 10, "old-generation child to exit")
        c2 = connect(keep)
        pid2, _, _ = talk(c2, "fresh")
        inst.pids.add(pid2)
        self.assertNotEqual(pid2, pid)
        c2.close()

    def test_bad_master_cf_on_reload_keeps_running(self):
        port = free_port()
        inst = self.instance("%d inet n n n - 1 %s\n" % (port, ECHO))
        inst.start()
        inst.write_master_cf("%d inet n n n - 1 %s\nbroken inet6 n n n - 1 x\n" % (port, ECHO))
        inst.reload_and_wait()
        inst.wait_log(r"master.cf, line 2: bad transport type: inet6: configuration not reloaded")
        c = connect(port)
        pid, _, _ = talk(c, "still here")
        inst.pids.add(pid)
        c.close()

    def test_stop_leaves_no_process(self):
        port = free_port()
        inst = self.instance("%d inet n n n - 5 %s\n"
                             "trig unix n n n 60 1 %s -o test_trigger_log=%s\n"
                             % (port, ECHO, TRIGGER, os.path.join(self.tmp, "trig.log")))
        inst.start()
        conns = [connect(port) for _ in range(3)]
        for c in conns:
            inst.pids.add(talk(c, "hi")[0])
        wait_for(lambda: len(inst.children()) >= 4, 10, "children")
        conns[0].close()
        master = inst.master_pid()
        started = time.monotonic()
        r = inst.postfix("stop")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("postfix/postfix-script: stopping the Postfix mail system", r.err)
        self.assertLess(time.monotonic() - started, 12)
        for c in conns[1:]:
            c.close()
        self.assertFalse(alive(master))
        left = [p for p in inst.pids if alive(p)]
        self.assertEqual(left, [])
        self.assertIn("terminating on signal 15", inst.log())
        r = inst.postfix("status")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("the Postfix mail system is not running", r.err)
        r = inst.postfix("stop")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("fatal: the Postfix mail system is not running", r.err)

    def test_abort_is_immediate(self):
        port = free_port()
        inst = self.instance("%d inet n n n - 2 %s\n" % (port, ECHO))
        inst.start()
        c = connect(port)
        pid = talk(c, "busy")[0]
        inst.pids.add(pid)
        master = inst.master_pid()
        started = time.monotonic()
        r = inst.postfix("abort")
        self.assertEqual(r.rc, 0, r)
        self.assertLess(time.monotonic() - started, 4)
        self.assertFalse(alive(master))
        wait_for(lambda: not alive(pid), 5, "busy child to be terminated")
        c.close()

    def test_second_start_is_refused(self):
        port = free_port()
        inst = self.instance("%d inet n n n - 1 %s\n" % (port, ECHO))
        inst.start()
        pid = inst.master_pid()
        r = inst.postfix("start")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("postfix/postfix-script: fatal: the Postfix mail system is already running",
                      r.err)
        # master itself refuses too (the lock), even when asked directly.
        r = mtatest.run([mtatest.program("master"), "-c", inst.etc, "-w"])
        self.assertEqual(r.rc, 1, r)
        inst.wait_log(r"fatal: open lock file \S+/master.lock: unable to set exclusive lock: "
                      r".*already running: pid %d" % pid)
        r = inst.postfix("status")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("the Postfix mail system is running: PID: %d" % pid, r.err)

    def test_two_instances_side_by_side(self):
        p1, p2 = free_port(), free_port()
        a = self.instance("%d inet n n n - 1 %s\n" % (p1, ECHO), name="a")
        b = self.instance("%d inet n n n - 1 %s\n" % (p2, ECHO), name="b")
        a.start()
        b.start()
        self.assertNotEqual(a.master_pid(), b.master_pid())
        for inst, port in ((a, p1), (b, p2)):
            c = connect(port)
            inst.pids.add(talk(c, "x")[0])
            c.close()
        r = a.postfix("stop")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(b.postfix("status").rc, 0)
        self.assertEqual(a.postfix("status").rc, 1)
        c = connect(p2)
        b.pids.add(talk(c, "y")[0])
        c.close()

    def test_wakeup_triggers(self):
        tlog = os.path.join(self.tmp, "trig.log")
        clog = os.path.join(self.tmp, "cond.log")
        flog = os.path.join(self.tmp, "fifo.log")
        dlog = os.path.join(self.tmp, "dgram.log")
        inst = self.instance(
            "trig unix n n n 1 1 %s -o test_trigger_log=%s\n"
            "cond unix n n n 1? 1 %s -o test_trigger_log=%s\n"
            "qmgr unix n n n - 1 %s -o test_trigger_log=%s\n"
            "ftrig fifo n n n 1 1 %s -o test_trigger_log=%s\n"
            "dtrig unix-dgram - n n 1 1 %s -o test_trigger_log=%s\n"
            % (TRIGGER, tlog, TRIGGER, clog, TRIGGER, tlog, TRIGGER, flog, TRIGGER, dlog))

        def lines(path, what):
            try:
                with open(path) as f:
                    return [l for l in f.read().splitlines() if l.endswith(what)]
            except FileNotFoundError:
                return []
        inst.start()
        # The first wakeup comes at once, then one per second.
        wait_for(lambda: len(lines(tlog, "trigger W")) >= 3, 10, "three wakeups")
        # FIFO (public, mode 0622) and datagram (private, 0600) services too.
        wait_for(lambda: len(lines(flog, "trigger W")) >= 2, 10, "wakeups through a FIFO")
        wait_for(lambda: len(lines(dlog, "trigger W")) >= 2, 10, "wakeups through a datagram")
        st = os.stat(os.path.join(inst.queue, "public", "ftrig"))
        self.assertTrue(stat.S_ISFIFO(st.st_mode))
        self.assertEqual(st.st_mode & 0o777, 0o622)
        st = os.stat(os.path.join(inst.queue, "private", "dtrig"))
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(st.st_mode & 0o777, 0o600)
        # postfix flush sends 'F' to public/qmgr.
        r = inst.postfix("flush")
        self.assertEqual(r.rc, 0, r)
        wait_for(lambda: lines(tlog, "trigger F"), 10, "flush trigger")
        # "1?" sends nothing before the service is first used.
        self.assertEqual(lines(clog, "trigger W"), [])
        u = socket.socket(socket.AF_UNIX)
        u.connect(os.path.join(inst.queue, "public", "cond"))
        u.sendall(b"S")
        u.close()
        wait_for(lambda: len(lines(clog, "trigger W")) >= 2, 10, "wakeups once used")
        self.assertTrue(lines(clog, "trigger S"))
        inst.children()

    def test_check_creates_queue_tree(self):
        inst = self.instance("")
        r = inst.postfix("check")
        self.assertEqual(r.rc, 0, r)
        modes = {"maildrop": 0o730, "public": 0o710, "private": 0o700, "incoming": 0o700,
                 "active": 0o700, "deferred": 0o700, "hold": 0o700, "corrupt": 0o700,
                 "defer": 0o700, "bounce": 0o700, "trace": 0o700, "saved": 0o700,
                 "flush": 0o700, "pid": 0o755}
        for name, mode in modes.items():
            st = os.stat(os.path.join(inst.queue, name))
            self.assertEqual(oct(st.st_mode & 0o7777), oct(mode), name)
        self.assertEqual(os.stat(os.path.join(inst.root, "data")).st_mode & 0o7777, 0o700)
        r = inst.postfix("flush")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("fatal: the Postfix mail system is not running", r.err)
        r = inst.postfix("bogus")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("fatal: unknown command: 'bogus'", r.err)
        # A missing master.cf is reported as Postfix does.
        os.unlink(os.path.join(inst.etc, "master.cf"))
        r = inst.postfix("start")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("fatal: no %s/master.cf file found" % inst.etc, r.err)

    def test_bad_listener_fails_start(self):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        inst = self.instance("%d inet n n n - 1 %s\n" % (port, ECHO))
        r = inst.postfix("start")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("fatal: mail system startup failed", r.err)
        self.assertRegex(inst.log(), r"master\[\d+\]: fatal: service %d/inet: bind 127.0.0.1 port %d: "
                         r"Address already in use" % (port, port))
        self.assertEqual(inst.postfix("status").rc, 1)


if __name__ == "__main__":
    unittest.main()

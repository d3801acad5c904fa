#!/usr/bin/env python3
"""Benchmark: local(8) delivery into the Maildirs of real UNIX accounts,
ours vs. Debian's Postfix configured identically, in the same run.

USERS accounts (default 100) are created for the run (useradd; removed
afterwards), with `home_mailbox = Maildir/`. MESSAGES messages (default
2,000) of SIZE bytes (default 2,048) go in over SMTP, SESSIONS parallel
sessions (default 10; a pipelining client in this script, one process per
session, since smtp-source cannot spread recipients over a set of
accounts), each to one account in turn; smtpd checks every recipient
against the passwd database (local_recipient_maps) and local delivers
each as that user. Figures per system:
  end-to-end      messages per second from the first connection until
                  every message is a file in its account's Maildir/new
                  (local keeps up with smtpd here, so this is close to the
                  acceptance rate, printed too)
  delivery alone  the same number of messages queued with qmgr absent,
                  then qmgr added by a reload: messages per second until
                  local has delivered them all
  CPU             for each, CPU seconds of the whole mail system (every
                  process of the instance: a cpuacct cgroup of its own)
                  per message, in ms, over the same interval
and the ratios (messages/s ours/Debian's, CPU Debian's/ours: higher is
better for us both times). Not a test: it prints figures. Needs root;
without Debian's Postfix it measures ours alone.

Usage: bench/local.py [BUILD_DIR]   (make bench runs it; settings:
benchlib.py, USERS, and MESSAGES defaults to 2,000 here)
"""
import multiprocessing
import os
import pwd
import random
import socket
import string
import subprocess
import tempfile
import time

os.environ.setdefault("MESSAGES", "2000")
import benchlib  # noqa: E402  (reads MESSAGES)
from benchlib import (DEBIAN_POSTFIX, DOMAIN, FS_NOTE, MESSAGES, SESSIONS, SIZE,  # noqa: E402
                      Failed, can_run, stop_instance, wait_until)

USERS = int(os.environ.get("USERS", 100))
HOST = "mx." + DOMAIN
CGROUP_BASE = "/sys/fs/cgroup/cpuacct"


class Accounts:
    """USERS accounts named PREFIX1..PREFIXn whose homes are HOMES/NAME,
    HOMES being a symbolic link that each system's run points into its own
    instance root (so each writes its Maildirs on its own file system)."""

    def __init__(self):
        tag = "".join(random.choice(string.ascii_lowercase) for _ in range(4))
        self.prefix = "mtb" + tag
        self.homes = tempfile.mktemp(prefix="mta-bench-homes-")
        self.names = []
        try:
            for n in range(1, USERS + 1):
                name = "%s%d" % (self.prefix, n)
                r = subprocess.run(["useradd", "-M", "-N", "-d", os.path.join(self.homes, name),
                                    "-s", "/usr/sbin/nologin", name],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise Failed("useradd %s: %s" % (name, r.stderr.strip()))
                self.names.append(name)
        except BaseException:
            self.close()
            raise

    def make_homes(self, root):
        """Creates the homes under root/homes and points HOMES there."""
        base = os.path.join(root, "homes")
        os.makedirs(base)
        os.chmod(base, 0o755)
        for name in self.names:
            pw = pwd.getpwnam(name)
            d = os.path.join(base, name)
            os.mkdir(d, 0o700)
            os.chown(d, pw.pw_uid, pw.pw_gid)
        if os.path.islink(self.homes):
            os.unlink(self.homes)
        os.symlink(base, self.homes)

    def delivered(self):
        n = 0
        for name in self.names:
            try:
                n += sum(1 for _ in os.scandir(os.path.join(self.homes, name, "Maildir", "new")))
            except FileNotFoundError:
                pass
        return n

    def close(self):
        for name in self.names:
            subprocess.run(["userdel", name], capture_output=True)
        self.names = []
        if os.path.islink(self.homes):
            os.unlink(self.homes)


class CpuGroup:
    """A cpuacct cgroup (v1) for one instance: processes started with
    enter() as their preexec_fn, and all their descendants, are counted."""

    def __init__(self, kind):
        self.path = os.path.join(CGROUP_BASE, "mta-bench-local-%s-%d" % (kind, os.getpid()))
        try:
            os.mkdir(self.path)
        except OSError:
            self.path = None

    def enter(self):
        if self.path:
            with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def usage(self):
        """CPU seconds so far, None without a cgroup."""
        if not self.path:
            return None
        with open(os.path.join(self.path, "cpuacct.usage")) as f:
            return int(f.read()) / 1e9

    def close(self):
        if not self.path:
            return
        for _ in range(100):  # the last daemons may still be exiting
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.1)
        print("  (cgroup %s left behind: processes still in it)" % self.path)


def message(n, rcpt):
    """About SIZE bytes: a few header lines and whole body lines."""
    head = ("From: sender@example.org\r\nTo: %s\r\nSubject: bench %d\r\n"
            "Message-ID: <bench-%d@example.org>\r\n\r\n" % (rcpt, n, n))
    line = "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\r\n"
    return (head + line * max(1, (SIZE - len(head)) // len(line))).encode()


def session(port, jobs):
    """One SMTP session sending [(n, rcpt)] with PIPELINING (MAIL, RCPT and
    DATA in one write); exits 1 on any unexpected reply."""
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    f = s.makefile("rb")

    def reply():
        lines = []
        while True:
            line = f.readline()
            if not line:
                raise Failed("connection closed")
            lines.append(line)
            if line[3:4] != b"-":
                return int(line[:3]), b"".join(lines)

    def expect(code):
        got, text = reply()
        if got != code:
            raise Failed("expected %d, got %r" % (code, text))

    try:
        expect(220)
        s.sendall(b"EHLO client.example\r\n")
        expect(250)
        for n, rcpt in jobs:
            s.sendall(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<%s>\r\nDATA\r\n"
                      % rcpt.encode())
            expect(250)
            expect(250)
            expect(354)
            s.sendall(message(n, rcpt) + b".\r\n")
            expect(250)
        s.sendall(b"QUIT\r\n")
        expect(221)
    except (Failed, OSError) as e:
        print("  session: %s" % e)
        os._exit(1)
    os._exit(0)


def inject(port, names):
    """Sends MESSAGES messages over SESSIONS processes, recipients in
    turn; returns when all were accepted."""
    jobs = [(n, "%s@%s" % (names[n % len(names)], HOST)) for n in range(MESSAGES)]
    procs = []
    for i in range(SESSIONS):
        p = multiprocessing.Process(target=session, args=(port, jobs[i::SESSIONS]))
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    if any(p.exitcode != 0 for p in procs):
        raise Failed("an SMTP session failed")


LOCAL_SERVICE = "local unix - n n - - local\n"


def setup(root, kind):
    """Writes an instance under root; returns (etc, port, postfix_cmd)."""
    return benchlib.write_instance(
        root, kind, "mydestination = $myhostname\nhome_mailbox = Maildir/\nbiff = no\n",
        LOCAL_SERVICE)


def postfix_cmd(postfix, etc, what, cpu):
    r = subprocess.run([postfix, "-c", etc, what], capture_output=True, text=True,
                       preexec_fn=cpu.enter)
    if r.returncode != 0:
        raise Failed("postfix %s failed: %s" % (what, r.stderr.strip()))


def measure(kind, accounts):
    """(end-to-end msg/s, its CPU ms/msg, delivery msg/s, its CPU ms/msg,
    acceptance msg/s), CPU None without a cgroup; None on failure."""
    def run(root, cleanups):
        etc, port, postfix = setup(root, kind)
        accounts.make_homes(root)
        cpu = CpuGroup(kind)
        cleanups.append(cpu.close)
        cleanups.append(lambda: stop_instance(postfix, etc))

        def per_msg(before):
            return None if before is None else (cpu.usage() - before) * 1000 / MESSAGES
        def start_it():
            postfix_cmd(postfix, etc, "start", cpu)
            if not benchlib.wait_listening(port):
                raise Failed("smtpd does not answer; see %s/maillog" % root)
            time.sleep(1)  # let start-up work (qmgr's first scan, ...) settle
        start_it()
        # Phase 1: end to end, local delivering while the mail comes in.
        before, start = cpu.usage(), time.time()
        inject(port, accounts.names)
        accepted = time.time() - start
        wait_until(accounts.delivered, MESSAGES, "delivered", root)
        total, total_cpu = time.time() - start, per_msg(before)
        # Phase 2: delivery alone. The queue fills with qmgr absent, then
        # qmgr joins by a reload and local empties it.
        stop_instance(postfix, etc)
        benchlib.write_master(etc, port, LOCAL_SERVICE, qmgr=False)
        # With no qmgr to hand out in-flow tokens, Postfix's cleanup would
        # pause in_flow_delay before each message.
        with open(os.path.join(etc, "main.cf"), "a") as f:
            f.write("in_flow_delay = 0s\n")
        start_it()
        inject(port, accounts.names)
        if accounts.delivered() != MESSAGES:
            raise Failed("mail was delivered with no qmgr running; see %s/maillog" % root)
        benchlib.write_master(etc, port, LOCAL_SERVICE)
        before, start = cpu.usage(), time.time()
        postfix_cmd(postfix, etc, "reload", cpu)
        wait_until(accounts.delivered, 2 * MESSAGES, "delivered", root)
        drain = time.time() - start
        return MESSAGES / total, total_cpu, MESSAGES / drain, per_msg(before), MESSAGES / accepted
    return benchlib.measure(kind, "local-", run)


def main():
    if not can_run("local", ()):
        return
    print("local: %d messages of %d bytes over SMTP, %d sessions, to %d UNIX accounts "
          "(home_mailbox = Maildir/)%s" % (MESSAGES, SIZE, SESSIONS, USERS, FS_NOTE))
    try:
        accounts = Accounts()
    except Failed as e:
        print("local: %s; skipped" % e)
        return
    try:
        ours = measure("ours", accounts)
        theirs = measure("debian", accounts) if os.access(DEBIAN_POSTFIX, os.X_OK) else None
    finally:
        accounts.close()
    def cpu(v):
        return "n/a" if v is None else "%.2f ms/msg" % v
    for system, r in (("ours", ours), ("Debian's", theirs)):
        if r:
            print("  %-10s end-to-end %6.1f msg/s (CPU %s)   delivery alone %6.1f msg/s "
                  "(CPU %s)   acceptance %6.1f msg/s" % (system, r[0], cpu(r[1]), r[2],
                                                        cpu(r[3]), r[4]))
    if ours and theirs:
        line = ("  ratio ours/Debian's (higher is better): end-to-end %.2f, delivery alone %.2f"
                % (ours[0] / theirs[0], ours[2] / theirs[2]))
        if None not in (ours[1], ours[3], theirs[1], theirs[3]):
            line += ("; CPU per message Debian's/ours (higher is better): end-to-end %.2f, "
                     "delivery alone %.2f" % (theirs[1] / ours[1], theirs[3] / ours[3]))
        print(line)

if __name__ == "__main__":
    main()

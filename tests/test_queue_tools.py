"""System tests of the queue tools (issue 5): showq, postqueue, postsuper on
a real queue (written by tests/daemons/queue-make through queue_file's
Writer, with defer-log entries), with the instance running (postqueue asks
the showq service) and stopped (root reads the queue directly), compared
with Debian's Postfix where it can run here."""
import fcntl
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import time
import unittest

import mtatest

QUEUE_MAKE = mtatest.test_daemon("queue-make")
TRIGGER = mtatest.test_daemon("trigger-log")
T0 = 1700000000  # arrival times, for exact expected listings

HEADING = "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
INDENT = " " * 41


def date(t):
    return time.asctime(time.localtime(t))[:20]


def size_of(extra_bytes=0):
    # queue-make's content: "Subject: test", "", then 70-byte lines of x.
    lines = max(1, -(-extra_bytes // 71)) if extra_bytes else 1
    return 14 + 1 + 71 * lines


class QueueToolsTest(mtatest.TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.inst = mtatest.MtaInstance(self, services=["showq", "cleanup"])
        r = self.inst.postfix("check")
        self.assertEqual(r.rc, 0, r)

    # --- helpers ---

    def make(self, queue, sender, rcpts, reasons=(), done=(), size=0, arrival=T0):
        argv = [QUEUE_MAKE, "-c", self.inst.etc, "-q", queue, "-f", sender, "-t", str(arrival),
                "-s", str(size)]
        for rcpt, why in reasons:
            argv += ["-r", "%s=%s" % (rcpt, why)]
        for d in done:
            argv += ["-D", d]
        r = mtatest.run(argv + list(rcpts))
        self.assertEqual(r.rc, 0, r)
        return r.out.strip()

    def tool(self, name, *args, input=None):
        return mtatest.run([mtatest.program(name), "-c", self.inst.etc] + list(args),
                           input=input)

    def build_queue(self):
        """A deferred message with reasons, a held UTF-8 one, an active one."""
        self.deferred = self.make(
            "deferred", "alice@example.com", ["bob@example.net", "carol@example.org", "dan@x.org"],
            reasons=[("bob@example.net", "connect to mx.example.net[192.0.2.1]:25: Connection "
                      "refused"),
                     ("carol@example.org", "host mx.example.org[192.0.2.2] said: 450 4.2.0 "
                      "mailbox busy (in reply to RCPT TO command)")],
            arrival=T0)
        self.held = self.make("hold", "jösé@exämple.com", ["ünï@example.net"], arrival=T0 + 60)
        self.active = self.make("active", "", ["x1@example.net", "x2@example.net",
                                               "a b@example.net"],
                                done=["x2@example.net"], size=3000, arrival=T0 + 120)

    def expected_listing(self):
        long_reason = ("host mx.example.org[192.0.2.2] said: 450 4.2.0 mailbox busy (in reply "
                       "to RCPT TO command)")
        short_reason = "connect to mx.example.net[192.0.2.1]:25: Connection refused"
        return (
            HEADING
            + "%-11s %7d %s %s\n" % (self.active + "*", size_of(3000), date(T0 + 120),
                                     "MAILER-DAEMON")
            + INDENT + "x1@example.net\n"
            + INDENT + '"a b"@example.net\n'
            + "\n"
            + "%-11s %7d %s %s\n" % (self.deferred, size_of(), date(T0), "alice@example.com")
            + " " * (76 - len(short_reason)) + "(" + short_reason + ")\n"
            + INDENT + "bob@example.net\n"
            + "(" + long_reason + ")\n"
            + INDENT + "carol@example.org\n"
            + " " * (76 - 18) + "(reason unavailable)\n"
            + INDENT + "dan@x.org\n"
            + "\n"
            + "%-11s %7d %s %s\n" % (self.held + "!", size_of(), date(T0 + 60),
                                     "jösé@exämple.com")
            + INDENT + "ünï@example.net\n"
            + "\n-- %d Kbytes in 3 Requests.\n" % ((size_of(3000) + 2 * size_of()) // 1024))

    def expected_json(self):
        return [
            {"queue_name": "active", "queue_id": self.active, "arrival_time": T0 + 120,
             "message_size": size_of(3000), "forced_expire": False, "sender": "MAILER-DAEMON",
             "recipients": [{"address": "x1@example.net"}, {"address": '"a b"@example.net'}]},
            {"queue_name": "deferred", "queue_id": self.deferred, "arrival_time": T0,
             "message_size": size_of(), "forced_expire": False, "sender": "alice@example.com",
             "recipients": [
                 {"address": "bob@example.net", "delay_reason":
                  "connect to mx.example.net[192.0.2.1]:25: Connection refused"},
                 {"address": "carol@example.org", "delay_reason":
                  "host mx.example.org[192.0.2.2] said: 450 4.2.0 mailbox busy (in reply to "
                  "RCPT TO command)"},
                 {"address": "dan@x.org"}]},
            {"queue_name": "hold", "queue_id": self.held, "arrival_time": T0 + 60,
             "message_size": size_of(), "forced_expire": False, "sender": "jösé@exämple.com",
             "recipients": [{"address": "ünï@example.net"}]},
        ]

    # --- postqueue -p / -j ---

    def test_listing_via_showq_and_directly(self):
        self.build_queue()
        self.inst.start()
        r = self.tool("postqueue", "-p")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, "")
        self.assertEqual(r.out, self.expected_listing())
        r = self.tool("postqueue", "-j")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([json.loads(line) for line in r.out.splitlines()], self.expected_json())
        # Postfix's exact JSON spacing, UTF-8 as is.
        self.assertIn('{"queue_name": "hold", "queue_id": "%s", "arrival_time": %d, '
                      '"message_size": %d, "forced_expire": false, "sender": "jösé@exämple.com", '
                      '"recipients": [{"address": "ünï@example.net"}]}\n'
                      % (self.held, T0 + 60, size_of()), r.out)
        self.inst.stop()
        # Stopped: root reads the queue itself, with Postfix's warning.
        r = self.tool("postqueue", "-p")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, self.expected_listing())
        self.assertRegex(r.err, r"^postqueue: warning: Mail system is down -- accessing queue "
                                r"directly \(Connect to the Postfix showq service: "
                                r"(No such file or directory|Connection refused)\)\n$")
        r = self.tool("postqueue", "-j")
        self.assertEqual([json.loads(line) for line in r.out.splitlines()], self.expected_json())

    def test_broken_showq_fails_instead_of_hanging(self):
        # master accepts the connection while the service cannot start
        # (throttled); postqueue must give up within ipc_timeout, not hang.
        broken = mtatest.MtaInstance(self, name="broken", main_cf="ipc_timeout = 3s\n")
        with open(os.path.join(broken.etc, "master.cf"), "w") as f:
            f.write("showq unix n - n - - /bin/false\n")
        broken.start()
        self.addCleanup(broken.stop)
        started = time.monotonic()
        r = broken.run("postqueue", "-p", timeout=60)
        self.assertLess(time.monotonic() - started, 30, r)
        self.assertEqual(r.rc, 69, r)
        self.assertIn("Queue report unavailable - the Postfix showq service did not answer "
                      "within 3s", r.err)

    def test_empty_queue_and_json_escaping(self):
        self.inst.start()
        r = self.tool("postqueue", "-p")
        self.assertEqual((r.rc, r.out), (0, "Mail queue is empty\n"), r)
        r = self.tool("postqueue", "-j")
        self.assertEqual((r.rc, r.out), (0, ""), r)
        # Bytes: a tab, a control character and a byte that is not UTF-8.
        r = mtatest.run([QUEUE_MAKE, "-c", self.inst.etc, "-q", "deferred", "-f",
                         'q"uo\\te@example.com', "-r", b"tab@example.net=a\tb \x01 \xff end",
                         "tab@example.net"])
        self.assertEqual(r.rc, 0, r)
        qid = r.out.strip()
        r = self.tool("postqueue", "-j")
        self.assertIn('"sender": "\\"q\\\\\\"uo\\\\\\\\te\\"@example.com"', r.out)
        self.assertIn('"delay_reason": "a\\tb \\u0001 ? end"', r.out)
        self.assertEqual(json.loads(r.out)["queue_id"], qid)
        r = self.tool("postqueue", "-p")
        self.assertIn("(a?b ? ? end)\n", r.out)
        self.assertIn("-- 0 Kbytes in 1 Request.\n", r.out)

    def test_unprivileged_user(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to switch to another user")
        for d in (self.tmp, self.inst.root, self.inst.etc):
            os.chmod(d, 0o755)
        os.chmod(os.path.join(self.inst.etc, "main.cf"), 0o644)
        os.chmod(os.path.join(self.inst.etc, "master.cf"), 0o644)
        open(self.inst.maillog, "a").close()
        os.chmod(self.inst.maillog, 0o666)
        nobody = pwd.getpwnam("nobody")

        def as_nobody(*args):
            p = subprocess.run([mtatest.program("postqueue"), "-c", self.inst.etc] + list(args),
                               capture_output=True, text=True, timeout=60,
                               user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])
            return p.returncode, p.stderr
        # public/ is not searchable for nobody (postqueue is not set-gid here).
        rc, err = as_nobody("-p")
        self.assertEqual((rc, err), (70, "postqueue: fatal: Connect to the Postfix showq service: "
                                         "Permission denied\n"))
        os.chmod(os.path.join(self.inst.queue, "public"), 0o711)
        rc, err = as_nobody("-p")
        self.assertEqual((rc, err), (69, "postqueue: fatal: Queue report unavailable - mail "
                                         "system is down\n"))
        self.inst.start()
        os.chmod(os.path.join(self.inst.queue, "public"), 0o711)
        self.make("deferred", "a@example.com", ["b@example.net"])
        p = subprocess.run([mtatest.program("postqueue"), "-c", self.inst.etc, "-p"],
                           capture_output=True, text=True, timeout=60,
                           user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("a@example.com", p.stdout)

    # --- postqueue -f -s -i ---

    def test_flush_requests(self):
        r = self.tool("postqueue", "-f")
        self.assertEqual((r.rc, r.err), (69, "postqueue: fatal: Cannot flush mail queue - mail "
                                             "system is down\n"))
        r = self.tool("postqueue", "-s", "example.com")
        self.assertEqual((r.rc, r.err), (69, 'postqueue: fatal: Flush service is not configured '
                                             'for destination "example.com"\n'))
        r = self.tool("postqueue", "-i", "3F2A1B2C")
        self.assertEqual((r.rc, r.err), (69, "postqueue: warning: connect to public/flush: No "
                                             "such file or directory\npostqueue: fatal: Cannot "
                                             "flush mail queue - mail system is down\n"))
        r = self.tool("postqueue", "-i", "../x")
        self.assertEqual((r.rc, r.err), (64, 'postqueue: fatal: Invalid request: "../x"\n'))
        r = self.tool("postqueue")
        self.assertEqual(r.rc, 69)
        self.assertEqual(r.err, "postqueue: fatal: usage: postqueue -f | postqueue -i queueid | "
                                "postqueue -j | postqueue -p | postqueue -s site\n")
        r = self.tool("postqueue", "-p", "-j")
        self.assertEqual(r.rc, 69, r)
        # With qmgr and pickup (trigger-log test daemons): 'F' to qmgr, 'W' to pickup.
        qlog = os.path.join(self.tmp, "qmgr.log")
        plog = os.path.join(self.tmp, "pickup.log")
        with open(os.path.join(self.inst.etc, "master.cf"), "a") as f:
            f.write("qmgr unix n n n 300 1 %s -o test_trigger_log=%s\n"
                    "pickup unix n n n 300 1 %s -o test_trigger_log=%s\n"
                    % (TRIGGER, qlog, TRIGGER, plog))
        self.inst.start()
        r = self.tool("postqueue", "-f")
        self.assertEqual((r.rc, r.err), (0, ""), r)
        def logged(path, text):
            if not os.path.exists(path):
                return False
            with open(path) as f:
                return text in f.read()
        mtatest.wait_for(lambda: logged(qlog, "trigger F"), what="F at qmgr")
        mtatest.wait_for(lambda: logged(plog, "trigger W"), what="W at pickup")
        with open(os.path.join(self.inst.etc, "main.cf"), "a") as f:
            f.write("fast_flush_domains = example.com\n")
        r = self.tool("postqueue", "-s", "sub.example.com")
        self.assertEqual(r.rc, 69)
        self.assertIn("Cannot flush mail queue - mail system is down", r.err)

    # --- postsuper ---

    def files(self, queue):
        return self.inst.queue_ids(queue)

    def test_postsuper_hold_release_delete(self):
        self.build_queue()
        r = self.tool("postsuper", "-h", self.deferred, "-h", "ABCDEF99999")
        self.assertEqual((r.rc, r.err), (0, "postsuper: %s: placed on hold\n"
                                            "postsuper: Placed on hold: 1 message\n"
                                            % self.deferred), r)
        self.assertEqual(self.files("hold"), sorted([self.deferred, self.held]))
        self.assertEqual(self.files("deferred"), [])
        self.assertIn("%s!" % self.deferred, self.tool("postqueue", "-p").out)
        # Held: reasons are still shown.
        self.assertIn("(reason unavailable)", self.tool("postqueue", "-p").out)
        r = self.tool("postsuper", "-h", self.held)
        self.assertEqual(r.err, "postsuper: Placed on hold: 0 messages\n")
        r = self.tool("postsuper", "-H", self.held, "deferred")
        self.assertEqual(r.err, "postsuper: Released from hold: 0 messages\n")
        r = self.tool("postsuper", "-H", "ALL")
        self.assertEqual((r.rc, r.err), (0, "postsuper: Released from hold: 2 messages\n"), r)
        self.assertEqual(self.files("deferred"), sorted([self.deferred, self.held]))
        self.assertTrue(self.inst.queue_path("deferred", self.held).endswith(
            "/deferred/%s/%s" % (self.held[0], self.held)))
        r = self.tool("postsuper", "-h", "ALL", "deferred")
        self.assertEqual(r.err, "postsuper: Placed on hold: 2 messages\n")
        r = self.tool("postsuper", "-d", "bad/id", "-d", self.deferred)
        self.assertEqual((r.rc, r.err), (0, "postsuper: warning: invalid mail queue id: bad/id\n"
                                            "postsuper: %s: removed\n"
                                            "postsuper: Deleted: 1 message\n" % self.deferred), r)
        self.assertEqual(self.inst.queue_ids("defer"), [])  # its defer log went too
        self.assertRegex(self.inst.log(), r"postfix/postsuper\[\d+\]: %s: removed" % self.deferred)
        r = self.tool("postsuper", "-d", "-", input="%s\n\n%s\n" % (self.held, self.active))
        self.assertEqual(r.err, "postsuper: %s: removed\npostsuper: %s: removed\n"
                                "postsuper: Deleted: 2 messages\n" % (self.held, self.active))
        r = self.tool("postqueue", "-p")
        self.assertEqual(r.out, "Mail queue is empty\n")
        r = self.tool("postsuper", "-d", "ALL", "bogus")
        self.assertEqual((r.rc, r.err), (1, "postsuper: fatal: invalid directory name: bogus\n"))
        r = self.tool("postsuper", "-x")
        self.assertEqual(r.rc, 1)
        self.assertTrue(r.err.startswith("postsuper: invalid option -- 'x'\n"
                                         "postsuper: fatal: usage: postsuper "), r)
        # ALL: summaries only.
        ids = [self.make("incoming", "a@example.com", ["b@example.net"]) for _ in range(3)]
        r = self.tool("postsuper", "-d", "ALL", "-h", "ALL")
        self.assertEqual(r.err, "postsuper: Deleted: 3 messages\n"
                                "postsuper: Placed on hold: 0 messages\n")
        self.assertFalse(any(self.inst.queue_path("incoming", i) for i in ids))

    def test_postsuper_requeue(self):
        self.build_queue()
        # Stopped: nothing is lost, the message stays.
        r = self.tool("postsuper", "-r", self.deferred)
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.err, r"^postsuper: warning: %s: not requeued: cleanup service "
                                r"unavailable: .*\npostsuper: Requeued: 0 messages\n$"
                         % self.deferred)
        self.assertIsNotNone(self.inst.queue_path("deferred", self.deferred))
        self.inst.start()
        # A file qmgr holds locked is not re-injected (no double delivery).
        path = self.inst.queue_path("active", self.active)
        with open(path) as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            r = self.tool("postsuper", "-r", self.active)
        self.assertEqual(r.err, "postsuper: warning: %s: not requeued: the queue manager is "
                                "delivering it; try again later\n"
                                "postsuper: Requeued: 0 messages\n" % self.active)
        self.assertTrue(os.path.exists(path))
        r = self.tool("postsuper", "-r", self.deferred, "-r", self.active)
        self.assertEqual((r.rc, r.err), (0, "postsuper: %s: requeued\npostsuper: %s: requeued\n"
                                            "postsuper: Requeued: 2 messages\n"
                                            % (self.deferred, self.active)), r)
        self.assertIsNone(self.inst.queue_path("deferred", self.deferred))
        self.assertIsNone(self.inst.queue_path("active", self.active))
        self.assertEqual(self.inst.queue_ids("defer"), [])
        new = self.inst.queue_ids("incoming")
        self.assertEqual(len(new), 2)
        dumps = [mtatest.queue_dump(self.inst.queue_path("incoming", i)) for i in new]
        by_sender = {d["sender"]: d for d in dumps}
        self.assertEqual(by_sender["alice@example.com"]["recipients"],
                         ["bob@example.net", "carol@example.org", "dan@x.org"])
        # Only live recipients are requeued; the content is kept.
        self.assertEqual(by_sender[""]["recipients"], ["x1@example.net", "a b@example.net"])
        self.assertIn("Subject: test", by_sender[""]["content"])
        self.assertIn("x" * 70, by_sender[""]["content"])
        r = self.tool("postqueue", "-j")
        arrivals = sorted(json.loads(line)["arrival_time"] for line in r.out.splitlines())
        self.assertEqual(arrivals, [T0, T0 + 60, T0 + 120])  # arrival times kept

    def test_postsuper_structure_check(self):
        q = self.inst.queue
        good = self.make("deferred", "a@example.com", ["b@example.net"])
        misplaced = self.make("deferred", "c@example.com", ["d@example.net"])
        renamed = self.make("deferred", "e@example.com", ["f@example.net"],
                            reasons=[("f@example.net", "why")])
        # Misplaced: in the wrong hash directory.
        os.makedirs(os.path.join(q, "deferred", "Z", "Q"))
        os.rename(self.inst.queue_path("deferred", misplaced),
                  os.path.join(q, "deferred", "Z", "Q", misplaced))
        # Named wrongly (restored from a backup): and its defer log too.
        wrong = renamed[:5] + "ABCDEF"
        os.rename(self.inst.queue_path("deferred", renamed),
                  os.path.join(q, "deferred", renamed[0], wrong))
        os.makedirs(os.path.join(q, "defer", wrong[0]), exist_ok=True)
        os.rename(self.inst.queue_path("defer", renamed), os.path.join(q, "defer", wrong[0], wrong))
        # A bogus name, a hash directory the layout does not use, a temp file.
        with open(os.path.join(q, "incoming", "junkfile"), "w") as f:
            f.write("x")
        os.makedirs(os.path.join(q, "hold", "A", "B"))
        with open(os.path.join(q, "incoming", ".tmp.1.2"), "w") as f:
            f.write("x")
        r = self.tool("postsuper", "-s")
        self.assertEqual((r.rc, r.err), (0, "postsuper: warning: bogus file name: incoming/junkfile\n"
                                            "postsuper: deferred/%s/%s: renamed to %s to match its "
                                            "inode number\n"
                                            "postsuper: Renamed to match inode number: 1 message\n"
                                            "postsuper: warning: QUEUE FILE NAMES WERE CHANGED TO "
                                            "MATCH INODE NUMBERS\n" % (wrong[0], wrong, renamed)), r)
        self.assertEqual(self.inst.queue_path("deferred", misplaced),
                         os.path.join(q, "deferred", misplaced[0], misplaced))
        self.assertEqual(self.inst.queue_path("deferred", renamed),
                         os.path.join(q, "deferred", renamed[0], renamed))
        self.assertIsNotNone(self.inst.queue_path("deferred", good))
        # deferred/Z is a hash directory of the layout; deferred/Z/Q is not.
        self.assertFalse(os.path.exists(os.path.join(q, "deferred", "Z", "Q")))
        self.assertFalse(os.path.exists(os.path.join(q, "hold", "A")))
        self.assertTrue(os.path.exists(os.path.join(q, "incoming", ".tmp.1.2")))
        self.assertIn("(why)", self.tool("postqueue", "-p").out)  # the log followed
        r = self.tool("postsuper", "-s")
        self.assertEqual(r.err, "postsuper: warning: bogus file name: incoming/junkfile\n")

    def test_postsuper_purge(self):
        q = os.path.join(self.inst.queue, "incoming")
        old = time.time() - 2 * 86400

        def put(name, mode, mtime=None):
            path = os.path.join(q, name)
            with open(path, "w") as f:
                f.write("x")
            os.chmod(path, mode)
            if mtime:
                os.utime(path, (mtime, mtime))
            return path
        put(".tmp.11.0", 0o600, time.time() - 120)
        fresh_tmp = put(".tmp.12.0", 0o600)
        ready = self.make("incoming", "a@example.com", ["b@example.net"])
        linked_tmp = os.path.join(q, ".tmp.13.0")
        os.link(self.inst.queue_path("incoming", ready), linked_tmp)
        put("ABCDEF0123", 0o600, old)
        fresh = put("ABCDEF0124", 0o600)
        ready_path = self.inst.queue_path("incoming", ready)
        os.utime(ready_path, (old, old))
        r = self.tool("postsuper", "-p")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(sorted(r.err.splitlines()),
                         ["postsuper: warning: removed incomplete queue file: incoming/ABCDEF0123",
                          "postsuper: warning: removed temporary file: incoming/.tmp.11.0",
                          "postsuper: warning: removed temporary file: incoming/.tmp.13.0"])
        self.assertTrue(os.path.exists(fresh_tmp))
        self.assertTrue(os.path.exists(fresh))
        self.assertTrue(os.path.exists(ready_path))
        self.assertEqual(os.stat(ready_path).st_nlink, 1)
        # Without options: -s and -p.
        put(".tmp.14.0", 0o600, time.time() - 120)
        r = self.tool("postsuper")
        self.assertEqual(r.err, "postsuper: warning: removed temporary file: incoming/.tmp.14.0\n")

    # --- compared with Debian's Postfix ---

    def test_mailq_format_matches_debian_postfix(self):
        if os.geteuid() != 0 or not os.access("/usr/sbin/postfix", os.X_OK) \
                or not os.access("/usr/lib/postfix/sbin/master", os.X_OK):
            self.skipTest("Debian's Postfix cannot run here (needs root and /usr/sbin/postfix)")
        try:
            pwd.getpwnam("postfix")
        except KeyError:
            self.skipTest("no postfix user")
        deb = self.debian_listing()
        if deb is None:
            self.skipTest("Debian's Postfix did not start or queue mail here")
        # The same queue for us.
        short, long_ = self.reasons()
        self.make("deferred", "alice@example.com", ["bob@example.net", "carol@example.net"],
                  reasons=[("bob@example.net", short), ("carol@example.net", short)])
        self.make("deferred", "jösé@exämple.com", ["ünï@example.net"],
                  reasons=[("ünï@example.net", short)])
        self.make("deferred", "", ["dave@example.net"], reasons=[("dave@example.net", short)])
        self.make("hold", "big@example.com", ["x1@example.net"], size=3000,
                  reasons=[("x1@example.net", short)])
        self.make("active", "e@example.com", ["f@example.net"], reasons=[("f@example.net", short)])
        self.make("deferred", "frank@example.com", ["frank@example.org"],
                  reasons=[("frank@example.org", long_)])
        ours = self.tool("postqueue", "-p").out
        self.assertEqual(self.normalize(ours), self.normalize(deb), "\n" + ours + "\n" + deb)

    def reasons(self):
        return ("deferred for a test",
                "this is a rather long deferral reason text that goes on well beyond the "
                "eighty column boundary of a terminal")

    def normalize(self, text):
        """Checks the column layout of every message line (as Postfix's
        "%-11s %7ld %20.20s %s") and masks queue IDs, sizes and dates;
        other lines must be equal byte for byte. Messages are compared as a
        sorted list (readdir order differs), queue marks in order."""
        lines = text.split("\n")
        self.assertEqual(lines[0] + "\n", HEADING)
        self.assertEqual(lines[-1], "")
        self.assertRegex(lines[-2], r"^-- \d+ Kbytes in 6 Requests\.$")
        blocks, marks = [], []
        for block in "\n".join(lines[1:-3]).split("\n\n"):
            first, *rest = block.split("\n")
            m = re.match(r"^(?P<id>[0-9A-Za-z]+)(?P<st>[*!]?)(?P<pad> +)(?P<size>\d+) "
                         r"(?P<date>\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d ) (?P<sender>.+)$", first)
            self.assertIsNotNone(m, first)
            head = len(m["id"]) + len(m["st"])
            self.assertEqual(head + len(m["pad"]) + len(m["size"]),
                             max(11, head) + 1 + max(7, len(m["size"])), first)
            marks.append(m["st"])
            blocks.append("\n".join(["<ID>%s <SIZE> <DATE> %s" % (m["st"], m["sender"])] + rest))
        return marks, sorted(blocks)

    def debian_listing(self):
        root = os.path.join(self.tmp, "debian")
        etc = os.path.join(root, "etc")
        queue = os.path.join(root, "queue")
        os.makedirs(etc)
        os.makedirs(queue)
        for d in (self.tmp, root):
            os.chmod(d, 0o755)
        short, long_ = self.reasons()
        with open(os.path.join(etc, "main.cf"), "w") as f:
            f.write("compatibility_level = 3.6\nqueue_directory = %s\ndata_directory = %s/data\n"
                    "command_directory = /usr/sbin\ndaemon_directory = /usr/lib/postfix/sbin\n"
                    "meta_directory = /etc/postfix\nshlib_directory = /usr/lib/postfix\n"
                    "mail_owner = postfix\nsetgid_group = postdrop\n"
                    "inet_interfaces = loopback-only\ninet_protocols = ipv4\n"
                    "myhostname = deb.example\nmydestination =\nsmtputf8_enable = yes\n"
                    "maillog_file = %s/maillog\nmaillog_file_prefixes = %s\n"
                    "default_transport = retry:4.4.1 %s\n"
                    "transport_maps = inline:{{example.org = retry:4.4.1 %s}}\n"
                    % (queue, root, root, root, short, long_))
        with open(os.path.join(etc, "master.cf"), "w") as f:
            f.write("pickup unix n - n 60 1 pickup\ncleanup unix n - n - 0 cleanup\n"
                    "qmgr unix n - n 300 1 qmgr\nrewrite unix - - n - - trivial-rewrite\n"
                    "bounce unix - - n - 0 bounce\ndefer unix - - n - 0 bounce\n"
                    "trace unix - - n - 0 bounce\nshowq unix n - n - - showq\n"
                    "error unix - - n - - error\nretry unix - - n - - error\n"
                    "postlog unix-dgram n - n - 1 postlogd\n")

        def postfix(*args):
            return subprocess.run(["/usr/sbin/postfix", "-c", etc] + list(args),
                                  capture_output=True, text=True, timeout=60)
        if postfix("start").returncode != 0:
            return None
        self.addCleanup(lambda: postfix("stop") if postfix("status").returncode == 0 else None)

        def send(sender, rcpts, body="x\n"):
            subprocess.run(["/usr/sbin/sendmail", "-C", etc, "-f", sender] + rcpts,
                           input="Subject: t\n\n" + body, text=True, timeout=60,
                           capture_output=True)
        send("alice@example.com", ["bob@example.net", "carol@example.net"])
        send("jösé@exämple.com", ["ünï@example.net"])
        send("", ["dave@example.net"])
        send("big@example.com", ["x1@example.net"], "x" * 70 + "\n" * 1 + ("y" * 70 + "\n") * 40)
        send("e@example.com", ["f@example.net"])
        send("frank@example.com", ["frank@example.org"])

        def queue_json():
            p = subprocess.run(["/usr/sbin/postqueue", "-c", etc, "-j"], capture_output=True,
                               text=True, timeout=60)
            msgs = [json.loads(line) for line in p.stdout.splitlines()]
            done = len(msgs) == 6 and all(
                m["queue_name"] == "deferred" and all("delay_reason" in r for r in m["recipients"])
                for m in msgs)
            return msgs if done else None
        try:
            msgs = mtatest.wait_for(queue_json, timeout=60, what="Debian's queue", interval=0.5)
        except AssertionError:
            return None
        by_sender = {m["sender"]: m["queue_id"] for m in msgs}
        subprocess.run(["/usr/sbin/postsuper", "-c", etc, "-h", by_sender["big@example.com"]],
                       capture_output=True, timeout=60)
        postfix("stop")
        src = None
        for top, _, names in os.walk(os.path.join(queue, "deferred")):
            if by_sender["e@example.com"] in names:
                src = os.path.join(top, by_sender["e@example.com"])
        os.rename(src, os.path.join(queue, "active", by_sender["e@example.com"]))
        p = subprocess.run(["/usr/sbin/postqueue", "-c", etc, "-p"], capture_output=True,
                           text=True, timeout=60)
        return p.stdout


class RequeueThroughCleanupTest(mtatest.TempDirTestCase):
    """postsuper -r sends the message through cleanup again: a virtual
    alias and a transport added after the message was queued apply to it
    (postsuper(1))."""

    def test_requeue_applies_new_aliases_and_transports(self):
        va = os.path.join(self.tmp, "virtual")
        tr = os.path.join(self.tmp, "transport")
        for path in (va, tr):
            with open(path, "w") as f:
                f.write("")
        inst = mtatest.MtaInstance(
            self, services=["cleanup", "rewrite", "qmgr", "discard", "bounce", "defer", "trace"],
            main_cf="mydestination =\nlocal_recipient_maps =\nvirtual_alias_maps = hash:%s\n"
                    "transport_maps = hash:%s\n" % (va, tr))
        for path in (va, tr):
            r = mtatest.run([mtatest.program("postmap"), "-c", inst.etc, path])
            self.assertEqual(r.rc, 0, r)
        r = inst.postfix("check")
        self.assertEqual(r.rc, 0, r)
        r = mtatest.run([QUEUE_MAKE, "-c", inst.etc, "-q", "hold", "-f", "alice@example.com",
                         "bob@example.net"])
        self.assertEqual(r.rc, 0, r)
        held = r.out.strip()
        inst.start()
        # Added after the message was queued.
        with open(va, "w") as f:
            f.write("bob@example.net carol@example.org\n")
        with open(tr, "w") as f:
            f.write("example.org discard:carol got it\n")
        for path in (va, tr):
            r = mtatest.run([mtatest.program("postmap"), "-c", inst.etc, path])
            self.assertEqual(r.rc, 0, r)
        r = mtatest.run([mtatest.program("postsuper"), "-c", inst.etc, "-r", held])
        self.assertEqual((r.rc, r.err), (0, "postsuper: %s: requeued\n"
                                            "postsuper: Requeued: 1 message\n" % held), r)
        inst.wait_log(r"to=<carol@example\.org>, orig_to=<bob@example\.net>, relay=none, "
                      r".*status=sent \(carol got it\)", timeout=30)
        inst.wait_empty()
        self.assertNotRegex(inst.log(), r": to=<bob@example\.net>, relay=")


if __name__ == "__main__":
    unittest.main()

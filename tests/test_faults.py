"""Fault campaign (issue 16): mail flows in over SMTP, half of it into a
Maildir and half relayed by the smtp client to a sink (a transport to
[127.0.0.2]:PORT, connections cached on demand through scache; the sink
answers some recipients 451, so the defer service is busy too), while
daemons are killed with SIGKILL, master itself is killed and the system
started again, postfix reload runs, or the system is stopped and
started, MariaDB (the mailbox table) is killed and restarted, or DNS
fails for a while (the relayed half goes by MX). Afterwards every
message a client saw "250" for must be in the Maildir or at the sink (0
lost); a message may be there twice only if some attempt of its client
did not end in 250 (the client then sent it again, as real clients do),
or when a delivery agent (virtual, smtp) itself was killed between
delivering (the Maildir file written, the sink's 250 heard) and marking
the recipient done (as with Postfix; counted in the table); nothing is
left queued.

`make test` runs the short form (MTA_FAULT_MESSAGES, default 120 messages
per scenario, a handful of scenarios); `make faults` the full one (2,000
messages, every daemon). Each scenario prints one row:
    scenario  acked  delivered-once  duplicates  lost  retries  queued  killed
(killed: processes of the daemon SIGKILLed in a kill scenario)
"""
import os
import signal
import smtplib
import threading
import time
import unittest

import mariadb
import mtatest
from dns_server import DnsServer
from smtp_sink import SmtpSink
from test_virtual_hosting import SERVICES

FULL = os.environ.get("MTA_FAULTS_FULL") == "1"
MESSAGES = int(os.environ.get("MTA_FAULT_MESSAGES", "2000" if FULL else "120"))
SENDERS = 6
DAEMONS = ["smtpd", "cleanup", "qmgr", "trivial-rewrite", "virtual", "smtp", "scache", "bounce",
           "anvil", "proxymap", "postlogd"]
SHORT = ["smtpd", "cleanup", "qmgr", "trivial-rewrite", "virtual", "smtp"]
AGENTS = ("virtual", "smtp")  # killed between delivering and recording it: may deliver twice
RELAY_DOMAIN = "relay.example"


def recipient(i):
    """Even messages go to the Maildir, odd ones are relayed to the sink;
    of those, every fifth to dave, whom the sink refuses with 451 every
    other time (the defer service records it; the message comes again)."""
    if i % 2 == 0:
        return "bob@example.jp"
    return ("dave@" if i % 10 == 5 else "carol@") + RELAY_DOMAIN


class Load:
    """SENDERS threads submitting `count` numbered messages over SMTP; a
    message whose attempt did not end in 250 is sent again (bounded)."""

    def __init__(self, port, count):
        self.port = port
        self.count = count
        self.acked = set()
        self.unsure = set()  # attempts that ended without a reply we saw
        self.retries = 0
        self.failed = []
        self.lock = threading.Lock()
        self.next = 0
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(SENDERS)]

    def start(self):
        for t in self.threads:
            t.start()

    def progress(self):
        with self.lock:
            return len(self.acked)

    def take(self):
        with self.lock:
            if self.next >= self.count:
                return None
            self.next += 1
            return self.next - 1

    def send_one(self, i):
        body = ("From: load@example.org\r\nTo: %s\r\nSubject: fault-%05d\r\n"
                "Message-Id: <fault-%05d@example.org>\r\n\r\n%s\r\n"
                % (recipient(i), i, i, "x" * 1800)).encode()
        for attempt in range(60):
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=20) as c:
                    c.sendmail("load@example.org", [recipient(i)], body)
                with self.lock:
                    self.acked.add(i)
                return
            except smtplib.SMTPResponseException as e:
                # A reply was seen and it was not 250. The message may still
                # have been queued (cleanup killed after it stored the file
                # but before it answered smtpd, which then says 451): the
                # client sends it again, as a real client would.
                with self.lock:
                    self.retries += 1
                    self.unsure.add(i)
                if e.smtp_code >= 500 and e.smtp_code != 554:
                    raise
            except (OSError, smtplib.SMTPException):
                # Connection lost or refused: maybe after the message was
                # queued but before we saw the 250.
                with self.lock:
                    self.retries += 1
                    self.unsure.add(i)
            time.sleep(min(0.05 * (attempt + 1), 1.0))
        with self.lock:
            self.failed.append(i)

    def run(self):
        while True:
            i = self.take()
            if i is None:
                return
            try:
                self.send_one(i)
            except Exception as e:  # noqa: BLE001 (reported by the test)
                with self.lock:
                    self.failed.append((i, repr(e)))

    def join(self, timeout):
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self.threads)


class FaultTest(mtatest.TempDirTestCase):
    rows = []
    kills = 0  # processes kill_repeatedly killed in this test

    @classmethod
    def tearDownClass(cls):
        print("\n%-26s %6s %9s %5s %5s %8s %7s %7s" % ("scenario", "acked", "delivered", "dups",
                                                       "lost", "retries", "queued", "killed"))
        for r in cls.rows:
            print("%-26s %6d %9d %5d %5d %8d %7d %7d" % r)

    def instance(self, maps=None, extra="", relay_nexthop=None, sink=None):
        """The instance under load: bob@example.jp's Maildir from
        virtual_mailbox_maps (a hash table through proxymap, or `maps`, e.g.
        a mysql: table),
        checked at RCPT as well; RELAY_DOMAIN relayed by smtp to self.sink
        (`sink`, or a new one) at 127.0.0.2 (not our own address: no "loops
        back to myself"), or to `relay_nexthop`; `extra` main.cf lines."""
        os.chmod(self.tmp, 0o755)
        uid = 10000 if os.geteuid() == 0 else os.geteuid()
        self.base = os.path.join(self.tmp, "vmail")
        os.makedirs(self.base)
        os.chown(self.base, uid, uid)
        vmailbox = os.path.join(self.tmp, "vmailbox")
        with open(vmailbox, "w") as f:
            f.write("bob@example.jp example.jp/bob/\n")
        self.sink = sink or SmtpSink(host="127.0.0.2")
        self.sink.rcpt_replies = {"dave@" + RELAY_DOMAIN: ["451 4.2.0 not now", "250 2.1.5 Ok"]
                                  * MESSAGES}
        if sink is None:
            self.sink.start()
            self.addCleanup(self.sink.stop)
        transport = os.path.join(self.tmp, "transport")
        with open(transport, "w") as f:
            f.write("%s smtp:%s\n" % (RELAY_DOMAIN, relay_nexthop or self.sink.nexthop))
        self.port = mtatest.free_port()
        inst = mtatest.MtaInstance(
            # smtpd asks anvil about every client (no exceptions, a
            # limit never reached) and reads the mailboxes through proxymap.
            self, services=SERVICES + ["smtp", "scache"],
            main_cf="myhostname = mx.example.com\nmynetworks = 127.0.0.0/8\n"
                    "virtual_mailbox_domains = example.jp\nvirtual_mailbox_base = %s\n"
                    "virtual_mailbox_maps = %s\nvirtual_uid_maps = static:%d\n"
                    "virtual_gid_maps = static:%d\nvirtual_minimum_uid = 1\n"
                    "transport_maps = texthash:%s\ninet_protocols = ipv4\n"
                    "queue_run_delay = 1s\nminimal_backoff_time = 1s\n"
                    "maximal_backoff_time = 2s\nsmtpd_client_connection_count_limit = 1000\n"
                    "smtpd_client_event_limit_exceptions =\n"
                    "smtpd_client_connection_rate_limit = 0\n%s"
                    % (self.base, maps or "proxy:hash:" + vmailbox, uid, uid, transport, extra),
            master_extra=mtatest.smtpd_service("127.0.0.1:%d" % self.port))
        r = inst.run("postmap", "hash:" + vmailbox)
        self.assertEqual(r.rc, 0, r)
        inst.start()
        return inst

    def delivered(self):
        """{message number: copies} from bob's Maildir and the sink."""
        counts = {}

        def count(text):
            at = text.find(b"Subject: fault-")
            if at >= 0:
                n = int(text[at + 15:at + 20])
                counts[n] = counts.get(n, 0) + 1
        for sub in ("new", "cur"):
            for path in mtatest.maildir_files(os.path.join(self.base, "example.jp", "bob"), sub):
                with open(path, "rb") as f:
                    count(f.read(4096))
        for t in list(self.sink.transactions):
            count(t.data)
        return counts

    def campaign(self, name, fault, agent_killed=False, inst=None):
        """Runs the load, calls fault(inst, load) while it runs, waits for
        the queue to drain and checks the books. `inst` (default: a new
        instance()) for scenarios with other parts."""
        inst = inst or self.instance()
        load = Load(self.port, MESSAGES)
        load.start()
        fault(inst, load)
        self.assertTrue(load.join(300), "the senders did not finish")
        self.assertEqual(load.failed, [], "messages no attempt could queue")
        mtatest.wait_for(lambda: inst.queued() == 0 and
                         len(self.delivered()) >= len(load.acked), 120,
                         lambda: "the queue to drain: %d queued, %d delivered of %d acked\n%s"
                         % (inst.queued(), len(self.delivered()), len(load.acked),
                            inst.log()[-3000:]))
        got = self.delivered()
        lost = sorted(i for i in load.acked if i not in got)
        dups = sorted(i for i, n in got.items() if n > 1)
        FaultTest.rows.append((name, len(load.acked), sum(1 for n in got.values() if n == 1),
                               len(dups), len(lost), load.retries, inst.queued(), self.kills))
        self.assertEqual(lost, [], "acknowledged but never delivered")
        # A delivery agent killed after it wrote the message but before it
        # marked the recipient done delivers it again, as in Postfix (no
        # two-phase commit with a Maildir): those duplicates are counted,
        # not failed. Any other duplicate needs a client that never saw 250.
        # (A queue manager killed, or replaced by a reload, between sending
        # a request and the agent's lock no longer causes one: the agent
        # drops a request whose queue manager has gone, deliver_status.h.)
        unexplained = [i for i in dups if i not in load.unsure]
        if not agent_killed:
            self.assertEqual(unexplained, [], "delivered twice though the client saw the 250")
        self.assertEqual(inst.queued(), 0)
        self.assertNotIn("panic:", inst.log())
        self.inst = inst

    def kill_repeatedly(self, program, times=3):
        def fault(inst, load):
            for k in range(times):
                target = (k + 1) * MESSAGES // (times + 2)
                mtatest.wait_for(lambda: load.progress() >= target or
                                 not any(t.is_alive() for t in load.threads), 120,
                                 "progress to %d" % target)
                pids = inst.children_named(program)
                if not pids:  # not running at this moment: master starts it on demand
                    continue
                for p in pids:
                    try:
                        os.kill(p, signal.SIGKILL)
                        self.kills += 1
                    except ProcessLookupError:
                        pass
        return fault

    def reload_repeatedly(self, times):
        def fault(inst, load):
            for k in range(times):
                target = (k + 1) * MESSAGES // (times + 2)
                mtatest.wait_for(lambda: load.progress() >= target or
                                 not any(t.is_alive() for t in load.threads), 120,
                                 "progress to %d" % target)
                inst.reload()
        return fault

    def stop_start(self, kill_master):
        def fault(inst, load):
            mtatest.wait_for(lambda: load.progress() >= MESSAGES // 3, 120, "a third sent")
            if kill_master:
                master = inst.master_pid()
                inst.children()
                os.kill(master, signal.SIGKILL)
                mtatest.wait_for(lambda: not mtatest.process_alive(master), 10, "master gone")
                # Its children see the lifeline close and finish.
                mtatest.wait_for(lambda: inst.postfix("status").rc != 0, 30, "status: down")
            else:
                inst.stop()
            mtatest.wait_for(lambda: inst.postfix("start").rc == 0, 60, "postfix start")
            inst.master_pid()
        return fault


    def progress_to(self, load, fraction):
        target = int(MESSAGES * fraction)
        mtatest.wait_for(lambda: load.progress() >= target or
                         not any(t.is_alive() for t in load.threads), 120,
                         "progress to %d" % target)

    @unittest.skipUnless(mariadb.available(), "MariaDB is not installed")
    def test_mariadb_killed_and_restarted(self):
        """The mailbox table lives in MariaDB (proxymap, as the virtual-hosting
        example): the server is killed while mail flows and started again
        some seconds later. Meanwhile RCPT gets 451 4.3.0 (the clients try
        again) and deliveries are deferred; nothing acknowledged is lost."""
        db = mariadb.MariaDB()
        db.start()
        self.addCleanup(db.cleanup)
        db.execute("CREATE DATABASE mail; CREATE TABLE mail.mailbox (username VARCHAR(255), "
                   "maildir VARCHAR(255), active CHAR(1)); INSERT INTO mail.mailbox VALUES "
                   "('bob@example.jp', 'example.jp/bob/', '1'); GRANT ALL ON mail.* TO "
                   "'%s'@'localhost';" % mariadb.USER)
        cf = os.path.join(self.tmp, "mailbox.cf")
        with open(cf, "w") as f:
            f.write("hosts = %(hosts)s\nuser = %(user)s\npassword = %(password)s\n"
                    "dbname = mail\nquery = SELECT maildir FROM mailbox WHERE username='%%s' "
                    "AND active = '1'\n" % db.cf_settings())
        inst = self.instance(maps="proxy:mysql:" + cf)

        def fault(inst, load):
            self.progress_to(load, 0.3)
            db.kill()
            # Long enough for sessions and deliveries to meet the outage.
            mtatest.wait_for(lambda: "4.3.0" in inst.log(), 30, "a temporary failure")
            db.restart()
        self.campaign("MariaDB killed, restarted", fault, inst=inst)
        self.assertRegex(inst.log(), r"451 4\.3\.0 <bob@example\.jp>: Recipient address rejected: "
                                     r"Temporary lookup failure|status=deferred")

    def test_dns_failing(self):
        """The relayed half goes by MX through tests/dns_server.py, which
        answers SERVFAIL for a while in the middle of the load: the smtp
        client defers ("Host or domain name not found ... try again"), and
        everything reaches the sink once DNS answers again, exactly once."""
        sink = SmtpSink(host="127.0.0.2")
        sink.start()
        self.addCleanup(sink.stop)
        zone = {RELAY_DOMAIN: {"MX": [(10, "mx." + RELAY_DOMAIN)]},
                "mx." + RELAY_DOMAIN: {"A": ["127.0.0.2"]}}
        dns = DnsServer(dict(zone))
        dns.start()
        self.addCleanup(dns.stop)
        inst = self.instance(relay_nexthop=RELAY_DOMAIN, sink=sink, extra=(
            "smtp_tcp_port = %d\nimport_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ "
            "LANG=C MTA_DNS_NAMESERVER=%s\n" % (sink.port, dns.address)))

        def fault(inst, load):
            self.progress_to(load, 0.3)
            dns.zone = {RELAY_DOMAIN: "SERVFAIL", "mx." + RELAY_DOMAIN: "SERVFAIL"}
            mtatest.wait_for(lambda: "Name service error" in inst.log(), 30, "DNS failures")
            self.progress_to(load, 0.6)
            dns.zone = dict(zone)

        self.campaign("DNS failing", fault, inst=inst)
        self.assertRegex(inst.log(), r"status=deferred \(Host or domain name not found\. Name "
                                     r"service error for name=relay\.example type=MX")


class QueueFullTest(mtatest.TempDirTestCase):
    """The queue file system fills up (a small tmpfs under queue_directory,
    deliveries held with defer_transports until a flush): once less than
    1.5 x message_size_limit is free, MAIL gets Postfix's "452 4.3.1
    Insufficient system storage", never a 250 for mail that was not
    stored; nothing half-written is ever delivered; when deliveries resume
    and space returns, everything acknowledged arrives exactly once and new
    mail flows again."""

    @unittest.skipIf(os.geteuid() != 0, "needs root to mount a small file system")
    def test_queue_file_system_full(self):
        os.chmod(self.tmp, 0o755)
        base = os.path.join(self.tmp, "vmail")
        os.makedirs(base)
        vmailbox = os.path.join(self.tmp, "vmailbox")
        with open(vmailbox, "w") as f:
            f.write("bob@example.jp example.jp/bob/\n")
        port = mtatest.free_port()
        # The instance's queue directory is a 3 MB tmpfs, mounted before the
        # instance exists so that it is unmounted after the instance stops.
        queue = os.path.join(self.tmp, "inst", "queue")
        os.makedirs(queue)
        r = mtatest.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", queue])
        self.assertEqual(r.rc, 0, r)
        self.addCleanup(mtatest.run, ["umount", "-l", queue])
        inst = mtatest.MtaInstance(
            self, services=SERVICES,
            main_cf="myhostname = mx.example.com\nmynetworks = 127.0.0.0/8\n"
                    "virtual_mailbox_domains = example.jp\nvirtual_mailbox_base = %s\n"
                    "virtual_mailbox_maps = hash:%s\nvirtual_uid_maps = static:10000\n"
                    "virtual_gid_maps = static:10000\nvirtual_minimum_uid = 1\n"
                    "defer_transports = virtual\nqueue_run_delay = 1s\n"
                    "message_size_limit = 200000\n"
                    "minimal_backoff_time = 1s\nmaximal_backoff_time = 2s\n"
                    % (base, vmailbox),
            master_extra=mtatest.smtpd_service("127.0.0.1:%d" % port))
        os.chown(base, 10000, 10000)
        self.assertEqual(inst.run("postmap", "hash:" + vmailbox).rc, 0)
        inst.start()
        mtatest.wait_smtpd(port)
        body = b"Subject: full-%03d\r\n\r\n" + (b"y" * 998 + b"\r\n") * 60
        acked, refused = [], []
        for i in range(100):
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
                    c.sendmail("load@example.org", ["bob@example.jp"], body % i)
                acked.append(i)
            except smtplib.SMTPResponseException as e:
                refused.append((i, e.smtp_code, e.smtp_error))
                if len(refused) >= 3:
                    break
        self.assertTrue(refused, "the 3 MB queue never filled:\n" + inst.log()[-3000:])
        for i, code, text in refused:
            self.assertEqual((code, text), (452, b"4.3.1 Insufficient system storage"))
        self.assertIn("warning: not enough free space in mail queue:", inst.log())
        self.assertIn("NOQUEUE: reject: MAIL from localhost[127.0.0.1]: 452 4.3.1 Insufficient "
                      "system storage; proto=ESMTP", inst.log())
        # Everything acknowledged waits in deferred/ (defer_transports);
        # a flush delivers it, and space returns as the queue drains.
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == len(acked) and
                         not inst.queue_ids("incoming") and not inst.queue_ids("active"), 60,
                         lambda: "all acknowledged mail deferred:\n" + inst.log()[-2000:])
        self.assertIn("status=deferred (deferred transport)", inst.log())
        self.assertEqual(mtatest.maildir_files(os.path.join(base, "example.jp", "bob")), [])
        inst.run("postqueue", "-f")
        mbox = os.path.join(base, "example.jp", "bob")
        mtatest.wait_for(lambda: inst.queued() == 0 and
                         len(mtatest.maildir_files(mbox)) >= len(acked), 120,
                         lambda: "drain: %d queued\n%s" % (inst.queued(), inst.log()[-2000:]))
        got = {}
        for path in mtatest.maildir_files(mbox):
            with open(path, "rb") as f:
                data = f.read()
            n = int(data[data.find(b"Subject: full-") + 14:][:3])
            got[n] = got.get(n, 0) + 1
            self.assertEqual(data.count(b"y" * 998), 60, "a half-written message: " + path)
        self.assertEqual(sorted(got), sorted(acked))
        self.assertEqual(set(got.values()), {1})
        # New mail is accepted again (and, deferred, delivered by a flush).
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
            c.sendmail("load@example.org", ["bob@example.jp"], body % 999)
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, 30, "deferred")
        inst.run("postqueue", "-f")
        mtatest.wait_for(lambda: len(mtatest.maildir_files(mbox)) == len(acked) + 1, 60,
                         "the message after the drain")
        print("\nqueue file system full: %d acked before the first refusal (%s), all %d "
              "delivered once after the drain" % (len(acked), refused[0][2].decode(), len(acked)))


def add_scenarios():
    daemons = DAEMONS if FULL else SHORT
    for program in daemons:
        def test(self, program=program):
            self.campaign("kill -9 " + program, self.kill_repeatedly(program),
                          agent_killed=program in AGENTS)
            # Each daemon takes part in the load, so each scenario kills.
            self.assertGreater(self.kills, 0, "no %s process was running" % program)
            if program == "scache":  # it held connections when it was killed
                self.assertRegex(self.inst.log(), r"relay=\S+, conn_use=\d")
        setattr(FaultTest, "test_kill_%s" % program.replace("-", "_"), test)
    setattr(FaultTest, "test_reload",
            lambda self: self.campaign("postfix reload x10", self.reload_repeatedly(10)))
    setattr(FaultTest, "test_stop_start",
            lambda self: self.campaign("postfix stop; start", self.stop_start(False)))
    setattr(FaultTest, "test_kill_master",
            lambda self: self.campaign("kill -9 master; start", self.stop_start(True)))


add_scenarios()

if __name__ == "__main__":
    unittest.main()

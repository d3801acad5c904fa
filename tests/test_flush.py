"""System tests of the fast flush service (flush/): mail for a destination
in fast_flush_domains is deferred while its server is down; once the
server is back, `ETRN site` (smtpd), `postqueue -s site` and `postqueue -i
queue_id` deliver it at once, long before the next queue run. ETRN's
replies are compared with Debian's Postfix."""
import os
import re
import smtplib

import mtatest
from smtp_sink import SmtpSink

SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "showq",
            "error", "retry", "flush", "anvil"]


class FlushTest(mtatest.TempDirTestCase):

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)
        # The destinations' server: a port nothing listens on until the sink starts.
        self.sink_port = mtatest.free_port()
        transport = os.path.join(self.tmp, "transport")
        with open(transport, "w") as f:
            f.write("".join("%s smtp:[127.0.0.1]:%d\n" % (d, self.sink_port)
                            for d in ("etrn.example", "site.example", "file.example",
                                      "other.example")))
        self.port = mtatest.free_port()
        self.inst = mtatest.MtaInstance(
            self, services=SERVICES,
            main_cf="myhostname = mx.example.com\nmydestination =\nmynetworks = 127.0.0.0/8\n"
                    "smtpd_peername_lookup = no\n"
                    "transport_maps = texthash:%s\n"
                    "fast_flush_domains = etrn.example, site.example, file.example\n"
                    # No retry on its own during the test.
                    "queue_run_delay = 1h\nminimal_backoff_time = 1h\nmaximal_backoff_time = 2h\n"
                    "smtp_connect_timeout = 2s\n" % transport,
            master_extra=mtatest.smtpd_service("127.0.0.1:%d" % self.port) +
            "smtp unix - n n - - smtp\n")
        self.inst.start()
        mtatest.wait_smtpd(self.port)

    def deferred_for(self, rcpt):
        """Sends to rcpt and waits until it is deferred; returns the queue ID."""
        self.inst.send(rcpt)
        line = self.inst.wait_log(r"(\w+): to=<%s>, .*status=deferred" % re.escape(rcpt),
                                  timeout=30)
        return re.search(r"(\w+): to=<%s>, .*status=deferred" % re.escape(rcpt),
                         self.inst.log()).group(1)

    def start_sink(self):
        sink = SmtpSink(port=self.sink_port)
        sink.start()
        self.addCleanup(sink.stop)
        return sink

    def test_etrn_postqueue_s_and_i(self):
        etrn = self.deferred_for("a@etrn.example")
        site = self.deferred_for("b@site.example")
        one = self.deferred_for("c@file.example")
        other = self.deferred_for("d@other.example")
        # The deferrals were logged for the flush domains only.
        flush = os.path.join(self.inst.queue, "flush")
        mtatest.wait_for(lambda: os.path.exists(os.path.join(flush, "etrn.example")), 10,
                         "the flush log of etrn.example")
        with open(os.path.join(flush, "etrn.example")) as f:
            self.assertEqual(f.read(), etrn + "\n")
        self.assertFalse(os.path.exists(os.path.join(flush, "other.example")))
        sink = self.start_sink()

        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as c:
            code, text = c.ehlo("client.example")
            self.assertIn("ETRN", text.decode().split("\n"))
            self.assertEqual(c.docmd("ETRN", "etrn.example"), (250, b"Queuing started"))
            self.assertEqual(c.docmd("ETRN", "other.example"),
                             (459, b"<other.example>: service unavailable"))
        mtatest.wait_for(lambda: any("a@etrn.example" in t.rcpts for t in sink.transactions),
                         30, lambda: "a@etrn.example at the sink:\n" + self.inst.log())
        self.inst.wait_log(r"%s: to=<a@etrn\.example>, .*status=sent" % etrn)

        r = self.inst.run("postqueue", "-s", "site.example")
        self.assertEqual(r.rc, 0, r)
        self.inst.wait_log(r"%s: to=<b@site\.example>, .*status=sent" % site, timeout=30)

        r = self.inst.run("postqueue", "-i", one)
        self.assertEqual(r.rc, 0, r)
        self.inst.wait_log(r"%s: to=<c@file\.example>, .*status=sent" % one, timeout=30)
        self.inst.wait_log(r"%s: removed" % one)
        # Their defer logs went with them.
        for qid in (etrn, site, one):
            self.assertFalse(self.inst.queue_path("defer", qid), qid)

        # Not a flush domain: postqueue -s says so; the message stays deferred.
        r = self.inst.run("postqueue", "-s", "other.example")
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("other.example", r.err)
        self.assertEqual(self.inst.queue_ids("deferred"), [other])

    def test_etrn_replies_as_debians(self):
        if not mtatest.DebianPostfix.usable():
            self.skipTest("Debian's Postfix is not usable here")
        port = mtatest.free_port()
        deb = mtatest.DebianPostfix(
            self, main_cf="myhostname = mx.example.com\nmydestination =\n"
                          "mynetworks = 127.0.0.0/8\ninet_interfaces = 127.0.0.1\n"
                          "fast_flush_domains = etrn.example\nlocal_recipient_maps =\n",
            master_cf="127.0.0.1:%d inet n - n - - smtpd\nflush unix n - n 1000? 0 flush\n"
                      "cleanup unix n - n - 0 cleanup\nrewrite unix - - n - - trivial-rewrite\n"
                      "anvil unix - - n - 1 anvil\nqmgr unix n - n 300 1 qmgr\n"
                      "postlog unix-dgram n - n - 1 postlogd\n" % port)
        if not deb.start():
            self.skipTest("Debian's Postfix does not start here")
        mtatest.wait_smtpd(port)

        def replies(p):
            with smtplib.SMTP("127.0.0.1", p, timeout=10) as c:
                out = [c.docmd("ETRN", "etrn.example")]
                c.ehlo("client.example")
                for arg in ("etrn.example", "other.example", "@etrn.example", "bad/site", ""):
                    out.append(c.docmd("ETRN", arg))
                c.mail("a@example.org")
                out.append(c.docmd("ETRN", "etrn.example"))
                return out
        self.assertEqual(replies(self.port), replies(port))

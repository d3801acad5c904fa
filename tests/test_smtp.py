"""System tests of the smtp delivery agent (smtp/), on real instances:
mail is submitted with sendmail, routed by trivial-rewrite (transport_maps,
relayhost, relay_transport) and delivered by smtp to tests/smtp_sink.py.
MX routing uses tests/dns_server.py through MTA_DNS_NAMESERVER
(import_environment). Sinks that must look like other hosts listen on
127.0.0.2, 127.0.0.3 ... (all loopback on Linux)."""
import os
import re
import smtplib
import time
import unittest

import mtatest
from dns_server import DnsServer
from smtp_sink import SmtpSink

SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "showq",
            "error", "retry"]
SMTP_LINES = "smtp unix - n n - - smtp\nrelay unix - n n - - smtp\n"
SENDER = "alice@sender.example"


class SmtpTest(mtatest.TempDirTestCase):

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)

    def sink(self, **kw):
        s = SmtpSink(**kw)
        s.start()
        self.addCleanup(s.stop)
        return s

    def instance(self, main_cf="", master_extra="", transport=None, services=SERVICES):
        text = ("myhostname = mta.test.example\nmydestination = $myhostname, localhost\n"
                "queue_run_delay = 1s\nminimal_backoff_time = 2s\nmaximal_backoff_time = 4s\n"
                "smtp_connect_timeout = 5s\nsmtp_helo_timeout = 10s\n"
                "bounce_queue_lifetime = 1d\n")
        if transport is not None:
            path = os.path.join(self.tmp, "transport")
            with open(path, "w") as f:
                f.write(transport)
            text += "transport_maps = texthash:%s\n" % path
        inst = mtatest.MtaInstance(self, services=services, main_cf=text + main_cf,
                                   master_extra=SMTP_LINES + master_extra)
        return inst

    # --- relayhost, generic maps, content ---

    def test_relayhost_generic_maps_and_log_line(self):
        sink = self.sink()
        generic = os.path.join(self.tmp, "generic")
        with open(os.path.join(mtatest.EXAMPLES, "soho", "generic")) as f:
            text = f.read()
        with open(generic, "w") as f:
            f.write(text)
        inst = self.instance("relayhost = %s\nsmtp_generic_maps = texthash:%s\n"
                             % (sink.nexthop, generic))
        inst.start()
        inst.sendmail("bob@remote.example", "her@localdomain.local",
                      sender="his@localdomain.local",
                      message="From: Him <his@localdomain.local>\n"
                              "To: bob@remote.example,\n her@localdomain.local (Her)\n"
                              "Cc: other@localdomain.local\nSubject: generic\n\n"
                              "body mentions his@localdomain.local\n")
        t = sink.wait_transactions(1)[0]
        self.assertTrue(t.mail.startswith("MAIL FROM:<hisaccount@hisisp.example>"), t.mail)
        self.assertIn("SIZE=", t.mail)
        self.assertEqual(sorted(t.rcpts), ["bob@remote.example", "heraccount@herisp.example"])
        head, _, body = t.data.partition(b"\r\n\r\n")
        self.assertIn(b"From: Him <hisaccount@hisisp.example>\r\n", head)
        self.assertIn(b"To: bob@remote.example,\r\n heraccount@herisp.example (Her)\r\n", head)
        self.assertIn(b"Cc: hisaccount+local@hisisp.example\r\n", head)
        self.assertEqual(body, b"body mentions his@localdomain.local\r\n")  # body untouched
        self.assertTrue(t.helo.startswith("EHLO mta.test.example"), t.helo)
        # Postfix's log line; the log shows the addresses before rewriting.
        inst.wait_log(r"smtp\[\d+\]: \w+: to=<bob@remote.example>, relay=127.0.0.1\[127.0.0.1\]"
                      r":%d, delay=[\d.]+, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2.0.0, "
                      r"status=sent \(250 2.0.0 Ok: queued as SINK1\)" % sink.port)
        inst.wait_log(r"to=<her@localdomain.local>, relay=127.0.0.1\[127.0.0.1\]:%d"
                      % sink.port)
        inst.wait_empty()

    def test_dot_stuffing_and_long_lines_byte_exact(self):
        sink = self.sink()
        inst = self.instance("relayhost = %s\n" % sink.nexthop)
        inst.start()
        long_line = "x" * 2500
        # sendmail -i: a line with a single "." is content, not the end of input.
        inst.sendmail("bob@remote.example", sender=SENDER,
                      message="Subject: dots\n\n.\n..two\n.leading\nmiddle . dot\n%s\nend\n"
                              % long_line)
        t = sink.wait_transactions(1)[0]
        body = t.raw.partition(b"\r\n\r\n")[2]
        expect = (b"..\r\n...two\r\n..leading\r\nmiddle . dot\r\n" + b"x" * 998 + b"\r\n " +
                  b"x" * 997 + b"\r\n " + b"x" * 505 + b"\r\nend\r\n")
        self.assertEqual(body, expect)
        self.assertNotIn(b"\n", t.raw.replace(b"\r\n", b""))  # CRLF only

    # --- DNS: MX order, fallback, failures ---

    def test_mx_routing_and_dns_errors(self):
        sink = self.sink(host="127.0.0.3")
        zone = {
            "example.com": {"MX": [(10, "mx1.example.com"), (20, "mx2.example.com")]},
            "mx1.example.com": {"A": ["127.0.0.2"]},   # nothing listens there
            "mx2.example.com": {"A": ["127.0.0.3"]},
            "nomx.example": {"A": ["127.0.0.3"]},
            "broken.example": "SERVFAIL",
            "loop.example": {"MX": [(10, "mta.test.example")]},
            "null.example": {"MX": [(0, ".")]},
        }
        dns = DnsServer(zone)
        dns.start()
        self.addCleanup(dns.stop)
        inst = self.instance("import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ "
                             "LANG=C MTA_DNS_NAMESERVER=%s\nsmtp_tcp_port = %d\n"
                             "inet_protocols = ipv4\n" % (dns.address, sink.port))
        inst.start()
        inst.send("a@example.com", sender=SENDER)
        inst.send("b@nomx.example", sender=SENDER)
        inst.send("c@gone.example", "d@broken.example", "e@loop.example", "f@null.example",
                  sender=SENDER)
        inst.wait_log(r"to=<a@example.com>, relay=mx2.example.com\[127.0.0.3\]:%d, .*"
                      r"status=sent" % sink.port, timeout=20)
        self.assertRegex(inst.log(), r"connect to mx1.example.com\[127.0.0.2\]:%d: "
                                     r"Connection refused" % sink.port)
        inst.wait_log(r"to=<b@nomx.example>, relay=nomx.example\[127.0.0.3\]:%d, .*status=sent"
                      % sink.port)
        inst.wait_log(r"to=<c@gone.example>, relay=none, .*dsn=5.4.4, status=bounced \(Host or "
                      r"domain name not found. Name service error for name=gone.example "
                      r"type=A: Host not found\)")
        inst.wait_log(r"to=<d@broken.example>, relay=none, .*dsn=4.4.3, status=deferred \(Host "
                      r"or domain name not found. Name service error for name=broken.example "
                      r"type=MX: Host not found, try again\)")
        inst.wait_log(r"to=<e@loop.example>, relay=none, .*dsn=5.4.6, status=bounced \(mail "
                      r"for loop.example loops back to myself\)")
        inst.wait_log(r"to=<f@null.example>, relay=none, .*dsn=5.1.10, status=bounced")
        self.assertEqual(sorted(sink.all_rcpts()), ["a@example.com", "b@nomx.example"])
        self.assertIn(("example.com", "MX"), dns.queries)

    # --- docomo: per-destination limits through the real smtp agent ---

    def docomo_instance(self, sink, master_cf_text, main_cf=""):
        transport = os.path.join(self.tmp, "docomo_transport")
        with open(os.path.join(mtatest.EXAMPLES, "docomo", "transport")) as f:
            text = f.read()
        text = re.sub(r"^(\.?docomo\.ne\.jp\s+\S+):\s*$", r"\1:%s" % sink.nexthop, text,
                      flags=re.M)
        with open(transport, "w") as f:
            f.write(text)
        inst = self.instance("initial_destination_concurrency = 5\n" + main_cf,
                             master_extra=master_cf_text)
        r = mtatest.run([mtatest.program("postmap"), "-c", inst.etc, "hash:" + transport])
        self.assertEqual(r.rc, 0, r)
        with open(os.path.join(inst.etc, "main.cf"), "a") as f:
            f.write("transport_maps = hash:%s\n" % transport)
        return inst

    def test_docomo_one_connection_one_recipient(self):
        sink = self.sink()
        path = os.path.join(mtatest.EXAMPLES, "docomo", "master.cf")
        inst = self.docomo_instance(sink, mtatest.unprivileged_n(path))
        inst.start()
        for i in range(20):
            inst.send(*["u%d-%d@docomo.ne.jp" % (i, j) for j in range(3)], sender=SENDER)
        sink.wait_transactions(60, timeout=120)
        self.assertEqual(sink.max_concurrent, 1)
        self.assertTrue(all(len(t.rcpts) == 1 for t in sink.transactions), sink.transactions)
        self.assertEqual(len(set(sink.all_rcpts())), 60)
        inst.wait_empty()
        self.assertIn("relay=127.0.0.1[127.0.0.1]:%d" % sink.port, inst.log())

    def test_plain_smtp_uses_parallel_connections_and_many_recipients(self):
        sink = self.sink(delay=0.05)
        inst = self.instance("initial_destination_concurrency = 5\n",
                             transport="docomo.ne.jp smtp:%s\n" % sink.nexthop)
        inst.start()
        for i in range(20):
            inst.send(*["u%d-%d@docomo.ne.jp" % (i, j) for j in range(3)], sender=SENDER)
        sink.wait_transactions(20, timeout=120)
        self.assertGreater(sink.max_concurrent, 1)
        self.assertTrue(any(len(t.rcpts) > 1 for t in sink.transactions), sink.transactions)
        self.assertEqual(len(set(sink.all_rcpts())), 60)
        inst.wait_empty()

    def test_docomo_rate_delay_spaces_deliveries(self):
        sink = self.sink()
        path = os.path.join(mtatest.EXAMPLES, "docomo", "master.cf")
        inst = self.docomo_instance(sink, mtatest.unprivileged_n(path),
                                    main_cf="docomo-smtp_destination_rate_delay = 2s\n")
        inst.start()
        for i in range(3):
            inst.send("r%d@docomo.ne.jp" % i, sender=SENDER)
        sink.wait_transactions(3, timeout=60)
        times = sink.session_times
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertTrue(all(g >= 1.8 for g in gaps), gaps)

    # --- replies: defer and retry, bounce with the remote text ---

    def test_451_then_250_is_deferred_then_delivered(self):
        sink = self.sink(rcpt_replies={"bob@remote.example": ["451 4.3.0 <bob@remote.example>: "
                                                              "try again later",
                                                              "250 2.1.5 Ok"]})
        inst = self.instance(main_cf="minimal_backoff_time = 300s\nmaximal_backoff_time = 600s\n",
                             transport="remote.example smtp:%s\n" % sink.nexthop)
        inst.start()
        inst.send("bob@remote.example", "carol@remote.example", sender=SENDER)
        inst.wait_log(r"to=<bob@remote.example>, relay=127.0.0.1\[127.0.0.1\]:%d, .*dsn=4.3.0, "
                      r"status=deferred \(host 127.0.0.1\[127.0.0.1\] said: 451 4.3.0 "
                      r"<bob@remote.example>: try again later \(in reply to RCPT TO command\)\)"
                      % sink.port)
        inst.wait_log(r"to=<carol@remote.example>, .*status=sent")
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, 10,
                         "deferred; log:\n" + inst.log())
        r = inst.run("postqueue", "-f")
        self.assertEqual(r.rc, 0, r)
        inst.wait_log(r"to=<bob@remote.example>, .*status=sent", timeout=20)
        inst.wait_empty()
        self.assertEqual(sorted(sink.all_rcpts()), ["bob@remote.example", "carol@remote.example"])

    def test_550_bounces_and_the_dsn_reaches_the_senders_mailbox(self):
        sink = self.sink(rcpt_replies={
            "bob@remote.example": "550 5.1.1 <bob@remote.example>: Recipient address rejected: "
                                  "User unknown in virtual mailbox table"})
        # The sender is a virtual mailbox of this host: the DSN is delivered
        # into its Maildir by virtual (as an unprivileged uid when root).
        vmail = os.path.join(self.tmp, "vmail")
        os.makedirs(vmail)
        uid = 10000 if os.geteuid() == 0 else os.geteuid()
        os.chown(vmail, uid, uid)
        inst = self.instance(
            main_cf="virtual_mailbox_domains = sender.example\nvirtual_mailbox_base = %s\n"
                    "virtual_mailbox_maps = inline:{alice@sender.example=sender.example/alice/}\n"
                    "virtual_uid_maps = static:%d\nvirtual_gid_maps = static:%d\n"
                    "virtual_minimum_uid = %d\n" % (vmail, uid, uid, min(uid, 100)),
            transport="remote.example smtp:%s\n" % sink.nexthop,
            services=SERVICES + ["virtual"])
        inst.start()
        inst.send("bob@remote.example", sender=SENDER)
        inst.wait_log(r"to=<bob@remote.example>, relay=127.0.0.1\[127.0.0.1\]:%d, .*dsn=5.1.1, "
                      r"status=bounced \(host 127.0.0.1\[127.0.0.1\] said: 550 5.1.1 "
                      r"<bob@remote.example>: Recipient address rejected: User unknown in "
                      r"virtual mailbox table \(in reply to RCPT TO command\)\)" % sink.port)
        inst.wait_log(r"to=<alice@sender\.example>, relay=virtual, .*status=sent", timeout=30)
        new = os.path.join(vmail, "sender.example", "alice", "new")
        files = os.listdir(new)
        self.assertEqual(len(files), 1, files)
        with open(os.path.join(new, files[0]), "rb") as f:
            dsn = f.read().decode("utf-8", "replace")
        self.assertIn("Return-Path: <>", dsn)
        self.assertIn("Undelivered Mail Returned to Sender", dsn)
        text = " ".join(dsn.split())  # the notice folds long lines
        self.assertIn("host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <bob@remote.example>: Recipient "
                      "address rejected: User unknown in virtual mailbox table (in reply to RCPT "
                      "TO command)", text)
        self.assertNotIn("alice@sender.example", sink.all_rcpts())  # it stayed here
        inst.wait_empty()

    # --- ESMTP features ---

    def test_smtputf8_required_but_not_offered(self):
        sink = self.sink(ehlo=["PIPELINING", "8BITMIME"])
        inst = self.instance(transport="remote.example smtp:%s\n" % sink.nexthop)
        inst.start()
        inst.send("j\u00f6rg@remote.example", sender=SENDER)
        inst.wait_log(r"to=<j\u00f6rg@remote.example>, relay=127.0.0.1\[127.0.0.1\]:%d, .*"
                      r"dsn=5.6.7, status=bounced \(SMTPUTF8 is required, but was not offered "
                      r"by host 127.0.0.1\[127.0.0.1\]\)" % sink.port)
        self.assertFalse(any(c.startswith("MAIL") for c in sink.commands), sink.commands)

    def test_smtputf8_offered(self):
        sink = self.sink()
        inst = self.instance(transport="remote.example smtp:%s\n" % sink.nexthop)
        inst.start()
        inst.send("j\u00f6rg@remote.example", sender=SENDER)
        t = sink.wait_transactions(1)[0]
        self.assertTrue(t.mail.endswith(" SMTPUTF8"), t.mail)
        self.assertEqual(t.rcpts, ["j\u00f6rg@remote.example"])

    def test_size_refused(self):
        sink = self.sink(ehlo=["PIPELINING", "SIZE 100"])
        inst = self.instance(transport="remote.example smtp:%s\n" % sink.nexthop)
        inst.start()
        inst.sendmail("bob@remote.example", sender=SENDER,
                      message="Subject: big\n\n" + "y" * 300 + "\n")
        inst.wait_log(r"to=<bob@remote.example>, .*dsn=5.3.4, status=bounced \(message size "
                      r"\d+ exceeds size limit 100 of server 127.0.0.1\[127.0.0.1\]\)")
        self.assertFalse(any(c.startswith("MAIL") for c in sink.commands), sink.commands)

    def test_helo_fallback_and_lock_step(self):
        sink = self.sink(ehlo_reply="502 5.5.2 Error: command not recognized")
        inst = self.instance(transport="remote.example smtp:%s\n" % sink.nexthop)
        inst.start()
        inst.send("bob@remote.example", "carol@remote.example", sender=SENDER)
        t = sink.wait_transactions(1)[0]
        self.assertEqual(t.helo, "HELO mta.test.example")
        self.assertEqual(t.mail, "MAIL FROM:<alice@sender.example>")  # no extensions
        self.assertEqual(sorted(t.rcpts), ["bob@remote.example", "carol@remote.example"])
        inst.wait_log(r"to=<carol@remote.example>, .*status=sent")

    def test_dsn_parameters_when_offered(self):
        sink = self.sink()
        inst = self.instance(transport="remote.example smtp:%s\n" % sink.nexthop)
        inst.start()
        r = inst.run("sendmail", "-f", "alice@sender.example", "-N", "success,failure",
                     "-R", "hdrs", "-V", "env+1", "bob@remote.example",
                     input="Subject: dsn\n\nhi\n")
        self.assertEqual(r.rc, 0, r)
        t = sink.wait_transactions(1)[0]
        self.assertIn(" RET=HDRS", t.mail)
        self.assertIn(" ENVID=env+2B1", t.mail)
        self.assertIn("NOTIFY=SUCCESS,FAILURE", t.rcpt_lines[0])

    def test_greeting_421_tries_next_then_defers_with_site_failure(self):
        sink = self.sink(greeting="421 4.3.2 Service not available")
        inst = self.instance(transport="remote.example smtp:%s\n" % sink.nexthop)
        inst.start()
        inst.send("bob@remote.example", sender=SENDER)
        inst.wait_log(r"to=<bob@remote.example>, .*dsn=4.3.2, status=deferred \(host "
                      r"127.0.0.1\[127.0.0.1\] refused to talk to me: 421 4.3.2 Service not "
                      r"available\)")

    def test_connection_refused_defers(self):
        port = mtatest.free_port()
        inst = self.instance(transport="remote.example smtp:[127.0.0.1]:%d\n" % port)
        inst.start()
        inst.send("bob@remote.example", sender=SENDER)
        inst.wait_log(r"to=<bob@remote.example>, relay=none, .*dsn=4.4.1, status=deferred "
                      r"\(connect to 127.0.0.1\[127.0.0.1\]:%d: Connection refused\)" % port)

    # --- backup MX (examples/backup-mx) ---

    def test_backup_mx_relays_its_domains(self):
        sink = self.sink()
        relay_domains = os.path.join(self.tmp, "relay_domains")
        with open(os.path.join(mtatest.EXAMPLES, "backup-mx", "relay_domains")) as f:
            text = f.read()
        with open(relay_domains, "w") as f:
            f.write(text)
        have_smtpd = os.path.exists(mtatest.program("smtpd"))
        port = mtatest.free_port()
        extra = mtatest.smtpd_service("127.0.0.1:%d" % port) if have_smtpd else ""
        # The SMTP client of the test must not be in mynetworks (it stands for
        # the outside world); reject_unauth_destination gives Postfix's 554
        # (its default, defer_unauth_destination, says 454 4.7.1).
        inst = self.instance("relay_domains = %s\nrelay_transport = smtp:%s\n"
                             "mynetworks = 192.0.2.0/24\n"
                             "smtpd_relay_restrictions = permit_mynetworks, "
                             "reject_unauth_destination\n"
                             % (relay_domains, sink.nexthop), master_extra=extra)
        inst.start()
        inst.send("user@mitty.jp", "user@test.mitty.jp", sender=SENDER)
        sink.wait_transactions(1)
        self.assertEqual(sorted(sink.all_rcpts()), ["user@mitty.jp", "user@test.mitty.jp"])
        inst.wait_log(r"to=<user@test.mitty.jp>, relay=127.0.0.1\[127.0.0.1\]:%d, .*status=sent"
                      % sink.port)
        if not have_smtpd:
            return
        mtatest.wait_for(lambda: self._connectable(port), 10, "smtpd listening")
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
            c.ehlo("client.example")
            c.mail("someone@outside.example")
            code, text = c.rcpt("victim@elsewhere.example")
            self.assertEqual(code, 554, text)
            self.assertIn(b"5.7.1", text)
            self.assertIn(b"Relay access denied", text)
            code, text = c.rcpt("other@mitty.jp")
            self.assertEqual(code, 250, text)
            code, text = c.data(b"Subject: relayed\r\n\r\nvia backup\r\n")
            self.assertEqual(code, 250, text)
        sink.wait_transactions(2)
        self.assertIn("other@mitty.jp", sink.all_rcpts())

    @staticmethod
    def _connectable(port):
        import socket
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False


if __name__ == "__main__":
    unittest.main()

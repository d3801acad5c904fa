"""System tests of smtpd(8): a real instance (postfix -c DIR start) whose
master.cf runs smtpd on 127.0.0.1:FREEPORT and cleanup, without qmgr, so
accepted mail stays in incoming/ where tests/daemons/queue-dump reads it
back. Clients are Python's smtplib, raw sockets and swaks when installed."""
import os
import re
import shutil
import smtplib
import socket
import subprocess
import time
import unittest

import mtatest
from dns_server import DnsServer

MAIN_CF = (
    "myhostname = mx.example.test\n"
    "mydomain = example.test\n"
    "mydestination = $myhostname, localhost\n"
    "mynetworks = 127.0.0.0/8\n"
    "smtpd_peername_lookup = no\n"
    "smtpd_error_sleep_time = 0\n"
    # loopback is in $mynetworks; the defences must apply to it here
    "smtpd_forbid_bare_newline_exclusions =\n"
)


class SmtpdTest(mtatest.TempDirTestCase):

    def instance(self, main_cf="", services=("cleanup", "anvil", "rewrite")):
        self.port = mtatest.free_port()
        inst = mtatest.MtaInstance(self, services=list(services), main_cf=MAIN_CF + main_cf)
        with open(os.path.join(inst.etc, "master.cf"), "a") as f:
            f.write("127.0.0.1:%d inet n n n - - smtpd\n" % self.port)
        inst.start()
        mtatest.wait_smtpd(self.port)
        return inst

    def connect(self):
        s, greeting = mtatest.smtp_connect(self.port)
        self.addCleanup(s.close)
        self.assertTrue(greeting.startswith("220 "), greeting)
        return s

    def test_smtplib_session_and_logs(self):
        inst = self.instance()
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as c:
            code, banner = c.ehlo("client.example")
            self.assertEqual(code, 250)
            self.assertEqual(banner.decode().split("\n"), [
                "mx.example.test", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN",
                "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"])
            c.sendmail("alice@example.org", ["bob@remote.example"],
                       b"Subject: hello\r\n\r\nHi Bob.\r\n")
            code, text = c.noop()
            self.assertEqual((code, text), (250, b"2.0.0 Ok"))
            code, text = c.docmd("HELP")
            self.assertEqual(code, 214)
            self.assertTrue(text.startswith(b"2.0.0 Commands: EHLO HELO MAIL RCPT"), text)
            code, text = c.docmd("FOO")
            self.assertEqual((code, text), (502, b"5.5.2 Error: command not recognized"))
        inst.wait_log(r"disconnect from unknown\[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=1 data=1 "
                      r"noop=1 help=1 quit=1 unknown=0/1 commands=7/8")
        log = inst.log()
        self.assertRegex(log, r"postfix/smtpd\[\d+\]: connect from unknown\[127\.0\.0\.1\]")
        q = inst.incoming()
        self.assertEqual(len(q), 1, log)
        qid, d = next(iter(q.items()))
        self.assertRegex(log, r"smtpd\[\d+\]: %s: client=unknown\[127\.0\.0\.1\]" % qid)
        self.assertEqual(d["sender"], "alice@example.org")
        self.assertEqual(d["recipients"], ["bob@remote.example"])
        self.assertEqual(d["attrs"].get("client_address"), "127.0.0.1")
        self.assertEqual(d["attrs"].get("helo_name"), "client.example")
        self.assertEqual(d["attrs"].get("protocol"), "ESMTP")
        self.assertEqual(d["content"][0], "Received: from client.example (unknown [127.0.0.1])")
        self.assertEqual(d["content"][1], "\tby mx.example.test (Postfix) with ESMTP id %s" % qid)
        self.assertTrue(d["content"][2].startswith("\tfor <bob@remote.example>; "))
        self.assertIn("Subject: hello", d["content"])
        self.assertIn("Hi Bob.", d["content"])

    def test_pipelining_dot_unstuffing_and_8bit(self):
        inst = self.instance()
        s = self.connect()
        body = (b"Subject: dots \xe2\x82\xac\r\n\r\n..one dot\r\n...two dots\r\n.x\r\n"
                b"bin \xff\xfe\x80 end\r\n\xe6\x97\xa5\xe6\x9c\xac\r\n")
        s.sendall(b"EHLO c.example\r\nMAIL FROM:<\xc3\xa9l\xc3\xa8ve@example.org> SMTPUTF8 "
                  b"BODY=8BITMIME\r\nRCPT TO:<a@remote.example>\r\nRCPT TO:<b@remote.example>\r\n"
                  b"DATA\r\n")
        replies = mtatest.recv_replies(s, 5)
        self.assertEqual(replies[1:], ["250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok",
                                       "354 End data with <CR><LF>.<CR><LF>"])
        s.sendall(body + b".\r\nQUIT\r\n")
        replies = mtatest.recv_replies(s, 2)
        qid = mtatest.queued_id(replies[0])
        self.assertEqual(replies[1], "221 2.0.0 Bye")
        d = inst.incoming()[qid]
        self.assertEqual(d["sender"], "\u00e9l\u00e8ve@example.org")
        self.assertEqual(d["attrs"].get("smtputf8"), "1")
        self.assertEqual(d["attrs"].get("encoding"), "8bit")
        self.assertEqual(d["content"][1], "\tby mx.example.test (Postfix) with UTF8SMTP id %s;"
                         % qid)
        # Byte for byte: the content after the three Received: lines.
        raw = subprocess.run([mtatest.test_daemon("queue-dump"),
                              inst.queue_path("incoming", qid)],
                             capture_output=True, timeout=30).stdout
        content = raw.split(b"\n--\n", 1)[1]
        self.assertIn(b"\nSubject: dots \xe2\x82\xac\n", content)
        want = b"".join((l[1:] if l.startswith(b".") else l) + b"\n"
                        for l in body.split(b"\r\n\r\n", 1)[1].split(b"\r\n")[:-1])
        self.assertEqual(content.split(b"\n\n", 1)[1], want)

    def test_bdat_chunks(self):
        inst = self.instance()
        s = self.connect()
        c1 = b"Subject: chunked\r\n\r\nfirst\r\n.leading dot kept\r\nsplit "
        c2 = b"across chunks\r\nend\r\n"
        s.sendall(b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@remote.example>\r\n"
                  b"BDAT %d\r\n%sBDAT %d LAST\r\n%sQUIT\r\n" % (len(c1), c1, len(c2), c2))
        replies = mtatest.recv_replies(s, 7)
        self.assertEqual(replies[3], "250 2.0.0 Ok: %d bytes" % len(c1))
        qid = mtatest.queued_id(replies[4])
        d = inst.incoming()[qid]
        # cleanup adds Message-Id:, Date:, From: (a local client, see
        # local_header_rewrite_clients); the body follows the empty line.
        self.assertEqual(d["content"][3], "Subject: chunked")
        body = d["content"][d["content"].index(""):]
        self.assertEqual(body, ["", "first", ".leading dot kept", "split across chunks", "end"])

    def test_size_limit(self):
        inst = self.instance("message_size_limit = 2000\n")
        s = self.connect()
        s.sendall(b"EHLO c\r\nMAIL FROM:<a@example.org> SIZE=5000\r\n")
        replies = mtatest.recv_replies(s, 2)
        self.assertIn("250-SIZE 2000", replies[0])
        self.assertEqual(replies[1], "552 5.3.4 Message size exceeds fixed limit")
        s.sendall(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@remote.example>\r\nDATA\r\n")
        mtatest.recv_replies(s, 3)
        s.sendall(b"Subject: big\r\n\r\n" + b"x" * 70 + b"\r\n" * 1 + (b"y" * 70 + b"\r\n") * 100
                  + b".\r\nQUIT\r\n")
        replies = mtatest.recv_replies(s, 2)
        self.assertEqual(replies, ["552 5.3.4 Message size exceeds fixed limit", "221 2.0.0 Bye"])
        self.assertEqual(inst.incoming(), {})

    def test_bare_lf_smuggling_is_one_message(self):
        inst = self.instance()
        s = self.connect()
        s.sendall(b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@remote.example>\r\nDATA\r\n")
        mtatest.recv_replies(s, 4)
        s.sendall(b"Subject: one\r\n\r\nbody\n.\r\nMAIL FROM:<admin@example.org>\r\n"
                  b"RCPT TO:<victim@remote.example>\r\nDATA\r\nSubject: smuggled\r\n\r\n.\n"
                  b"x\r\n.\r\nQUIT\r\n")
        replies = mtatest.recv_replies(s, 2)
        qid = mtatest.queued_id(replies[0])
        self.assertEqual(replies[1], "221 2.0.0 Bye")
        q = inst.incoming()
        self.assertEqual(list(q), [qid])
        self.assertEqual(q[qid]["recipients"], ["b@remote.example"])
        self.assertIn("MAIL FROM:<admin@example.org>", q[qid]["content"])

    def test_bare_lf_reject(self):
        inst = self.instance("smtpd_forbid_bare_newline = reject\n")
        s = self.connect()
        s.sendall(b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@remote.example>\r\nDATA\r\n")
        mtatest.recv_replies(s, 4)
        s.sendall(b"Subject: x\r\n\r\nbare\n.\r\n")
        replies = mtatest.recv_replies(s, 1)
        self.assertEqual(replies, ["550 5.5.2 mx.example.test Error: bare <LF> received"])
        self.assertEqual(s.recv(100), b"")  # disconnected
        self.assertEqual(inst.incoming(), {})

    def test_timeout(self):
        inst = self.instance("smtpd_timeout = 2s\n")
        s = self.connect()
        s.sendall(b"HELO c\r\nMAIL FROM:<a@example.org>\r\n")
        replies = mtatest.recv_replies(s, 3, timeout=15)
        self.assertEqual(replies[2], "421 4.4.2 mx.example.test Error: timeout exceeded")
        inst.wait_log(r"timeout after MAIL from unknown\[127\.0\.0\.1\]")

    def test_error_and_recipient_limits(self):
        inst = self.instance("smtpd_hard_error_limit = 3\nsmtpd_recipient_limit = 2\n")
        s = self.connect()
        s.sendall(b"HELO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<1@remote.example>\r\n"
                  b"RCPT TO:<2@remote.example>\r\nRCPT TO:<3@remote.example>\r\n"
                  b"BOGUS\r\nRCPT TO:<bad\r\nNOOP\r\n")
        replies = mtatest.recv_replies(s, 8)
        self.assertEqual(replies[4:], ["452 4.5.3 Error: too many recipients",
                                       "502 5.5.2 Error: command not recognized",
                                       "501 5.1.3 Bad recipient address syntax",
                                       "421 4.7.0 mx.example.test Error: too many errors"])
        inst.wait_log(r"too many errors after RCPT from unknown\[127\.0\.0\.1\]")
        inst.wait_log(r"disconnect from unknown\[127\.0\.0\.1\] helo=1 mail=1 rcpt=2/4 "
                      r"unknown=0/1 commands=4/7")

    def test_hostile_parameters_and_quoting(self):
        """ENVID/ORCPT that decode to CR LF are refused (no command injection
        into notices); a quoted recipient is checked as it is queued; a
        client looping on EHLO is disconnected; bad UTF-8 is refused."""
        vmailbox = os.path.join(self.tmp, "vmailbox")
        with open(vmailbox, "w") as f:
            f.write("bob@virt.test x\n")
        inst = self.instance("virtual_mailbox_domains = virt.test\n"
                             "virtual_mailbox_maps = texthash:%s\n" % vmailbox)
        s = self.connect()
        s.sendall(b"EHLO c\r\n"
                  b"MAIL FROM:<a@example.org> ENVID=abc+0D+0A.+0D+0AMAIL+20FROM:<x@y>\r\n"
                  b"MAIL FROM:<a@example.org>\r\n"
                  b"RCPT TO:<bob@virt.test> ORCPT=rfc822;bob@virt.test+0D+0AQUIT\r\n"
                  b'RCPT TO:<"bo\\"b"@virt.test>\r\n'
                  b"RCPT TO:<\xff@virt.test>\r\n"
                  b"RCPT TO:<bob@virt.test>\r\n")
        replies = mtatest.recv_replies(s, 7)
        self.assertEqual(replies[1:], [
            "501 5.5.4 Bad ENVID parameter syntax",
            "250 2.1.0 Ok",
            "501 5.5.4 Bad ORCPT parameter syntax",
            '550 5.1.1 <bo"b@virt.test>: Recipient address rejected: User unknown in virtual '
            'mailbox table',
            "500 5.5.2 Error: bad UTF-8 syntax",
            "250 2.1.5 Ok"])
        s.close()
        s = self.connect()
        s.sendall(b"EHLO loop.example\r\n" * 150)
        replies = mtatest.recv_replies(s, 150)
        self.assertEqual(replies[-1], "421 4.7.0 mx.example.test Error: too many errors")
        self.assertLess(len(replies), 150)
        inst.wait_log(r"too many errors after EHLO from unknown\[127\.0\.0\.1\]")

    def test_connection_count_limit(self):
        inst = self.instance("smtpd_client_connection_count_limit = 1\n"
                             "smtpd_client_event_limit_exceptions =\n")
        first = self.connect()
        second = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.addCleanup(second.close)
        self.assertEqual(mtatest.recv_replies(second, 1),
                         ["421 4.7.0 mx.example.test Error: too many connections from 127.0.0.1"])
        first.sendall(b"QUIT\r\n")
        self.assertEqual(mtatest.recv_replies(first, 1), ["221 2.0.0 Bye"])
        inst.wait_log(r"warning: Connection concurrency limit exceeded: 2 from "
                      r"unknown\[127\.0\.0\.1\] for service 127\.0\.0\.1:%d" % self.port)

    def test_exempt_clients_never_reach_anvil(self):
        # As Postfix: a client in smtpd_client_event_limit_exceptions (by
        # default $mynetworks) is neither limited nor counted. No anvil runs
        # here: a session that asked it would log a warning.
        inst = self.instance("smtpd_client_connection_count_limit = 1\n"
                             "smtpd_client_message_rate_limit = 1\n"
                             "smtpd_client_recipient_rate_limit = 1\n",
                             services=("cleanup", "rewrite"))
        first, second = self.connect(), self.connect()
        for s in (first, second):
            s.sendall(b"HELO c.example\r\nMAIL FROM:<a@example.test>\r\n"
                      b"RCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nRSET\r\n"
                      b"MAIL FROM:<a@example.test>\r\nQUIT\r\n")
            replies = mtatest.recv_replies(s, 7)
            self.assertEqual([r[:3] for r in replies],
                             ["250", "250", "250", "250", "250", "250", "221"], replies)
        inst.wait_log(r"disconnect from \S+\[127\.0\.0\.1\]", count=2)
        self.assertNotIn("anvil", inst.log())

    @unittest.skipUnless(shutil.which("swaks"), "swaks is not installed")
    def dns_instance(self, zone, main_cf):
        """An instance whose resolver asks a private DNS server with `zone`
        (util/dns.h's MTA_DNS_NAMESERVER seam, passed on by master)."""
        dns = DnsServer(zone)
        dns.start()
        self.addCleanup(dns.stop)
        return self.instance("import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C "
                             "MTA_DNS_NAMESERVER=%s\nmynetworks = 127.0.0.1/32\n%s"
                             % (dns.address, main_cf))

    def debian_smtpd(self, cf):
        """Debian's Postfix receiving on a free port with MAIN_CF + cf:
        (instance, port), or (None, None) where it is not installed."""
        if not mtatest.DebianPostfix.usable():
            return None, None
        port = mtatest.free_port()
        deb = mtatest.DebianPostfix(
            self, main_cf=MAIN_CF + cf + "inet_interfaces = 127.0.0.1\nlocal_recipient_maps =\n",
            master_cf=mtatest.DebianPostfix.receiving_master_cf(port))
        if not deb.start():
            self.skipTest("Debian's Postfix does not start here")
        mtatest.wait_smtpd(port)
        return deb, port

    @staticmethod
    def pipelined_after_ehlo(port):
        """A message sent as a well-behaved pipelining client does (MAIL,
        RCPT and DATA together after the EHLO reply): the replies from MAIL
        on, queue IDs cut off."""
        s, greeting = mtatest.smtp_connect(port)
        with s:
            s.sendall(b"EHLO client.example\r\n")
            mtatest.recv_replies(s, 1)
            s.sendall(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@remote.example>\r\nDATA\r\n")
            out = mtatest.recv_replies(s, 3)
            s.sendall(b"Subject: fine\r\n\r\nhi\r\n.\r\nQUIT\r\n")
            return out + [r.split(" queued as")[0] for r in mtatest.recv_replies(s, 2)]

    def rcpt_from(self, source, sender, recipient):
        """The replies to RCPT TO and QUIT of a session from `source`."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10,
                                     source_address=(source, 0))
        self.addCleanup(s.close)
        s.sendall(("EHLO client.example\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nQUIT\r\n"
                   % (sender, recipient)).encode())
        return mtatest.recv_replies(s, 5)[3:]

    def test_dns_client_names_and_domain_restrictions(self):
        # A private DNS server decides the client names and the domains
        # (util/dns.h's MTA_DNS_NAMESERVER seam, passed on by master).
        zone = {
            "5.0.0.127.in-addr.arpa": {"PTR": ["good.client.example"]},
            "good.client.example": {"A": ["127.0.0.5"]},
            "6.0.0.127.in-addr.arpa": {"PTR": ["liar.client.example"]},
            "liar.client.example": {"A": ["192.0.2.1"]},
            "sender.example": {"MX": [(10, "mx.sender.example")]},
            "mx.sender.example": {"A": ["192.0.2.2"]},
            "remote.example": {"A": ["192.0.2.3"]},
            "broken.example": "SERVFAIL",
        }
        inst = self.dns_instance(
            zone, "smtpd_peername_lookup = yes\n"
            "unknown_address_reject_code = 550\nunknown_client_reject_code = 550\n"
            "smtpd_client_restrictions = reject_unknown_client_hostname\n"
            "smtpd_sender_restrictions = reject_unknown_sender_domain\n"
            "smtpd_recipient_restrictions = reject_unknown_recipient_domain\n"
            "relay_domains = remote.example, gone.example\n"
            "smtpd_relay_restrictions = reject_unauth_destination\n")

        def rcpt(source, sender, recipient):
            return self.rcpt_from(source, sender, recipient)[0]

        self.assertEqual(rcpt("127.0.0.5", "a@sender.example", "b@remote.example")[:3], "250",
                         inst.log())
        self.assertEqual(rcpt("127.0.0.6", "a@sender.example", "b@remote.example"),
                         "550 5.7.25 Client host rejected: cannot find your hostname, "
                         "[127.0.0.6]")
        self.assertEqual(rcpt("127.0.0.5", "a@gone.example", "b@remote.example"),
                         "550 5.1.8 <a@gone.example>: Sender address rejected: Domain not found")
        self.assertEqual(rcpt("127.0.0.5", "a@sender.example", "b@gone.example"),
                         "550 5.1.2 <b@gone.example>: Recipient address rejected: Domain not "
                         "found")
        # A DNS failure is never a rejection for good: 450, try again.
        self.assertEqual(rcpt("127.0.0.5", "a@broken.example", "b@remote.example")[:9],
                         "450 4.1.8")
        log = inst.log()
        self.assertRegex(log, r"connect from good\.client\.example\[127\.0\.0\.5\]")
        self.assertRegex(log, r"warning: hostname liar\.client\.example does not resolve to "
                              r"address 127\.0\.0\.6")
        self.assertRegex(log, r"connect from unknown\[127\.0\.0\.6\]")
        self.assertRegex(log, r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.6\]: 550 5\.7\.25 "
                              r"Client host rejected: cannot find your hostname, \[127\.0\.0\.6\]; "
                              r"from=<a@sender\.example> to=<b@remote\.example> proto=ESMTP "
                              r"helo=<client\.example>")

    def test_dns_block_and_allow_lists(self):
        """reject_rbl_client, permit_dnswl_client and reject_rhsbl_sender
        against a private DNS server (tests/dns_server.py): Postfix's
        default_rbl_reply with the TXT record as the reason, the reply
        pattern, a list that does not answer (the benefit of the doubt), and
        a hostile TXT record that must not end the reply line."""
        zone = {
            "5.0.0.127.zen.test": {"A": ["127.0.0.2"], "TXT": ["https://zen.test/q/127.0.0.5"]},
            "6.0.0.127.zen.test": {"A": ["127.0.0.4"]},  # outside the pattern
            "7.0.0.127.zen.test": "SERVFAIL",
            "8.0.0.127.zen.test": {"A": ["127.0.0.2"]},
            "8.0.0.127.dnswl.test": {"A": ["127.0.10.0"]},
            "10.0.0.127.zen.test": {"A": ["127.0.0.3"], "TXT": ["x\r\n250 2.0.0 ok"]},
            "spam.example.dbl.test": {"A": ["127.0.1.2"]},
        }
        inst = self.dns_instance(
            zone, "smtpd_client_restrictions = permit_dnswl_client dnswl.test, "
            "reject_rbl_client zen.test=127.0.0.[2..3]\n"
            "smtpd_sender_restrictions = reject_rhsbl_sender dbl.test\n"
            "relay_domains = remote.example\n"
            "smtpd_relay_restrictions = reject_unauth_destination\n")

        def rcpt(source, sender="a@sender.example"):
            return self.rcpt_from(source, sender, "b@remote.example")

        listed = ("554 5.7.1 Service unavailable; Client host [127.0.0.5] blocked using zen.test; "
                  "https://zen.test/q/127.0.0.5")
        self.assertEqual(rcpt("127.0.0.5"), [listed, "221 2.0.0 Bye"])
        self.assertEqual(rcpt("127.0.0.6")[0], "250 2.1.5 Ok", inst.log())
        self.assertEqual(rcpt("127.0.0.7")[0], "250 2.1.5 Ok", inst.log())
        self.assertEqual(rcpt("127.0.0.8")[0], "250 2.1.5 Ok", inst.log())
        self.assertEqual(rcpt("127.0.0.10"),
                         ["554 5.7.1 Service unavailable; Client host [127.0.0.10] blocked using "
                          "zen.test; x__250 2.0.0 ok", "221 2.0.0 Bye"])
        self.assertEqual(rcpt("127.0.0.9", "a@spam.example")[0],
                         "554 5.7.1 Service unavailable; Sender address [a@spam.example] blocked "
                         "using dbl.test")
        log = inst.log()
        self.assertIn("NOQUEUE: reject: RCPT from unknown[127.0.0.5]: %s; from=<a@sender.example> "
                      "to=<b@remote.example> proto=ESMTP helo=<client.example>" % listed, log)
        self.assertIn("warning: 7.0.0.127.zen.test: RBL lookup error: Host or domain name not "
                      "found. Name service error for name=7.0.0.127.zen.test type=A: Host not "
                      "found, try again", log)
        self.assertNotIn("unknown smtpd restriction", log)

    def test_access_hold_puts_the_message_in_the_hold_queue(self):
        inst = self.instance("smtpd_recipient_restrictions = check_recipient_access "
                             "inline:{{held@remote.example=HOLD check it}}, permit_mynetworks, "
                             "reject\n")
        s = self.connect()
        s.sendall(b"EHLO c.example\r\n")
        mtatest.recv_replies(s, 1)
        before = time.time()
        s.sendall(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<held@remote.example>\r\nDATA\r\n")
        self.assertEqual(mtatest.recv_replies(s, 3)[1], "250 2.1.5 Ok")
        after = time.time()
        s.sendall(b"Subject: hold me\r\n\r\nx\r\n.\r\nQUIT\r\n")
        qid = mtatest.queued_id(mtatest.recv_replies(s, 2)[0])
        self.assertEqual(inst.queue_ids("hold"), [qid])
        # The arrival time is MAIL FROM's, with microseconds (delays= start there).
        arrival = mtatest.queue_dump(inst.queue_path("hold", qid))["arrival"]
        self.assertTrue(before <= arrival <= after, (before, arrival, after))
        self.assertEqual(inst.queue_ids("incoming"), [])
        inst.wait_log(r"NOQUEUE: hold: RCPT from \S+\[127\.0\.0\.1\]: <held@remote\.example>: "
                      r"Recipient address check it; from=<a@example\.org> "
                      r"to=<held@remote\.example> proto=ESMTP helo=<c\.example>")
        # postqueue -p marks held mail with "!".
        self.assertIn(qid + "!", inst.run("postqueue", "-p").out)

    def test_access_redirect_filter_and_bcc_are_applied(self):
        """Access table REDIRECT (every recipient replaced), FILTER (the
        content_filter attribute qmgr delivers through) and BCC (one more
        recipient), as Postfix's smtpd asks cleanup for them."""
        inst = self.instance(
            "smtpd_recipient_restrictions = check_recipient_access inline:{"
            "{redir@remote.example=REDIRECT other@elsewhere.example}, "
            "{filt@remote.example=FILTER smtp:[127.0.0.1]:10024}, "
            "{copy@remote.example=BCC archive@elsewhere.example}}, permit_mynetworks, reject\n")

        def message(rcpts):
            s = self.connect()
            s.sendall(b"EHLO c.example\r\n")
            mtatest.recv_replies(s, 1)
            s.sendall(b"MAIL FROM:<a@example.org>\r\n" +
                      b"".join(b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts) + b"DATA\r\n")
            replies = mtatest.recv_replies(s, 2 + len(rcpts))
            self.assertTrue(all(r.startswith("250") for r in replies[:-1]), replies)
            s.sendall(b"Subject: access\r\n\r\nx\r\n.\r\nQUIT\r\n")
            qid = mtatest.queued_id(mtatest.recv_replies(s, 2)[0])
            path = mtatest.wait_for(lambda: inst.queue_path("incoming", qid), 10, "queue file")
            return mtatest.wait_for(lambda: mtatest.queue_dump(path), 10, "queue file ready")

        q = message(["redir@remote.example", "bob@remote.example"])
        live = [r for r in q["recipients"] if r not in q["done"]]
        self.assertEqual(live, ["other@elsewhere.example"], q)
        inst.wait_log(r"redirect: RCPT from \S+: <redir@remote\.example>: Recipient address "
                      r"triggers REDIRECT other@elsewhere\.example")
        q = message(["filt@remote.example"])
        self.assertEqual(q["attrs"].get("content_filter"), "smtp:[127.0.0.1]:10024", q)
        q = message(["copy@remote.example"])
        self.assertEqual(sorted(r for r in q["recipients"] if r not in q["done"]),
                         ["archive@elsewhere.example", "copy@remote.example"], q)
        # Mail that meets no action gets none of them.
        q = message(["bob@remote.example"])
        self.assertEqual(q["recipients"], ["bob@remote.example"], q)
        self.assertNotIn("content_filter", q["attrs"])

    def test_access_discard_accepts_and_drops(self):
        inst = self.instance("smtpd_recipient_restrictions = check_recipient_access "
                             "inline:{{gone@remote.example=DISCARD}}, permit_mynetworks, "
                             "reject\n")
        s = self.connect()
        s.sendall(b"EHLO c.example\r\nMAIL FROM:<a@example.org>\r\n"
                  b"RCPT TO:<gone@remote.example>\r\nDATA\r\n")
        self.assertEqual(mtatest.recv_replies(s, 4)[2], "250 2.1.5 Ok")
        s.sendall(b"Subject: drop me\r\n\r\nx\r\n.\r\nQUIT\r\n")
        qid = mtatest.queued_id(mtatest.recv_replies(s, 2)[0])
        inst.wait_log(r"%s: discard: from=<a@example\.org> nrcpt=1" % qid)
        for q in ("incoming", "active", "hold", "deferred"):
            self.assertEqual(inst.queue_ids(q), [], q)
        self.assertNotIn("warning", inst.log().replace(
            "warning: local_recipient_maps", "").replace("warning: mail_owner", "")
            .replace("warning: maillog_file", ""))

    def test_reject_unauth_pipelining_as_debians(self):
        """smtpd_data_restrictions = reject_unauth_pipelining: a client that
        sends everything at once after HELO (the spamware pattern) gets
        Postfix's 503 at DATA; pipelining after the EHLO reply, ending the
        group with DATA, is allowed. The replies, compared with Debian's
        Postfix, and the log line."""
        cf = "smtpd_data_restrictions = reject_unauth_pipelining\n"
        inst = self.instance(cf)

        def replies(port):
            out = []
            out += self.pipelined_after_ehlo(port)
            s, greeting = mtatest.smtp_connect(port)
            with s:
                s.sendall(b"HELO client.example\r\nMAIL FROM:<a@example.org>\r\n"
                          b"RCPT TO:<bob@remote.example>\r\nDATA\r\nQUIT\r\n")
                out += mtatest.recv_replies(s, 5)
            return out
        ours = replies(self.port)
        self.assertEqual(ours[8], "503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP "
                                  "command pipelining")
        inst.wait_log(r"improper command pipelining after HELO from unknown\[127\.0\.0\.1\]: "
                      r"MAIL FROM:<a@example\.org>\\r\\nRCPT TO:<bob@remote\.example>\\r\\n"
                      r"DATA\\r\\nQUIT\\r\\n\n")
        deb, port = self.debian_smtpd(cf)
        if deb is None:
            return
        self.assertEqual(replies(port), ours)
        mtatest.wait_for(lambda: "improper command pipelining after HELO" in deb.log(), 10,
                         "Debian's log line")
        theirs = re.search(r"improper command pipelining after .*", deb.log()).group(0)
        mine = re.search(r"improper command pipelining after .*", inst.log()).group(0)
        self.assertEqual(mine, theirs)

    def test_forbid_unauth_pipelining(self):
        """smtpd_forbid_unauth_pipelining = yes: a command sent ahead
        without EHLO gets "554 5.5.0 Error: SMTP protocol synchronization"
        and the session ends; pipelining after EHLO is fine; replies as
        Debian's Postfix gives them."""
        cf = "smtpd_forbid_unauth_pipelining = yes\nrelay_domains = remote.example\n"
        inst = self.instance(cf)

        def replies(port):
            out = []
            s, greeting = mtatest.smtp_connect(port)
            with s:
                s.sendall(b"HELO client.example\r\n")
                out += mtatest.recv_replies(s, 1)
                s.sendall(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@remote.example>\r\n")
                out += mtatest.recv_replies(s, 2)  # one, then the server hangs up
            out += self.pipelined_after_ehlo(port)
            return out
        ours = replies(self.port)
        self.assertEqual(ours[:2], ["250 mx.example.test",
                                    "554 5.5.0 Error: SMTP protocol synchronization"])
        self.assertEqual(ours[2:4], ["250 2.1.0 Ok", "250 2.1.5 Ok"])
        inst.wait_log(r"improper command pipelining after MAIL from unknown\[127\.0\.0\.1\]: "
                      r"RCPT TO:<bob@remote\.example>\\r\\n")
        deb, port = self.debian_smtpd(cf)
        if deb is None:
            return
        self.assertEqual(replies(port), ours)

    def test_forbid_unauth_pipelining_before_the_greeting(self):
        """A client that talks before the 220 greeting: logged, and with
        smtpd_forbid_unauth_pipelining refused without a greeting. Made
        certain by one smtpd process: the second client's bytes arrive
        while the first session holds it."""
        inst = self.instance("smtpd_forbid_unauth_pipelining = yes\ndefault_process_limit = 1\n")
        first, greeting = mtatest.smtp_connect(self.port)
        early = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.addCleanup(early.close)
        early.sendall(b"EHLO early.example\r\n")
        with first:
            first.sendall(b"QUIT\r\n")
            mtatest.recv_replies(first, 1)
        self.assertEqual(mtatest.recv_replies(early, 2),
                         ["554 5.5.0 Error: SMTP protocol synchronization"])
        inst.wait_log(r"improper command pipelining after CONNECT from unknown\[127\.0\.0\.1\]: "
                      r"EHLO early\.example\\r\\n")

    def test_swaks(self):
        inst = self.instance()
        r = mtatest.run(["swaks", "--server", "127.0.0.1", "--port", str(self.port),
                         "--from", "alice@example.org", "--to", "bob@remote.example",
                         "--helo", "swaks.example", "--pipeline", "--body", "swaks body"],
                        timeout=60)
        self.assertEqual(r.rc, 0, r)
        m = re.search(r"<-  250 2\.0\.0 Ok: queued as (\w+)", r.out)
        self.assertIsNotNone(m, r.out)
        d = inst.incoming()[m.group(1)]
        self.assertIn("swaks body", d["content"])
        self.assertEqual(d["attrs"].get("helo_name"), "swaks.example")


if __name__ == "__main__":
    unittest.main()

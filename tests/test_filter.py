"""System tests of the after-queue content filter (Postfix's FILTER_README
set-up): content_filter sends every message to an SMTP filter (here a
small one in this file) through a dedicated smtp transport with
smtp_send_xforward_command = yes; the filter adds a header and re-injects
the message into a second smtpd (master.cf "-o content_filter=" and
smtpd_authorized_xforward_hosts), which logs the original client. The
message must be delivered once, with the header once, and never loop."""
import os
import re
import smtplib
import socketserver
import threading
import time

import mtatest
from smtp_sink import SmtpSink

SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "showq",
            "error", "retry"]
XFORWARD_KEYWORD = "XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT"


class Filter:
    """A content filter as FILTER_README describes one: an SMTP server
    that takes each message, adds "X-Filtered: yes" and re-injects it into
    the re-injecting smtpd with the XFORWARD commands it was given, then
    answers with that smtpd's reply (so the message is queued anew before
    the first copy counts as delivered). `messages` records (xforward
    lines, MAIL line, recipients) of each message taken."""

    def __init__(self, reinject_port, lmtp=False):
        self.reinject_port = reinject_port
        self.lmtp = lmtp  # LMTP (RFC 2033): LHLO, one reply per recipient after DATA
        self.messages = []
        self.lock = threading.Lock()
        flt = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                flt._session(self.rfile, self.wfile)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            # socketserver's default listen backlog is 5: under a load of many
            # agents the accept queue overflows, the kernel drops the client's final
            # ACK and the agent, ESTABLISHED on its side, waits for a greeting that
            # never comes (smtp_helo_timeout, 300s), as it would with any server.
            request_queue_size = 128
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _session(self, rfile, wfile):
        def send(text):
            wfile.write(text.encode() + b"\r\n")
            wfile.flush()

        send("220 filter.example %s content filter" % ("LMTP" if self.lmtp else "ESMTP"))
        xforward, mail, rcpts = [], None, []
        while True:
            raw = rfile.readline(65536)
            if not raw:
                return
            line = raw.rstrip(b"\r\n").decode()
            verb = line.split(" ", 1)[0].upper()
            if verb == ("LHLO" if self.lmtp else "EHLO"):
                send("250-filter.example")
                send("250 " + XFORWARD_KEYWORD)
            elif verb == "XFORWARD":
                xforward.append(line)
                send("250 2.0.0 Ok")
            elif verb == "MAIL":
                mail = line
                send("250 2.1.0 Ok")
            elif verb == "RCPT":
                rcpts.append(re.match(r"RCPT TO:<([^>]*)>", line, re.I).group(1))
                send("250 2.1.5 Ok")
            elif verb == "DATA":
                send("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    data = rfile.readline(1 << 20)
                    if not data or data == b".\r\n":
                        break
                    lines.append(data[1:] if data.startswith(b".") else data)
                with self.lock:
                    self.messages.append((list(xforward), mail, list(rcpts)))
                reply = self._reinject(xforward, mail, rcpts,
                                       b"X-Filtered: yes\r\n" + b"".join(lines))
                for _ in (rcpts if self.lmtp else [None]):
                    send(reply)
                xforward, mail, rcpts = [], None, []
            elif verb == "RSET":
                xforward, mail, rcpts = [], None, []
                send("250 2.0.0 Ok")
            elif verb == "QUIT":
                send("221 2.0.0 Bye")
                return
            else:
                send("502 5.5.2 Error: command not recognized")

    def _reinject(self, xforward, mail, rcpts, message):
        sender = re.match(r"MAIL FROM:<([^>]*)>", mail, re.I).group(1)
        try:
            with smtplib.SMTP("127.0.0.1", self.reinject_port, local_hostname="filter.example",
                              timeout=30) as c:
                c.ehlo()
                for x in xforward:
                    code, text = c.docmd(x)
                    if code != 250:
                        return "451 4.3.0 XFORWARD: %d %s" % (code, text.decode())
                c.mail(sender)
                for r in rcpts:
                    c.rcpt(r)
                code, text = c.data(message)
                return "%d %s" % (code, text.decode())
        except (OSError, smtplib.SMTPException) as e:
            return "451 4.3.0 re-injection failed: %s" % e


class FilterTest(mtatest.TempDirTestCase):
    LMTP = False  # the filter transport: smtp, or lmtp (LmtpFilterTest)

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)
        self.sink = SmtpSink()  # the Internet
        self.sink.start()
        self.addCleanup(self.sink.stop)
        self.port = mtatest.free_port()
        reinject = mtatest.free_port()
        self.filter = Filter(reinject, lmtp=self.LMTP)
        self.addCleanup(self.filter.stop)
        transport = os.path.join(self.tmp, "transport")
        with open(transport, "w") as f:
            f.write("remote.example smtp:%s\n" % self.sink.nexthop)
        master = (
            "smtp unix - n n - - smtp\n" +
            # FILTER_README's dedicated transport to the filter.
            ("scan unix - n n - 10 lmtp\n  -o lmtp_send_xforward_command=yes\n" if self.LMTP
             else "scan unix - n n - 10 smtp\n  -o smtp_send_xforward_command=yes\n") +
            # The public smtpd; the test's client is "the Internet" through XCLIENT.
            mtatest.smtpd_service("127.0.0.1:%d" % self.port,
                                  ["smtpd_authorized_xclient_hosts=127.0.0.0/8"]) +
            # The re-injecting smtpd of FILTER_README.
            mtatest.smtpd_service("127.0.0.1:%d" % reinject, [
                "content_filter=",
                "receive_override_options=no_unknown_recipient_checks,no_header_body_checks",
                "smtpd_authorized_xforward_hosts=127.0.0.0/8",
                "mynetworks=127.0.0.0/8",
                "smtpd_recipient_restrictions=permit_mynetworks,reject"]))
        self.inst = mtatest.MtaInstance(
            self, services=SERVICES, master_extra=master,
            main_cf="myhostname = mx.example.test\nmydestination = localhost\n"
                    "relay_domains = remote.example\ntransport_maps = texthash:%s\n"
                    "content_filter = scan:[127.0.0.1]:%d\n"
                    "smtpd_recipient_restrictions = check_recipient_access "
                    "inline:{{direct@remote.example=FILTER smtp:%s}}, "
                    "reject_unauth_destination\n"
                    "queue_run_delay = 1s\nminimal_backoff_time = 2s\nmaximal_backoff_time = 4s\n"
                    "smtpd_error_sleep_time = 0\n"
                    % (transport, self.filter.port, self.sink.nexthop))
        self.inst.start()
        mtatest.wait_smtpd(self.port)
        mtatest.wait_smtpd(reinject)

    def send_from_internet(self, rcpt, subject):
        """One message from mail.example.org[198.51.100.7] (XCLIENT), HELO
        helo.example.org; returns its queue ID."""
        with smtplib.SMTP("127.0.0.1", self.port, local_hostname="x.example", timeout=30) as c:
            c.ehlo()
            code, text = c.docmd("XCLIENT NAME=mail.example.org ADDR=198.51.100.7 "
                                 "HELO=helo.example.org PROTO=ESMTP")
            self.assertEqual(code, 220, text)
            code, text = c.mail("alice@origin.example")
            self.assertEqual(code, 250, text)
            code, text = c.rcpt(rcpt)
            self.assertEqual(code, 250, text)
            code, text = c.data("Subject: %s\r\n\r\nhello\r\n" % subject)
            self.assertEqual(code, 250, text)
            return mtatest.queued_id([("%d %s" % (code, text.decode()))])

    def test_filtered_once_with_original_client(self):
        qid = self.send_from_internet("bob@remote.example", "filter me")
        t = self.sink.wait_transactions(1)[0]
        self.assertEqual(t.rcpts, ["bob@remote.example"])
        self.assertEqual(t.data.count(b"X-Filtered: yes\r\n"), 1, t.data)
        # The public smtpd's Received: header names the original client.
        self.assertIn(b"Received: from helo.example.org (mail.example.org [198.51.100.7])\r\n",
                      t.data)
        # The filter was told who the client was (two XFORWARD commands,
        # as Postfix's smtp client sends them).
        self.assertEqual(len(self.filter.messages), 1)
        xforward, mail, rcpts = self.filter.messages[0]
        self.assertRegex(xforward[0],
                         r"^XFORWARD NAME=mail\.example\.org ADDR=198\.51\.100\.7 PORT=\d+$")
        self.assertEqual(xforward[1],
                         "XFORWARD PROTO=ESMTP HELO=helo.example.org IDENT=%s SOURCE=REMOTE" % qid)
        self.assertTrue(mail.startswith("MAIL FROM:<alice@origin.example>"), mail)
        # The re-injected message: its smtpd names the original client.
        self.inst.wait_log(r"smtp\[\d+\]: \w+: to=<bob@remote\.example>, relay=127\.0\.0\.1"
                           r"\[127\.0\.0\.1\]:%d, .*status=sent" % self.sink.port)
        log = self.inst.log()
        m = re.search(r"postfix/\w+\[\d+\]: %s: to=<bob@remote\.example>, relay=127\.0\.0\.1"
                      r"\[127\.0\.0\.1\]:%d, .*status=sent \(250 2\.0\.0 Ok: queued as (\w+)\)"
                      % (qid, self.filter.port), log)
        self.assertIsNotNone(m, log)
        second = m.group(1)
        self.assertRegex(log, r"smtpd\[\d+\]: %s: client=\S+\[127\.0\.0\.1\], orig_queue_id=%s, "
                              r"orig_client=mail\.example\.org\[198\.51\.100\.7\]\n"
                         % (second, qid))
        self.assertRegex(log, r"smtpd\[\d+\]: %s: client=mail\.example\.org\[198\.51\.100\.7\]\n"
                         % qid)
        self.assertRegex(log, r"smtp\[\d+\]: %s: to=<bob@remote\.example>, relay=127\.0\.0\.1"
                              r"\[127\.0\.0\.1\]:%d, .*status=sent" % (second, self.sink.port))
        # No mail loop: the re-injected copy went to the Internet, not to the filter.
        time.sleep(2)
        self.assertEqual(len(self.filter.messages), 1)
        self.assertEqual(len(self.sink.transactions), 1)
        self.inst.wait_empty()

    def test_local_submission_and_access_filter(self):
        # pickup applies content_filter too; a local message has no client.
        self.inst.sendmail("carol@remote.example", sender="root@localhost",
                           message="Subject: local\n\nhi\n")
        # An access table's FILTER comes later and wins: straight to the sink.
        self.send_from_internet("direct@remote.example", "direct")
        self.sink.wait_transactions(2)
        by_rcpt = {t.rcpts[0]: t for t in self.sink.transactions}
        self.assertEqual(sorted(by_rcpt), ["carol@remote.example", "direct@remote.example"])
        self.assertEqual(by_rcpt["carol@remote.example"].data.count(b"X-Filtered: yes\r\n"), 1)
        self.assertNotIn(b"X-Filtered:", by_rcpt["direct@remote.example"].data)
        self.assertEqual(len(self.filter.messages), 1)
        xforward = self.filter.messages[0][0]
        self.assertEqual(xforward[0], "XFORWARD NAME=[UNAVAILABLE] ADDR=[UNAVAILABLE] "
                                      "PORT=[UNAVAILABLE]")
        self.assertRegex(xforward[1], r"^XFORWARD PROTO=\[UNAVAILABLE\] HELO=\[UNAVAILABLE\] "
                                      r"IDENT=[0-9A-F]+ SOURCE=LOCAL$")
        self.inst.wait_log(r"smtpd\[\d+\]: \w+: client=\S+\[127\.0\.0\.1\], orig_queue_id=\w+, "
                           r"orig_client=unknown\n")
        self.inst.wait_empty()


class LmtpFilterTest(FilterTest):
    """The same with content_filter = lmtp-transport:[127.0.0.1]:PORT."""
    LMTP = True


class XforwardParityTest(mtatest.TempDirTestCase):
    """XFORWARD and XCLIENT replies, EHLO keywords and the disconnect
    counters side by side with Debian's Postfix 3.7."""

    SCRIPT = [
        "EHLO probe.example", "XFORWARD", "XFORWARD NAME", "XFORWARD =x", "XFORWARD FOO=bar",
        "XFORWARD NAME=bad_host!", "XFORWARD NAME=+ZZ", "XFORWARD ADDR=300.1.1.1",
        "XFORWARD PORT=123456", "XFORWARD PORT=abc", "XFORWARD SOURCE=ELSEWHERE",
        "XFORWARD PROTO=" + "p" * 65, "XFORWARD HELO=" + "h" * 256,
        "xforward name=mail.example.org addr=192.0.2.7 port=4711",
        "XFORWARD PROTO=ESMTP HELO=helo+0Dx IDENT=ABCDEF SOURCE=REMOTE",
        "MAIL FROM:<a@example.org>", "XFORWARD NAME=x.example", "XCLIENT NAME=x.example", "RSET",
        "XCLIENT", "XCLIENT FOO=1", "XCLIENT PROTO=LMTP", "XCLIENT NAME=bad!",
        "XCLIENT NAME=[TEMPUNAVAIL] ADDR=192.0.2.9 PORT=99 HELO=fake.example",
        "EHLO after.example", "XCLIENT DESTADDR=192.0.2.100", "QUIT"]
    MAIN_CF = ("myhostname = mx.example.test\nmydestination = example.com\n"
               "local_recipient_maps =\nsmtpd_error_sleep_time = 0\n"
               "smtpd_authorized_xforward_hosts = 127.0.0.0/8\n"
               "smtpd_authorized_xclient_hosts = 127.0.0.0/8\nmynetworks = 127.0.0.0/8\n")

    def dialogue(self, port):
        s, greeting = mtatest.smtp_connect(port)
        try:
            out = [greeting]
            for line in self.SCRIPT:
                s.sendall(line.encode() + b"\r\n")
                out.extend(mtatest.recv_replies(s, 1))
            return out
        finally:
            s.close()

    def test_replies_as_debian_postfix(self):
        if not mtatest.DebianPostfix.usable():
            self.skipTest("needs root and Debian's postfix package")
        port = mtatest.free_port()
        inst = mtatest.MtaInstance(self, services=["cleanup", "rewrite"], main_cf=self.MAIN_CF,
                                   master_extra=mtatest.smtpd_service("127.0.0.1:%d" % port))
        inst.start()
        mtatest.wait_smtpd(port)
        ours = self.dialogue(port)
        deb_port = mtatest.free_port()
        deb = mtatest.DebianPostfix(self, main_cf=self.MAIN_CF + "inet_interfaces = 127.0.0.1\n",
                                    master_cf=mtatest.DebianPostfix.receiving_master_cf(deb_port))
        if not deb.start():
            self.skipTest("Debian's Postfix does not start here")
        mtatest.wait_smtpd(deb_port)
        theirs = self.dialogue(deb_port)
        self.assertEqual(ours, theirs)
        counters = r"disconnect from \S+\[192\.0\.2\.9\]:? (.*)\n"
        inst.wait_log(counters)
        mtatest.wait_for(lambda: re.search(counters, deb.log()), 10, "Debian's disconnect line")
        self.assertEqual(re.search(counters, inst.log()).group(1),
                         re.search(counters, deb.log()).group(1))


if __name__ == "__main__":
    import unittest
    unittest.main()

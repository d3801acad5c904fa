"""End-to-end tests of examples/virtual-hash (virtual mailbox and
alias domains from hash files) on a real instance: every note of the
example's README, and the SMTP properties mail must keep on its way into a
Maildir (pipelining, 8-bit and SMTPUTF8 bodies byte for byte, the size
limit, a bare-LF smuggling attempt).

The example trusts all of loopback (mynetworks = 127.0.0.0/8). The README's
"Relay access denied" cases are about clients outside mynetworks, so those
tests narrow mynetworks to 127.0.0.1/32 and connect from 127.0.0.5.
"""
import email
import os
import socket
import unittest

import mtatest
from test_virtual_hosting import SERVICES, maildir_messages

VHASH = os.path.join(mtatest.EXAMPLES, "virtual-hash")
OUTSIDE = "127.0.0.5"


class VirtualHashTest(mtatest.TempDirTestCase):
    def start(self, vmailbox=None, valias=None, extra_main=""):
        """Copies the example into the test directory (tables optionally
        replaced), builds the tables with our postmap, starts an instance.
        Returns postmap's stderr for each table."""
        self.base = os.path.join(self.tmp, "virtual_mailbox_base")
        os.makedirs(self.base, exist_ok=True)
        tables = os.path.join(self.tmp, "tables")
        os.makedirs(tables, exist_ok=True)
        warnings = {}
        for name, text in (("virtual_mailbox_maps", vmailbox), ("virtual_alias_maps", valias)):
            if text is None:
                with open(os.path.join(VHASH, name)) as f:
                    text = f.read()
            with open(os.path.join(tables, name), "w") as f:
                f.write(text)
        with open(os.path.join(VHASH, "main.cf")) as f:
            main = f.read().replace("/var/spool/virtual_mailbox_base", self.base)
        main = main.replace("/etc/postfix", tables)
        # As root the mail belongs to an unprivileged uid (virtual never
        # delivers as root); as an ordinary user to that user.
        uid = 10000 if os.geteuid() == 0 else os.geteuid()
        os.chmod(self.tmp, 0o755)
        os.chown(self.base, uid, uid)
        self.port = mtatest.free_port()
        self.inst = mtatest.MtaInstance(
            self, services=SERVICES,
            main_cf=main + "myhostname = mail.mitty.jp\nvirtual_uid_maps = static:%d\n"
            "virtual_gid_maps = static:%d\nvirtual_minimum_uid = %d\n"
            "defer_transports = smtp\n%s" % (uid, uid, min(uid, 100), extra_main),
            master_extra=mtatest.smtpd_service("127.0.0.1:%d" % self.port))
        for name in ("virtual_mailbox_maps", "virtual_alias_maps"):
            r = self.inst.run("postmap", "hash:" + os.path.join(tables, name))
            self.assertEqual(r.rc, 0, r)
            warnings[name] = r.err
        self.inst.start()
        return warnings

    def connect(self, source=None):
        return mtatest.smtplib_client(self, self.port, source)

    def rcpt_reply(self, rcpt, source=None):
        s = self.connect(source)
        self.assertEqual(s.mail("sender@example.org")[0], 250)
        code, text = s.rcpt(rcpt)
        s.quit()
        return code, text.decode()

    def wait_mail(self, user, count=1):
        path = os.path.join(self.base, "mitty.jp", user)
        mtatest.wait_for(lambda: len(maildir_messages(path)) >= count, 30,
                         "%d message(s) for %s; log:\n%s" % (count, user, self.inst.log()))
        return maildir_messages(path)

    def body_of(self, path):
        with open(path, "rb") as f:
            data = f.read()
        return data.split(b"\n\n", 1)[1]

    # -- the README's notes --

    def test_aliases_deliver_and_forward_with_a_copy(self):
        self.start()
        s = self.connect()
        self.assertEqual(s.mail("sender@example.org")[0], 250)
        for rcpt in ("USER1@SOMEHOST.mitty.jp", "webmaster@ALIASE.mitty.jp",
                     "admin@ALIASE.mitty.jp", "noppi@SOMEHOST.mitty.jp",
                     "webmaster@ALIASE.example.jp"):
            self.assertEqual(s.rcpt(rcpt)[0], 250, rcpt)
        self.assertEqual(s.data(b"Subject: notes\r\n\r\nbody\r\n")[0], 250)
        s.quit()
        # USER1 directly, as webmaster@ALIASE.mitty.jp, and through the
        # domain-wide alias @ALIASE.example.jp -> @ALIASE.mitty.jp.
        self.wait_mail("USER1", 3)
        # noppi keeps a copy (the alias names itself: no loop) ...
        noppi = self.wait_mail("noppi", 1)
        with open(noppi[0], "rb") as f:
            msg = email.message_from_bytes(f.read())
        self.assertEqual(msg["Delivered-To"], "noppi@SOMEHOST.mitty.jp")
        # ... and the phone's copy waits for the smtp transport (deferred
        # by defer_transports): virtual(8) only delivers.
        mtatest.wait_for(lambda: "keitai@example.ne.jp" in self.inst.run("postqueue", "-p").out,
                         30, "keitai@example.ne.jp in the queue")
        # admin@ALIASE.mitty.jp -> mitty@SOMEHOST.mitty.jp, which has no
        # mailbox: virtual bounces it (5.1.1), nothing is lost silently.
        self.inst.wait_log(r"to=<mitty@SOMEHOST\.mitty\.jp>, orig_to=<admin@ALIASE\.mitty\.jp>, "
                           r"relay=virtual, .*dsn=5\.1\.1, status=bounced", timeout=30)

    def test_missing_right_hand_side_is_relay_access_denied(self):
        with open(os.path.join(VHASH, "virtual_mailbox_maps")) as f:
            table = f.read().replace("mitty.jp                        accept", "mitty.jp")
        self.assertRegex(table, r"(?m)^mitty\.jp$")
        warnings = self.start(vmailbox=table, extra_main="mynetworks = 127.0.0.1/32\n")
        self.assertIn("expected format: key whitespace value", warnings["virtual_mailbox_maps"])
        self.assertEqual(self.rcpt_reply("someone@mitty.jp", OUTSIDE),
                         (454, "4.7.1 <someone@mitty.jp>: Relay access denied"))
        # The rest of the table still works.
        self.assertEqual(self.rcpt_reply("USER2@SOMEHOST.mitty.jp", OUTSIDE)[0], 250)

    def test_domain_lines_declare_the_domains(self):
        with open(os.path.join(VHASH, "virtual_mailbox_maps")) as f:
            mailboxes = f.read().replace("SOMEHOST.mitty.jp               accept\n", "")
        with open(os.path.join(VHASH, "virtual_alias_maps")) as f:
            aliases = f.read().replace("ALIASE.mitty.jp                 accept\n", "")
        self.start(vmailbox=mailboxes, valias=aliases, extra_main="mynetworks = 127.0.0.1/32\n")
        # 454 4.7.1 from the default smtpd_relay_restrictions'
        # defer_unauth_destination (compatibility level 1 and later).
        self.assertEqual(self.rcpt_reply("USER1@SOMEHOST.mitty.jp", OUTSIDE),
                         (454, "4.7.1 <USER1@SOMEHOST.mitty.jp>: Relay access denied"))
        self.assertEqual(self.rcpt_reply("webmaster@ALIASE.mitty.jp", OUTSIDE),
                         (454, "4.7.1 <webmaster@ALIASE.mitty.jp>: Relay access denied"))

    def test_unknown_users_of_hosted_domains(self):
        self.start(extra_main="mynetworks = 127.0.0.1/32\n")
        self.assertEqual(self.rcpt_reply("nobody@SOMEHOST.mitty.jp", OUTSIDE),
                         (550, "5.1.1 <nobody@SOMEHOST.mitty.jp>: Recipient address rejected: "
                               "User unknown in virtual mailbox table"))
        self.assertEqual(self.rcpt_reply("nobody@ALIASE.mitty.jp", OUTSIDE),
                         (550, "5.1.1 <nobody@ALIASE.mitty.jp>: Recipient address rejected: "
                               "User unknown in virtual alias table"))

    # -- what SMTP must not change on the way into the Maildir --

    def test_pipelining_8bit_and_smtputf8_bodies_are_byte_exact(self):
        self.start()
        body8 = "Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" \
                "日本語の本文\r\n..leading dot\r\n.\r\n"
        raw = ("EHLO client.example.org\r\nMAIL FROM:<sender@example.org> BODY=8BITMIME\r\n"
               "RCPT TO:<USER1@SOMEHOST.mitty.jp>\r\nRCPT TO:<USER2@SOMEHOST.mitty.jp>\r\n"
               "DATA\r\n").encode() + body8.encode() + \
            ("MAIL FROM:<送信者@example.org> SMTPUTF8\r\nRCPT TO:<noppi@SOMEHOST.mitty.jp>\r\n"
             "DATA\r\n").encode() + "Subject: utf8\r\n\r\nこんにちは\r\n.\r\nQUIT\r\n".encode()
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as c:
            c.recv(1024)  # the banner first (sending before it is improper pipelining)
            c.sendall(raw)
            data = b""
            while not data.endswith(b"221 2.0.0 Bye\r\n"):
                chunk = c.recv(65536)
                if not chunk:
                    break
                data += chunk
        codes = [l[:3] for l in data.decode().split("\r\n") if l and l[3:4] == " "]
        self.assertEqual(codes, ["250", "250", "250", "250", "354", "250",
                                 "250", "250", "354", "250", "221"], data)
        for user in ("USER1", "USER2"):
            got = self.body_of(self.wait_mail(user)[0])
            self.assertEqual(got, "日本語の本文\n.leading dot\n".encode())
        got = self.wait_mail("noppi")[0]
        with open(got, "rb") as f:
            self.assertIn("Return-Path: <送信者@example.org>".encode(), f.read())
        self.assertEqual(self.body_of(got), "こんにちは\n".encode())

    def test_size_limit(self):
        self.start(extra_main="message_size_limit = 20000\n")
        s = self.connect()
        self.assertEqual(s.docmd("MAIL FROM:<sender@example.org> SIZE=30000"),
                         (552, b"5.3.4 Message size exceeds fixed limit"))
        self.assertEqual(s.mail("sender@example.org")[0], 250)
        self.assertEqual(s.rcpt("USER1@SOMEHOST.mitty.jp")[0], 250)
        self.assertEqual(s.data(b"Subject: small\r\n\r\n" + b"y" * 100 + b"\r\n")[0], 250)
        s.quit()
        s = self.connect()
        s.mail("sender@example.org")
        s.rcpt("USER2@SOMEHOST.mitty.jp")
        code, text = s.data(b"Subject: big\r\n\r\n" + (b"z" * 78 + b"\r\n") * 400)
        self.assertEqual((code, text), (552, b"5.3.4 Message size exceeds fixed limit"))
        s.quit()
        self.wait_mail("USER1")
        self.assertEqual(maildir_messages(os.path.join(self.base, "mitty.jp", "USER2")), [])
        # The delivered message leaves active/ once qmgr hears of it: wait.
        mtatest.wait_for(
            lambda: self.inst.queue_ids("incoming") + self.inst.queue_ids("active") == [], 10,
            "incoming/ and active/ empty")

    def test_bare_lf_smuggling_yields_one_message(self):
        # The defences spare smtpd_forbid_bare_newline_exclusions ($mynetworks),
        # so the client comes from outside mynetworks.
        self.start(extra_main="mynetworks = 127.0.0.1/32\n")
        smuggled = (b"Subject: outer\r\n\r\nfirst part\n.\r\nMAIL FROM:<evil@example.org>\r\n"
                    b"RCPT TO:<USER2@SOMEHOST.mitty.jp>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n"
                    b".\n\r\nend\r\n.\r\n")
        with socket.create_connection(("127.0.0.1", self.port), timeout=30,
                                      source_address=(OUTSIDE, 0)) as c:
            f = c.makefile("rb")
            f.readline()
            c.sendall(b"EHLO client.example.org\r\n")
            while not f.readline().startswith(b"250 "):
                pass
            c.sendall(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<USER1@SOMEHOST.mitty.jp>\r\n"
                      b"DATA\r\n")
            replies = [f.readline() for _ in range(3)]
            self.assertTrue(replies[2].startswith(b"354"), replies)
            c.sendall(smuggled)
            final = f.readline()
            c.sendall(b"QUIT\r\n")
            rest = f.read()
        # Either one message is accepted (normalize) or the client is told
        # off (reject); never a second, smuggled message.
        self.assertTrue(final.startswith(b"250 ") or final.startswith(b"521 "), final)
        self.assertNotIn(b"queued as", rest)
        if final.startswith(b"250 "):
            self.wait_mail("USER1")
        self.inst.wait_log(r"disconnect from")
        self.assertEqual(maildir_messages(os.path.join(self.base, "mitty.jp", "USER2")), [])
        self.assertEqual(self.inst.log().count("evil@example.org"), 0)


if __name__ == "__main__":
    unittest.main()

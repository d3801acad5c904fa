"""End-to-end tests of the virtual mailbox host of examples/virtual-hosting
(without TLS and SASL): a real instance (smtpd, cleanup, qmgr,
trivial-rewrite, proxymap, virtual, bounce ...) whose address data comes from
a private MariaDB server loaded with the PostfixAdmin schema, through the
exact query files of the example and `proxy:mysql:`. Mail is sent with
Python's smtplib and read back from the Maildirs.

Covers: a mailbox, an alias with two targets, an alias domain, a catch-all,
an inactive domain, an unknown user (550 5.1.1), over quota (a bounce with
the configured text back to the sender's mailbox), relaying from outside
mynetworks (554 5.7.1), the database stopped (451 4.3.0 at RCPT, nothing
accepted) and started again (mail flows, no restart), and the charset attack
of examples/mysql-charset (one bad key must not stop a good one).
"""
import email
import os
import pwd
import re
import unittest

import mariadb
import mtatest

VH = os.path.join(mtatest.EXAMPLES, "virtual-hosting")
CHARSET = os.path.join(mtatest.EXAMPLES, "mysql-charset")
OUTSIDE = "127.0.0.5"  # a loopback source address outside mynetworks_style = host

SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "proxymap",
            "proxywrite", "virtual", "anvil", "showq", "error", "retry", "discard", "postlog"]


def maildir_messages(path):
    """The files in a Maildir's new/ and cur/, oldest first."""
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        if os.path.isdir(d):
            out += [os.path.join(d, n) for n in os.listdir(d)]
    return sorted(out, key=os.path.getmtime)


class VirtualHostingTest(mtatest.TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        if not mariadb.available():
            raise unittest.SkipTest("MariaDB server programs are not installed")
        cls.db = mariadb.MariaDB()
        cls.db.start()
        cls.db.execute_file(os.path.join(VH, "postfixadmin-schema.sql"))
        cls.db.execute_file(os.path.join(CHARSET, "schema-latin1.sql"))

    @classmethod
    def tearDownClass(cls):
        cls.db.cleanup()

    def setUp(self):
        super().setUp()
        if not self.db.running():
            self.db.restart()
        self.sql = os.path.join(self.tmp, "sql")
        os.makedirs(self.sql)
        settings = self.db.cf_settings()
        mariadb.rewrite_cf_dir(os.path.join(VH, "sql"), self.sql, settings)
        mariadb.rewrite_cf(os.path.join(CHARSET, "my_alias.cf"),
                           os.path.join(self.sql, "my_alias.cf"), settings)
        self.vmail = os.path.join(self.tmp, "vmail")
        os.makedirs(self.vmail)
        # As root the mail belongs to the example's uid 10000 (virtual
        # switches to it); as an ordinary user to that user.
        self.uid = 10000 if os.geteuid() == 0 else os.geteuid()
        os.chmod(self.tmp, 0o755)
        os.chown(self.vmail, self.uid, self.uid)  # like /var/spool/virtual, owned by vmail
        self.port = mtatest.free_port()
        self.inst = mtatest.MtaInstance(
            self, services=SERVICES,
            main_cf="myhostname = mail.example.jp\n"
            + mtatest.virtual_hosting_main_cf(self.sql, self.vmail, self.uid)
            + "minimal_backoff_time = 2s\nmaximal_backoff_time = 4s\nqueue_run_delay = 2s\n",
            master_extra=mtatest.smtpd_service("127.0.0.1:%d" % self.port))
        self.inst.start()

    # -- helpers --

    def connect(self, source=None):
        return mtatest.smtplib_client(self, self.port, source)

    def send(self, rcpts, body="Subject: test\n\nhello\n", sender="someone@outside.example",
             source=None):
        """Not MtaInstance.send: by SMTP from outside, keeping the RCPT replies.
        One message; returns {rcpt: (code, text)} of the RCPT replies and
        the final reply (None when no recipient was accepted)."""
        s = self.connect(source)
        self.assertEqual(s.mail(sender)[0], 250)
        replies = {r: (lambda c: (c[0], c[1].decode()))(s.rcpt(r)) for r in rcpts}
        final = None
        if any(c == 250 for c, _ in replies.values()):
            final = s.data(body.encode() if isinstance(body, str) else body)
        s.quit()
        return replies, final

    def mailbox(self, path):
        return os.path.join(self.vmail, path)

    def wait_mail(self, path, count=1, timeout=30):
        mtatest.wait_for(lambda: len(maildir_messages(self.mailbox(path))) >= count, timeout,
                         "%d message(s) in %s; log:\n%s" % (count, path, self.inst.log()))
        return maildir_messages(self.mailbox(path))

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    # -- the tests --

    def test_mailbox_alias_alias_domain_and_catch_all(self):
        replies, final = self.send(["bob@example.jp", "sales@example.jp", "bob@alias.example.jp",
                                    "whoever@example.net"])
        for r, (code, text) in replies.items():
            self.assertEqual(code, 250, (r, text))
        self.assertEqual(final[0], 250)
        self.assertRegex(final[1].decode(), r"^2\.0\.0 Ok: queued as [0-9A-F]+$")
        # bob twice (direct and through the alias domain), alice from sales,
        # carol from sales and from the catch-all.
        bob = self.wait_mail("example.jp/bob/", 2)
        alice = self.wait_mail("example.jp/alice/", 1)
        carol = self.wait_mail("example.net/carol/", 2)
        for path in bob + alice + carol:
            msg = email.message_from_bytes(self.read(path))
            self.assertEqual(msg["Return-Path"], "<someone@outside.example>")
            self.assertIn("hello", msg.get_payload())
            if os.geteuid() == 0:
                self.assertEqual(os.stat(path).st_uid, self.uid)
        delivered = sorted(email.message_from_bytes(self.read(p))["Delivered-To"]
                           for p in bob + alice + carol)
        self.assertEqual(delivered, ["alice@example.jp", "bob@example.jp", "bob@example.jp",
                                     "carol@example.net", "carol@example.net"])
        log = self.inst.log()
        self.assertRegex(log, r"postfix/smtpd\[\d+\]: [0-9A-F]+: client=localhost\[127\.0\.0\.1\]|"
                         r"postfix/smtpd\[\d+\]: [0-9A-F]+: client=\S+\[127\.0\.0\.1\]")
        # The agent logs after the file is in the maildir: wait for the line.
        self.inst.wait_log(r"postfix/virtual\[\d+\]: [0-9A-F]+: to=<bob@example\.jp>, "
                           r"orig_to=<bob@alias\.example\.jp>, relay=virtual, delay=[\d.]+, "
                           r"delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2\.0\.0, "
                           r"status=sent \(delivered to maildir\)")
        self.assertRegex(log, r"disconnect from \S+\[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=4 data=1 "
                         r"quit=1 commands=8")

    def test_unknown_user_inactive_domain_and_relaying(self):
        replies, final = self.send(["nobody@example.jp", "gone@example.jp"])
        for r in ("nobody@example.jp", "gone@example.jp"):
            self.assertEqual(replies[r], (550, "5.1.1 <%s>: Recipient address rejected: User "
                                          "unknown in virtual mailbox table" % r))
        self.assertIsNone(final)
        self.inst.wait_log(r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.1\]: 550 5\.1\.1 "
                           r"<nobody@example\.jp>: Recipient address rejected: User unknown in "
                           r"virtual mailbox table; from=<someone@outside\.example> "
                           r"to=<nobody@example\.jp> proto=ESMTP helo=<client\.example\.org>")
        # From outside mynetworks: an inactive domain and a foreign one are
        # not ours, so relaying is refused; our domains still accept.
        replies, final = self.send(["x@old.example.jp", "y@elsewhere.example", "bob@example.jp"],
                                   source=OUTSIDE)
        self.assertEqual(replies["x@old.example.jp"],
                         (554, "5.7.1 <x@old.example.jp>: Relay access denied"))
        self.assertEqual(replies["y@elsewhere.example"],
                         (554, "5.7.1 <y@elsewhere.example>: Relay access denied"))
        self.assertEqual(replies["bob@example.jp"][0], 250)
        self.assertEqual(final[0], 250)
        self.wait_mail("example.jp/bob/")
        self.inst.wait_log(r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.5\]: 554 5\.7\.1 "
                           r"<y@elsewhere\.example>: Relay access denied; "
                           r"from=<someone@outside\.example> to=<y@elsewhere\.example> "
                           r"proto=ESMTP helo=<client\.example\.org>")

    def test_over_quota_bounces_with_the_configured_text(self):
        big = "Subject: big\n\n" + ("x" * 70 + "\n") * 40  # about 2.8 kB > tiny's 1000 bytes
        replies, final = self.send(["tiny@example.jp"], body=big, sender="bob@example.jp")
        self.assertEqual(replies["tiny@example.jp"][0], 250)
        self.assertEqual(final[0], 250)
        # The DSN goes back to the sender, a mailbox of ours.
        dsn = self.read(self.wait_mail("example.jp/bob/")[0]).decode(errors="replace")
        self.assertIn("Sorry, the user's maildir has overdrawn his diskspace quota, please try "
                      "again later.", " ".join(dsn.split()))  # the DSN folds long lines
        self.assertIn("Undelivered Mail Returned to Sender", dsn)
        self.assertEqual(maildir_messages(self.mailbox("example.jp/tiny/")), [])
        self.inst.wait_log(r"to=<tiny@example\.jp>, relay=virtual, .*dsn=5\.2\.2, status=bounced")
        # A small message fits: maildirsize keeps the Maildir++ account.
        replies, final = self.send(["tiny@example.jp"], body="Subject: s\n\nsmall\n")
        self.assertEqual(final[0], 250)
        self.wait_mail("example.jp/tiny/")
        with open(self.mailbox("example.jp/tiny/maildirsize")) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "1000S")
        self.assertTrue(all(re.fullmatch(r"-?\d+ -?\d+", l) for l in lines[1:]), lines)

    def test_database_down_then_up(self):
        self.send(["bob@example.jp"])
        self.wait_mail("example.jp/bob/")
        self.db.stop()
        s = self.connect()
        self.assertEqual(s.mail("someone@outside.example")[0], 250)
        code, text = s.rcpt("bob@example.jp")
        self.assertEqual((code, text.decode()),
                         (451, "4.3.0 <bob@example.jp>: Temporary lookup failure"))
        self.assertEqual(s.docmd("DATA")[0], 554)  # no valid recipients: nothing accepted
        s.quit()
        self.assertEqual(self.inst.queue_ids("incoming") + self.inst.queue_ids("active")
                         + self.inst.queue_ids("deferred"), [])
        self.db.restart()
        # No restart of the mail system: the same instance accepts again as
        # soon as the database host's rest (mysql_hosts.h) is over.
        def accepted():
            replies, final = self.send(["bob@example.jp"])
            return replies["bob@example.jp"][0] == 250 and final[0] == 250
        mtatest.wait_for(accepted, 60, "bob@example.jp accepted again", interval=1)
        self.wait_mail("example.jp/bob/", 2)

    def test_charset_attack_does_not_block_good_keys(self):
        # The latin1 table of examples/mysql-charset goes first in
        # virtual_alias_maps: a multibyte key makes that query fail.
        r = self.inst.run("postconf", "-c", self.inst.etc, "-h", "virtual_alias_maps")
        self.inst.run("postconf", "-c", self.inst.etc, "-e", "virtual_alias_maps = proxy:mysql:%s, %s"
                      % (os.path.join(self.sql, "my_alias.cf"), r.out.strip()))
        self.inst.reload()
        for new_session in (False, True):
            s = self.connect()
            self.assertEqual(s.mail("someone@outside.example", ["SMTPUTF8"])[0], 250)
            code, text = s.rcpt("ほげ@example.jp")
            self.assertIn(code, (451, 550), text)
            if new_session:
                s.quit()
                s = self.connect()
                self.assertEqual(s.mail("someone@outside.example")[0], 250)
            code, text = s.rcpt("bob@example.jp")
            self.assertEqual(code, 250, text)
            self.assertEqual(s.data(b"Subject: after\r\n\r\nstill here\r\n")[0], 250)
            s.quit()
        self.wait_mail("example.jp/bob/", 2)


if __name__ == "__main__":
    unittest.main()

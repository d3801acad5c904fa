"""The mail system run as administrators run it: started by root, with
mail_owner = postfix (the user Debian's postfix package creates, installed
by `make test`), master.cf's unpriv column as written (unprivileged daemons
become postfix, virtual stays root and becomes each mailbox's uid), and
virtual mailboxes that belong to a separate uid. Every agent that reports a
bounce or a deferral (virtual as root, smtp and error as postfix, qmgr)
must leave records the bounce daemon can read, and the sender must hear.

Runs only as root (CI runs as root); elsewhere every test is skipped with
the reason."""
import os
import pwd
import unittest

import mtatest
from smtp_sink import SmtpSink
from test_virtual import SENDER, free_id

SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "showq",
            "virtual", "smtp", "error", "retry", "anvil", "postlog"]


@unittest.skipIf(os.geteuid() != 0, "needs root: runs the system as administrators do")
class AsRootTest(mtatest.TempDirTestCase):

    def setUp(self):
        super().setUp()
        try:
            pwd.getpwnam("postfix")
        except KeyError:
            self.fail("no postfix user: make test installs Debian's postfix package, "
                      "which creates it")
        os.chmod(self.tmp, 0o755)
        self.uid = free_id()
        self.base = os.path.join(self.tmp, "vmail")
        os.makedirs(os.path.join(self.base, "example.jp"))
        for d in (self.base, os.path.join(self.base, "example.jp")):
            os.chown(d, self.uid, self.uid)

    def instance(self, main_cf="", master_extra="", limits=None):
        vmailbox = os.path.join(self.tmp, "vmailbox")
        with open(vmailbox, "w") as f:
            f.write("alice@example.jp example.jp/alice/\n"
                    "bob@example.jp example.jp/bob/\n"
                    "dave@example.jp example.jp/dave/\n")
        vlimit = os.path.join(self.tmp, "vlimit")
        with open(vlimit, "w") as f:
            for k, v in (limits or {}).items():
                f.write("%s %s\n" % (k, v))
        transport = os.path.join(self.tmp, "transport")
        with open(transport, "w") as f:
            f.write("closed@example.jp error:5.1.1 mailbox closed\n"
                    "busy@example.jp retry:4.2.1 mailbox busy\n")
        inst = mtatest.MtaInstance(
            self, services=SERVICES, mail_owner="postfix", master_extra=master_extra,
            main_cf="myhostname = mx.example.com\nmydomain = example.com\n"
                    "virtual_mailbox_domains = example.jp\n"
                    "virtual_mailbox_base = %s\n"
                    "virtual_mailbox_maps = hash:%s\n"
                    "virtual_mailbox_limit_maps = hash:%s\n"
                    "virtual_uid_maps = static:%d\nvirtual_gid_maps = static:%d\n"
                    "virtual_minimum_uid = 1\n"
                    "transport_maps = hash:%s\n"
                    "queue_run_delay = 1s\nminimal_backoff_time = 1s\n"
                    "maximal_backoff_time = 2s\n%s"
                    % (self.base, vmailbox, vlimit, self.uid, self.uid, transport, main_cf))
        for table in (vmailbox, vlimit, transport):
            r = mtatest.run([mtatest.program("postmap"), "-c", inst.etc, "hash:" + table])
            self.assertEqual(r.rc, 0, r)
        return inst

    def mailbox(self, user):
        return mtatest.maildir_files(os.path.join(self.base, "example.jp", user))

    def wait_mail(self, inst, user, count=1, timeout=30):
        mtatest.wait_for(lambda: len(self.mailbox(user)) >= count, timeout,
                         "%d message(s) for %s; log:\n%s" % (count, user, inst.log()))
        files = self.mailbox(user)
        for path in files:
            self.assertEqual(os.stat(path).st_uid, self.uid, path)
        return files

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def assert_no_permission_problems(self, inst):
        log = inst.log()
        for bad in ("Permission denied", "cannot record the delivery status",
                    "cannot send the non-delivery notice", "fatal:", "panic:"):
            self.assertNotIn(bad, log)

    def log_owners(self, inst):
        """(queue, owner name) of every delivery log file present now."""
        out = []
        for q in ("bounce", "defer", "trace"):
            for top, _, files in os.walk(os.path.join(inst.queue, q)):
                for name in files:
                    st = os.stat(os.path.join(top, name))
                    out.append((q, pwd.getpwuid(st.st_uid).pw_name))
        return out

    def test_delivery_and_virtual_bounce(self):
        inst = self.instance()
        inst.start()
        inst.send("bob@example.jp", sender=SENDER)
        self.wait_mail(inst, "bob")
        # No such mailbox (sendmail has no RCPT check): virtual, as root,
        # bounces; the bounce daemon, as postfix, reads the record and the
        # sender hears.
        inst.send("nobody@example.jp", sender=SENDER)
        inst.wait_log(r"to=<nobody@example.jp>, relay=virtual, .*dsn=5.1.1, status=bounced",
                      timeout=30)
        inst.wait_log(r"sender non-delivery notification: \w+", timeout=30)
        ndr = self.read(self.wait_mail(inst, "alice")[0])
        self.assertIn(b"Return-Path: <>\n", ndr)
        self.assertIn(b"<nobody@example.jp>: unknown user", ndr)
        inst.wait_empty()
        self.assertEqual(inst.queue_ids("bounce"), [])
        self.assert_no_permission_problems(inst)

    def test_root_agent_and_unprivileged_agent_share_one_record(self):
        inst = self.instance()
        inst.start()
        # virtual (root) and error (postfix) both bounce recipients of one
        # message: one bounce record, one notice naming both.
        inst.send("nobody@example.jp", "closed@example.jp", sender=SENDER)
        inst.wait_log(r"to=<closed@example.jp>, relay=none, .*status=bounced \(mailbox closed\)",
                      timeout=30)
        inst.wait_log(r"to=<nobody@example.jp>, relay=virtual, .*status=bounced", timeout=30)
        ndr = self.read(self.wait_mail(inst, "alice")[0])
        self.assertIn(b"<closed@example.jp>: mailbox closed", ndr)
        self.assertIn(b"<nobody@example.jp>: unknown user", ndr)
        inst.wait_empty()
        self.assertEqual(len(self.mailbox("alice")), 1)
        self.assert_no_permission_problems(inst)

    def test_quota_bounce_and_defer(self):
        inst = self.instance("virtual_create_maildirsize = yes\n"
                             "virtual_mailbox_limit_override = yes\n"
                             "virtual_overquota_bounce = yes\n",
                             limits={"dave@example.jp": "1000"})
        inst.start()
        inst.send("dave@example.jp", body=b"y" * 3000 + b"\n", sender=SENDER)
        inst.wait_log(r"to=<dave@example.jp>, relay=virtual, .*dsn=5.2.2, status=bounced",
                      timeout=30)
        ndr = self.read(self.wait_mail(inst, "alice")[0])
        self.assertIn(b"<dave@example.jp>: Sorry, the user's maildir has overdrawn", ndr)
        inst.wait_empty()
        # Deferred instead (the retry service): the defer record is the
        # bounce daemon's, readable by showq.
        inst.send("busy@example.jp", sender=SENDER)
        inst.wait_log(r"to=<busy@example.jp>, relay=none, .*status=deferred \(mailbox busy\)",
                      timeout=30)
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, 15, "deferred")
        self.assertIn("mailbox busy", inst.run("postqueue", "-p").out)
        owners = self.log_owners(inst)
        self.assertIn(("defer", "postfix"), owners)
        self.assertTrue(all(o == "postfix" for _, o in owners), owners)
        self.assert_no_permission_problems(inst)

    def test_smtp_agent_bounce_defer_and_delivery(self):
        with SmtpSink(rcpt_replies={"gone@remote.example": "550 5.1.1 no such user",
                                    "later@remote.example": "451 4.3.0 try later"}) as sink:
            inst = self.instance("relayhost = [127.0.0.1]:%d\n" % sink.port)
            inst.start()
            inst.send("ok@remote.example", "gone@remote.example", "later@remote.example",
                      "nobody@example.jp", sender=SENDER)
            sink.wait_transactions(1, timeout=30)
            self.assertEqual(sink.transactions[0].rcpts, ["ok@remote.example"])
            inst.wait_log(r"to=<gone@remote.example>, relay=127.0.0.1\[127.0.0.1\]:\d+, "
                          r".*status=bounced", timeout=30)
            inst.wait_log(r"to=<later@remote.example>, .*status=deferred", timeout=30)
            inst.wait_log(r"to=<nobody@example.jp>, relay=virtual, .*status=bounced", timeout=30)
            # smtp (postfix) and virtual (root) bounced; one notice for both.
            ndr = self.read(self.wait_mail(inst, "alice")[0])
            self.assertIn(b"<gone@remote.example>", ndr)
            self.assertIn(b"<nobody@example.jp>", ndr)
            mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, 15,
                             "the deferred recipient stays queued:\n" + inst.log())
            self.assertIn("try later", inst.run("postqueue", "-p").out)
            self.assert_no_permission_problems(inst)


if __name__ == "__main__":
    unittest.main()

"""System tests of the virtual(8) delivery agent: mail submitted with
sendmail, resolved to virtual_transport for virtual_mailbox_domains, and
delivered by virtual into Maildirs and mbox files under a private
virtual_mailbox_base; hash: tables are built with our postmap. Running as
root, mailboxes belong to a free static uid/gid (10000 or the next free
one); otherwise to the current user."""
import fcntl
import grp
import os
import pwd
import re
import time
import unittest

import mtatest

SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "showq",
            "virtual"]
ROOT = os.geteuid() == 0
SENDER = "alice@example.jp"
HEADER_RE = re.compile(r"^\d+\.M\d+P\d+Q\d+\.[^/:,]+(,S=(\d+))?$")


def free_id():
    for n in range(10000, 60000):
        try:
            pwd.getpwuid(n)
            continue
        except KeyError:
            pass
        try:
            grp.getgrgid(n)
            continue
        except KeyError:
            return n
    raise RuntimeError("no free uid")


class VirtualBase(mtatest.TempDirTestCase):

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)
        self.uid = free_id() if ROOT else os.getuid()
        self.gid = self.uid if ROOT else os.getgid()
        self.base = os.path.join(self.tmp, "vmail")
        os.makedirs(os.path.join(self.base, "example.jp"))
        for d in (self.base, os.path.join(self.base, "example.jp")):
            if ROOT:
                os.chown(d, self.uid, self.gid)

    def instance(self, main_cf="", mailboxes=None, limits=None):
        mailboxes = mailboxes or {}
        vmailbox = os.path.join(self.tmp, "vmailbox")
        with open(vmailbox, "w") as f:
            f.write("alice@example.jp example.jp/alice/\n"
                    "bob@example.jp example.jp/bob/\n"
                    "carol@example.jp example.jp/carol\n")
            for k, v in mailboxes.items():
                f.write("%s %s\n" % (k, v))
        vlimit = os.path.join(self.tmp, "vlimit")
        with open(vlimit, "w") as f:
            for k, v in (limits or {}).items():
                f.write("%s %s\n" % (k, v))
        inst = mtatest.MtaInstance(
            self, services=SERVICES,
            main_cf="myhostname = mx.example.com\nmydomain = example.com\n"
                    "virtual_mailbox_domains = example.jp\n"
                    "virtual_mailbox_base = %s\n"
                    "virtual_mailbox_maps = hash:%s\n"
                    "virtual_mailbox_limit_maps = hash:%s\n"
                    "virtual_uid_maps = static:%d\nvirtual_gid_maps = static:%d\n"
                    "virtual_minimum_uid = 1\nrecipient_delimiter = +\n"
                    "queue_run_delay = 1s\nminimal_backoff_time = 2s\n"
                    "maximal_backoff_time = 4s\n"
                    "deliver_lock_attempts = 2\ndeliver_lock_delay = 1s\n%s"
                    % (self.base, vmailbox, vlimit, self.uid, self.gid, main_cf))
        for table in (vmailbox, vlimit):
            r = mtatest.run([mtatest.program("postmap"), "-c", inst.etc, "hash:" + table])
            self.assertEqual(r.rc, 0, r)
        return inst

    def maildir_files(self, user, sub="new"):
        return mtatest.maildir_files(os.path.join(self.base, "example.jp", user), sub)

    def wait_files(self, inst, user, count=1, timeout=20):
        mtatest.wait_for(lambda: len(self.maildir_files(user)) >= count, timeout,
                         "%d message(s) for %s; log:\n%s" % (count, user, inst.log()))
        return self.maildir_files(user)




class VirtualTest(VirtualBase):

    # --- Maildir ---

    def test_maildir_delivery(self):
        inst = self.instance()
        inst.start()
        body = "8-bit: \u65e5\u672c\u8a9e \xe9\n\nFrom the start\n..\nend\n".encode("utf-8")
        inst.send("bob+news@example.jp", body=body, sender=SENDER)
        inst.wait_log(r"virtual\[\d+\]: \w+: to=<bob\+news@example.jp>, relay=virtual, "
                      r"delay=[\d.]+, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2.0.0, "
                      r"status=sent \(delivered to maildir\)", timeout=20)
        files = self.wait_files(inst, "bob")
        self.assertEqual(len(files), 1)
        name = os.path.basename(files[0])
        self.assertRegex(name, HEADER_RE)
        self.assertNotIn(",S=", name)  # virtual_mailbox_extended = no
        with open(files[0], "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"Return-Path: <alice@example.jp>\n"
                                        b"X-Original-To: bob+news@example.jp\n"
                                        b"Delivered-To: bob+news@example.jp\n"), data)
        self.assertTrue(data.endswith(b"\n\n" + body), data)
        self.assertIn(b"\nSubject: test\n", data)
        st = os.stat(files[0])
        self.assertEqual((st.st_uid, st.st_gid), (self.uid, self.gid))
        for sub in ("", "tmp", "new", "cur"):
            st = os.stat(os.path.join(self.base, "example.jp", "bob", sub))
            self.assertEqual(st.st_mode & 0o777, 0o700, sub)
            self.assertEqual(st.st_uid, self.uid)
        self.assertEqual(self.maildir_files("bob", "tmp"), [])
        mtatest.wait_for(lambda: inst.queued() == 0, 10, "empty queue")

    def test_delivered_to_loop_bounces(self):
        inst = self.instance()
        inst.start()
        inst.send("bob@example.jp", headers=b"Delivered-To: BOB@example.jp\n", sender=SENDER)
        inst.wait_log(r"to=<bob@example.jp>, relay=virtual, .*dsn=5.4.6, "
                      r"status=bounced \(mail forwarding loop for bob@example.jp\)", timeout=20)
        # The bounce reaches the sender's own virtual mailbox.
        files = self.wait_files(inst, "alice")
        with open(files[0], "rb") as f:
            dsn = f.read()
        self.assertIn(b"Return-Path: <>\n", dsn)
        self.assertIn(b"mail forwarding loop for bob@example.jp", dsn)
        self.assertEqual(self.maildir_files("bob"), [])

    def test_unknown_user_bounces(self):
        inst = self.instance()
        inst.start()
        inst.send("Nobody@example.jp", sender=SENDER)
        inst.wait_log(r"to=<Nobody@example.jp>, relay=virtual, .*dsn=5.1.1, "
                      r"status=bounced \(unknown user: \"nobody@example.jp\"\)", timeout=20)
        files = self.wait_files(inst, "alice")
        with open(files[0], "rb") as f:
            self.assertIn(b'unknown user: "nobody@example.jp"', f.read())
        mtatest.wait_for(lambda: inst.queued() == 0, 15, "empty queue:\n" + inst.log())
        self.assertEqual(inst.run("postqueue", "-p").out.strip(), "Mail queue is empty")

    # --- mbox ---

    def test_mbox_delivery_and_locking(self):
        inst = self.instance()
        inst.start()
        mbox = os.path.join(self.base, "example.jp", "carol")
        inst.send("carol@example.jp", body=b"From the desk\n>From quoted\nend\n", sender=SENDER)
        inst.wait_log(r"to=<carol@example.jp>, relay=virtual, .*dsn=2.0.0, "
                      r"status=sent \(delivered to mailbox\)", timeout=20)
        with open(mbox, "rb") as f:
            data = f.read()
        self.assertRegex(data, rb"^From alice@example.jp  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n"
                               rb"Return-Path: <alice@example.jp>\nX-Original-To: carol@example.jp\n"
                               rb"Delivered-To: carol@example.jp\n")
        self.assertTrue(data.endswith(b"\n\n>From the desk\n>From quoted\nend\n\n"), data)
        st = os.stat(mbox)
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (self.uid, 0o600))
        self.assertFalse(os.path.exists(mbox + ".lock"))
        # Held fcntl lock: deferred, nothing written; then delivered.
        with open(mbox, "r+b") as f:
            fcntl.lockf(f, fcntl.LOCK_EX)
            inst.send("carol@example.jp", body=b"second\n", sender=SENDER)
            inst.wait_log(r"to=<carol@example.jp>, relay=virtual, .*dsn=4.2.0, "
                          r"status=deferred \(cannot update mailbox %s for user "
                          r"carol@example.jp. unable to lock for exclusive access: "
                          r"Resource temporarily unavailable\)" % re.escape(mbox), timeout=20)
            self.assertEqual(os.path.getsize(mbox), len(data))
        inst.run("postqueue", "-f")
        inst.wait_log(r"to=<carol@example.jp>, .*status=sent \(delivered to mailbox\)",
                      timeout=20, count=2)
        with open(mbox, "rb") as f:
            data2 = f.read()
        self.assertTrue(data2.startswith(data))
        self.assertTrue(data2.endswith(b"\n\nsecond\n\n"))
        self.assertEqual(data2.count(b"\nFrom alice@example.jp  "), 1)

    def test_mbox_size_limit_bounces(self):
        inst = self.instance("virtual_mailbox_limit = 2000\n")
        inst.start()
        inst.send("carol@example.jp", body=b"x" * 3000 + b"\n", sender=SENDER)
        inst.wait_log(r"to=<carol@example.jp>, relay=virtual, .*dsn=5.2.2, status=bounced "
                      r"\(cannot update mailbox .* error writing message: File too large\)",
                      timeout=20)
        self.assertEqual(os.path.getsize(os.path.join(self.base, "example.jp", "carol")), 0)

    # --- quota (VDA patch) ---

    QUOTA = ("virtual_create_maildirsize = yes\nvirtual_mailbox_extended = yes\n"
             "virtual_mailbox_limit_override = yes\n"
             "virtual_maildir_limit_message = Sorry, the user's maildir is over quota.\n")

    def test_quota_maildirsize_and_bounce(self):
        inst = self.instance(self.QUOTA + "virtual_overquota_bounce = yes\n",
                             mailboxes={"dave@example.jp": "example.jp/dave/"},
                             limits={"dave@example.jp": "2000"})
        inst.start()
        inst.send("dave@example.jp", body=b"small\n", sender=SENDER)
        files = self.wait_files(inst, "dave")
        m = HEADER_RE.match(os.path.basename(files[0]))
        self.assertTrue(m and m.group(2), files[0])
        size = int(m.group(2))
        self.assertEqual(size, os.path.getsize(files[0]))
        inst.wait_log(r"to=<dave@example.jp>, .*status=sent \(delivered to maildir\)")
        maildirsize = os.path.join(self.base, "example.jp", "dave", "maildirsize")
        with open(maildirsize) as f:
            self.assertEqual(f.read(), "2000S\n0 0\n%d 1\n" % size)
        self.assertEqual(os.stat(maildirsize).st_uid, self.uid)
        # Over quota: bounced with the configured text; the DSN reaches alice.
        inst.send("dave@example.jp", body=b"y" * 3000 + b"\n", sender=SENDER)
        inst.wait_log(r"to=<dave@example.jp>, relay=virtual, .*dsn=5.2.2, status=bounced "
                      r"\(Sorry, the user's maildir is over quota.\)", timeout=20)
        with open(self.wait_files(inst, "alice")[0], "rb") as f:
            self.assertIn(b"over quota", f.read())
        self.assertEqual(len(self.maildir_files("dave")), 1)
        self.assertEqual(self.maildir_files("dave", "tmp"), [])
        # A client that deleted mail without updating maildirsize (and a
        # stale file): the next delivery recounts from the file names.
        os.unlink(files[0])
        with open(maildirsize, "a") as f:
            f.write("5000 1\n")
        os.utime(maildirsize, (time.time() - 3600, time.time() - 3600))
        inst.send("dave@example.jp", body=b"after cleanup\n", sender=SENDER)
        inst.wait_log(r"to=<dave@example.jp>, .*status=sent", count=2, timeout=20)
        new = self.maildir_files("dave")
        self.assertEqual(len(new), 1)
        with open(maildirsize) as f:
            self.assertEqual(f.read(), "2000S\n0 0\n%d 1\n" % os.path.getsize(new[0]))

    def test_quota_defers_without_overquota_bounce(self):
        inst = self.instance(self.QUOTA,
                             mailboxes={"dave@example.jp": "example.jp/dave/"},
                             limits={"dave@example.jp": "1000"})
        inst.start()
        inst.send("dave@example.jp", body=b"y" * 3000 + b"\n", sender=SENDER)
        inst.wait_log(r"to=<dave@example.jp>, relay=virtual, .*dsn=4.2.2, status=deferred "
                      r"\(Sorry, the user's maildir is over quota.\)", timeout=20)
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, 10, "deferred")
        self.assertIn("over quota", inst.run("postqueue", "-p").out)
        self.assertEqual(self.maildir_files("dave"), [])
        self.assertEqual(self.maildir_files("dave", "tmp"), [])

    # --- failures that must keep the mail ---

    def test_permission_problem_defers(self):
        inst = self.instance(mailboxes={"erin@locked.example.jp": "locked/erin/"},
                             main_cf="virtual_mailbox_domains = example.jp, "
                                     "locked.example.jp\n")
        locked = os.path.join(self.base, "locked")
        os.mkdir(locked, 0o500)
        if ROOT:
            os.chown(locked, 0, 0)  # not writable by the mailbox owner
        inst.start()
        inst.send("erin@locked.example.jp", sender=SENDER)
        inst.wait_log(r"to=<erin@locked.example.jp>, relay=virtual, .*dsn=4.2.0, "
                      r"status=deferred \(maildir delivery failed: create maildir file "
                      r"%s/erin/tmp/\S+: Permission denied\)" % re.escape(locked), timeout=20)
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, 10, "deferred")
        self.assertIn("Permission denied", inst.run("postqueue", "-p").out)
        # Fixed by the administrator: delivered at the next attempt.
        os.chmod(locked, 0o700)
        if ROOT:
            os.chown(locked, self.uid, self.gid)
        inst.run("postqueue", "-f")
        inst.wait_log(r"to=<erin@locked.example.jp>, .*status=sent \(delivered to maildir\)",
                      timeout=20)
        self.assertEqual(len(os.listdir(os.path.join(locked, "erin", "new"))), 1)


@unittest.skipUnless(mtatest.have_dovecot(), "Dovecot is not installed")
class DovecotReadsTest(VirtualBase):
    """Dovecot (IMAP, private instance) reads what virtual delivered."""

    def start_dovecot(self):
        d = mtatest.Dovecot(self, os.path.join(self.tmp, "dovecot"), imap=True,
                            passwd="bob@example.jp:{PLAIN}secret:%d:%d::%s/example.jp/bob\n"
                                   % (self.uid, self.gid, self.base),
                            mail_location="maildir:%s/%%d/%%n" % self.base,
                            extra="mail_plugins = quota\nplugin {\n  quota = maildir:User quota\n}\n"
                                  "protocol imap {\n  mail_plugins = $mail_plugins imap_quota\n}\n")
        return d.imap_port

    def test_dovecot_fetch(self):
        import imaplib
        inst = self.instance("virtual_create_maildirsize = yes\nvirtual_mailbox_extended = yes\n"
                             "virtual_mailbox_limit_override = yes\n",
                             limits={"bob@example.jp": "100000"})
        inst.start()
        body = "caf\xe9 \u65e5\u672c\n".encode("utf-8")
        inst.send("bob@example.jp", body=body, sender=SENDER)
        files = self.wait_files(inst, "bob")
        with open(files[0], "rb") as f:
            delivered = f.read()
        port = self.start_dovecot()
        imap = imaplib.IMAP4("127.0.0.1", port)
        try:
            imap.login("bob@example.jp", "secret")
            typ, data = imap.select("INBOX")
            self.assertEqual((typ, data[0]), ("OK", b"1"))
            typ, data = imap.fetch("1", "(RFC822)")
            self.assertEqual(typ, "OK")
            self.assertEqual(data[0][1].replace(b"\r\n", b"\n"), delivered)
            # Dovecot's Maildir++ quota reads our maildirsize: usage and
            # limit in kilobytes.
            typ, data = imap.getquotaroot("INBOX")
            self.assertEqual(typ, "OK", data)
            quota = b" ".join(x for x in data[1] if x)
            self.assertIn(b"(STORAGE %d %d)" % ((len(delivered) + 1023) // 1024, (100000 + 1023) // 1024),
                          quota)
            imap.logout()
        finally:
            try:
                imap.shutdown()
            except OSError:
                pass


if __name__ == "__main__":
    unittest.main()

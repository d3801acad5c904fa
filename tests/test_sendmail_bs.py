"""System tests of `sendmail -bs` (issue 14 section 3): sendmail runs the one
SMTP engine, `smtpd -S`, on its standard input and output, as Postfix does.
Run by mail_owner it is the ordinary server (cleanup, restrictions); run by
anyone else, root included, smtpd hands each message to postdrop and applies
no access restrictions (Postfix's smtpd(8): "When the SMTP server runs
stand-alone with non $mail_owner privileges, it receives mail even while the
mail system is not running, deposits messages directly into the maildrop
queue, and disables the SMTP server's access policies"), and the client is
localhost[127.0.0.1]. Checked against Debian's Postfix 3.7 by hand: the same
log lines, Received: header and maildrop path as root."""
import grp
import os
import pwd
import re
import subprocess
import unittest

import mtatest

SENDMAIL = mtatest.program("sendmail")
HOST = "mx.example.com"
# Restrictions that refuse everything: only a session without them passes.
CLOSED = ("smtpd_client_restrictions = reject\nsmtpd_recipient_restrictions = reject\n"
          "smtpd_relay_restrictions = reject\n")


def replies(data):
    """The SMTP replies in `data` (bytes), multi-line ones joined by \\n."""
    out, cur = [], []
    for line in data.decode("utf-8", "replace").split("\r\n"):
        if not line:
            continue
        cur.append(line)
        if len(line) < 4 or line[3] != "-":
            out.append("\n".join(cur))
            cur = []
    return out


def dialogue(*lines, body=("Subject: bs", "", "hello")):
    """EHLO, MAIL, RCPT..., DATA, the body, QUIT as one pipelined input."""
    cmds = ["EHLO client.example"] + list(lines) + ["DATA"] + list(body) + [".", "QUIT"]
    return ("\r\n".join(cmds) + "\r\n").encode()


class SendmailBsTest(mtatest.TempDirTestCase):

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)

    def instance(self, main_cf="", mail_owner=None, services=("pickup", "cleanup", "rewrite"),
                 master_extra=""):
        inst = mtatest.MtaInstance(self, services=list(services), mail_owner=mail_owner,
                                   main_cf="myhostname = %s\n%s" % (HOST, main_cf),
                                   master_extra=master_extra)
        return inst

    def session(self, inst, data, user=None, extra_groups=None):
        """Runs sendmail -bs with `data` on its input (as `user`, a pwd entry,
        when given); returns (exit status, replies, stderr)."""
        env = dict(os.environ, **inst.env())
        kw = {}
        if user is not None:
            kw = dict(user=user.pw_uid, group=user.pw_gid, extra_groups=extra_groups or [])
            env["HOME"] = "/"
        proc = subprocess.run([SENDMAIL, "-bs"], input=data, env=env, capture_output=True,
                              timeout=60, **kw)
        return proc.returncode, replies(proc.stdout), proc.stderr.decode(errors="replace")

    def assert_received(self, msg, maildrop_id, rcpt):
        self.assertEqual(msg["content"][:3], [
            "Received: from client.example (localhost [127.0.0.1])",
            "\tby %s (Postfix) with ESMTP id %s" % (HOST, maildrop_id),
            msg["content"][2]])
        self.assertRegex(msg["content"][2], r"^\tfor <%s>; \w{3}, [ \d]\d \w{3} \d{4} "
                         % re.escape(rcpt))

    def local_submission(self, inst, user=None, extra_groups=None):
        """One message through -bs as a user other than mail_owner: the
        restrictions (CLOSED) are off, postdrop queues it, pickup feeds it
        to cleanup."""
        rc, reps, err = self.session(
            inst, dialogue("MAIL FROM:<alice@example.org>", "RCPT TO:<bob@remote.example>"),
            user, extra_groups)
        self.assertEqual(rc, 0, (reps, err))
        self.assertEqual(reps[0], "220 %s ESMTP Postfix" % HOST)
        self.assertEqual(reps[2:], ["250 2.1.0 Ok", "250 2.1.5 Ok",
                                    "354 End data with <CR><LF>.<CR><LF>", reps[5],
                                    "221 2.0.0 Bye"], err)
        maildrop_id = mtatest.queued_id(reps)
        (qid, msg), = inst.incoming(1).items()
        self.assertEqual(msg["sender"], "alice@example.org")
        self.assertEqual(msg["recipients"], ["bob@remote.example"])
        self.assert_received(msg, maildrop_id, "bob@remote.example")
        self.assertIn("Subject: bs", msg["content"])
        self.assertEqual(msg["content"][-1], "hello")
        uid = user.pw_uid if user else os.getuid()
        inst.wait_log(r"postfix/pickup\[\d+\]: %s: uid=%d from=<alice@example.org>" % (qid, uid))
        log = inst.log()
        self.assertRegex(log, r"postfix/smtpd\[\d+\]: connect from localhost\[127\.0\.0\.1\]")
        self.assertRegex(log, r"postfix/smtpd\[\d+\]: %s: client=localhost\[127\.0\.0\.1\]"
                         % maildrop_id)
        self.assertRegex(log, r"postfix/smtpd\[\d+\]: disconnect from localhost\[127\.0\.0\.1\] "
                         r"ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5")
        self.assertNotIn("reject:", log)
        self.assertEqual(inst.queue_ids("maildrop"), [])

    # --- as mail_owner: the ordinary server ---

    def test_mail_owner_gets_the_server_with_its_restrictions(self):
        """The instance's mail_owner is the test's own user here."""
        inst = self.instance(main_cf="smtpd_recipient_restrictions = "
                                     "check_recipient_access inline:{closed@example.com=REJECT}, "
                                     "permit_mynetworks, reject\n")
        inst.start()
        rc, reps, err = self.session(inst, dialogue(
            "MAIL FROM:<alice@example.org>", "RCPT TO:<closed@example.com>",
            "RCPT TO:<bob@example.com>"))
        self.assertEqual(rc, 0, err)
        self.assertIn("250-PIPELINING", reps[1])
        self.assertEqual(reps[2:5], [
            "250 2.1.0 Ok",
            "554 5.7.1 <closed@example.com>: Recipient address rejected: Access denied",
            "250 2.1.5 Ok"])
        qid = mtatest.queued_id(reps)
        # Straight to cleanup: the queued ID is the incoming file's.
        (got, msg), = inst.incoming(1).items()
        self.assertEqual(got, qid)
        self.assertEqual(msg["sender"], "alice@example.org")
        self.assertEqual(msg["recipients"], ["bob@example.com"])
        self.assert_received(msg, qid, "bob@example.com")
        self.assertEqual(inst.queue_ids("maildrop"), [])
        inst.wait_log(r"NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 554 5\.7\.1 "
                      r"<closed@example\.com>")

    def test_usage(self):
        inst = self.instance()
        inst.postfix("check")
        r = mtatest.run([SENDMAIL, "-bs", "bob@example.com"], env=inst.env())
        self.assertEqual(r.rc, 64, r)
        self.assertIn("stand-alone mode requires no recipient", r.err)
        # daemon_directory without smtpd.
        with open(os.path.join(inst.etc, "main.cf"), "a") as f:
            f.write("daemon_directory = %s/nothing\n" % self.tmp)
        r = mtatest.run([SENDMAIL, "-bs"], env=inst.env(), input="QUIT\r\n")
        self.assertEqual(r.rc, 69, r)
        self.assertIn("execv %s/nothing/smtpd" % self.tmp, r.err)

    def test_client_gone_mid_message(self):
        inst = self.instance()
        inst.start()
        r = mtatest.run([SENDMAIL, "-bs"], env=inst.env(),
                        input="HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhalf\r\n")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("354 ", r.out)
        inst.wait_log(r"lost connection after DATA from localhost\[127\.0\.0\.1\]")
        self.assertEqual(inst.queue_ids("incoming"), [])

    # --- as another user: postdrop, no restrictions ---

    def admin_instance(self, **kw):
        if os.geteuid() != 0:
            self.skipTest("needs root: mail_owner must be another user")
        try:
            pwd.getpwnam("postfix")
            grp.getgrnam("postdrop")
        except KeyError:
            self.fail("no postfix user or postdrop group: make test installs Debian's "
                      "postfix package, which creates them")
        kw.setdefault("services", ("pickup", "cleanup", "rewrite", "postlog"))
        return self.instance(mail_owner="postfix", **kw)

    def test_root_submits_through_postdrop(self):
        inst = self.admin_instance(main_cf=CLOSED)
        inst.start()
        self.local_submission(inst)

    def test_unprivileged_user_submits_through_postdrop(self):
        inst = self.admin_instance(main_cf=CLOSED)
        inst.start()
        user = pwd.getpwnam("nobody")
        # postdrop is installed set-gid postdrop; the build's is not, so
        # the user gets the group itself to write into maildrop/.
        self.local_submission(inst, user, [grp.getgrnam("postdrop").gr_gid])

    def test_accepted_while_the_mail_system_is_down(self):
        inst = self.admin_instance()
        inst.postfix("check")
        rc, reps, err = self.session(inst, dialogue("MAIL FROM:<alice@example.org>",
                                                    "RCPT TO:<bob@example.com>"))
        self.assertEqual(rc, 0, err)
        qid = mtatest.queued_id(reps)
        self.assertEqual(inst.queue_ids("maildrop"), [qid])
        msg = mtatest.queue_dump(inst.queue_path("maildrop", qid))
        self.assertEqual(msg["sender"], "alice@example.org")
        self.assertEqual(msg["recipients"], ["bob@example.com"])
        # Only what a local user may set: no client_address and the like.
        self.assertEqual(sorted(msg["attrs"]), ["rewrite_context"])
        self.assert_received(msg, qid, "bob@example.com")

    def test_hostile_input_gets_the_network_servers_replies(self):
        """The same hostile dialogue to the network smtpd and to sendmail -bs
        (through postdrop): the same replies, but for the queue IDs."""
        port = mtatest.free_port()
        inst = self.admin_instance(
            main_cf="smtpd_forbid_bare_newline = reject\n"
                    "smtpd_forbid_bare_newline_exclusions =\n",
            master_extra=mtatest.smtpd_service("127.0.0.1:%d" % port))
        inst.start()
        mtatest.wait_smtpd(port)
        scripts = [
            b"EHLO client.example\r\nFOO bar\r\nNOOP " + b"x" * 5000 + b"\r\n"
            b"MAIL FROM:<alice@example.org\r\nMAIL FROM:<alice@example.org>\r\n"
            b"RCPT TO:<bob@example.com> NOTIFY=BOGUS\r\nRCPT TO:<bob@example.com>\r\n"
            b"DATA\r\nSubject: long\r\n\r\n" + b"y" * 5000 + b"\r\n..dot\r\n.\r\nQUIT\r\n",
            b"HELO client.example\r\nNOOP\nQUIT\r\n",
            b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n"
            b"DATA\r\nSubject: smuggle\r\n\r\nbody\n.\nMAIL FROM:<evil@example.org>\r\n"
            b".\r\nQUIT\r\n",
        ]
        banner = "220 %s ESMTP Postfix" % HOST
        for script in scripts:
            with mtatest.smtp_connect(port)[0] as s:
                s.sendall(script)
                network = mtatest.recv_until_closed(s)
            rc, local, err = self.session(inst, script)
            self.assertEqual(local[0], banner)
            network = [banner] + network

            def same(reps):  # but for the queue IDs
                return [re.sub(r"queued as \w+", "queued as ID", r) for r in reps]
            self.assertEqual(same(network), same(local), (script[:60], err))
            self.assertTrue(any(r.startswith("5") for r in local), local)
        # The long line and the dot-stuffed one arrived whole, twice.
        mtatest.wait_for(lambda: len(inst.queue_ids("incoming")) == 2, 30,
                         lambda: "two messages; log:\n" + inst.log())
        for qid in inst.queue_ids("incoming"):
            msg = mtatest.queue_dump(inst.queue_path("incoming", qid))
            self.assertEqual(msg["content"][-2:], ["y" * 5000, ".dot"])


if __name__ == "__main__":
    unittest.main()

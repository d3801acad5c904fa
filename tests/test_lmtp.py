"""System tests of the LMTP client (the smtp program run as lmtp, Postfix's
lmtp(8)): mail for virtual domains goes through virtual_transport =
lmtp:unix:private/dovecot-lmtp to a private Dovecot LMTP server
(dovecot-lmtpd), and through lmtp:inet:127.0.0.1 to tests/smtp_sink.py
speaking LMTP, where each recipient gets its own reply after the final "."."""
import glob
import os
import pwd
import unittest

import mtatest
from smtp_sink import SmtpSink

SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "showq",
            "error", "retry", "lmtp"]


class LmtpTest(mtatest.TempDirTestCase):

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)

    def instance(self, main_cf):
        inst = mtatest.MtaInstance(
            self, services=SERVICES,
            main_cf="myhostname = mta.test.example\nmydestination = $myhostname, localhost\n"
                    "virtual_mailbox_domains = example.com\n"
                    "queue_run_delay = 1s\nminimal_backoff_time = 1s\nmaximal_backoff_time = 2s\n"
                    "bounce_queue_lifetime = 1d\n" + main_cf)
        inst.start()
        return inst

    def test_dovecot_delivers_and_refuses_per_recipient(self):
        """Two recipients through Dovecot's LMTP server on a UNIX socket
        below the queue directory: the known one is delivered into its
        Maildir, the unknown one (refused at RCPT) bounced, and the bounce
        goes to the sender's mailbox through the same transport."""
        inst = self.instance("virtual_transport = lmtp:unix:private/dovecot-lmtp\n")
        owner = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        mail = os.path.join(self.tmp, "mail")
        os.makedirs(mail)
        os.chown(mail, owner.pw_uid, owner.pw_gid)
        users = "".join("%s@example.com::%d:%d::%s/%s\n" % (u, owner.pw_uid, owner.pw_gid, mail, u)
                        for u in ("alice", "bob"))
        dovecot = mtatest.Dovecot(self, os.path.join(self.tmp, "dovecot"), passwd=users,
                                  mail_location="maildir:~/Maildir",
                                  lmtp_socket=inst.queue + "/private/dovecot-lmtp")
        inst.sendmail("bob@example.com", "nobody@example.com", sender="alice@example.com",
                      message="Subject: over lmtp\n\nhello Dovecot\n")
        relay = r"relay=mta\.test\.example\[private/dovecot-lmtp\]"
        inst.wait_log(r"postfix/lmtp\[\d+\]: \w+: to=<bob@example.com>, %s, delay=[\d.]+, "
                      r"delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2\.0\.0, status=sent "
                      r"\(250 2\.0\.0 <bob@example.com> \S+ Saved\)" % relay, timeout=30)
        inst.wait_log(r"postfix/lmtp\[\d+\]: \w+: to=<nobody@example.com>, %s, delay=[\d.]+, "
                      r"delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=5\.1\.1, status=bounced "
                      r"\(host mta\.test\.example\[private/dovecot-lmtp\] said: 550 5\.1\.1 "
                      r"<nobody@example.com> User doesn't exist: nobody@example.com "
                      r"\(in reply to RCPT TO command\)\)" % relay)
        got = mtatest.wait_for(lambda: glob.glob(mail + "/bob/Maildir/new/*"), 20,
                               lambda: "bob's mail; dovecot log:\n" + dovecot.log())
        with open(got[0], "rb") as f:
            text = f.read()
        self.assertIn(b"Subject: over lmtp", text)
        self.assertIn(b"hello Dovecot", text)
        # The bounce notice reaches the sender through Dovecot too.
        notice = mtatest.wait_for(lambda: glob.glob(mail + "/alice/Maildir/new/*"), 30,
                                  lambda: "alice's bounce; log:\n" + inst.log())
        with open(notice[0], "rb") as f:
            self.assertIn(b"nobody@example.com", f.read())
        inst.wait_empty()
        self.assertNotIn("EHLO", dovecot.log())

    def test_inet_per_recipient_replies_after_data(self):
        """lmtp:inet:127.0.0.1 with lmtp_tcp_port: one transaction, LHLO with
        lmtp_lhlo_name; bob's 250 after "." is delivered, carol's 452 deferred
        and delivered alone at the next attempt."""
        sink = SmtpSink(lmtp=True, end_replies={
            "carol@example.com": ["452 4.2.2 <carol@example.com> Mailbox is full",
                                  "250 2.0.0 <carol@example.com> Saved"]})
        sink.start()
        self.addCleanup(sink.stop)
        inst = self.instance("virtual_transport = lmtp:inet:127.0.0.1\n"
                             "lmtp_tcp_port = %d\nsmtp_tcp_port = 1\n"
                             "lmtp_lhlo_name = lhlo.test.example\n" % sink.port)
        inst.sendmail("bob@example.com", "carol@example.com", sender="alice@sender.example",
                      message="Subject: two\n\nfor both\n")
        inst.wait_log(r"postfix/lmtp\[\d+\]: \w+: to=<bob@example.com>, "
                      r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, delay=[\d.]+, "
                      r"delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2\.0\.0, status=sent "
                      r"\(250 2\.0\.0 <bob@example.com> Ok: queued as SINK1\)" % sink.port,
                      timeout=30)
        inst.wait_log(r"postfix/lmtp\[\d+\]: \w+: to=<carol@example.com>, "
                      r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, delay=[\d.]+, "
                      r"delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=4\.2\.2, status=deferred "
                      r"\(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 452 4\.2\.2 "
                      r"<carol@example.com> Mailbox is full \(in reply to end of DATA command\)\)"
                      % sink.port)
        sink.wait_transactions(2)
        first, second = sink.transactions[:2]
        self.assertEqual(first.helo, "LHLO lhlo.test.example")
        self.assertEqual(first.rcpts, ["bob@example.com", "carol@example.com"])
        self.assertEqual(first.delivered, ["bob@example.com"])
        self.assertEqual(second.rcpts, ["carol@example.com"])
        self.assertEqual(second.delivered, ["carol@example.com"])
        inst.wait_log(r"to=<carol@example.com>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, .*"
                      r"status=sent" % sink.port, timeout=30)
        inst.wait_empty()
        self.assertNotIn("EHLO", " ".join(sink.commands))

    def test_unix_socket_missing_defers(self):
        inst = self.instance("virtual_transport = lmtp:unix:private/nothing-here\n")
        inst.sendmail("bob@example.com", sender="alice@sender.example",
                      message="Subject: nowhere\n\nx\n")
        inst.wait_log(r"postfix/lmtp\[\d+\]: \w+: to=<bob@example.com>, relay=none, .*"
                      r"dsn=4\.4\.1, status=deferred \(connect to "
                      r"mta\.test\.example\[private/nothing-here\]: No such file or directory\)",
                      timeout=30)


if __name__ == "__main__":
    unittest.main()

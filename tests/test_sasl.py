"""SMTP AUTH in smtpd through a private Dovecot (smtpd_sasl_type = dovecot):
Dovecot's auth socket sits in the instance's queue directory
(private/auth, as in Postfix's SASL_README), its passdb is a passwd-file
with SHA512-CRYPT and MD5-CRYPT passwords. Clients are Python's smtplib
and swaks; authenticated relay goes to an SMTP sink. Running as root, the
system runs as administrators run it (mail_owner postfix, smtpd
unprivileged) and the socket belongs to postfix, mode 0660."""
import os
import base64
import shutil
import smtplib
import unittest

import mtatest
from smtp_sink import SmtpSink

SERVICES = ["cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "smtp", "anvil", "postlog"]
ROOT = os.geteuid() == 0


@unittest.skipUnless(mtatest.have_dovecot(), "Dovecot is not installed")
class SaslTest(mtatest.TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink()
        self.sink.start()
        self.addCleanup(self.sink.stop)
        self.port = mtatest.free_port()
        owner = mtatest.postfix_user() if ROOT else None
        options = ["smtpd_sasl_auth_enable=yes", "smtpd_sasl_type=dovecot",
                   "smtpd_sasl_path=private/auth", "broken_sasl_auth_clients=yes",
                   "smtpd_sasl_authenticated_header=yes"]
        # unpriv "-": smtpd runs as mail_owner when the test runs as root.
        # A second service with smtpd_client_auth_rate_limit (anvil).
        self.limited_port = mtatest.free_port()
        master_extra = "".join(
            "127.0.0.1:%d inet n %s n - - smtpd\n" % (port, "-" if owner else "n") +
            "".join("  -o %s\n" % o for o in opts)
            for port, opts in ((self.port, options),
                               (self.limited_port,
                                options + ["smtpd_client_auth_rate_limit=2"])))
        self.inst = mtatest.MtaInstance(
            self, services=SERVICES, mail_owner=owner, master_extra=master_extra,
            main_cf="myhostname = mx.example.jp\nmydomain = example.jp\nmydestination =\n"
                    "smtpd_peername_lookup = no\nmynetworks = 192.0.2.0/24\n"
                    "relayhost = [127.0.0.1]:%d\n"
                    "smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated "
                    "reject_unauth_destination\n"
                    "smtpd_recipient_restrictions = permit_mynetworks permit_sasl_authenticated "
                    "reject_unauth_destination\n"
                    "smtpd_sender_restrictions = reject_sender_login_mismatch\n"
                    "smtpd_sender_login_maps = inline:{bob@example.jp=bob@example.jp, "
                    "carol@example.jp=carol@example.jp}\n" % self.sink.port)
        self.inst.start()
        passwd = ("bob@example.jp:%s:1000:1000::/nonexistent\n"
                  % mtatest.crypt_password("secret", "SHA512-CRYPT") +
                  "carol@example.jp:%s:1000:1000::/nonexistent\n"
                  % mtatest.crypt_password("carol pw", "MD5-CRYPT"))
        self.socket = os.path.join(self.inst.queue, "private", "auth")
        self.dovecot = mtatest.Dovecot(self, os.path.join(self.tmp, "dovecot"), passwd=passwd,
                                       auth_socket=self.socket, socket_user=owner)
        mtatest.wait_smtpd(self.port)

    def smtp(self):
        s = smtplib.SMTP("127.0.0.1", self.port, timeout=20)
        self.addCleanup(s.close)
        return s

    def test_plain_then_authenticated_relay(self):
        s = self.smtp()
        code, text = s.ehlo("client.example")
        self.assertEqual(code, 250)
        lines = text.decode().split("\n")
        self.assertIn("AUTH PLAIN LOGIN", lines)
        self.assertIn("AUTH=PLAIN LOGIN", lines)
        # Unauthenticated: relaying is refused.
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            s.sendmail("someone@example.org", ["x@remote.example"],
                       b"Subject: no\r\n\r\nno\r\n")
        self.assertEqual(cm.exception.recipients["x@remote.example"],
                         (554, b"5.7.1 <x@remote.example>: Relay access denied"))
        self.inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.1\]: 554 5\.7\.1 "
                           r"<x@remote\.example>: Relay access denied")
        # smtplib chooses PLAIN (with an initial response).
        code, text = s.login("bob@example.jp", "secret")
        self.assertEqual((code, text), (235, b"2.7.0 Authentication successful"))
        s.sendmail("bob@example.jp", ["x@remote.example"], b"Subject: yes\r\n\r\nrelayed\r\n")
        s.quit()
        self.sink.wait_transactions(1)
        data = self.sink.transactions[0].data
        self.assertIn(b"\t(Authenticated sender: bob@example.jp)\r\n", data)
        self.assertRegex(data, rb"\tby mx\.example\.jp \(Postfix\) with ESMTPA id ")
        self.inst.wait_log(r"smtpd\[\d+\]: \w+: client=unknown\[127\.0\.0\.1\], "
                           r"sasl_method=PLAIN, sasl_username=bob@example\.jp\n")
        self.inst.wait_log(r"disconnect from unknown\[127\.0\.0\.1\] ehlo=1 auth=1 mail=2 "
                           r"rcpt=1/2 data=1 rset=1 quit=1 commands=8/9")

    def test_login_md5_crypt_and_sender_login_mismatch(self):
        s = self.smtp()
        s.ehlo("client.example")
        s.user, s.password = "carol@example.jp", "carol pw"
        code, text = s.auth("LOGIN", s.auth_login)
        self.assertEqual(code, 235)
        # carol may not send as bob (refused at RCPT: smtpd_delay_reject).
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            s.sendmail("bob@example.jp", ["x@remote.example"], b"Subject: x\r\n\r\nx\r\n")
        self.assertEqual(cm.exception.recipients["x@remote.example"],
                         (553, b"5.7.1 <bob@example.jp>: Sender address rejected: not owned by "
                               b"user carol@example.jp"))
        s.rset()
        s.sendmail("carol@example.jp", ["x@remote.example"], b"Subject: x\r\n\r\nx\r\n")
        # A second AUTH is refused.
        code, text = s.docmd("AUTH", "PLAIN AGJvYgBzZWNyZXQ=")
        self.assertEqual((code, text), (503, b"5.5.1 Error: already authenticated"))
        s.quit()
        self.sink.wait_transactions(1)
        self.inst.wait_log(r"client=unknown\[127\.0\.0\.1\], sasl_method=LOGIN, "
                           r"sasl_username=carol@example\.jp")

    def test_wrong_password_and_protocol_errors(self):
        s = self.smtp()
        s.ehlo("client.example")
        with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
            s.login("bob@example.jp", "wrong")
        self.assertEqual(cm.exception.smtp_code, 535)
        # Dovecot gives no reason for a wrong password; the user name, as
        # Postfix logs it, is what fail2ban and log exporters read.
        self.assertEqual(cm.exception.smtp_error,
                         b"5.7.8 Error: authentication failed: (reason unavailable)")
        self.inst.wait_log(r"smtpd\[\d+\]: warning: unknown\[127\.0\.0\.1\]: SASL PLAIN "
                           r"authentication failed: \(reason unavailable\), "
                           r"sasl_username=bob@example\.jp\n")
        self.assertEqual(s.docmd("AUTH"), (501, b"5.5.4 Syntax: AUTH mechanism"))
        self.assertEqual(s.docmd("AUTH", "CRAM-MD5"),
                         (504, b"5.5.4 Unsupported authentication mechanism"))
        self.assertEqual(s.docmd("AUTH", "LOGIN"), (334, b"VXNlcm5hbWU6"))
        self.assertEqual(s.docmd("*"), (501, b"5.7.0 Authentication aborted"))
        self.assertEqual(s.docmd("MAIL", "FROM:<a@example.org>")[0], 250)
        self.assertEqual(s.docmd("AUTH", "PLAIN"),
                         (503, b"5.5.1 Error: MAIL transaction in progress"))
        s.quit()

    def test_swaks_plain_and_login(self):
        swaks = shutil.which("swaks")
        if not swaks:
            self.skipTest("swaks is not installed")
        for mech, user, password in (("PLAIN", "bob@example.jp", "secret"),
                                     ("LOGIN", "carol@example.jp", "carol pw")):
            r = mtatest.run([swaks, "--server", "127.0.0.1", "--port", str(self.port),
                             "--ehlo", "client.example", "--from", user,
                             "--to", "x@remote.example", "--auth", mech, "--auth-user", user,
                             "--auth-password", password, "--timeout", "20"])
            self.assertEqual(r.rc, 0, r)
            self.assertIn("235 2.7.0 Authentication successful", r.out)
        r = mtatest.run([swaks, "--server", "127.0.0.1", "--port", str(self.port),
                         "--from", "bob@example.jp", "--to", "x@remote.example",
                         "--auth", "LOGIN", "--auth-user", "bob@example.jp",
                         "--auth-password", "nope", "--timeout", "20"])
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("535 5.7.8 Error: authentication failed", r.out)
        self.sink.wait_transactions(2)
        self.inst.wait_log(r"warning: unknown\[127\.0\.0\.1\]: SASL LOGIN authentication "
                           r"failed: ")

    def test_dovecot_restart_is_a_temporary_failure(self):
        s = self.smtp()
        s.ehlo("client.example")  # connects to the auth socket
        self.dovecot.stop()  # waits for it to exit
        code, text = s.docmd("AUTH", "PLAIN AGJvYgBzZWNyZXQ=")
        self.assertEqual(code, 454, text)
        self.assertTrue(text.startswith(b"4.7.0 Temporary authentication failure: "), text)
        # Dovecot is back: the same smtpd process connects again.
        mtatest.Dovecot(self, os.path.join(self.tmp, "dovecot2"),
                        passwd="bob@example.jp:{PLAIN}secret:1000:1000::/nonexistent\n",
                        auth_socket=self.socket, socket_user=mtatest.postfix_user() if ROOT else None)
        code, text = s.docmd("AUTH", "PLAIN " + base64.b64encode(
            b"\0bob@example.jp\0secret").decode())
        self.assertEqual(code, 235, text)
        s.quit()


    def test_auth_rate_limit(self):
        s = smtplib.SMTP("127.0.0.1", self.limited_port, timeout=20)
        self.addCleanup(s.close)
        s.ehlo("client.example")
        for _ in range(2):
            self.assertEqual(s.docmd("AUTH", "CRAM-MD5"),
                             (504, b"5.5.4 Unsupported authentication mechanism"))
        self.assertEqual(s.docmd("AUTH", "PLAIN AGJvYgBzZWNyZXQ="),
                         (450, b"4.7.1 Error: too many AUTH commands from 127.0.0.1"))
        s.quit()
        self.inst.wait_log(r"smtpd\[\d+\]: warning: AUTH command rate limit exceeded: 3 from "
                           r"unknown\[127\.0\.0\.1\] for service 127\.0\.0\.1:%d"
                           % self.limited_port)


class SaslSettingsTest(mtatest.TempDirTestCase):

    def test_cyrus_is_refused(self):
        port = mtatest.free_port()
        inst = mtatest.MtaInstance(
            self, services=["cleanup", "rewrite"],
            master_extra=mtatest.smtpd_service("127.0.0.1:%d" % port,
                                               ["smtpd_sasl_auth_enable=yes"]))
        r = inst.postfix("check")
        self.assertIn("smtpd_sasl_auth_enable with smtpd_sasl_type = cyrus: SASL authentication "
                      "other than Dovecot's is not implemented by this mail system; smtpd will "
                      "refuse to start", r.err + inst.log())
        self.assertNotRegex(r.err, r"parameter smtpd_sasl_\w+ is not implemented")


if __name__ == "__main__":
    unittest.main()

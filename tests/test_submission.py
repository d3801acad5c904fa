"""The submission set-up of examples/virtual-hosting end to end, run as
administrators run it (root starts it, mail_owner = postfix, mailboxes of
a separate uid): the example's main.cf and its submission service (with
its commented `-o smtpd_tls_security_level=encrypt` in force and
`smtpd_tls_auth_only`), an MX service as on port 25 (`smtpd_use_tls =
yes`, i.e. may) and an smtps service (wrappermode), each on a free port.
Address data, passwords and quota come from a private MariaDB loaded with
the PostfixAdmin schema (mailbox passwords as SHA512-CRYPT and
MD5-CRYPT); a private Dovecot checks the passwords with an SQL passdb on
the same tables (its auth socket is the instance's private/auth) and
serves the delivered Maildirs over IMAP with an SQL userdb. Certificates
are made at test time; remote mail goes to an SMTP sink through
relayhost.

Clients: Python's smtplib, imaplib and ssl, swaks, `openssl s_client`, a
raw socket (the STARTTLS injection), and Debian's Postfix smtp client
relaying through our submission port with TLS and SASL.

Runs only as root (everything skipped otherwise)."""
import base64
import imaplib
import os
import re
import select
import shutil
import smtplib
import ssl
import subprocess
import time
import unittest

import mariadb
import mtatest
from smtp_sink import SmtpSink
from test_virtual import free_id

VH = os.path.join(mtatest.EXAMPLES, "virtual-hosting")
OUTSIDE = "127.0.0.5"  # a loopback source outside mynetworks (the example's default: host)
DOVECOT_MYSQL = "/usr/lib/dovecot/modules/libdriver_mysql.so"

SERVICES = ["cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "proxymap",
            "proxywrite", "virtual", "smtp", "error", "retry", "discard", "anvil", "postlog"]

# Mailbox passwords: bob's as PostfixAdmin stores them with encrypt =
# dovecot:SHA512-CRYPT, alice's with the {MD5-CRYPT} prefix, carol's as a
# bare md5crypt hash that Dovecot reads with default_pass_scheme.
USERS = {"bob@example.jp": ("SHA512-CRYPT", "b0b-secret"),
         "alice@example.jp": ("MD5-CRYPT", "Al1ce-pw"),
         "carol@example.net": ("", "car0l-pw")}

# PostfixAdmin's sender login map: a mailbox owns its address, and the
# targets of an alias own the alias.
SENDER_LOGIN_QUERY = ("SELECT username FROM mailbox WHERE username='%s' AND active = '1' "
                      "UNION SELECT goto FROM alias WHERE address='%s' AND active = '1'")

# Lines of master.cf added to the example's submission service, as
# Postfix's own master.cf has them.
SUBMISSION_OPTIONS = ["syslog_name=postfix/submission", "smtpd_tls_auth_only=yes",
                      "smtpd_sender_restrictions=reject_sender_login_mismatch"]
SMTPS_OPTIONS = ["syslog_name=postfix/smtps", "smtpd_tls_wrappermode=yes",
                 "smtpd_sasl_auth_enable=yes",
                 "smtpd_client_restrictions=permit_sasl_authenticated,reject",
                 "smtpd_sender_restrictions=reject_sender_login_mismatch"]


def example_submission(listen):
    """The example's submission service on `listen`, its commented
    smtpd_tls_security_level=encrypt in force, plus SUBMISSION_OPTIONS."""
    with open(os.path.join(VH, "master.cf")) as f:
        text = f.read().replace("#  -o smtpd_tls_security_level=encrypt\n",
                                "   -o smtpd_tls_security_level=encrypt\n")
    assert "   -o smtpd_tls_security_level=encrypt\n" in text, "the example's master.cf changed"
    text = "".join(l + "\n" for l in text.splitlines() if not l.startswith("#"))
    text = re.sub(r"^submission ", listen + " ", text, flags=re.M)
    return text + "".join("  -o %s\n" % o for o in SUBMISSION_OPTIONS)


def smtpd_lines(listen, options):
    """A master.cf smtpd on `listen` whose unpriv column is "-": run by root,
    smtpd becomes mail_owner."""
    return "%s inet n - n - - smtpd\n" % listen + "".join("  -o %s\n" % o for o in options)


class SClient:
    """openssl s_client in wrappermode, driven one command at a time."""

    def __init__(self, test, port, cafile):
        self.proc = subprocess.Popen(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-quiet",
             "-CAfile", cafile, "-verify_return_error", "-servername", "mx.example.test"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        test.addCleanup(self.close)
        self.buf = b""

    def reply(self, timeout=20):
        """The next complete reply (lines joined by \\n); "" when s_client ended."""
        deadline = time.monotonic() + timeout
        lines = []
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line, self.buf = self.buf[:end].decode(), self.buf[end + 2:]
                lines.append(line)
                if line[3:4] == " ":
                    return "\n".join(lines)
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no complete reply from s_client: %r" % lines)
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    return "\n".join(lines)
                self.buf += chunk

    def command(self, line):
        self.proc.stdin.write(line.encode() + b"\r\n")
        self.proc.stdin.flush()
        return self.reply()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()


@unittest.skipIf(os.geteuid() != 0, "needs root: runs the system as administrators do")
@unittest.skipUnless(mariadb.available(), "MariaDB server programs are not installed")
@unittest.skipUnless(mtatest.have_dovecot() and os.path.exists(DOVECOT_MYSQL),
                     "Dovecot with its MySQL driver (dovecot-mysql) is not installed")
@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
class SubmissionTest(mtatest.TempDirTestCase):

    @classmethod
    def setUpClass(cls):
        scope = mtatest.ClassScope(cls)
        os.chmod(scope.tmp, 0o755)
        cls.db = mariadb.MariaDB(tcp=True)  # reached by smtpd and proxymap as postfix
        cls.db.start()
        cls.addClassCleanup(cls.db.cleanup)
        cls.db.execute_file(os.path.join(VH, "postfixadmin-schema.sql"))
        for user, (scheme, password) in USERS.items():
            stored = mtatest.crypt_password(password, scheme or "MD5-CRYPT")
            if not scheme:
                stored = stored.split("}", 1)[1]
            cls.db.execute("UPDATE mailbox SET password = '%s' WHERE username = '%s'"
                           % (stored, user), "postfix")
        cls.sink = SmtpSink()
        cls.sink.start()
        cls.addClassCleanup(cls.sink.stop)
        cls.certs = os.path.join(scope.tmp, "certs")
        os.makedirs(cls.certs)
        mtatest.make_certificates(cls.certs)
        cls.cafile = os.path.join(cls.certs, "ca.pem")
        sql = os.path.join(scope.tmp, "sql")
        os.makedirs(sql)
        settings = dict(cls.db.cf_settings(via_tcp=True), dbname="postfix")
        mariadb.rewrite_cf_dir(os.path.join(VH, "sql"), sql, settings)
        mariadb.rewrite_cf(os.path.join(VH, "sql", "mysql_virtual_mailbox_maps.cf"),
                           os.path.join(sql, "sender_login_maps.cf"),
                           dict(settings, query=SENDER_LOGIN_QUERY))
        cls.uid = free_id()
        cls.vmail = os.path.join(scope.tmp, "vmail")
        os.makedirs(cls.vmail)
        os.chown(cls.vmail, cls.uid, cls.uid)
        cls.port25, cls.submission, cls.smtps = (mtatest.free_port() for _ in range(3))
        cls.inst = mtatest.MtaInstance(
            scope, services=SERVICES, mail_owner="postfix",
            main_cf=mtatest.virtual_hosting_main_cf(sql, cls.vmail, cls.uid, certs=cls.certs)
            + "relayhost = [127.0.0.1]:%d\n" % cls.sink.port
            + "smtpd_sender_login_maps = mysql:%s/sender_login_maps.cf\n" % sql,
            master_extra=smtpd_lines("127.0.0.1:%d" % cls.port25, [])
            + example_submission("127.0.0.1:%d" % cls.submission)
            + smtpd_lines("127.0.0.1:%d" % cls.smtps, SMTPS_OPTIONS))
        cls.inst.start()
        user_query = ("SELECT CONCAT('{v}/', maildir) AS home, CONCAT('maildir:{v}/', maildir) "
                      "AS mail, {u} AS uid, {u} AS gid FROM mailbox WHERE username = '%u' "
                      "AND active = '1'".format(v=cls.vmail, u=cls.uid))
        cls.dovecot = mtatest.Dovecot(
            scope, os.path.join(scope.tmp, "dovecot"), imap=True,
            auth_socket=os.path.join(cls.inst.queue, "private", "auth"), socket_user="postfix",
            sql={"driver": "mysql",
                 "connect": "host=127.0.0.1 port=%d dbname=postfix user=%s password=%s"
                            % (cls.db.port, mariadb.USER, mariadb.PASSWORD),
                 "default_pass_scheme": "MD5-CRYPT",
                 "password_query": "SELECT username AS user, password FROM mailbox "
                                   "WHERE username = '%u' AND active = '1'",
                 "user_query": user_query})
        for port in (cls.port25, cls.submission):
            mtatest.wait_smtpd(port)

    # -- helpers --

    def context(self):
        return ssl.create_default_context(cafile=self.cafile)

    def client(self, port=None, tls=True, user=None, mechanism="PLAIN"):
        """smtplib on the submission port (or `port`) from OUTSIDE, after
        EHLO, STARTTLS and EHLO again (tls) and AUTH as `user` (its password
        from USERS) with `mechanism`."""
        s = mtatest.smtplib_client(self, port or self.submission, OUTSIDE)
        if tls:
            self.assertEqual(s.starttls(context=self.context())[0], 220)
            self.assertEqual(s.ehlo("client.example.org")[0], 250)
        if user:
            s.user, s.password = user, USERS[user][1]
            code, text = s.auth(mechanism, getattr(s, "auth_" + mechanism.lower()),
                                initial_response_ok=mechanism == "PLAIN")
            self.assertEqual((code, text), (235, b"2.7.0 Authentication successful"))
        return s

    def transaction(self, s, sender, rcpts, subject):
        """MAIL, RCPTs, DATA; returns (RCPT replies, queue ID or None)."""
        self.assertEqual(s.mail(sender)[0], 250)
        replies = {r: s.rcpt(r) for r in rcpts}
        if not any(code == 250 for code, _ in replies.values()):
            s.rset()
            return replies, None
        code, text = s.data(("Subject: %s\r\n\r\nbody of %s\r\n" % (subject, subject)).encode())
        self.assertEqual(code, 250, text)
        return replies, re.match(rb"2\.0\.0 Ok: queued as (\w+)", text).group(1).decode()

    def wait_sent(self, qid, rcpt, relay="virtual"):
        self.inst.wait_log(r"\b%s: to=<%s>, relay=%s.*status=sent" % (qid, re.escape(rcpt), relay),
                           timeout=30)

    def imap_fetch(self, user, subject):
        """Logs in to the private Dovecot over IMAP with the user's SQL
        password and returns the message whose Subject is `subject`."""
        m = imaplib.IMAP4("127.0.0.1", self.dovecot.imap_port, timeout=20)
        try:
            self.assertEqual(m.login(user, USERS[user][1])[0], "OK")
            self.assertEqual(m.select("INBOX")[0], "OK")
            typ, data = m.search(None, "SUBJECT", '"%s"' % subject)
            self.assertEqual(typ, "OK")
            nums = data[0].split()
            self.assertEqual(len(nums), 1, (subject, data, self.dovecot.log()))
            typ, data = m.fetch(nums[0], "(RFC822)")
            self.assertEqual(typ, "OK")
            m.logout()
            return data[0][1]
        finally:
            try:
                m.shutdown()
            except OSError:
                pass

    # -- the tests --

    def test_ehlo_before_and_after_starttls(self):
        s = self.client(tls=False)
        self.assertTrue(s.has_extn("starttls"))
        self.assertFalse(s.has_extn("auth"), s.esmtp_features)
        for cmd, arg in (("MAIL", "FROM:<bob@example.jp>"), ("AUTH", "PLAIN AGJvYgB4")):
            self.assertEqual(s.docmd(cmd, arg),
                             (530, b"5.7.0 Must issue a STARTTLS command first"), cmd)
        self.assertEqual(s.starttls(context=self.context())[0], 220)
        code, text = s.ehlo("client.example.org")
        self.assertEqual(code, 250)
        lines = text.decode().split("\n")
        self.assertIn("AUTH PLAIN LOGIN", lines)
        self.assertIn("AUTH=PLAIN LOGIN", lines)  # broken_sasl_auth_clients
        self.assertNotIn("STARTTLS", lines)
        s.quit()
        # Port 25 (smtpd_use_tls = yes, no smtpd_tls_auth_only): both at once.
        s = self.client(self.port25, tls=False)
        lines = s.ehlo_resp.decode().split("\n")
        self.assertIn("STARTTLS", lines)
        self.assertIn("AUTH PLAIN LOGIN", lines)
        s.quit()
        self.inst.wait_log(r"postfix/submission/smtpd\[\d+\]: Anonymous TLS connection "
                           r"established from [^\s\[]+\[127\.0\.0\.5\]: TLSv1\.3 with cipher ")

    def test_smtplib_plain_and_login_sha512_and_md5(self):
        done = r"postfix/submission/smtpd\[\d+\]: disconnect from [^\s\[]+\[127\.0\.0\.5\] " \
               r"ehlo=2 starttls=1 auth=1 quit=1 commands=5\n"
        before = len(re.findall(done, self.inst.log()))
        for n, (user, mechanism) in enumerate((
                ("bob@example.jp", "PLAIN"), ("alice@example.jp", "LOGIN"),
                ("bob@example.jp", "LOGIN"), ("alice@example.jp", "PLAIN"),
                ("carol@example.net", "PLAIN"))):
            with self.subTest(user=user, mechanism=mechanism):
                s = self.client(user=user, mechanism=mechanism)
                s.quit()
                self.inst.wait_log(done, count=before + n + 1)
        # smtplib's own choice (PLAIN) through login().
        s = self.client()
        self.assertEqual(s.login("alice@example.jp", USERS["alice@example.jp"][1]),
                         (235, b"2.7.0 Authentication successful"))
        s.quit()

    def test_swaks_plain_and_login(self):
        swaks = shutil.which("swaks")
        if not swaks:
            self.skipTest("swaks is not installed")
        for n, (user, mechanism) in enumerate((
                ("bob@example.jp", "PLAIN"), ("bob@example.jp", "LOGIN"),
                ("alice@example.jp", "PLAIN"), ("alice@example.jp", "LOGIN"))):
            subject = "swaks %s %d" % (mechanism, n)
            r = mtatest.run([swaks, "--server", "127.0.0.1", "--port", str(self.submission),
                             "--local-interface", OUTSIDE, "--ehlo", "client.example.org",
                             "--tls", "--auth", mechanism, "--auth-user", user,
                             "--auth-password", USERS[user][1], "--from", user,
                             "--to", "carol@example.net", "--header", "Subject: " + subject,
                             "--timeout", "20"])
            self.assertEqual(r.rc, 0, r)
            self.assertIn("220 2.0.0 Ready to start TLS", r.out)
            self.assertRegex(r.out, r"\n ~> AUTH %s" % mechanism)  # over TLS
            self.assertIn("235 2.7.0 Authentication successful", r.out)
            qid = re.search(r"250 2\.0\.0 Ok: queued as (\w+)", r.out).group(1)
            self.wait_sent(qid, "carol@example.net")
            self.inst.wait_log(r"postfix/submission/smtpd\[\d+\]: %s: client=[^\s\[]+"
                               r"\[127\.0\.0\.5\], sasl_method=%s, sasl_username=%s\n"
                               % (qid, mechanism, re.escape(user)))
        # A wrong password, over TLS as well.
        r = mtatest.run([swaks, "--server", "127.0.0.1", "--port", str(self.submission),
                         "--local-interface", OUTSIDE, "--tls", "--auth", "LOGIN",
                         "--auth-user", "bob@example.jp", "--auth-password", "nope",
                         "--from", "bob@example.jp", "--to", "carol@example.net",
                         "--timeout", "20"])
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("535 5.7.8 Error: authentication failed", r.out)

    def test_wrong_password(self):
        for user, mechanism in (("bob@example.jp", "PLAIN"), ("alice@example.jp", "LOGIN")):
            s = self.client()
            s.user, s.password = user, "wrong-" + USERS[user][1]
            with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                s.auth(mechanism, getattr(s, "auth_" + mechanism.lower()))
            self.assertEqual(cm.exception.smtp_code, 535)
            self.assertTrue(cm.exception.smtp_error.startswith(
                b"5.7.8 Error: authentication failed: "), cm.exception.smtp_error)
            # Nothing may be sent after the failure.
            self.assertEqual(s.mail(user)[0], 250)
            code, text = s.rcpt("bob@example.jp")
            self.assertEqual(code, 554, text)
            s.quit()
            self.inst.wait_log(r"postfix/submission/smtpd\[\d+\]: warning: [^\s\[]+"
                               r"\[127\.0\.0\.5\]: SASL %s authentication failed: .*"
                               r"sasl_username=%s\n" % (mechanism, re.escape(user)))

    def test_unauthenticated_mail_refused(self):
        # Submission: neither relay nor local mail without AUTH.
        s = self.client()
        replies, qid = self.transaction(s, "bob@example.jp", ["x@remote.example", "bob@example.jp"],
                                        "unauthenticated")
        self.assertIsNone(qid)
        for rcpt, (code, text) in replies.items():
            self.assertEqual(code, 554, rcpt)
            self.assertRegex(text.decode(), r"^5\.7\.1 <[^\s\[]+\[127\.0\.0\.5\]>: Client host "
                                            r"rejected: Access denied$")
        s.quit()
        # Port 25 (the MX): local mail is accepted, relaying refused.
        s = self.client(self.port25, tls=False)
        replies, qid = self.transaction(s, "someone@outside.example",
                                        ["x@remote.example", "bob@example.jp"], "port 25")
        self.assertEqual(replies["x@remote.example"],
                         (554, b"5.7.1 <x@remote.example>: Relay access denied"))
        self.assertEqual(replies["bob@example.jp"][0], 250)
        self.wait_sent(qid, "bob@example.jp")
        s.quit()
        self.assertFalse([t for t in self.sink.transactions
                          if re.search(rb"Subject: (unauthenticated|port 25)", t.data)])

    def test_authenticated_relay_reaches_the_sink(self):
        s = self.client(user="bob@example.jp")
        replies, qid = self.transaction(s, "bob@example.jp", ["x@remote.example"], "relayed")
        self.assertEqual(replies["x@remote.example"][0], 250)
        s.quit()
        self.wait_sent(qid, "x@remote.example", relay=r"127\.0\.0\.1\[127\.0\.0\.1\]:%d"
                       % self.sink.port)
        t = [t for t in self.sink.transactions if b"Subject: relayed\r\n" in t.data][0]
        self.assertEqual(t.rcpts, ["x@remote.example"])
        self.assertIn("<bob@example.jp>", t.mail)
        self.assertIn(b"\r\n\r\nbody of relayed\r\n", t.data)
        self.assertRegex(t.data, rb"\tby mail\.example\.jp \(Postfix\) with ESMTPSA id %s"
                         % qid.encode())
        self.inst.wait_log(r"postfix/submission/smtpd\[\d+\]: %s: client=[^\s\[]+"
                           r"\[127\.0\.0\.5\], sasl_method=PLAIN, sasl_username=bob@example\.jp\n"
                           % qid)

    def test_local_mail_read_back_over_imap(self):
        s = self.client(user="alice@example.jp", mechanism="LOGIN")
        replies, qid = self.transaction(s, "alice@example.jp", ["bob@example.jp"],
                                        "for bob over imap")
        s.quit()
        self.wait_sent(qid, "bob@example.jp")
        for path in mtatest.maildir_files(os.path.join(self.vmail, "example.jp", "bob")):
            self.assertEqual(os.stat(path).st_uid, self.uid, path)
        message = self.imap_fetch("bob@example.jp", "for bob over imap")
        self.assertIn(b"Return-Path: <alice@example.jp>", message)
        self.assertIn(b"Delivered-To: bob@example.jp", message)
        self.assertIn(b"body of for bob over imap", message)
        self.assertRegex(message, rb"with ESMTPSA id %s" % qid.encode())
        # A wrong IMAP password is refused by the same SQL passdb.
        m = imaplib.IMAP4("127.0.0.1", self.dovecot.imap_port, timeout=20)
        self.addCleanup(m.shutdown)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login("bob@example.jp", "not-" + USERS["bob@example.jp"][1])

    def test_sender_login_mismatch(self):
        s = self.client(user="bob@example.jp")
        replies, qid = self.transaction(s, "alice@example.jp", ["carol@example.net"], "forged")
        self.assertIsNone(qid)
        self.assertEqual(replies["carol@example.net"],
                         (553, b"5.7.1 <alice@example.jp>: Sender address rejected: not owned by "
                               b"user bob@example.jp"))
        self.inst.wait_log(r"NOQUEUE: reject: RCPT from [^\s\[]+\[127\.0\.0\.5\]: 553 5\.7\.1 "
                           r"<alice@example\.jp>: Sender address rejected: not owned by user "
                           r"bob@example\.jp; from=<alice@example\.jp> to=<carol@example\.net>")
        s.quit()
        # An alias's target owns the alias (sales@ goes to alice and carol).
        s = self.client(user="alice@example.jp")
        replies, qid = self.transaction(s, "sales@example.jp", ["carol@example.net"], "as sales")
        self.assertIsNotNone(qid, replies)
        s.quit()
        self.wait_sent(qid, "carol@example.net")

    def test_smtps_with_s_client(self):
        c = SClient(self, self.smtps, self.cafile)
        self.assertRegex(c.reply(), r"^220 mail\.example\.jp ESMTP")
        ehlo = c.command("EHLO client.example.org")
        self.assertIn("250-AUTH PLAIN LOGIN", ehlo)
        self.assertNotIn("STARTTLS", ehlo)
        self.assertEqual(c.command("MAIL FROM:<bob@example.jp>"), "250 2.1.0 Ok")
        self.assertRegex(c.command("RCPT TO:<carol@example.net>"),
                         r"^554 5\.7\.1 <\S+\[127\.0\.0\.1\]>: Client host rejected: Access denied")
        self.assertEqual(c.command("RSET"), "250 2.0.0 Ok")
        token = base64.b64encode(b"\0bob@example.jp\0" + USERS["bob@example.jp"][1].encode())
        self.assertEqual(c.command("AUTH PLAIN " + token.decode()),
                         "235 2.7.0 Authentication successful")
        self.assertEqual(c.command("MAIL FROM:<bob@example.jp>"), "250 2.1.0 Ok")
        self.assertEqual(c.command("RCPT TO:<carol@example.net>"), "250 2.1.5 Ok")
        self.assertTrue(c.command("DATA").startswith("354 "))
        done = c.command("Subject: over smtps\r\n\r\nwrapped\r\n.")
        qid = re.match(r"250 2\.0\.0 Ok: queued as (\w+)$", done).group(1)
        self.assertEqual(c.command("QUIT"), "221 2.0.0 Bye")
        self.wait_sent(qid, "carol@example.net")
        self.inst.wait_log(r"postfix/smtps/smtpd\[\d+\]: %s: client=\S+\[127\.0\.0\.1\], "
                           r"sasl_method=PLAIN, sasl_username=bob@example\.jp\n" % qid)
        self.assertIn(b"wrapped", self.imap_fetch("carol@example.net", "over smtps"))

    def test_starttls_injection_gets_no_plaintext_answer(self):
        t = mtatest.starttls_injected(self, self.submission, self.context(), OUTSIDE)
        # The first reply over TLS answers this EHLO, not the injected RSET.
        t.sendall(b"EHLO client.example.org\r\n")
        ehlo = mtatest.recv_replies(t, 1)
        self.assertTrue(ehlo and ehlo[0].startswith("250-mail.example.jp\n"), ehlo)
        self.assertIn("250-AUTH PLAIN LOGIN", ehlo[0].split("\n"))
        t.sendall(b"QUIT\r\n")
        self.assertEqual(mtatest.recv_replies(t, 1), ["221 2.0.0 Bye"])
        self.inst.wait_log(r"postfix/submission/smtpd\[\d+\]: disconnect from [^\s\[]+"
                           r"\[127\.0\.0\.5\] ehlo=2 starttls=1 quit=1 commands=4\n")

    def test_debian_postfix_relays_through_our_submission(self):
        if not mtatest.DebianPostfix.usable():
            self.skipTest("needs Debian's Postfix (/usr/sbin/postfix) and root")
        port = mtatest.free_port()
        deb = mtatest.DebianPostfix(
            self, main_cf="myhostname = office.example.org\nmydestination =\n"
                          "inet_interfaces = 127.0.0.1\nmynetworks = 127.0.0.1/32\n"
                          "relayhost = [127.0.0.1]:%d\nsmtp_bind_address = %s\n"
                          "smtp_tls_security_level = encrypt\nsmtp_tls_CAfile = %s\n"
                          "smtp_tls_loglevel = 1\nsmtp_sasl_auth_enable = yes\n"
                          "smtp_sasl_password_maps = hash:%s/debian/etc/sasl_passwd\n"
                          "smtp_sasl_security_options = noanonymous\n"
                          % (self.submission, OUTSIDE, self.cafile, self.tmp),
            master_cf="127.0.0.1:%d inet n - n - - smtpd\n"
                      "cleanup unix n - n - 0 cleanup\nqmgr unix n - n 300 1 qmgr\n"
                      "rewrite unix - - n - - trivial-rewrite\nbounce unix - - n - 0 bounce\n"
                      "defer unix - - n - 0 bounce\ntrace unix - - n - 0 bounce\n"
                      "smtp unix - - n - - smtp\nerror unix - - n - - error\n"
                      "retry unix - - n - - error\ntlsmgr unix - - n 1000? 1 tlsmgr\n"
                      "anvil unix - - n - 1 anvil\nscache unix - - n - 1 scache\n"
                      "proxymap unix - - n - - proxymap\n"
                      "postlog unix-dgram n - n - 1 postlogd\n" % port)
        passwd = os.path.join(deb.etc, "sasl_passwd")
        with open(passwd, "w") as f:
            f.write("[127.0.0.1]:%d alice@example.jp:%s\n"
                    % (self.submission, USERS["alice@example.jp"][1]))
        r = mtatest.run([mtatest.DEBIAN_POSTMAP, "-c", deb.etc, "hash:" + passwd])
        self.assertEqual(r.rc, 0, r)
        if not deb.start():
            self.skipTest("Debian's Postfix does not start here")
        try:
            mtatest.wait_smtpd(port)
        except AssertionError as e:
            self.fail("%s; Debian's log:\n%s" % (e, deb.log()))
        s = mtatest.smtplib_client(self, port)
        replies, qid = self.transaction(s, "alice@example.jp", ["bob@example.jp"],
                                        "via debian postfix")
        s.quit()
        mtatest.wait_for(lambda: re.search(r"%s: to=<bob@example\.jp>, relay=127\.0\.0\.1"
                                           r"\[127\.0\.0\.1\]:%d, .*status=sent"
                                           % (qid, self.submission), deb.log()),
                         30, lambda: "Debian's delivery; its log:\n%s\nours:\n%s"
                         % (deb.log(), self.inst.log()))
        self.assertRegex(deb.log(), r"postfix/smtp\[\d+\]: Trusted TLS connection established "
                                    r"to 127\.0\.0\.1\[127\.0\.0\.1\]:%d: TLSv1\.3 with cipher "
                                    % self.submission)
        self.inst.wait_log(r"postfix/submission/smtpd\[\d+\]: \w+: client=[^\s\[]+"
                           r"\[127\.0\.0\.5\], sasl_method=(PLAIN|LOGIN), "
                           r"sasl_username=alice@example\.jp\n")
        # Our delivery into bob's maildir, before IMAP looks there.
        ours = re.findall(r"postfix/submission/smtpd\[\d+\]: (\w+): client=[^\s\[]+"
                          r"\[127\.0\.0\.5\], sasl_method=", self.inst.log())[-1]
        self.wait_sent(ours, "bob@example.jp")
        message = self.imap_fetch("bob@example.jp", "via debian postfix")
        self.assertIn(b"body of via debian postfix", message)
        self.assertIn(b"Return-Path: <alice@example.jp>", message)
        self.assertRegex(message, rb"by mail\.example\.jp \(Postfix\) with ESMTPSA id ")
        self.assertRegex(message, rb"by office\.example\.org \(Postfix\) with ESMTP id %s"
                         % qid.encode())


if __name__ == "__main__":
    unittest.main()

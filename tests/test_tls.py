"""System tests of smtpd's TLS (STARTTLS, RFC 3207, and wrappermode): one
real instance whose master.cf runs smtpd on four ports (may, encrypt,
wrappermode, and one whose certificate does not load) with cleanup and no
qmgr, so accepted mail stays in incoming/. The certificates (a CA and a
server certificate signed by it) are made at test time with the openssl
command. Clients: Python's smtplib and ssl, raw sockets, openssl s_client."""
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import unittest

import mtatest


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
class TlsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        scope = mtatest.ClassScope(cls)
        cls.certs = mtatest.make_certificates(os.path.join(scope.tmp, "certs"))
        cls.may, cls.encrypt, cls.smtps, cls.broken = (mtatest.free_port() for _ in range(4))
        master = (
            mtatest.smtpd_service("127.0.0.1:%d" % cls.may) +
            mtatest.smtpd_service("127.0.0.1:%d" % cls.encrypt,
                                  ["smtpd_tls_security_level=encrypt"]) +
            mtatest.smtpd_service("127.0.0.1:%d" % cls.smtps, ["smtpd_tls_wrappermode=yes"]) +
            mtatest.smtpd_service("127.0.0.1:%d" % cls.broken,
                                  ["smtpd_tls_cert_file=%s/missing.pem" % cls.certs]))
        cls.inst = mtatest.MtaInstance(scope, services=["cleanup", "anvil", "rewrite"],
                                       main_cf=mtatest.TLS_MAIN_CF % {"dir": cls.certs},
                                       master_extra=master)
        cls.inst.start()
        for port in (cls.may, cls.encrypt, cls.broken):
            mtatest.wait_smtpd(port)

    def context(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.pem"))
        return ctx

    def queued(self, qid):
        path = mtatest.wait_for(lambda: self.inst.queue_path("incoming", qid), 10, "queue file")
        return mtatest.wait_for(lambda: mtatest.queue_dump(path), 10, "queue file ready")

    def test_starttls_then_a_message(self):
        with smtplib.SMTP("127.0.0.1", self.may, timeout=10) as c:
            code, text = c.ehlo("client.example")
            self.assertEqual(code, 250)
            self.assertIn("STARTTLS", text.decode().split("\n"))
            code, text = c.starttls(context=self.context())
            self.assertEqual((code, text), (220, b"2.0.0 Ready to start TLS"))
            code, text = c.ehlo("client.example")
            self.assertEqual(code, 250)
            self.assertNotIn("STARTTLS", text.decode().split("\n"))
            self.assertEqual(c.sock.version(), "TLSv1.3")
            code, text = c.docmd("STARTTLS")
            self.assertEqual((code, text), (554, b"5.5.1 Error: TLS already active"))
            c.mail("alice@example.org")
            c.rcpt("bob@remote.example")
            code, text = c.data(b"Subject: over TLS\r\n\r\nHi Bob.\r\n")
            self.assertEqual(code, 250, text)
            qid = re.match(rb"2\.0\.0 Ok: queued as (\w+)", text).group(1).decode()
        q = self.queued(qid)
        received = "\n".join(q["content"][:6])
        self.assertRegex(
            received,
            r"^Received: from client\.example \(unknown \[127\.0\.0\.1\]\)\n"
            r"\t\(using TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 \(256/256 bits\)\n"
            r"\t key-exchange X25519 server-signature RSA-PSS \(2048 bits\) server-digest "
            r"SHA256\)\n"
            r"\t\(No client certificate requested\)\n"
            r"\tby mx\.example\.test \(Postfix\) with ESMTPS id %s\n"
            r"\tfor <bob@remote\.example>; " % qid)
        self.inst.wait_log(
            r"smtpd\[\d+\]: Anonymous TLS connection established from unknown\[127\.0\.0\.1\]: "
            r"TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 \(256/256 bits\) key-exchange X25519 "
            r"server-signature RSA-PSS \(2048 bits\) server-digest SHA256\n")
        self.inst.wait_log(r"disconnect from unknown\[127\.0\.0\.1\] ehlo=2 starttls=1/2 mail=1 "
                           r"rcpt=1 data=1 quit=1 commands=7/8")

    def test_mail_without_ehlo_after_starttls(self):
        # As Postfix: the protocol of the EHLO before STARTTLS, plus "S".
        with smtplib.SMTP("127.0.0.1", self.may, timeout=10) as c:
            c.ehlo("client.example")
            c.starttls(context=self.context())
            c.mail("alice@example.org")
            c.rcpt("bob@remote.example")
            code, text = c.data(b"Subject: no EHLO\r\n\r\nHi.\r\n")
            self.assertEqual(code, 250, text)
            qid = mtatest.queued_id("250 " + text.decode())
        q = self.queued(qid)
        self.assertRegex("\n".join(q["content"][:6]),
                         r"^Received: from unknown \(unknown \[127\.0\.0\.1\]\)\n"
                         r"(\t.*\n)+\tby mx\.example\.test \(Postfix\) with ESMTPS id %s\n" % qid)

    def test_starttls_syntax_and_plain_keywords(self):
        with smtplib.SMTP("127.0.0.1", self.may, timeout=10) as c:
            c.ehlo("client.example")
            code, text = c.docmd("STARTTLS", "now")
            self.assertEqual((code, text), (501, b"5.5.4 Syntax: STARTTLS"))
            # As Postfix: STARTTLS ends a transaction in progress.
            c.mail("alice@example.org")
            code, text = c.starttls(context=self.context())
            self.assertEqual((code, text), (220, b"2.0.0 Ready to start TLS"))
            c.ehlo("client.example")
            code, text = c.docmd("RCPT", "TO:<bob@remote.example>")
            self.assertEqual((code, text), (503, b"5.5.1 Error: need MAIL command"))

    def test_encrypt_requires_starttls_first(self):
        with smtplib.SMTP("127.0.0.1", self.encrypt, timeout=10) as c:
            c.ehlo("client.example")
            self.assertTrue(c.has_extn("starttls"))
            for cmd, arg in (("MAIL", "FROM:<alice@example.org>"), ("RCPT", "TO:<bob@x.example>"),
                             ("DATA", ""), ("VRFY", "bob"), ("ETRN", "example.org")):
                code, text = c.docmd(cmd, arg)
                self.assertEqual((code, text), (530, b"5.7.0 Must issue a STARTTLS command first"),
                                 cmd)
            self.assertEqual(c.noop()[0], 250)
            c.starttls(context=self.context())
            c.ehlo("client.example")
            c.mail("alice@example.org")
            c.rcpt("bob@remote.example")
            code, text = c.data(b"Subject: required TLS\r\n\r\nHi.\r\n")
            self.assertEqual(code, 250, text)

    def test_plaintext_pipelined_after_starttls_is_discarded(self):
        t = mtatest.starttls_injected(self, self.may, self.context())
        t.sendall(b"NOOP\r\n")
        # The first reply over TLS answers NOOP, not the injected RSET.
        self.assertEqual(mtatest.recv_replies(t, 1), ["250 2.0.0 Ok"])
        t.sendall(b"QUIT\r\n")
        self.assertEqual(mtatest.recv_replies(t, 1), ["221 2.0.0 Bye"])
        self.inst.wait_log(r"disconnect from unknown\[127\.0\.0\.1\] ehlo=1 starttls=1 noop=1 "
                           r"quit=1 commands=4")

    def test_wrappermode_with_s_client(self):
        r = subprocess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.smtps, "-quiet",
             "-CAfile", os.path.join(self.certs, "ca.pem"), "-verify_return_error",
             "-servername", "mx.example.test"],
            input=b"EHLO client.example\r\nQUIT\r\n", capture_output=True, timeout=30)
        out = r.stdout.decode()
        self.assertTrue(out.startswith("220 mx.example.test ESMTP"), r)
        self.assertIn("250-mx.example.test\r\n", out)
        self.assertNotIn("STARTTLS", out)
        self.assertIn("221 2.0.0 Bye", out)

    def test_starttls_with_s_client(self):
        r = subprocess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.may, "-starttls", "smtp",
             "-quiet", "-CAfile", os.path.join(self.certs, "ca.pem"), "-verify_return_error"],
            input=b"EHLO client.example\r\nQUIT\r\n", capture_output=True, timeout=30)
        out = r.stdout.decode()
        self.assertIn("250-mx.example.test\r\n", out, r)
        self.assertIn("221 2.0.0 Bye", out, r)

    def test_missing_certificate_is_a_local_problem(self):
        self.inst.wait_log(r"smtpd\[\d+\]: warning: TLS library problem: cannot load "
                           r"certificate chain from file \"%s/missing\.pem\"" % self.certs)
        with smtplib.SMTP("127.0.0.1", self.broken, timeout=10) as c:
            c.ehlo("client.example")
            code, text = c.docmd("STARTTLS")
            self.assertEqual((code, text), (454, b"4.7.0 TLS not available due to local problem"))
            self.assertEqual(c.noop()[0], 250)

    def test_a_key_readable_by_others_is_warned_about(self):
        # The may service's key is 0600; the smtps one is the same file, so
        # no warning may name it.
        self.inst.wait_log(r"Anonymous TLS connection|SSL_accept error|connect from", 10)
        self.assertNotIn("readable by other users", self.inst.log())
        open_key = os.path.join(self.certs, "open.key")
        shutil.copy(os.path.join(self.certs, "server.key"), open_key)
        os.chmod(open_key, 0o644)
        r = self.inst.run("smtpd", "-S", "-o", "smtpd_tls_key_file=" + open_key,
                          input="QUIT\n")
        self.assertIn("private key file %s is readable by other users" % open_key,
                      r.err + self.inst.log())

    def test_garbage_instead_of_a_client_hello(self):
        for port in (self.may, self.smtps):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                if port == self.may:
                    s.settimeout(10)
                    mtatest.recv_replies(s, 1)
                    s.sendall(b"STARTTLS\r\n")
                    self.assertEqual(mtatest.recv_replies(s, 1), ["220 2.0.0 Ready to start TLS"])
                s.sendall(b"GARBAGE GARBAGE GARBAGE\r\n" * 20)
                data = mtatest.recv_until_closed(s)
                self.assertEqual(data, [])
        self.inst.wait_log(r"SSL_accept error from unknown\[127\.0\.0\.1\]: ", count=2)
        self.assertNotRegex(self.inst.log(), r"smtpd\[\d+\]: (fatal|panic)")
        # The services keep answering.
        mtatest.wait_smtpd(self.may)


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
class DebianPostfixTlsTest(mtatest.TempDirTestCase):
    """The log line and the Received: clause, side by side with Debian's
    Postfix given the same certificate and the same client."""

    def session(self, port, cafile):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
            c.ehlo("client.example")
            c.starttls(context=ssl.create_default_context(cafile=cafile))
            c.ehlo("client.example")
            c.mail("alice@example.org")
            c.rcpt("bob@remote.example")
            code, text = c.data(b"Subject: compare\r\n\r\nHi.\r\n")
            self.assertEqual(code, 250, text)
            return re.match(rb"2\.0\.0 Ok: queued as (\w+)", text).group(1).decode()

    def test_same_log_line_and_received_clause(self):
        if not mtatest.DebianPostfix.usable():
            self.skipTest("needs root and Debian's Postfix")
        os.chmod(self.tmp, 0o755)
        certs = mtatest.make_certificates(os.path.join(self.tmp, "certs"))
        main_cf = (mtatest.TLS_MAIN_CF % {"dir": certs}).replace("smtpd_peername_lookup = no\n", "")
        port = mtatest.free_port()
        deb = mtatest.DebianPostfix(
            self, main_cf=main_cf + "inet_interfaces = 127.0.0.1\nlocal_recipient_maps =\n",
            master_cf="127.0.0.1:%d inet n - n - - smtpd\n" % port +
            mtatest.DEBIAN_SMTPD_SERVICES)
        if not deb.start():
            self.skipTest("Debian's Postfix does not start here")
        try:
            mtatest.wait_smtpd(port)
        except AssertionError:
            self.fail(deb.log())
        try:
            qid = self.session(port, os.path.join(certs, "ca.pem"))
        except smtplib.SMTPException as e:
            self.fail("%s\n%s" % (e, deb.log()))
        mtatest.wait_for(lambda: "disconnect from" in deb.log().split("TLS connection")[-1], 10,
                         "Debian's disconnect line")
        theirs = re.search(r"(Anonymous TLS connection established from .*)", deb.log()).group(1)
        r = mtatest.run(["/usr/sbin/postcat", "-c", deb.etc, "-bh", "-q", qid])
        their_received = r.out.split("Subject:")[0]

        ours_port = mtatest.free_port()
        inst = mtatest.MtaInstance(self, services=["cleanup", "anvil", "rewrite"],
                                   main_cf=main_cf,
                                   master_extra=mtatest.smtpd_service("127.0.0.1:%d" % ours_port))
        inst.start()
        mtatest.wait_smtpd(ours_port)
        our_qid = self.session(ours_port, os.path.join(certs, "ca.pem"))
        inst.wait_log(r"Anonymous TLS connection")
        ours = re.search(r"(Anonymous TLS connection established from .*)", inst.log()).group(1)
        self.assertEqual(ours, theirs)
        path = mtatest.wait_for(lambda: inst.queue_path("incoming", our_qid), 10, "queue file")
        q = mtatest.wait_for(lambda: mtatest.queue_dump(path), 10, "queue file ready")
        our_received = "\n".join(q["content"][:q["content"].index("Subject: compare")]) + "\n"
        norm = lambda t: re.sub(r"id \w+|; .*", "", t)
        self.assertIn("(No client certificate requested)", their_received)
        self.assertEqual(norm(our_received), norm(their_received), their_received)


if __name__ == "__main__":
    unittest.main()

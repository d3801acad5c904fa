"""System tests of TLS client certificates in smtpd: smtpd_tls_ask_ccert
with smtpd_tls_CAfile, smtpd_tls_req_ccert, permit_tls_clientcerts with
relay_clientcerts keyed by SHA-256 fingerprint, permit_tls_all_clientcerts,
check_ccert_access, the Received: clause and the log lines; then the same
sessions side by side with Debian's Postfix (replies, log lines, Received:
clause). Certificates made at test time with the openssl command: a CA, a
server and a client certificate signed by it, and a self-signed client
certificate. One real instance with cleanup and no qmgr: accepted mail
stays in incoming/."""
import os
import re
import shutil
import smtplib
import ssl
import unittest

import mtatest

RELAY = "permit_tls_clientcerts,reject_unauth_destination"


def services(certs, ports, ours=True):
    """master.cf lines of the smtpd services under test (ours, or Debian's):
    ask, self, all, access, req, and ask2 (ask at loglevel 2) if in `ports`."""
    ask = ["smtpd_tls_ask_ccert=yes", "smtpd_tls_CAfile=%s/ca.pem" % certs,
           "smtpd_relay_restrictions=" + RELAY]
    rows = [
        (ports["ask"], ask),
        (ports["self"], ask + ["relay_clientcerts=texthash:%s/relay_self" % certs]),
        (ports["all"], ask[:2] + [
            "smtpd_relay_restrictions=permit_tls_all_clientcerts,reject_unauth_destination"]),
        (ports["access"], ask[:2] + [
            "smtpd_relay_restrictions=check_ccert_access,texthash:%s/ccert_access,"
            "reject_unauth_destination" % certs]),
        (ports["req"], ["smtpd_tls_security_level=encrypt", "smtpd_tls_req_ccert=yes",
                        "smtpd_tls_CAfile=%s/ca.pem" % certs]),
    ]
    if "ask2" in ports:
        rows.append((ports["ask2"], ask + ["smtpd_tls_loglevel=2"]))
    if ours:
        return "".join(mtatest.smtpd_service("127.0.0.1:%d" % p, o) for p, o in rows)
    return "".join("127.0.0.1:%d inet n - n - - smtpd\n" % p + "".join(
        "  -o %s\n" % o for o in opts) for p, opts in rows)


def make_certs(directory):
    mtatest.make_certificates(directory)
    mtatest.make_client_certificates(directory)
    client = mtatest.cert_fingerprint(os.path.join(directory, "client.pem"))
    selfsigned = mtatest.cert_fingerprint(os.path.join(directory, "self.pem"))
    for name, text in (("relay_clientcerts", "%s client.example\n" % client),
                       ("relay_self", "%s self.example\n" % selfsigned),
                       ("ccert_access", "%s REJECT\n%s OK\n" % (client, selfsigned))):
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)
    return client, selfsigned


def main_cf(certs):
    # Mail for bob@mx.example.test: no local user table (not the machine's
    # passwd file) for either system.
    return mtatest.TLS_MAIN_CF % {"dir": certs} + (
        "relay_clientcerts = texthash:%s/relay_clientcerts\nlocal_recipient_maps =\n" % certs)


class Client:
    """One STARTTLS session presenting `cert` ("client", "self" or None)."""

    def __init__(self, test, certs, port, cert):
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
        if cert:
            ctx.load_cert_chain(os.path.join(certs, cert + ".pem"),
                                os.path.join(certs, cert + ".key"))
        self.smtp = smtplib.SMTP("127.0.0.1", port, timeout=10)
        test.addCleanup(self.smtp.close)
        self.smtp.ehlo("client.example")
        self.smtp.starttls(context=ctx)

    def ehlo(self):
        return self.smtp.ehlo("client.example")

    def relay_and_local(self):
        """RCPT replies for a remote and a local recipient, and the queue ID
        of the message to the local one (None: both refused)."""
        self.smtp.ehlo("client.example")
        self.smtp.mail("alice@example.org")
        remote = self.smtp.rcpt("bob@remote.example")
        local = self.smtp.rcpt("bob@mx.example.test")
        qid = None
        if local[0] == 250 or remote[0] == 250:
            code, text = self.smtp.data(b"Subject: ccert\r\n\r\nHi.\r\n")
            qid = re.match(rb"2\.0\.0 Ok: queued as (\w+)", text).group(1).decode()
        self.smtp.quit()
        return remote, local, qid


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
class ClientCertTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        scope = mtatest.ClassScope(cls)
        cls.certs = os.path.join(scope.tmp, "certs")
        cls.client_fp, cls.self_fp = make_certs(cls.certs)
        cls.ports = {k: mtatest.free_port() for k in ("ask", "self", "all", "access", "req",
                                                       "reqmay", "smtps")}
        master = services(cls.certs, cls.ports) + mtatest.smtpd_service(
            "127.0.0.1:%d" % cls.ports["reqmay"], ["smtpd_tls_req_ccert=yes"]) + \
            mtatest.smtpd_service("127.0.0.1:%d" % cls.ports["smtps"],
                                  ["smtpd_tls_wrappermode=yes", "smtpd_tls_req_ccert=yes",
                                   "smtpd_tls_CAfile=%s/ca.pem" % cls.certs])
        cls.inst = mtatest.MtaInstance(scope, services=["cleanup", "anvil", "rewrite", "tlsmgr"],
                                       main_cf=main_cf(cls.certs), master_extra=master)
        cls.inst.start()
        for name, port in cls.ports.items():
            if name != "smtps":
                mtatest.wait_smtpd(port)

    def received(self, qid):
        path = mtatest.wait_for(lambda: self.inst.queue_path("incoming", qid), 10, "queue file")
        q = mtatest.wait_for(lambda: mtatest.queue_dump(path), 10, "queue file ready")
        return "\n".join(q["content"][:q["content"].index("Subject: ccert")])

    def test_listed_fingerprint_relays(self):
        remote, local, qid = Client(self, self.certs, self.ports["ask"], "client").relay_and_local()
        self.assertEqual(remote, (250, b"2.1.5 Ok"))
        self.assertEqual(local, (250, b"2.1.5 Ok"))
        self.assertRegex(self.received(qid),
                         r"\t client-signature RSA-PSS \(2048 bits\) client-digest SHA256\)\n"
                         r"\t\(Client CN \"client\.example\", Issuer \"Test CA\" \(verified OK\)\)\n"
                         r"\tby mx\.example\.test \(Postfix\) with ESMTPS id ")
        self.inst.wait_log(r"smtpd\[\d+\]: Trusted TLS connection established from "
                           r"unknown\[127\.0\.0\.1\]: TLSv1\.3 with cipher \S+ \(256/256 bits\) "
                           r"key-exchange X25519 server-signature RSA-PSS \(2048 bits\) "
                           r"server-digest SHA256 client-signature RSA-PSS \(2048 bits\) "
                           r"client-digest SHA256\n")

    def test_unlisted_or_absent_certificate_does_not_relay(self):
        for cert, clause in (("self", r"\(Client CN \"self\.example\", Issuer \"self\.example\" "
                                      r"\(not verified\)\)"),
                             (None, r"\(Client did not present a certificate\)")):
            remote, local, qid = Client(self, self.certs, self.ports["ask"],
                                        cert).relay_and_local()
            self.assertEqual(remote, (554, b"5.7.1 <bob@remote.example>: Relay access denied"))
            self.assertEqual(local, (250, b"2.1.5 Ok"))
            self.assertRegex(self.received(qid), r"\n\t" + clause + r"\n\tby ")
        self.inst.wait_log(r"Untrusted TLS connection established from unknown\[127\.0\.0\.1\]")

    def test_a_listed_fingerprint_needs_no_trusted_issuer(self):
        remote, _, _ = Client(self, self.certs, self.ports["self"], "self").relay_and_local()
        self.assertEqual(remote, (250, b"2.1.5 Ok"))
        remote, _, _ = Client(self, self.certs, self.ports["self"], "client").relay_and_local()
        self.assertEqual(remote[0], 554)

    def test_permit_tls_all_clientcerts_needs_a_verified_certificate(self):
        remote, _, _ = Client(self, self.certs, self.ports["all"], "client").relay_and_local()
        self.assertEqual(remote, (250, b"2.1.5 Ok"))
        for cert in ("self", None):
            remote, _, _ = Client(self, self.certs, self.ports["all"], cert).relay_and_local()
            self.assertEqual(remote[0], 554, cert)

    def test_check_ccert_access(self):
        remote, _, _ = Client(self, self.certs, self.ports["access"], "client").relay_and_local()
        self.assertEqual(remote, (554, b"5.7.1 <client.example>: Client certificate rejected: "
                                       b"Access denied"))
        self.inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.1\]: 554 5\.7\.1 "
                           r"<client\.example>: Client certificate rejected: Access denied; "
                           r"from=<alice@example\.org> to=<bob@remote\.example>")
        remote, _, _ = Client(self, self.certs, self.ports["access"], "self").relay_and_local()
        self.assertEqual(remote, (250, b"2.1.5 Ok"))
        remote, _, _ = Client(self, self.certs, self.ports["access"], None).relay_and_local()
        self.assertEqual(remote[0], 554)

    def test_req_ccert_refuses_without_a_trusted_certificate(self):
        for cert, why in (("self", "Client certificate not trusted"),
                          (None, "No client certificate presented")):
            c = Client(self, self.certs, self.ports["req"], cert)
            code, text = c.ehlo()
            self.assertEqual((code, text.decode()), (421, "4.7.1 mx.example.test Error: " + why))
            self.inst.wait_log(r"smtpd\[\d+\]: NOQUEUE: abort: TLS from unknown\[127\.0\.0\.1\]: "
                               + why)
        self.inst.wait_log(r"certificate verification failed for unknown\[127\.0\.0\.1\]: "
                           r"self-signed certificate")
        self.inst.wait_log(r"disconnect from unknown\[127\.0\.0\.1\] ehlo=1 starttls=1 commands=2",
                           count=2)
        c = Client(self, self.certs, self.ports["req"], "client")
        self.assertEqual(c.ehlo()[0], 250)
        _, local, qid = c.relay_and_local()
        self.assertEqual(local, (250, b"2.1.5 Ok"))

    def test_req_ccert_in_wrappermode_refuses_before_the_banner(self):
        for cert, first in ((None, "421 4.7.1 mx.example.test Error: No client certificate "
                                   "presented"),
                            ("client", "220 mx.example.test ESMTP")):
            ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.pem"))
            if cert:
                ctx.load_cert_chain(os.path.join(self.certs, cert + ".pem"),
                                    os.path.join(self.certs, cert + ".key"))
            s = mtatest.wait_for(lambda: self.connect_tls(ctx, self.ports["smtps"]), 10,
                                 "the smtps service")
            with s:
                replies = mtatest.recv_replies(s, 1)
                self.assertTrue(replies[0].startswith(first), replies)
                if cert is None:
                    self.assertEqual(mtatest.recv_until_closed(s), [])

    def connect_tls(self, ctx, port):
        import socket
        try:
            raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            return None
        return ctx.wrap_socket(raw, server_hostname="mx.example.test")

    def test_req_ccert_without_mandatory_tls_is_warned_about(self):
        self.inst.wait_log(r"smtpd\[\d+\]: warning: Can't require client certs unless TLS is "
                           r"required")
        c = Client(self, self.certs, self.ports["reqmay"], None)
        self.assertEqual(c.ehlo()[0], 250)

    def test_resumed_session_keeps_the_certificate(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.pem"))
        ctx.load_cert_chain(os.path.join(self.certs, "client.pem"),
                            os.path.join(self.certs, "client.key"))
        session = None
        for round in range(2):
            with mtatest.starttls(self.ports["ask"], ctx, session) as t:
                t.sendall(b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n"
                          b"RCPT TO:<bob@remote.example>\r\nRSET\r\nQUIT\r\n")
                replies = mtatest.recv_replies(t, 5)
                self.assertEqual(replies[2], "250 2.1.5 Ok", replies)
                self.assertEqual(t.session_reused, round == 1)
                session = t.session


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
class DebianPostfixClientCertTest(mtatest.TempDirTestCase):
    """The same sessions against Debian's Postfix and ours: RCPT replies, the
    421 of req_ccert, the Received: clause and the log lines."""

    CASES = [("ask", "client"), ("ask", "self"), ("ask", None), ("all", "client"),
             ("access", "client"), ("access", "self"), ("req", "self"), ("req", None),
             ("req", "client"), ("ask2", "client"), ("ask2", "self")]

    def sessions(self, certs, ports, etc_log, received):
        out = []
        for service, cert in self.CASES:
            c = Client(self, certs, ports[service], cert)
            code, text = c.ehlo()
            if code != 250:
                out.append((service, cert, code, text))
                continue
            remote, local, qid = c.relay_and_local()
            out.append((service, cert, remote, local, received(qid) if qid else None))
        return out

    def test_same_replies_log_lines_and_received_clauses(self):
        if not mtatest.DebianPostfix.usable():
            self.skipTest("needs root and Debian's Postfix")
        os.chmod(self.tmp, 0o755)
        certs = os.path.join(self.tmp, "certs")
        make_certs(certs)
        os.chmod(certs, 0o755)
        for f in os.listdir(certs):
            if f != "server.key":
                os.chmod(os.path.join(certs, f), 0o644)
        cf = main_cf(certs).replace("smtpd_peername_lookup = no\n", "")
        ports = {k: mtatest.free_port() for k in ("ask", "self", "all", "access", "req", "ask2")}
        deb = mtatest.DebianPostfix(
            self, main_cf=cf,
            master_cf=services(certs, ports, ours=False) + mtatest.DEBIAN_SMTPD_SERVICES)
        if not deb.start():
            self.skipTest("Debian's Postfix does not start here")
        for port in ports.values():
            mtatest.wait_smtpd(port)

        def their_received(qid):
            r = mtatest.run(["/usr/sbin/postcat", "-c", deb.etc, "-bh", "-q", qid])
            return r.out.split("Subject:")[0]
        theirs = self.sessions(certs, ports, deb.log, their_received)

        our_ports = {k: mtatest.free_port() for k in ports}
        inst = mtatest.MtaInstance(self, services=["cleanup", "anvil", "rewrite", "tlsmgr"],
                                   main_cf=cf, master_extra=services(certs, our_ports))
        inst.start()
        for port in our_ports.values():
            mtatest.wait_smtpd(port)

        def our_received(qid):
            path = mtatest.wait_for(lambda: inst.queue_path("incoming", qid), 10, "queue file")
            q = mtatest.wait_for(lambda: mtatest.queue_dump(path), 10, "queue file ready")
            return "\n".join(q["content"][:q["content"].index("Subject: ccert")]) + "\n"
        ours = self.sessions(certs, our_ports, inst.log, our_received)
        norm = lambda t: re.sub(r"id \w+|;[\s\S]*", "", t) if isinstance(t, str) else t
        for a, b in zip(ours, theirs):
            self.assertEqual([norm(x) for x in a], [norm(x) for x in b])

        def lines(log):
            pat = (r"(?:(?:Anonymous|Trusted|Untrusted) TLS connection established from |"
                   r"certificate verification failed for |NOQUEUE: abort: TLS from |"
                   r"NOQUEUE: reject: |\S+: subject_CN=).*")
            return re.findall(pat, log)
        mtatest.wait_for(lambda: len(lines(deb.log())) >= len(lines(inst.log())), 10,
                         "Debian's log lines")
        self.assertEqual(lines(inst.log()), lines(deb.log()))
        self.assertIn("localhost[127.0.0.1]: subject_CN=client.example, issuer=Test CA, "
                      "fingerprint=" + mtatest.cert_fingerprint(os.path.join(certs, "client.pem")),
                      "\n".join(lines(inst.log())))


if __name__ == "__main__":
    unittest.main()

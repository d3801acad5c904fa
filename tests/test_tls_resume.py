"""System tests of TLS session resumption across smtpd processes: session
tickets whose keys tlsmgr makes and shares (tlsmgr/, global/tlsmgr_client.h).
One real instance with tlsmgr, every smtpd service with max_use 1 so that
each connection is served by a new smtpd process (checked by PID in the
log). Clients: Python's ssl with an explicit session, over STARTTLS, for
TLSv1.2 and TLSv1.3. Also: keys rotated by a tlsmgr killed and restarted
(the old ticket gets a full handshake), tlsmgr unreachable (TLS without
resumption and a warning), smtpd_tls_session_cache_timeout = 0 (no
tickets), another service's session not resumed, and master's wakeups of
tlsmgr taken quietly."""
import os
import re
import shutil
import signal
import ssl
import unittest

import mtatest

MAIN_CF = mtatest.TLS_MAIN_CF + (
    "smtpd_tls_session_cache_database = btree:%(dir)s/smtpd_scache\n")


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
class TlsResumeTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        scope = mtatest.ClassScope(cls)
        cls.certs = mtatest.make_certificates(os.path.join(scope.tmp, "certs"))
        cls.port, cls.other, cls.nomgr, cls.notickets = (mtatest.free_port() for _ in range(4))
        one = ["max_use=1"]
        master = (
            mtatest.smtpd_service("127.0.0.1:%d" % cls.port, one) +
            mtatest.smtpd_service("127.0.0.1:%d" % cls.other, one) +
            mtatest.smtpd_service("127.0.0.1:%d" % cls.nomgr,
                                  one + ["tlsmgr_service_name=nowhere"]) +
            mtatest.smtpd_service("127.0.0.1:%d" % cls.notickets,
                                  one + ["smtpd_tls_session_cache_timeout=0"]))
        cls.inst = mtatest.MtaInstance(scope, services=["cleanup", "anvil", "rewrite", "tlsmgr"],
                                       main_cf=MAIN_CF % {"dir": cls.certs},
                                       master_extra=master)
        cls.inst.start()
        for port in (cls.port, cls.other, cls.nomgr, cls.notickets):
            mtatest.wait_smtpd(port)

    def context(self, version):
        ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.pem"))
        ctx.minimum_version = ctx.maximum_version = version
        return ctx

    def session(self, port, ctx, session=None):
        """One STARTTLS session offering `session` for resumption; returns
        (the TLS session after a command, whether it was resumed)."""
        with mtatest.starttls(port, ctx, session) as t:
            # A command round trip: a TLS 1.3 ticket arrives after the handshake.
            t.sendall(b"EHLO client.example\r\n")
            self.assertTrue(mtatest.recv_replies(t, 1)[0].startswith("250-mx.example.test"))
            reused = t.session_reused
            new_session = t.session
            t.sendall(b"QUIT\r\n")
            self.assertEqual(mtatest.recv_replies(t, 1), ["221 2.0.0 Bye"])
        return new_session, reused

    def smtpd_pids(self):
        return re.findall(r"smtpd\[(\d+)\]: (?:Anonymous|Trusted|Untrusted) TLS connection",
                          self.inst.log())

    def resume(self, version, ctx=None):
        """Two sessions, each with a new smtpd; the second resumes the first.
        Returns the second one's session."""
        ctx = ctx or self.context(version)
        before = len(self.smtpd_pids())
        first, reused = self.session(self.port, ctx)
        self.assertFalse(reused)
        self.assertTrue(first.has_ticket, "no session ticket issued")
        second, reused = self.session(self.port, ctx, first)
        self.assertTrue(reused, "%s session not resumed" % version)
        self.inst.wait_log(r"(?:Anonymous|Trusted|Untrusted) TLS connection", count=before + 2)
        pids = self.smtpd_pids()[before:before + 2]
        self.assertNotEqual(pids[0], pids[1], "both sessions in one smtpd process")
        return second

    def test_tls12_session_resumes_in_another_smtpd(self):
        self.resume(ssl.TLSVersion.TLSv1_2)

    def test_tls13_session_resumes_in_another_smtpd(self):
        self.resume(ssl.TLSVersion.TLSv1_3)

    def test_session_of_another_service_is_not_resumed(self):
        ctx = self.context(ssl.TLSVersion.TLSv1_3)
        first, _ = self.session(self.port, ctx)
        _, reused = self.session(self.other, ctx, first)
        self.assertFalse(reused)

    def test_keys_rotated_by_a_new_tlsmgr_mean_a_full_handshake(self):
        ctx = self.context(ssl.TLSVersion.TLSv1_2)
        old = self.resume(ssl.TLSVersion.TLSv1_2, ctx)
        pids = self.inst.children_named("tlsmgr")
        self.assertEqual(len(pids), 1, pids)
        os.kill(pids[0], signal.SIGKILL)
        mtatest.wait_for(lambda: not mtatest.process_alive(pids[0]), 10, "tlsmgr gone")
        # The ticket's key died with it: a full handshake, no error.
        fresh, reused = self.session(self.port, ctx, old)
        self.assertFalse(reused)
        self.assertTrue(fresh.has_ticket)
        # The new tlsmgr's key resumes as before.
        _, reused = self.session(self.port, ctx, fresh)
        self.assertTrue(reused)
        self.assertNotRegex(self.inst.log(), r"smtpd\[\d+\]: (fatal|panic|warning: TLS session)")

    def test_tlsmgr_unreachable_still_tls_without_resumption(self):
        ctx = self.context(ssl.TLSVersion.TLSv1_3)
        first, reused = self.session(self.nomgr, ctx)
        self.assertFalse(reused)
        _, reused = self.session(self.nomgr, ctx, first)
        self.assertFalse(reused)
        self.inst.wait_log(r"smtpd\[\d+\]: warning: TLS session ticket key manager "
                           r"\S+/private/nowhere unavailable: .*; session resumption disabled")

    def test_timeout_zero_means_no_tickets(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = self.context(version)
            first, reused = self.session(self.notickets, ctx)
            self.assertFalse(first.has_ticket, version)
            _, reused = self.session(self.notickets, ctx, first)
            self.assertFalse(reused, version)

    def test_session_cache_database_is_said_to_be_unused(self):
        self.resume(ssl.TLSVersion.TLSv1_3)
        self.inst.wait_log(r"tlsmgr\[\d+\]: smtpd_tls_session_cache_database = btree:\S+: not "
                           r"used: sessions resume through session tickets, whose keys tlsmgr "
                           r"shares")

    def test_wakeup_of_tlsmgr_is_quiet(self):
        self.resume(ssl.TLSVersion.TLSv1_3)
        path = os.path.join(self.inst.queue, "private", "tlsmgr")
        import socket
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(path)
            s.sendall(b"W")
            self.assertEqual(s.recv(10), b"")  # closed by tlsmgr
        self.assertNotRegex(self.inst.log(), r"tlsmgr\[\d+\]: warning")
        # tlsmgr still serves: the next session resumes.
        self.resume(ssl.TLSVersion.TLSv1_3)



@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
class DebianPostfixResumeTest(mtatest.TempDirTestCase):
    """A session made with one smtpd process and resumed with another, for
    TLSv1.2 and TLSv1.3, against Debian's Postfix (with its tlsmgr) and
    ours: both resume, and the log lines of the full and the resumed
    handshakes are the same."""

    def sessions(self, port, certs):
        resumed = []
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
            ctx.minimum_version = ctx.maximum_version = version
            first, _ = TlsResumeTest.session(self, port, ctx)
            _, reused = TlsResumeTest.session(self, port, ctx, first)
            resumed.append(reused)
        return resumed

    def test_same_resumption_and_log_lines(self):
        if not mtatest.DebianPostfix.usable():
            self.skipTest("needs root and Debian's Postfix")
        os.chmod(self.tmp, 0o755)
        certs = mtatest.make_certificates(os.path.join(self.tmp, "certs"))
        cf = (MAIN_CF % {"dir": certs}).replace("smtpd_peername_lookup = no\n", "")
        port = mtatest.free_port()
        deb = mtatest.DebianPostfix(
            self, main_cf=cf + "local_recipient_maps =\n",
            master_cf="127.0.0.1:%d inet n - n - - smtpd -o max_use=1\n" % port +
            mtatest.DEBIAN_SMTPD_SERVICES)
        if not deb.start():
            self.skipTest("Debian's Postfix does not start here")
        mtatest.wait_smtpd(port)
        self.assertEqual(self.sessions(port, certs), [True, True], deb.log())

        ours = mtatest.free_port()
        inst = mtatest.MtaInstance(self, services=["cleanup", "anvil", "rewrite", "tlsmgr"],
                                   main_cf=cf,
                                   master_extra=mtatest.smtpd_service("127.0.0.1:%d" % ours,
                                                                      ["max_use=1"]))
        inst.start()
        mtatest.wait_smtpd(ours)
        self.assertEqual(self.sessions(ours, certs), [True, True])
        lines = lambda log: re.findall(r"Anonymous TLS connection established from .*", log)
        mtatest.wait_for(lambda: len(lines(deb.log())) == 4, 10, "Debian's log lines")
        inst.wait_log("Anonymous TLS connection established", count=4)
        self.maxDiff = None
        self.assertEqual(lines(inst.log()), lines(deb.log()))


if __name__ == "__main__":
    unittest.main()

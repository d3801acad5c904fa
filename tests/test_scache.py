"""System tests of connection reuse: the scache service (scache/) and the
smtp client's use of it (smtp/smtp_deliver.h, smtp_reuse.h), on real
instances relaying to tests/smtp_sink.py, which counts its connections.

A burst is made as administrators make one: the messages wait in the
deferred queue (defer_transports = smtp), then `postqueue -f` hands them
all to qmgr at once (a flush delivers deferred transports too)."""
import os
import re
import shutil
import ssl
import unittest

import mtatest
from smtp_sink import SmtpSink

SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "showq",
            "error", "retry", "smtp", "relay", "scache"]
SENDER = "alice@sender.example"


class ScacheTest(mtatest.TempDirTestCase):

    def sink(self, **kw):
        s = SmtpSink(**kw)
        s.start()
        self.addCleanup(s.stop)
        return s

    def instance(self, sink, main_cf="", services=SERVICES, mail_owner=None):
        text = ("myhostname = mta.test.example\nmydestination = $myhostname, localhost\n"
                "relayhost = %s\ndefer_transports = smtp\n"
                "minimal_backoff_time = 1000s\nmaximal_backoff_time = 4000s\n"
                "smtp_connect_timeout = 5s\nsmtp_helo_timeout = 10s\n"
                "connection_cache_status_update_time = 2s\n" % sink.nexthop)
        inst = mtatest.MtaInstance(self, services=services, main_cf=text + main_cf,
                                   mail_owner=mail_owner)
        inst.start()
        return inst

    def burst(self, inst, n):
        """n messages deferred, then flushed at once; waits for n deliveries."""
        for i in range(n):
            inst.send("r%d@remote.example" % i, sender=SENDER)
        inst.wait_log(r"status=deferred \(deferred transport\)", count=n, timeout=60)
        r = inst.run("postqueue", "-f")
        self.assertEqual(r.rc, 0, r)
        mtatest.wait_for(lambda: inst.log().count("status=sent") == n, 60,
                         lambda: "%d deliveries; log:\n%s" % (n, inst.log()[-4000:]))
        inst.wait_empty()

    def test_listed_destination_reuses_connections(self):
        # smtp_connection_cache_destinations: always cached, one delivery
        # at a time, so every delivery after the first finds the connection.
        sink = self.sink()
        inst = self.instance(sink, "smtp_connection_cache_destinations = %s\n"
                                   "smtp_destination_concurrency_limit = 1\n" % sink.nexthop)
        self.burst(inst, 8)
        self.assertEqual(len(sink.transactions), 8)
        self.assertEqual(sink.sessions, 1, sink.commands)
        self.assertEqual(sum(c.startswith("EHLO") for c in sink.commands), 1)
        self.assertNotIn("QUIT", sink.commands)  # still cached
        log = inst.log()
        # Postfix's log line for a reused connection.
        self.assertRegex(log, r"smtp\[\d+\]: \w+: to=<r\d@remote.example>, relay=127.0.0.1"
                              r"\[127.0.0.1\]:%d, conn_use=8, delay=[\d.]+, delays=[\d./]+, "
                              r"dsn=2.0.0, status=sent" % sink.port)
        self.assertEqual(len(re.findall(r"conn_use=", log)), 7)
        # scache's statistics, every connection_cache_status_update_time.
        inst.wait_log(r"scache\[\d+\]: statistics: address lookup hits=7 miss=1 success=87%",
                      timeout=10)
        inst.wait_log(r"scache\[\d+\]: statistics: max simultaneous addresses=1 connection=1")
        self.assertNotRegex(inst.log(), r"(smtp|scache)\[\d+\]: warning")

    def test_cached_connections_are_closed_after_the_time_limit(self):
        sink = self.sink()
        inst = self.instance(sink, "smtp_connection_cache_destinations = %s\n"
                                   "smtp_destination_concurrency_limit = 1\n" % sink.nexthop)
        self.burst(inst, 2)
        self.assertEqual(sink.sessions, 1)
        # smtp_connection_cache_time_limit (2s): scache closes it (no QUIT).
        mtatest.wait_for(lambda: sink.current == 0, 10, "the cached connection to be closed")
        inst.send("late@remote.example", sender=SENDER)
        inst.wait_log(r"status=deferred \(deferred transport\)", count=3)
        inst.run("postqueue", "-f")
        mtatest.wait_for(lambda: len(sink.transactions) == 3, 30, "the third delivery")
        self.assertEqual(sink.sessions, 2)

    def test_on_demand_when_deliveries_come_back_to_back(self):
        # The default (smtp_connection_cache_on_demand = yes): qmgr asks for
        # reuse once a destination's deliveries follow one another.
        sink = self.sink()
        inst = self.instance(sink, "smtp_destination_concurrency_limit = 1\n")
        self.burst(inst, 10)
        self.assertLess(sink.sessions, 10)
        self.assertIn("conn_use=", inst.log())

    def test_on_demand_off(self):
        sink = self.sink()
        inst = self.instance(sink, "smtp_destination_concurrency_limit = 1\n"
                                   "smtp_connection_cache_on_demand = no\n")
        self.burst(inst, 6)
        self.assertEqual(sink.sessions, 6)
        self.assertEqual(sink.commands.count("QUIT"), 6)
        self.assertNotIn("conn_use=", inst.log())

    def test_reuse_count_limit(self):
        sink = self.sink()
        inst = self.instance(sink, "smtp_connection_cache_destinations = %s\n"
                                   "smtp_destination_concurrency_limit = 1\n"
                                   "smtp_connection_reuse_count_limit = 3\n" % sink.nexthop)
        self.burst(inst, 7)
        # Three deliveries per connection: 3 + 3 + 1, the full ones QUIT.
        self.assertEqual(sink.sessions, 3)
        self.assertEqual(sink.commands.count("QUIT"), 2)
        self.assertNotIn("conn_use=4", inst.log())

    def test_server_that_hangs_up_after_each_message(self):
        # The cached connection is seen closed before it is used: a new one,
        # nothing deferred.
        sink = self.sink(hangup_after_end=True)
        inst = self.instance(sink, "smtp_connection_cache_destinations = %s\n"
                                   "smtp_destination_concurrency_limit = 1\n" % sink.nexthop)
        self.burst(inst, 5)
        self.assertEqual(sink.sessions, 5)
        self.assertEqual(inst.log().count("status=deferred"), 5)  # only the defer_transports ones
        self.assertNotIn("conn_use=", inst.log())

    def test_connection_that_dies_under_the_client(self):
        # The server closes the cached connection when the next MAIL comes:
        # the client connects anew and the mail goes through, not deferred.
        sink = self.sink(drop_second_mail=True)
        inst = self.instance(sink, "smtp_connection_cache_destinations = %s\n"
                                   "smtp_destination_concurrency_limit = 1\n" % sink.nexthop)
        self.burst(inst, 4)
        self.assertEqual(len(sink.transactions), 4)
        self.assertEqual(sink.dropped, 3)
        self.assertEqual(inst.log().count("status=deferred"), 4)
        self.assertNotIn("lost connection", inst.log())

    @unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
    def test_tls_sessions_are_not_cached(self):
        # Level may, and the server offers STARTTLS: every session uses TLS,
        # and none goes to the cache (only plain sessions are reused).
        certs = mtatest.make_certificates(os.path.join(self.tmp, "certs"))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"))
        sink = self.sink(tls_context=ctx)
        inst = self.instance(sink, "smtp_connection_cache_destinations = %s\n"
                                   "smtp_destination_concurrency_limit = 1\n"
                                   "smtp_tls_security_level = may\n" % sink.nexthop)
        self.burst(inst, 3)
        self.assertEqual(sink.tls_sessions, 3)
        self.assertEqual(sink.sessions, 3)
        self.assertEqual(sink.commands.count("QUIT"), 3)
        self.assertNotIn("conn_use=", inst.log())

    @unittest.skipUnless(os.geteuid() == 0 and mtatest.postfix_user(),
                         "needs root and a postfix user")
    def test_as_administrators_run_it(self):
        # mail_owner = postfix: smtp and scache run as postfix, the
        # descriptor goes from one unprivileged process to another.
        sink = self.sink()
        inst = self.instance(sink, "smtp_connection_cache_destinations = %s\n"
                                   "smtp_destination_concurrency_limit = 1\n" % sink.nexthop,
                             services=SERVICES + ["postlog"], mail_owner=mtatest.postfix_user())
        self.burst(inst, 4)
        self.assertEqual(sink.sessions, 1)
        self.assertIn("conn_use=4", inst.log())
        self.assertNotRegex(inst.log(), r"(smtp|scache)\[\d+\]: warning")

    def test_without_the_scache_service(self):
        # An older master.cf without scache: one warning per smtp process,
        # mail flows as without reuse.
        sink = self.sink()
        services = [s for s in SERVICES if s != "scache"]
        inst = self.instance(sink, "smtp_connection_cache_destinations = %s\n"
                                   "smtp_destination_concurrency_limit = 1\n" % sink.nexthop,
                             services=services)
        self.burst(inst, 3)
        self.assertEqual(sink.sessions, 3)
        self.assertRegex(inst.log(), r"smtp\[\d+\]: warning: .*private/scache.*; delivering "
                                     r"without the connection cache")


if __name__ == "__main__":
    unittest.main()

"""System tests of the anvil service (anvil/) on a real instance started with
`postfix start`, spoken to with the attribute protocol of
global/anvil_client.h (mtatest.attr_encode/attr_read), each client on its
own kept connection as smtpd processes are.

Covers: connection counts (connect twice -> 2, disconnect -> 1), counts
forgotten when a client's connection closes (a crashed smtpd), counts
shared by every client of the one anvil process, rates within
anvil_rate_time_unit and their reset after it, lookup, an unknown request,
and the "statistics: ..." lines logged every anvil_status_update_time and
at exit.
"""
import os
import re
import socket
import unittest

import mtatest

IDENT = "smtp:192.0.2.1"


class AnvilClient:
    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.reader = self.sock.makefile("rb")

    def request(self, request, ident=IDENT):
        self.sock.sendall(mtatest.attr_encode([("request", request), ("ident", ident)]))
        reply = mtatest.attr_read(self.reader)
        if reply is None:
            raise ConnectionError("anvil closed the connection")
        return {k: int(v) for k, v in reply.items()}

    def close(self):
        self.reader.close()
        self.sock.close()


class AnvilTest(mtatest.TempDirTestCase):
    def start(self, main_cf=""):
        self.inst = mtatest.MtaInstance(self, services=["anvil"], main_cf=main_cf)
        self.inst.start()

    def client(self):
        c = AnvilClient(os.path.join(self.inst.queue, "private", "anvil"))
        self.addCleanup(c.close)
        return c

    def count(self, c, ident=IDENT):
        return c.request("lookup", ident)["count"]

    def test_counts_and_forgetting(self):
        self.start()
        smtpd1, smtpd2, observer = self.client(), self.client(), self.client()
        self.assertEqual(smtpd1.request("connect"), {"status": 0, "count": 1, "rate": 1})
        self.assertEqual(smtpd1.request("connect"), {"status": 0, "count": 2, "rate": 2})
        self.assertEqual(smtpd1.request("disconnect"), {"status": 0})
        self.assertEqual(self.count(observer), 1)
        # A disconnect for a connection this client never made changes nothing.
        self.assertEqual(smtpd2.request("disconnect"), {"status": 0})
        self.assertEqual(self.count(observer), 1)
        self.assertEqual(smtpd2.request("connect"), {"status": 0, "count": 2, "rate": 3})
        self.assertEqual(smtpd2.request("connect", "smtp:192.0.2.9"),
                         {"status": 0, "count": 1, "rate": 1})
        # smtpd2 dies: its connections are forgotten, smtpd1's stay.
        smtpd2.close()
        mtatest.wait_for(lambda: self.count(observer) == 1, what="count after a client closed")
        self.assertEqual(self.count(observer, "smtp:192.0.2.9"), 0)
        smtpd1.close()
        mtatest.wait_for(lambda: self.count(observer) == 0, what="count after the last close")
        # The rate is still that of this time unit.
        self.assertEqual(observer.request("lookup"),
                         {"status": 0, "count": 0, "rate": 3, "message": 0, "recipient": 0,
                          "newtls": 0, "auth": 0})

    def test_many_clients_share_one_process(self):
        self.start()
        clients = [self.client() for _ in range(12)]
        for i, c in enumerate(clients):
            self.assertEqual(c.request("connect")["count"], i + 1)
        self.assertEqual(len(self.inst.children_named("anvil")), 1)
        for c in clients[:5]:
            c.close()
        mtatest.wait_for(lambda: self.count(clients[-1]) == 7, what="count 7")

    def test_rates_within_time_unit(self):
        self.start("anvil_rate_time_unit = 2s\n")
        c = self.client()
        for kind in ("message", "recipient", "newtls", "auth"):
            self.assertEqual([c.request(kind)["rate"] for _ in range(3)], [1, 2, 3], kind)
        self.assertEqual(c.request("newtls_report"), {"status": 0, "rate": 3})
        self.assertEqual(c.request("message", "smtp:192.0.2.2")["rate"], 1)
        # After the time unit the rates start over.
        mtatest.wait_for(lambda: c.request("lookup")["message"] == 0, timeout=10,
                         what="the time unit to pass")
        self.assertEqual(c.request("message")["rate"], 1)
        self.assertEqual(c.request("newtls_report")["rate"], 0)

    def test_unknown_request(self):
        self.start()
        c = self.client()
        self.assertEqual(c.request("frobnicate"), {"status": 1})
        self.inst.wait_log(r'postfix/anvil\[\d+\]: warning: unrecognized request: "frobnicate", '
                           r'ignored')
        self.assertEqual(c.request("connect")["count"], 1)  # the connection stays usable

    def test_statistics_logged(self):
        self.start("anvil_status_update_time = 2s\n")
        c = self.client()
        c.request("connect")
        c.request("connect")
        c.request("recipient", "smtp:192.0.2.7")
        at = r"at [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d"
        self.inst.wait_log(r"postfix/anvil\[\d+\]: statistics: max connection rate 2/60s for "
                           r"\(smtp:192.0.2.1\) " + at, timeout=15)
        log = self.inst.log()
        self.assertRegex(log, r"statistics: max connection count 2 for \(smtp:192.0.2.1\) " + at)
        self.assertRegex(log, r"statistics: max recipient rate 1/60s for \(smtp:192.0.2.7\) " + at)
        self.assertRegex(log, r"statistics: max cache size 2 " + at)
        # Reported maxima are reset: the next report (at exit) has only the new event.
        c.request("message")
        c.close()
        n = self.inst.log().count("statistics:")
        self.inst.stop()
        self.inst.wait_log(r"statistics: max message rate 1/60s for \(smtp:192.0.2.1\)")
        stats = re.findall(r"statistics: .*", self.inst.log())
        self.assertNotIn("max connection count", " ".join(stats[n:]))


if __name__ == "__main__":
    unittest.main()

"""in_flow_delay (Postfix's mail flow control, global/mail_flow.h): cleanup
takes a token from master's flow pipe for each message, or pauses
in_flow_delay when there is none; qmgr puts tokens in as it takes mail in
(and tops the pipe up when incoming/ is empty)."""
import smtplib
import time
import unittest

import mtatest

MAIN_CF = ("myhostname = mx.example.test\nmydestination =\nlocal_recipient_maps =\n"
           "mynetworks = 127.0.0.0/8\nsmtpd_error_sleep_time = 0\n"
           "transport_maps = inline:{example.com=discard:flowed}\n")
MESSAGE = "Subject: flow\n\nx\n"


class FlowControlTest(mtatest.TempDirTestCase):

    def instance(self, delay, qmgr):
        port = mtatest.free_port()
        services = ["cleanup", "rewrite", "discard", "bounce", "defer", "trace"]
        if qmgr:
            services.append("qmgr")
        inst = mtatest.MtaInstance(self, services=services,
                                   main_cf=MAIN_CF + "in_flow_delay = %s\n" % delay,
                                   master_extra=mtatest.smtpd_service("127.0.0.1:%d" % port))
        inst.start()
        mtatest.wait_smtpd(port)
        return inst, port

    def send(self, port, n=1):
        """Seconds each of n messages took, one SMTP session each."""
        times = []
        for _ in range(n):
            start = time.monotonic()
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
                c.sendmail("alice@example.org", ["bob@example.com"], MESSAGE)
            times.append(time.monotonic() - start)
        return times

    def test_no_token_pauses_in_flow_delay(self):
        # No qmgr: nobody puts tokens in, so cleanup pauses for each message.
        inst, port = self.instance("2s", qmgr=False)
        times = self.send(port, 2)
        self.assertTrue(all(t >= 1.9 for t in times), times)
        self.assertEqual(len(inst.queue_ids("incoming")), 2)  # paused, not refused

    def test_zero_turns_it_off(self):
        inst, port = self.instance("0s", qmgr=False)
        times = self.send(port, 3)
        self.assertTrue(all(t < 1.5 for t in times), times)

    def test_qmgr_tokens_let_mail_in_without_pauses(self):
        # qmgr tops the pipe up while incoming/ is empty and adds one per
        # message it takes in: no message waits in_flow_delay (3 s).
        inst, port = self.instance("3s", qmgr=True)
        mtatest.wait_for(lambda: "daemon started" in inst.log(), 10, "master")
        times = self.send(port, 10)
        self.assertLess(sum(times), 10, times)
        inst.wait_log(r"status=sent \(flowed\)", timeout=30, count=10)
        inst.wait_empty()


if __name__ == "__main__":
    unittest.main()

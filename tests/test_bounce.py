"""System tests of the bounce daemon (issue 6): a real instance running
cleanup and bounce; messages written into a queue by tests/daemons/queue-make,
delivery log entries written here in the documented format
(global/delivery_log.h: util/attr.h lists appended to a file), notices
requested through the real client stub (tests/daemons/bounce-request, i.e.
global/bounce_client.h) and read back with tests/daemons/queue-dump."""
import os
import re

import mtatest

REQUEST = mtatest.test_daemon("bounce-request")
MAKE = mtatest.test_daemon("queue-make")
MAIN_CF = (
    "myhostname = mail.example.test\n"
    "mydomain = example.test\n"
    "myorigin = $mydomain\n"
    "mydestination = $myhostname, localhost\n"
)


class BounceTest(mtatest.TempDirTestCase):

    def instance(self, services=("cleanup", "bounce"), main_cf=""):
        inst = mtatest.MtaInstance(self, services=list(services), main_cf=MAIN_CF + main_cf)
        inst.start()
        return inst

    def make(self, inst, recipients, sender="alice@example.test", extra=()):
        argv = [MAKE, "-c", inst.etc, "-q", "active"]
        if sender:
            argv += ["-f", sender]
        r = mtatest.run(argv + list(extra) + list(recipients))
        self.assertEqual(r.rc, 0, r)
        return r.out.strip()

    def log_path(self, inst, log_queue, qid):
        # bounce/ and trace/ are not hashed by default; defer/ is (depth 1).
        path = inst.queue_path(log_queue, qid)
        return path or os.path.join(inst.queue, log_queue, qid)

    def append_log(self, inst, log_queue, qid, entries):
        path = self.log_path(inst, log_queue, qid)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "ab") as f:
            for e in entries:
                f.write(mtatest.attr_encode(e))

    def request(self, inst, kind, qid, queue="active"):
        return mtatest.run([REQUEST, "-c", inst.etc, kind, queue, qid])

    def notice(self, inst, pattern):
        m = re.search(pattern, inst.wait_log(pattern) and inst.log())
        new_id = m.group(1)
        path = inst.queue_path("incoming", new_id)
        self.assertIsNotNone(path, "no incoming/%s" % new_id)
        dump = mtatest.queue_dump(path)
        self.assertIsNotNone(dump)
        return dump

    def test_non_delivery_notice(self):
        inst = self.instance()
        qid = self.make(inst, ["bob@remote.example", "carol@remote.example"])
        self.append_log(inst, "bounce", qid, [
            {"recipient": "bob@remote.example", "status": "5.1.1", "action": "failed",
             "reason": "host mx.remote.example[192.0.2.1] said: 550 5.1.1 unknown user",
             "original_recipient": "bob@remote.example", "offset": "100",
             "diag_type": "smtp", "diag_text": "550 5.1.1 unknown user",
             "mta_type": "dns", "mta_name": "mx.remote.example"},
            {"recipient": "carol@remote.example", "status": "5.0.0", "action": "failed",
             "reason": "never told", "dsn_notify": "1"},
        ])
        r = self.request(inst, "bounce", qid)
        self.assertEqual((r.rc, r.out), (0, "ok\n"), r)
        dump = self.notice(inst, qid + r": sender non-delivery notification: (\w+)")
        self.assertEqual(dump["sender"], "")
        self.assertEqual(dump["recipients"], ["alice@example.test"])
        text = "\n".join(dump["content"])
        for want in [
                "From: Mail Delivery System <MAILER-DAEMON@mail.example.test>",
                "Subject: Undelivered Mail Returned to Sender",
                "To: alice@example.test",
                "Auto-Submitted: auto-replied",
                "Content-Type: multipart/report; report-type=delivery-status;",
                "This is the mail system at host mail.example.test.",
                "<bob@remote.example>: host mx.remote.example[192.0.2.1] said: 550 5.1.1",
                "Reporting-MTA: dns; mail.example.test\nX-Postfix-Queue-ID: " + qid +
                "\nX-Postfix-Sender: rfc822; alice@example.test\nArrival-Date: ",
                "Final-Recipient: rfc822; bob@remote.example\n"
                "Original-Recipient: rfc822;bob@remote.example\nAction: failed\n"
                "Status: 5.1.1\nRemote-MTA: dns; mx.remote.example\n"
                "Diagnostic-Code: smtp; 550 5.1.1 unknown user",
                "Content-Description: Undelivered Message\nContent-Type: message/rfc822\n"
                "Content-Transfer-Encoding: 8bit\n\nReturn-Path: <alice@example.test>\n"
                "Subject: test\n\nxxxx"]:
            self.assertIn(want, text)
        # NOTIFY=NEVER: carol is not reported.
        self.assertNotIn("carol", text)
        self.assertTrue(re.search(r"^--" + re.escape(qid) + r"\.\d+/mail\.example\.test--$",
                                  text, re.M), text)
        self.assertFalse(os.path.exists(self.log_path(inst, "bounce", qid)))

    def test_headers_only_over_size_limit(self):
        inst = self.instance(main_cf="bounce_size_limit = 1000\n")
        qid = self.make(inst, ["bob@remote.example"], extra=["-s", "5000"])
        self.append_log(inst, "bounce", qid, [
            {"recipient": "bob@remote.example", "status": "5.1.1", "action": "failed",
             "reason": "unknown user"}])
        r = self.request(inst, "bounce", qid)
        self.assertEqual(r.rc, 0, r)
        dump = self.notice(inst, qid + r": sender non-delivery notification: (\w+)")
        text = "\n".join(dump["content"])
        self.assertIn("Content-Description: Undelivered Message Headers\n"
                      "Content-Type: text/rfc822-headers\nContent-Transfer-Encoding: 8bit\n\n"
                      "Return-Path: <alice@example.test>\nSubject: test\n\n--", text)
        self.assertNotIn("xxxx", text)
        self.assertIn("Diagnostic-Code: X-Postfix; unknown user", text)

    def test_delay_notice_keeps_defer_log(self):
        inst = self.instance()
        qid = self.make(inst, ["bob@remote.example"],
                        extra=["-r", "bob@remote.example=connect to mx: Connection refused"])
        r = self.request(inst, "delay", qid)
        self.assertEqual(r.rc, 0, r)
        dump = self.notice(inst, qid + r": sender delay notification: (\w+)")
        text = "\n".join(dump["content"])
        self.assertIn("Subject: Delayed Mail (still being retried)", text)
        self.assertIn("Action: delayed\nStatus: 4.4.1", text)
        self.assertIsNotNone(inst.queue_path("defer", qid))

    def test_null_sender_bounce_is_discarded_by_default(self):
        inst = self.instance()
        qid = self.make(inst, ["bob@remote.example"], sender="")
        self.append_log(inst, "bounce", qid, [
            {"recipient": "bob@remote.example", "status": "5.1.1", "action": "failed",
             "reason": "unknown user"}])
        r = self.request(inst, "bounce", qid)
        self.assertEqual(r.rc, 0, r)
        self.assertFalse(os.path.exists(self.log_path(inst, "bounce", qid)))
        self.assertEqual(inst.queue_ids("incoming"), [])
        self.assertNotIn("notification", inst.log())

    def test_null_sender_bounce_goes_to_postmaster_with_2bounce(self):
        inst = self.instance(main_cf="notify_classes = resource, software, 2bounce\n")
        qid = self.make(inst, ["bob@remote.example"], sender="")
        self.append_log(inst, "bounce", qid, [
            {"recipient": "bob@remote.example", "status": "5.1.1", "action": "failed",
             "reason": "unknown user"}])
        r = self.request(inst, "bounce", qid)
        self.assertEqual(r.rc, 0, r)
        dump = self.notice(inst, qid + r": postmaster non-delivery notification: (\w+)")
        self.assertEqual(dump["sender"], "double-bounce@example.test")
        self.assertEqual(len(dump["recipients"]), 1)
        self.assertTrue(dump["recipients"][0].startswith("postmaster"), dump)
        self.assertIn("Subject: Postmaster Copy: Undelivered Mail", "\n".join(dump["content"]))

    def test_service_down_is_unavailable_and_keeps_log(self):
        inst = self.instance(services=("cleanup",))
        qid = self.make(inst, ["bob@remote.example"])
        self.append_log(inst, "bounce", qid, [
            {"recipient": "bob@remote.example", "status": "5.1.1", "action": "failed",
             "reason": "unknown user"}])
        r = self.request(inst, "bounce", qid)
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.out.startswith("unavailable: bounce service is not available"), r)
        self.assertTrue(os.path.exists(self.log_path(inst, "bounce", qid)))

    def test_cleanup_down_is_unavailable_and_keeps_log(self):
        inst = self.instance(services=("bounce",))
        qid = self.make(inst, ["bob@remote.example"])
        self.append_log(inst, "bounce", qid, [
            {"recipient": "bob@remote.example", "status": "5.1.1", "action": "failed",
             "reason": "unknown user"}])
        r = self.request(inst, "bounce", qid)
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.out.startswith("unavailable: bounce service: cannot send bounce"), r)
        self.assertTrue(os.path.exists(self.log_path(inst, "bounce", qid)))
        inst.wait_log(qid + r": cannot send bounce notice")


if __name__ == "__main__":
    import unittest
    unittest.main()

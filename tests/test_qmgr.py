"""System tests of qmgr, the delivery request protocol and the error and
discard agents (issue 6), on real instances: mail is submitted with
sendmail (pickup, cleanup), resolved by trivial-rewrite, and delivered by
error, discard, or tests/daemons/test-agent (which records each delivery
and its concurrency in a file)."""
import os
import re
import resource
import shutil
import signal
import time
import unittest

import mtatest

SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "error", "retry", "discard", "bounce",
            "defer", "trace", "showq"]
AGENT = mtatest.test_daemon("test-agent")


class QmgrTest(mtatest.TempDirTestCase):

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)
        self.record = os.path.join(self.tmp, "record")

    def instance(self, main_cf="", extra_master_cf=""):
        transport = os.path.join(self.tmp, "transport")
        with open(transport, "w") as f:
            f.write("discard.example discard:\n"
                    "text.example discard:silently dropped\n"
                    "error.example error:5.1.1 no such user\n"
                    "retry.example retry:4.4.1 try later\n"
                    ".sub.example test:sub-nexthop\n"
                    "test.example test:\n"
                    "one.example one:\n")
        services = list(SERVICES)
        if not os.path.exists(mtatest.program("bounce")):
            services.remove("bounce")
        inst = mtatest.MtaInstance(
            self, services=services,
            main_cf="transport_maps = texthash:%s\nqueue_run_delay = 1s\n"
                    "minimal_backoff_time = 2s\nmaximal_backoff_time = 4s\n"
                    "test_record = %s\n%s" % (transport, self.record, main_cf))
        with open(os.path.join(inst.etc, "master.cf"), "a") as f:
            f.write("test unix - n n - 10 %s\n%s" % (AGENT, extra_master_cf))
        return inst

    def deliveries(self, with_last=False):
        """[(pid, nexthop, [rcpts])] and the highest concurrency seen;
        with_last: (pid, nexthop, [rcpts], flagged as the message's last)."""
        out, running, peak = [], 0, 0
        with open(self.record) as f:
            for line in f:
                fields = line.split()
                if fields[0] == "+":
                    running += 1
                    peak = max(peak, running)
                    d = (fields[1], fields[2], fields[3].split(","))
                    out.append(d + (fields[4:] == ["last"],) if with_last else d)
                else:
                    running -= 1
        return out, peak

    def test_discard(self):
        inst = self.instance()
        inst.start()
        inst.send("bob@discard.example", "carol@text.example")
        inst.wait_log(r"qmgr\[\d+\]: (\w+): removed")
        log = inst.log()
        qid = re.search(r"qmgr\[\d+\]: (\w+): from=<alice@example.com>, size=\d+, nrcpt=2 "
                        r"\(queue active\)", log).group(1)
        self.assertRegex(log, r"discard\[\d+\]: %s: to=<bob@discard.example>, relay=none, "
                              r"delay=[\d.]+, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2.0.0, "
                              r"status=sent \(discard.example\)" % qid)
        self.assertIn("to=<carol@text.example>, relay=none", log)
        self.assertIn("status=sent (silently dropped)", log)
        self.assertIn("%s: removed" % qid, log)
        inst.wait_empty()

    def test_error_bounces(self):
        inst = self.instance()
        inst.start()
        inst.send("bob@error.example")
        inst.wait_log(r"error\[\d+\]: \w+: to=<bob@error.example>, relay=none, .*dsn=5.1.1, "
                      r"status=bounced \(no such user\)")
        qid = re.search(r"error\[\d+\]: (\w+):", inst.log()).group(1)
        if os.path.exists(mtatest.program("bounce")):
            # The notice is queued (null sender) and the original removed.
            inst.wait_log(r"qmgr\[\d+\]: \w+: from=<>, size=\d+, nrcpt=1 \(queue active\)")
            inst.wait_log(r"qmgr\[\d+\]: %s: removed" % qid)
        else:
            path = os.path.join(inst.queue, "bounce", qid)
            mtatest.wait_for(lambda: os.path.exists(path), 10, "bounce log")

    def test_retry_defers_then_retries_then_delivers(self):
        inst = self.instance()
        inst.start()
        inst.send("bob@retry.example")
        inst.wait_log(r"error\[\d+\]: \w+: to=<bob@retry.example>, relay=none, .*dsn=4.4.1, "
                      r"status=deferred \(try later\)")
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, 10,
                         "deferred file; log:\n" + inst.log())
        qid = inst.queue_ids("deferred")[0]
        mtime = os.stat(inst.queue_path("deferred", qid)).st_mtime
        self.assertGreater(mtime, time.time())  # the next attempt time
        r = inst.run("postqueue", "-p")
        self.assertIn("try later", r.out, r)
        # Retried after the backoff: a second attempt is logged.
        inst.wait_log(r"to=<bob@retry.example>.*status=deferred", timeout=20, count=2)
        # The route is fixed (the transport table changes under the running
        # system): the next retry delivers, and the message leaves the queue.
        transport = os.path.join(self.tmp, "transport")
        with open(transport) as f:
            text = f.read()
        with open(transport, "w") as f:
            f.write(text.replace("retry.example retry:4.4.1 try later",
                                 "retry.example discard:delivered after retry"))
        inst.wait_log(r"to=<bob@retry.example>.*status=sent \(delivered after "
                      r"retry\)", timeout=30)
        inst.wait_empty()

    def test_postqueue_flush_retries_at_once(self):
        inst = self.instance(main_cf="minimal_backoff_time = 1000s\n"
                                     "maximal_backoff_time = 4000s\n")
        inst.start()
        inst.send("bob@retry.example")
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, 10, "deferred")
        r = inst.run("postqueue", "-f")
        self.assertEqual(r.rc, 0, r)
        inst.wait_log(r"to=<bob@retry.example>.*status=deferred", count=2)

    def test_delay_warning_once(self):
        inst = self.instance(main_cf="delay_warning_time = 2s\n")
        inst.start()
        inst.send("bob@retry.example")
        inst.wait_log(r"to=<bob@retry.example>.*status=deferred", count=4, timeout=30)
        if os.path.exists(mtatest.program("bounce")):
            inst.wait_log(r"bounce\[\d+\]: \w+: sender delay notification: \w+")
            self.assertEqual(len(re.findall(r"sender delay notification", inst.log())), 1,
                             inst.log())

    def test_lifetime_expires_into_bounce(self):
        inst = self.instance(main_cf="maximal_queue_lifetime = 0\n")
        inst.start()
        inst.send("bob@retry.example")
        inst.wait_log(r"qmgr\[\d+\]: (\w+): from=<alice@example.com>, status=expired, "
                      r"returned to sender")
        qid = re.search(r"qmgr\[\d+\]: (\w+): from=<alice@example.com>, status=expired",
                        inst.log()).group(1)
        inst.wait_log(r"qmgr\[\d+\]: %s: to=<bob@retry.example>, relay=none, .*dsn=4.4.1, "
                      r"status=bounced \(try later\)" % qid)
        if os.path.exists(mtatest.program("bounce")):
            inst.wait_log(r"qmgr\[\d+\]: %s: removed" % qid)
            inst.wait_log(r"qmgr\[\d+\]: \w+: from=<>, size=\d+, nrcpt=1 \(queue active\)")

    def test_test_agent_and_subdomains(self):
        inst = self.instance()
        inst.start()
        inst.send("a@test.example", "b@x.sub.example", "defer1@test.example")
        inst.wait_log(r"test-agent\[\d+\]: \w+: to=<b@x.sub.example>, relay=sub-nexthop, "
                      r".*status=sent \(delivered to test\)")
        inst.wait_log(r"to=<defer1@test.example>, relay=test.example, .*dsn=4.2.0, "
                      r"status=deferred \(test deferral\)")
        inst.wait_log(r"to=<a@test.example>, relay=test.example, .*status=sent")
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, 10, "deferred")
        qid = inst.queue_ids("deferred")[0]
        # Only the deferred recipient is tried again.
        inst.wait_log(r"%s: from=<alice@example.com>, size=\d+, nrcpt=3" % qid, count=2,
                      timeout=20)
        inst.wait_log(r"to=<defer1@test.example>.*status=deferred", count=2, timeout=20)
        self.assertEqual(len(re.findall(r"to=<a@test.example>", inst.log())), 1)

    def test_concurrency_and_recipient_limits(self):
        inst = self.instance(
            main_cf="test_delay_ms = 300\ninitial_destination_concurrency = 5\n",
            extra_master_cf="one unix - n n - 10 %s\n"
                            "  -o one_destination_concurrency_limit=2\n"
                            "  -o one_destination_recipient_limit=3\n" % AGENT)
        inst.start()
        for i in range(4):
            inst.send(*["r%d-%d@one.example" % (i, j) for j in range(5)])
        mtatest.wait_for(lambda: inst.log().count("status=sent") == 20, 40,
                         "20 deliveries; log:\n" + inst.log())
        deliveries, peak = self.deliveries()
        self.assertEqual(peak, 2)  # the limit, reached and never exceeded
        self.assertTrue(all(len(r) <= 3 for _, _, r in deliveries), deliveries)
        self.assertEqual(sum(len(r) for _, _, r in deliveries), 20)
        inst.wait_empty()

    def test_last_delivery_leaves_the_done_marks_to_qmgr(self):
        inst = self.instance(main_cf="test_delay_ms = 300\n")
        inst.start()
        # Alone: the message's last delivery. Two destinations at once:
        # neither is. Sent and deferred in one delivery: the last, and qmgr
        # syncs the file before it keeps it.
        inst.send("a@test.example")
        mtatest.wait_for(lambda: inst.queued() == 0, 10, "a delivered")
        inst.send("b@test.example", "c@x.sub.example")
        mtatest.wait_for(lambda: inst.queued() == 0, 10, "b and c delivered")
        inst.send("d@test.example", "defer-e@test.example")
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, 10,
                         "deferred file; log:\n" + inst.log())
        last = {",".join(r): flag for _, _, r, flag in self.deliveries(with_last=True)[0]}
        self.assertEqual(last, {"a@test.example": True, "b@test.example": False,
                                "c@x.sub.example": False,
                                "d@test.example,defer-e@test.example": True})
        qid = inst.queue_ids("deferred")[0]
        r = mtatest.run([mtatest.test_daemon("queue-dump"), "-e",
                         inst.queue_path("deferred", qid)])
        self.assertRegex(r.out, r"recipient: d@test.example\n(  .*\n)*  done: yes\n"
                                r"recipient: defer-e@test.example\n(  original: .*\n)*"
                                r"content_size")

    def test_resolver_failure_defers_only_its_recipients(self):
        # New mail is resolved in batches (one round trip for several
        # messages); a table failure for one recipient defers that one
        # (nowhere.example needs relay_domains; test.example does not).
        inst = self.instance(main_cf="virtual_mailbox_domains = test.example\n"
                                     "relay_domains = fail:broken\n")
        inst.start()
        for i in range(5):
            inst.send("ok%d@test.example" % i, "x%d@nowhere.example" % i)
        mtatest.wait_for(lambda: inst.log().count("status=sent") == 5, 20,
                         "5 deliveries; log:\n" + inst.log())
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 5, 20,
                         "5 deferred; log:\n" + inst.log())
        for i in range(5):
            inst.wait_log(r"to=<x%d@nowhere\.example>, relay=none, .*dsn=4\.3\.0, "
                          r"status=deferred \(address resolver failure: "
                          r"relay_domains lookup failure: fail:broken\)" % i)
        self.assertEqual(sorted(r for _, _, rs in self.deliveries()[0] for r in rs),
                         ["ok%d@test.example" % i for i in range(5)])

    def test_active_limit_holds_with_batched_intake(self):
        # qmgr takes new mail several files at a time, never beyond
        # qmgr_message_active_limit: with 3, at most 3 messages are in
        # memory, so at most 3 deliveries run at once (one each here).
        inst = self.instance(main_cf="qmgr_message_active_limit = 3\ntest_delay_ms = 300\n"
                                     "initial_destination_concurrency = 10\n")
        inst.start()
        for i in range(12):
            inst.send("m%d@test.example" % i)
        mtatest.wait_for(lambda: inst.log().count("status=sent") == 12, 30,
                         "12 deliveries")
        deliveries, peak = self.deliveries()
        self.assertEqual(len(deliveries), 12)
        self.assertLessEqual(peak, 3)
        self.assertGreater(peak, 1)
        inst.wait_empty()

    def test_open_file_limit_bounds_messages_in_memory(self):
        # qmgr holds each in-memory message's queue file open. Under an
        # open-file limit of 100 it takes at most 50 at a time (the limit
        # less what it keeps for its connections), says so, and delivers
        # everything; it used to take files until open() failed, and those
        # stayed in active/ until qmgr restarted.
        # (Long backoff: a deferred message must wait for the flush, not be
        # retried, and deferred again, while the flush runs.)
        inst = self.instance(main_cf="defer_transports = test\nminimal_backoff_time = 1000s\n"
                                     "maximal_backoff_time = 4000s\n")
        inst.start()
        resource.prlimit(inst.master_pid(), resource.RLIMIT_NOFILE, (100, 100))
        inst.reload()  # a new qmgr, under the new limit
        n = 150
        for i in range(n):
            inst.send("m%d@test.example" % i)
        inst.wait_log(r"status=deferred \(deferred transport\)", count=n, timeout=60)
        inst.wait_log(r"warning: the open file limit allows 50 messages in memory, not "
                      r"qmgr_message_active_limit = 20000")
        r = inst.run("postqueue", "-f")
        self.assertEqual(r.rc, 0, r)
        mtatest.wait_for(lambda: inst.log().count("status=sent") == n, 60,
                         lambda: "%d deliveries; log:\n%s" % (n, inst.log()[-3000:]))
        self.assertNotIn("Too many open files", inst.log())
        inst.wait_empty()

    def docomo_instance(self, master_cf_text, main_cf=""):
        """An instance routing docomo.ne.jp with examples/docomo's
        transport map. The test agent stands in for the smtp client under
        the program name "smtp" (the scheduling rule keys on the program:
        smtp and lmtp count concurrency per nexthop whatever the recipient
        limit) in a private daemon directory, until the smtp client exists."""
        daemons = os.path.join(self.tmp, "libexec")
        os.makedirs(daemons)
        for name in os.listdir(mtatest.BIN):
            if name != "smtp":
                os.symlink(os.path.join(mtatest.BIN, name), os.path.join(daemons, name))
        os.symlink(AGENT, os.path.join(daemons, "smtp"))
        example = os.path.join(mtatest.EXAMPLES, "docomo")
        inst = self.instance(
            main_cf="daemon_directory = %s\ntest_delay_ms = 100\n"
                    "initial_destination_concurrency = 5\n%s" % (daemons, main_cf),
            extra_master_cf=master_cf_text)
        docomo_map = os.path.join(self.tmp, "docomo_transport")
        shutil.copy(os.path.join(example, "transport"), docomo_map)
        r = mtatest.run([mtatest.program("postmap"), "-c", inst.etc, "hash:" + docomo_map])
        self.assertEqual(r.rc, 0, r)
        with open(os.path.join(inst.etc, "main.cf"), "a") as f:
            f.write("transport_maps = hash:%s\n" % docomo_map)
        return inst

    def check_one_at_a_time(self, inst):
        inst.start()
        for i in range(6):
            inst.send(*["u%d-%d@docomo.ne.jp" % (i, j) for j in range(3)])
        mtatest.wait_for(lambda: inst.log().count("status=sent") == 18, 60,
                         "18 deliveries; log:\n" + inst.log())
        deliveries, peak = self.deliveries()
        self.assertEqual(peak, 1, deliveries)          # one connection at a time
        self.assertEqual(len(deliveries), 18)          # one recipient per delivery
        self.assertTrue(all(len(r) == 1 for _, _, r in deliveries), deliveries)
        self.assertTrue(all(n == "docomo.ne.jp" for _, n, _ in deliveries), deliveries)
        inst.wait_empty()

    def test_docomo_example_lines(self):
        # examples/docomo/master.cf as users write it (command
        # smtp, maxproc 1, -o limits of 1); only the unpriv column becomes
        # "n" so that the daemons run as the test's user.
        path = os.path.join(mtatest.EXAMPLES, "docomo", "master.cf")
        self.check_one_at_a_time(self.docomo_instance(mtatest.unprivileged_n(path)))

    def test_docomo_limits_in_main_cf_do_not_multiply_connections(self):
        # The case where Postfix opened 49 connections to one docomo host:
        # limits of 1 in main.cf and an ordinary process limit. Concurrency
        # must still count per destination, not per recipient.
        inst = self.docomo_instance(
            "docomo-smtp unix - n n - - smtp\n",
            main_cf="docomo-smtp_destination_concurrency_limit = 1\n"
                    "docomo-smtp_destination_recipient_limit = 1\n")
        self.check_one_at_a_time(inst)

    def test_active_file_survives_restart(self):
        inst = self.instance()
        inst.start()
        inst.send("bob@retry.example")
        mtatest.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, 10, "deferred")
        inst.stop()
        # Put the message back in active/ as if qmgr had crashed, and route
        # the domain to discard now.
        qid = inst.queue_ids("deferred")[0]
        os.rename(inst.queue_path("deferred", qid), os.path.join(inst.queue, "active", qid))
        with open(os.path.join(self.tmp, "transport"), "a") as f:
            f.write("retry.example discard:\n")
        with open(os.path.join(self.tmp, "transport")) as f:
            text = f.read().replace("retry.example retry:4.4.1 try later\n", "")
        with open(os.path.join(self.tmp, "transport"), "w") as f:
            f.write(text)
        inst.start()
        inst.wait_log(r"to=<bob@retry.example>, relay=none, .*status=sent \(retry.example\)")
        inst.wait_log(r"%s: removed" % qid)
        inst.wait_empty()

    def test_kill_qmgr_loses_nothing(self):
        inst = self.instance(main_cf="test_delay_ms = 1500\n")
        inst.start()
        inst.send("a@test.example")
        inst.wait_log(r"from=<alice@example.com>.*\(queue active\)")
        # Kill qmgr while the agent is delivering (it has started: its record).
        def started():
            try:
                with open(self.record) as f:
                    return "+ " in f.read()
            except FileNotFoundError:
                return False
        mtatest.wait_for(started, 30, "the delivery to start")
        qmgr = inst.children_named("qmgr")
        self.assertEqual(len(qmgr), 1)
        os.kill(qmgr[0], signal.SIGKILL)
        inst.wait_log(r"to=<a@test.example>.*status=sent", timeout=30)
        inst.postfix("flush")
        inst.wait_empty(30)


if __name__ == "__main__":
    unittest.main()

"""System tests of the cleanup daemon (issue 5): a real instance started
with `postfix -c DIR start` whose master.cf runs cleanup, messages handed to
it by tests/daemons/cleanup-send through the real client stub
(global/cleanup_client.h), queue files read back with tests/daemons/queue-dump."""
import os
import re
import shutil
import signal
import subprocess
import unittest

import mtatest

SEND = mtatest.test_daemon("cleanup-send")
MAIN_CF = (
    "myhostname = mail.example.test\n"
    "mydomain = example.test\n"
    "myorigin = $mydomain\n"
    "mydestination = $myhostname, localhost\n"
)


def parse_recipients(path):
    """[(address, original)] of a queue file, from queue-dump -e."""
    proc = subprocess.run([mtatest.test_daemon("queue-dump"), "-e", path],
                          capture_output=True, text=True, timeout=30)
    out = []
    for line in proc.stdout.splitlines():
        if line.startswith("recipient: "):
            out.append([line[len("recipient: "):], ""])
        elif line.startswith("  original: "):
            out[-1][1] = line[len("  original: "):]
    return [tuple(r) for r in out]


class CleanupTest(mtatest.TempDirTestCase):

    def instance(self, main_cf="", extra_master_cf=""):
        inst = mtatest.MtaInstance(self, services=["cleanup"], main_cf=MAIN_CF + main_cf)
        if extra_master_cf:
            with open(os.path.join(inst.etc, "master.cf"), "a") as f:
                f.write(extra_master_cf)
        inst.start()
        return inst

    def send(self, inst, recipients, content, sender="", flags="", attrs=(), service=None,
             extra=()):
        """Runs cleanup-send; returns (result dict, Result)."""
        argv = [SEND, "-c", inst.etc]
        if service:
            argv += ["-n", service]
        argv += ["-f", sender]
        if flags:
            argv += ["-x", flags]
        for a in attrs:
            argv += ["-a", a]
        argv += list(extra) + list(recipients)
        r = mtatest.run(argv, input=content, timeout=60)
        m = re.search(r"^status=(\d+) dsn=(\S*) queue_id=(\S*) reason=(.*)$", r.out, re.M)
        self.assertIsNotNone(m, r)
        return {"status": int(m.group(1)), "dsn": m.group(2), "queue_id": m.group(3),
                "reason": m.group(4)}, r

    def queued(self, inst, qid):
        """(path, queue_dump dict) of ready file incoming/QID: inst.incoming()
        with the path, which these tests inspect."""
        dump = inst.incoming().get(qid)
        self.assertIsNotNone(dump, "no ready incoming/%s" % qid)
        return inst.queue_path("incoming", qid), dump

    def test_queued_file_content_and_envelope(self):
        inst = self.instance()
        res, r = self.send(inst, ["bob", "carol@remote.example"],
                           "Subject: hello\nTo: bob, Carol <carol@remote.example>\n"
                           "Return-Path: <forged@x>\n\nbody line\n",
                           sender="alice", flags="l", attrs=["client_name=localhost"])
        self.assertEqual(res["status"], 0, r)
        self.assertEqual(res["dsn"], "2.0.0")
        qid = res["queue_id"]
        self.assertRegex(qid, r"^[0-9A-F]+$")
        self.assertIn("queue_id=%s\n" % qid, r.out)
        path, dump = self.queued(inst, qid)
        self.assertEqual(dump["sender"], "alice@example.test")
        self.assertEqual(dump["attrs"], {"client_name": "localhost"})
        self.assertEqual(parse_recipients(path),
                         [("bob@example.test", "bob"),
                          ("carol@remote.example", "carol@remote.example")])
        content = dump["content"]
        self.assertEqual(content[:2], ["Subject: hello",
                                       "To: bob@example.test, Carol <carol@remote.example>"])
        msgid = "<%s.%s@mail.example.test>" % (r"\d{14}", qid)
        self.assertRegex(content[2], "^Message-Id: " + msgid + "$")
        self.assertRegex(content[3], r"^Date: \w{3}, [ \d]\d \w{3} \d{4} \d\d:\d\d:\d\d [-+]\d{4} ")
        self.assertEqual(content[4:], ["From: alice@example.test", "", "body line"])
        # Logged as Postfix does.
        inst.wait_log(r"postfix/cleanup\[\d+\]: %s: message-id=%s\n" % (qid, msgid))
        # Existing headers are kept; remote mail gets no added headers.
        res, r = self.send(inst, ["bob@example.test"],
                           "Message-ID: <abc@def>\nFrom: x@y\n\nhi\n",
                           sender="x@y", attrs=["rewrite_context=remote"])
        self.assertEqual(res["status"], 0, r)
        _, dump = self.queued(inst, res["queue_id"])
        self.assertEqual(dump["content"], ["Message-ID: <abc@def>", "From: x@y", "", "hi"])
        inst.wait_log(r"cleanup\[\d+\]: %s: message-id=<abc@def>\n" % res["queue_id"])

    def test_sendmail_t_extracts_recipients_and_removes_bcc(self):
        inst = self.instance()
        res, r = self.send(inst, [],
                           "From: Alice <alice>\nTo: bob@example.test, \"C\" <carol@x.example>\n"
                           "Cc: dave@y.example\nBcc: hidden@z.example\nSubject: t\n\nbody\n",
                           sender="alice", flags="lt")
        self.assertEqual(res["status"], 0, r)
        first = res["queue_id"]
        path, dump = self.queued(inst, first)
        self.assertEqual(dump["recipients"], ["bob@example.test", "carol@x.example",
                                              "dave@y.example", "hidden@z.example"])
        self.assertFalse([l for l in dump["content"] if l.lower().startswith("bcc:")],
                         dump["content"])
        self.assertIn("From: Alice <alice@example.test>", dump["content"])
        self.assertIn("Cc: dave@y.example", dump["content"])
        # Without -t the headers are not recipients: nothing to deliver to.
        res, r = self.send(inst, [], "To: bob@example.test\n\nbody\n", sender="alice", flags="l")
        self.assertEqual((res["status"], res["dsn"], res["reason"]),
                         (5, "5.1.0", "No recipients specified"))
        self.assertEqual(inst.queue_ids("incoming"), [first])

    def virtual_hash_instance(self):
        """The virtual-hash example with its tables under test.tmp, built with
        our postmap, plus an inline table with a loop."""
        src = os.path.join(mtatest.EXAMPLES, "virtual-hash")
        tables = os.path.join(self.tmp, "tables")
        os.makedirs(tables)
        for name in ("virtual_alias_maps", "virtual_mailbox_maps"):
            shutil.copy(os.path.join(src, name), os.path.join(tables, name))
            os.chmod(os.path.join(tables, name), 0o644)
        with open(os.path.join(src, "main.cf")) as f:
            example = f.read().replace("/etc/postfix/", tables + "/")
        example = example.replace("/var/spool/virtual_mailbox_base",
                                  os.path.join(self.tmp, "vmail"))
        inst = self.instance(
            example +
            "virtual_alias_maps = hash:%s/virtual_alias_maps, "
            "inline:{loop1@mitty.jp=loop2@mitty.jp, loop2@mitty.jp=loop1@mitty.jp}\n" % tables)
        for name in ("virtual_alias_maps", "virtual_mailbox_maps"):
            r = mtatest.run([mtatest.program("postmap"), "-c", inst.etc,
                             "hash:" + os.path.join(tables, name)])
            self.assertEqual(r.rc, 0, r)
        return inst

    def test_virtual_hash_example(self):
        inst = self.virtual_hash_instance()
        cases = [
            # forward to a phone and keep a copy in the mailbox (no loop)
            (["noppi@SOMEHOST.mitty.jp"],
             [("noppi@SOMEHOST.mitty.jp", "noppi@SOMEHOST.mitty.jp"),
              ("keitai@example.ne.jp", "noppi@SOMEHOST.mitty.jp")]),
            # the same recipient twice: duplicates removed
            (["noppi@SOMEHOST.mitty.jp", "noppi@SOMEHOST.mitty.jp"],
             [("noppi@SOMEHOST.mitty.jp", "noppi@SOMEHOST.mitty.jp"),
              ("keitai@example.ne.jp", "noppi@SOMEHOST.mitty.jp")]),
            (["admin@ALIASE.mitty.jp"],
             [("mitty@SOMEHOST.mitty.jp", "admin@ALIASE.mitty.jp")]),
            # domain-wide alias, then the alias of the new address
            (["webmaster@aliase.example.jp"],
             [("USER1@SOMEHOST.mitty.jp", "webmaster@aliase.example.jp")]),
            (["someone@ALIASE.example.jp"],
             [("someone@ALIASE.mitty.jp", "someone@ALIASE.example.jp")]),
            (["USER2@SOMEHOST.mitty.jp"],
             [("USER2@SOMEHOST.mitty.jp", "USER2@SOMEHOST.mitty.jp")]),
        ]
        for rcpts, want in cases:
            res, r = self.send(inst, rcpts, "Subject: x\n\nbody\n", sender="a@example.test")
            self.assertEqual(res["status"], 0, r)
            path, _ = self.queued(inst, res["queue_id"])
            self.assertEqual(parse_recipients(path), want, rcpts)
        # A loop is not accepted (retry later), and nothing is queued.
        before = inst.queue_ids("incoming")
        res, r = self.send(inst, ["loop1@mitty.jp"], "Subject: x\n\nbody\n", sender="a@x")
        self.assertEqual((res["status"], res["dsn"], res["reason"]),
                         (4, "4.6.0", "Alias expansion error"), r)
        self.assertEqual(inst.queue_ids("incoming"), before)
        inst.wait_log(r"warning: %s: unreasonable virtual_alias_maps map nesting for "
                      r"loop1@mitty.jp -- message not accepted, try again later" % res["queue_id"])

    def test_canonical_maps(self):
        tables = os.path.join(self.tmp, "canonical")
        with open(tables, "w") as f:
            f.write("alice@example.test  Alice.Smith@example.test\n"
                    "@old.example        @new.example\n")
        inst = self.instance(
            "canonical_maps = hash:%s\n"
            "sender_canonical_maps = inline:{bob@example.test=Bob.Sender@example.test}\n"
            "recipient_canonical_maps = inline:{carol@example.test=Carol.Rcpt@example.test}\n"
            % tables)
        r = mtatest.run([mtatest.program("postmap"), "-c", inst.etc, "hash:" + tables])
        self.assertEqual(r.rc, 0, r)
        res, r = self.send(inst, ["alice", "joe@old.example", "carol", "bob"],
                           "From: alice\nTo: carol, bob\nCc: joe@old.example\n\nbody\n",
                           sender="alice", flags="l")
        self.assertEqual(res["status"], 0, r)
        path, dump = self.queued(inst, res["queue_id"])
        self.assertEqual(dump["sender"], "Alice.Smith@example.test")
        self.assertEqual(parse_recipients(path),
                         [("Alice.Smith@example.test", "alice"),
                          ("joe@new.example", "joe@old.example"),
                          ("Carol.Rcpt@example.test", "carol"),
                          ("bob@example.test", "bob")])  # sender_canonical: not a recipient
        self.assertEqual(dump["content"][:3],
                         ["From: Alice.Smith@example.test",
                          "To: Carol.Rcpt@example.test, bob@example.test",
                          "Cc: joe@new.example"])
        # Sender-only map for the sender.
        res, r = self.send(inst, ["x@y.example"], "\nbody\n", sender="bob", flags="l")
        _, dump = self.queued(inst, res["queue_id"])
        self.assertEqual(dump["sender"], "Bob.Sender@example.test")

    def test_message_size_limit(self):
        inst = self.instance("message_size_limit = 1000\n")
        res, r = self.send(inst, ["bob@example.test"], "Subject: x\n\n" + "x" * 80 + "\n" * 1,
                           sender="a@x")
        self.assertEqual(res["status"], 0, r)
        ok = inst.queue_ids("incoming")
        content = "Subject: big\n\n" + ("y" * 99 + "\n") * 20
        res, r = self.send(inst, ["bob@example.test"], content, sender="a@x")
        self.assertEqual((res["status"], res["dsn"], res["reason"]),
                         (5, "5.3.4", "Message size exceeds fixed limit"), r)
        self.assertEqual(inst.queue_ids("incoming"), ok)
        inst.wait_log(r"cleanup\[\d+\]: %s: reject: 5.3.4 Message size exceeds fixed limit; "
                      r"from=<a@x>" % res["queue_id"])

    def test_temporary_table_error_queues_nothing(self):
        inst = self.instance(
            extra_master_cf="cleanup-fail unix n n n - 0 cleanup -o virtual_alias_maps=fail:broken\n")
        res, r = self.send(inst, ["bob@example.test"], "Subject: x\n\nbody\n", sender="a@x",
                           service="cleanup-fail")
        self.assertEqual((res["status"], res["dsn"], res["reason"]),
                         (4, "4.3.0", "Temporary lookup failure"), r)
        self.assertEqual(inst.queue_ids("incoming"), [])
        inst.wait_log(r"warning: %s: virtual_alias_maps map lookup problem for bob@example.test "
                      r"-- message not accepted, try again later" % res["queue_id"])
        # The ordinary service still works.
        res, r = self.send(inst, ["bob@example.test"], "Subject: x\n\nbody\n", sender="a@x")
        self.assertEqual(res["status"], 0, r)

    def test_protocol_error(self):
        inst = self.instance()
        res, r = self.send(inst, ["bob@example.test"], "\nbody\n", sender="a@x", extra=["-T"])
        self.assertEqual((res["status"], res["dsn"], res["reason"]),
                         (4, "4.3.0", "Internal protocol error"), r)
        self.assertEqual(inst.queue_ids("incoming"), [])
        inst.wait_log(r"warning: %s: message rejected: missing time envelope record"
                      % res["queue_id"])

    def start_stalled(self, inst):
        """A client that sent part of a big message and then waits: returns
        (Popen, queue ID, cleanup's PID, /proc path of the file) once
        cleanup is writing the content. The file has no name yet: cleanup
        names it only when it is complete (queue_file.h)."""
        lines = "".join("line %06d %s\n" % (i, "z" * 50) for i in range(4000))
        proc = subprocess.Popen([SEND, "-c", inst.etc, "-f", "a@x", "-s", "3500",
                                 "bob@example.test"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(proc.wait)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        proc.stdin.write("Subject: big\n\n" + lines)
        proc.stdin.close()
        first = proc.stdout.readline()
        qid = re.match(r"queue_id=(\w+)", first).group(1)
        self.assertEqual(proc.stdout.readline(), "stalled\n")
        cleanups = inst.children_named("cleanup")
        self.assertEqual(len(cleanups), 1, cleanups)
        incoming = os.path.join(inst.queue, "incoming")
        held = mtatest.wait_for(lambda: mtatest.unnamed_files(cleanups[0], incoming),
                                what="cleanup's unnamed queue file")
        # cleanup has received content: the file grows beyond the envelope.
        mtatest.wait_for(lambda: os.path.getsize(held[0]) > 100000, what="content written")
        # Nobody sees it meanwhile.
        self.assertIsNone(inst.queue_path("incoming", qid))
        self.assertEqual(inst.queue_ids("incoming"), [])
        return proc, qid, cleanups[0], held[0]

    def test_client_killed_mid_message_leaves_no_file(self):
        inst = self.instance()
        proc, qid, cleanup, _ = self.start_stalled(inst)
        proc.kill()
        proc.wait()
        inst.wait_log(r"warning: %s: client disconnected before end of message: "
                      r"message discarded" % qid)
        incoming = os.path.join(inst.queue, "incoming")
        mtatest.wait_for(lambda: not mtatest.unnamed_files(cleanup, incoming),
                         what="file dropped")
        self.assertEqual(inst.queue_ids("incoming"), [])

    def test_cleanup_killed_mid_message_leaves_no_file(self):
        inst = self.instance()
        proc, qid, cleanup, _ = self.start_stalled(inst)
        os.kill(cleanup, signal.SIGKILL)
        inst.wait_log(r"process \S*cleanup pid %d killed by signal 9" % cleanup)
        proc.kill()
        proc.wait()
        # The half-written file never had a name: nothing is left for any
        # reader, nor for postsuper -p to purge.
        self.assertEqual(inst.queue_ids("incoming"), [])
        self.assertEqual(inst.queue_ids("corrupt"), [])
        # A new message still goes through.
        res, r = self.send(inst, ["bob@example.test"], "Subject: x\n\nbody\n", sender="a@x")
        self.assertEqual(res["status"], 0, r)

if __name__ == "__main__":
    unittest.main()

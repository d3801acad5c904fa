"""System tests of local submission (issue 5): sendmail, postdrop, pickup and
the mailq link, on real instances started with `postfix -c DIR start`, with
cleanup writing incoming/. Queue files are read with tests/daemons/queue-dump."""
import os
import pwd
import signal
import socket
import stat
import subprocess
import unittest

import mtatest

SENDMAIL = mtatest.program("sendmail")
POSTDROP = mtatest.program("postdrop")
LOGIN = pwd.getpwuid(os.getuid()).pw_name


def record(rtype, data=b""):
    if isinstance(data, str):
        data = data.encode()
    return rtype.encode() + str(len(data)).encode() + b":" + data + b"\n"


def stream(*records):
    return b"".join(record(t, d) for t, d in records)


class SubmitTest(mtatest.TempDirTestCase):

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)

    def instance(self, services=("pickup", "cleanup"), **kw):
        return mtatest.MtaInstance(self, services=list(services), **kw)

    def sendmail(self, inst, *args, input="Subject: test\n\nbody\n", env=None):
        # Not MtaInstance.sendmail: any arguments, and the result is returned, not checked.
        full_env = inst.env()
        full_env.update(env or {})
        return mtatest.run([SENDMAIL] + list(args), env=full_env, input=input)

    def maildrop(self, inst, envelope_only=False):
        """The parsed maildrop files, by queue ID."""
        return {qid: mtatest.queue_dump(inst.queue_path("maildrop", qid), envelope_only)
                for qid in inst.queue_ids("maildrop")}

    def headers(self, content):
        return content[:content.index("")] if "" in content else content

    # --- the whole path: sendmail -> postdrop -> maildrop -> pickup -> cleanup ---

    def test_recipients_as_arguments(self):
        inst = self.instance()
        inst.postfix("check")
        # Not started yet: the message waits, ready, in maildrop/.
        r = self.sendmail(inst, "bob@example.com", "Carol <carol@example.net>, dave",
                          input="Subject: hello\n\nfirst line\n")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("unable to look up public/pickup", r.err)
        drop = self.maildrop(inst)
        self.assertEqual(len(drop), 1, drop)
        (qid, msg), = drop.items()
        mode = os.stat(inst.queue_path("maildrop", qid)).st_mode
        self.assertTrue(mode & stat.S_IXUSR, oct(mode))
        self.assertEqual(msg["sender"], LOGIN)
        self.assertEqual(msg["recipients"], ["bob@example.com", "carol@example.net", "dave"])
        self.assertEqual(msg["attrs"].get("rewrite_context"), "local")
        self.assertEqual(msg["content"], ["Subject: hello", "", "first line"])
        # Started: pickup's first wakeup hands it to cleanup.
        inst.start()
        got, = inst.incoming(1).values()
        mtatest.wait_for(lambda: inst.queue_ids("maildrop") == [], 10, "empty maildrop")
        inst.wait_log(r"postfix/pickup\[\d+\]: [0-9A-F]+: uid=%d from=<%s>" % (os.getuid(), LOGIN))
        self.assertEqual(sorted(a.split("@")[0] for a in got["recipients"]),
                         ["bob", "carol", "dave"])
        self.assertTrue(got["sender"].startswith(LOGIN + "@"), got)
        self.assertIn("first line", got["content"])
        # Now running: a second message goes straight through (postdrop's trigger).
        r = self.sendmail(inst, "erin@example.com")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, "")
        inst.incoming(2)
        mtatest.wait_for(lambda: inst.queue_ids("maildrop") == [], 10, "empty maildrop")

    def test_extract_recipients_removes_bcc(self):
        inst = self.instance()
        inst.start()
        text = ("From: Sender <sender@example.org>\nTo: Bob <bob@example.com>, carol@example.com\n"
                "Cc: dave@example.com\nBcc: secret@example.com\nSubject: t\n\nbody\n")
        r = self.sendmail(inst, "-t", "-i", "extra@example.com", input=text)
        self.assertEqual(r.rc, 0, r)
        got, = inst.incoming(1).values()
        self.assertEqual(sorted(got["recipients"]),
                         ["bob@example.com", "carol@example.com", "dave@example.com",
                          "extra@example.com", "secret@example.com"])
        headers = self.headers(got["content"])
        self.assertFalse([h for h in headers if h.lower().startswith("bcc:")], headers)
        self.assertIn("Cc: dave@example.com", headers)
        self.assertNotIn("extract_recipients", got["attrs"])

    def test_sender_and_full_name(self):
        inst = self.instance()
        inst.postfix("check")
        r = self.sendmail(inst, "-f", "Alice <alice@example.org>", "-F", "Alice Liddell", "bob",
                          input="Subject: s\n\nx\n")
        self.assertEqual(r.rc, 0, r)
        r = self.sendmail(inst, "-f<>", "bob", input="Subject: bounce\n\nx\n",
                          env={"NAME": "From Env"})
        self.assertEqual(r.rc, 0, r)
        drop = sorted(self.maildrop(inst).values(), key=lambda m: m["sender"])
        self.assertEqual(drop[0]["sender"], "")
        self.assertEqual(drop[0]["attrs"].get("full_name"), "From Env")
        self.assertEqual(drop[1]["sender"], "alice@example.org")
        self.assertEqual(drop[1]["attrs"].get("full_name"), "Alice Liddell")
        inst.start()
        got = list(inst.incoming(2).values())
        alice = [m for m in got if m["sender"] == "alice@example.org"][0]
        from_header = [h for h in self.headers(alice["content"]) if h.startswith("From:")]
        self.assertEqual(len(from_header), 1, alice)
        self.assertIn("Alice Liddell", from_header[0])
        self.assertIn("alice@example.org", from_header[0])

    def test_dot_crlf_and_8bit(self):
        inst = self.instance()
        inst.postfix("check")
        body = "Subject: dots\r\n\r\n..two\r\n.\r\nafter the dot \xe4\u65e5\r\n"
        r = self.sendmail(inst, "bob", input=body)
        self.assertEqual(r.rc, 0, r)
        r = self.sendmail(inst, "-oi", "carol", input=body)
        self.assertEqual(r.rc, 0, r)
        r = self.sendmail(inst, "-i", "dave", input="From someone Mon Jan 1\nA: b\n\nno newline")
        self.assertEqual(r.rc, 0, r)
        by_rcpt = {m["recipients"][0]: m["content"] for m in self.maildrop(inst).values()}
        self.assertEqual(by_rcpt["bob"], ["Subject: dots", "", "..two"])
        self.assertEqual(by_rcpt["carol"],
                         ["Subject: dots", "", "..two", ".", "after the dot \xe4\u65e5"])
        self.assertEqual(by_rcpt["dave"], ["A: b", "", "no newline"])

    def test_long_line_is_kept(self):
        inst = self.instance()
        inst.postfix("check")
        long_line = "x" * 200000
        r = self.sendmail(inst, "bob", input="Subject: l\n\n" + long_line + "\nend\n")
        self.assertEqual(r.rc, 0, r)
        msg, = self.maildrop(inst).values()
        self.assertEqual(msg["content"], ["Subject: l", "", long_line, "end"])

    # --- failures ---

    def test_usage_and_exit_codes(self):
        inst = self.instance()
        inst.postfix("check")
        cases = [
            (["-z", "bob"], 64, "sendmail: invalid option -- 'z'"),
            (["-f"], 64, "option requires an argument -- 'f'"),
            ([], 64, "Recipient addresses must be specified on the command line or via the -t option"),
            (["-bv", "bob"], 64, "unsupported: -bv"),
            (["-N", "sometimes", "bob"], 64, "bad -N option value: sometimes"),
            (["-B", "binary", "bob"], 64, "-B option needs 8BITMIME or 7BIT"),
            (["-bp", "bob"], 64, "display queue mode requires no recipient"),
            (["-C", os.path.join(self.tmp, "nowhere"), "bob"], 78, "nowhere/main.cf"),
        ]
        for args, rc, text in cases:
            r = self.sendmail(inst, *args)
            self.assertEqual(r.rc, rc, (args, r))
            self.assertIn(text, r.err, args)
        r = self.sendmail(inst, "-z")
        self.assertIn("sendmail: fatal: usage: sendmail [options]", r.err)
        # -C also takes the main.cf file itself (MAIL_CONFIG unset here).
        r = mtatest.run([SENDMAIL, "-C", os.path.join(inst.etc, "main.cf"), "bob"], input="x\n")
        self.assertEqual(r.rc, 0, r)
        for qid in inst.queue_ids("maildrop"):
            os.unlink(inst.queue_path("maildrop", qid))
        self.assertEqual(inst.queue_ids("maildrop"), [])
        # No postdrop where command_directory says.
        with open(os.path.join(inst.etc, "main.cf"), "a") as f:
            f.write("command_directory = %s\n" % os.path.join(self.tmp, "nobin"))
        r = self.sendmail(inst, "bob")
        self.assertEqual(r.rc, 69, r)
        self.assertIn("unable to execute %s/nobin/postdrop" % self.tmp, r.err)
        # Larger than message_size_limit: postdrop refuses, nothing is queued.
        with open(os.path.join(inst.etc, "main.cf"), "a") as f:
            f.write("command_directory = %s\nmessage_size_limit = 1000\n" % mtatest.BIN)
        r = self.sendmail(inst, "bob", input="Subject: big\n\n" + "y" * 2000 + "\n")
        self.assertEqual(r.rc, 65, r)
        self.assertIn("message file too big", r.err)
        self.assertEqual(inst.queue_ids("maildrop"), [])
        # maildrop/ missing: a temporary failure.
        os.rmdir(os.path.join(inst.queue, "maildrop"))
        r = self.sendmail(inst, "bob")
        self.assertEqual(r.rc, 75, r)
        self.assertIn("queue file write error", r.err)

    def test_postdrop_rejects_malformed_input(self):
        inst = self.instance()
        inst.postfix("check")
        good = [("T", "1 2"), ("S", "a"), ("R", "b"), ("M", ""), ("N", "x"), ("X", ""), ("E", "")]
        cases = [
            (stream(*good[:5]), "missing end record"),
            (stream(*good) + record("N", "trailing"), "data after end record"),
            (stream(("T", "1 2"), ("A", "client_address=10.0.0.1"), *good[1:]),
             "attribute not allowed: client_address"),
            (stream(("T", "1 2"), ("S", "a"), ("M", ""), ("X", ""), ("E", "")), "no recipients"),
            (b"T3:1 2\nS99:a\n", "truncated record"),
        ]
        for data, why in cases:
            r = subprocess.run([POSTDROP, "-c", inst.etc], input=data, capture_output=True,
                               timeout=30)
            self.assertEqual(r.returncode, 65, r)
            self.assertIn(b"postdrop: fatal: uid=%d: malformed input: " % os.getuid(), r.stderr)
            self.assertIn(why.encode(), r.stderr)
            self.assertEqual(inst.queue_ids("maildrop"), [])
        r = subprocess.run([POSTDROP, "-r", "-c", inst.etc], input=stream(*good),
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r)
        self.assertRegex(r.stdout, rb"^queue_id=\d+:[0-9A-F]+\n\n$")

    def postconf_e(self, inst, *settings):
        r = mtatest.run([mtatest.program("postconf"), "-c", inst.etc, "-e"] + list(settings))
        self.assertEqual(r.rc, 0, r)

    def test_authorized_submit_users(self):
        inst = self.instance()
        inst.postfix("check")
        good = stream(("T", "1 2"), ("S", "a"), ("R", "b"), ("M", ""), ("N", "x"), ("X", ""),
                      ("E", ""))
        denied = "User %s(%d) is not allowed to submit mail" % (LOGIN, os.getuid())
        for acl in ("!%s, static:anyone" % LOGIN, "", "nobody-else"):
            self.postconf_e(inst, "authorized_submit_users=" + acl)
            r = self.sendmail(inst, "bob@example.com")
            self.assertEqual(r.rc, 77, r)
            self.assertIn("sendmail: fatal: " + denied, r.err)
            r = subprocess.run([POSTDROP, "-c", inst.etc], input=good, capture_output=True,
                               timeout=30)
            self.assertEqual(r.returncode, 77, r)
            self.assertIn(b"postdrop: fatal: " + denied.encode(), r.stderr)
            self.assertEqual(inst.queue_ids("maildrop"), [])
        self.postconf_e(inst, "authorized_submit_users=nobody-else, " + LOGIN)
        r = self.sendmail(inst, "bob@example.com")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(inst.queue_ids("maildrop")), 1)
        # A table that cannot be read fails closed.
        self.postconf_e(inst, "authorized_submit_users=fail:broken")
        r = self.sendmail(inst, "bob@example.com")
        self.assertEqual(r.rc, 75, r)
        self.assertEqual(len(inst.queue_ids("maildrop")), 1)

    def test_postdrop_with_standard_descriptors_closed(self):
        """A set-gid postdrop started with 1 and 2 closed must not hand them
        to the first files it opens (the mail log, the queue file): its -r
        report and error messages would be written into those."""
        inst = self.instance()
        inst.postfix("check")
        good = stream(("T", "1 2"), ("S", "a"), ("R", "b"), ("M", ""), ("N", "x"), ("X", ""),
                      ("E", ""))
        r = subprocess.run(["sh", "-c", 'exec "$0" -r -c "$1" >&- 2>&-', POSTDROP, inst.etc],
                           input=good, capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r)
        ids = inst.queue_ids("maildrop")
        self.assertEqual(len(ids), 1)
        d = mtatest.queue_dump(inst.queue_path("maildrop", ids[0]))
        self.assertIsNotNone(d, "the maildrop file is intact")
        self.assertEqual(d["content"], ["x"])
        # Nor may the mail log (opened early) become its standard output.
        self.assertNotIn("queue_id=", inst.log())

    @unittest.skipIf(os.geteuid() != 0, "needs root to run postqueue as another user")
    def test_authorized_mailq_and_flush_users(self):
        inst = self.instance()
        inst.postfix("check")
        self.postconf_e(inst, "authorized_mailq_users=root", "authorized_flush_users=root")
        nobody = pwd.getpwnam("nobody")
        for args, what in ((["-p"], "view the mail queue"), (["-j"], "view the mail queue"),
                           (["-f"], "flush the mail queue"),
                           (["-s", "example.com"], "flush the mail queue")):
            r = subprocess.run([mtatest.program("postqueue"), "-c", inst.etc] + args,
                               user=nobody.pw_uid, group=nobody.pw_gid, capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 77, r)
            self.assertIn("postqueue: fatal: User nobody(%d) is not allowed to %s"
                          % (nobody.pw_uid, what), r.stderr)
        # The superuser always may, whatever the lists say.
        self.postconf_e(inst, "authorized_mailq_users=", "authorized_flush_users=")
        r = mtatest.run([mtatest.program("postqueue"), "-c", inst.etc, "-p"])
        self.assertNotIn("not allowed", r.err)

    def test_postdrop_killed_mid_message(self):
        inst = self.instance()
        inst.start()
        maildrop = os.path.join(inst.queue, "maildrop")

        def interrupted(sig):
            proc = subprocess.Popen([POSTDROP, "-c", inst.etc], stdin=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL)
            self.addCleanup(lambda: proc.poll() is None and proc.kill())
            proc.stdin.write(stream(("T", "1 2"), ("S", "a"), ("R", "b"), ("M", "")) +
                             record("N", "x" * 60000) * 3)
            proc.stdin.flush()
            # The file is written unnamed: it gets its name when complete.
            mtatest.wait_for(lambda: mtatest.unnamed_files(proc.pid, maildrop), 10,
                             "postdrop's unnamed maildrop file")
            self.assertEqual(inst.queue_ids("maildrop"), [])
            proc.send_signal(sig)
            proc.wait(timeout=10)
            proc.stdin.close()

        interrupted(signal.SIGTERM)
        self.assertEqual(inst.queue_ids("maildrop"), [], "TERM leaves no file")
        interrupted(signal.SIGKILL)
        self.assertEqual(inst.queue_ids("maildrop"), [], "KILL leaves no file either")
        # The next submission goes through as usual.
        r = self.sendmail(inst, "bob")
        self.assertEqual(r.rc, 0, r)
        inst.incoming(1)
        self.assertEqual(inst.queue_ids("maildrop"), [])
        self.assertEqual(inst.queue_ids("corrupt"), [])
        self.assertEqual(len(inst.queue_ids("incoming")), 1)

    def test_cleanup_unavailable_then_back(self):
        inst = self.instance(services=["pickup"], overrides={"pickup": {"wakeup": "1"}})
        inst.start()
        r = self.sendmail(inst, "bob")
        self.assertEqual(r.rc, 0, r)
        inst.wait_log(r"warning: maildrop/[0-9A-F]+: cleanup service is unavailable", count=2)
        qid, = inst.queue_ids("maildrop")
        self.assertEqual(inst.queue_ids("incoming"), [])
        inst.set_services(["pickup", "cleanup"], {"pickup": {"wakeup": "1"}})
        inst.reload()
        got, = inst.incoming(1).values()
        self.assertEqual(got["recipients"][0].split("@")[0], "bob")
        mtatest.wait_for(lambda: inst.queue_ids("maildrop") == [], 10, "empty maildrop")

    def test_bad_maildrop_files_go_to_corrupt(self):
        inst = self.instance()
        inst.postfix("check")
        maildrop = os.path.join(inst.queue, "maildrop")

        def drop(name, data):
            path = os.path.join(maildrop, name)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, 0o700)

        drop("1A2B3C", b"this is not a queue file\n")
        r = subprocess.run([POSTDROP, "-c", inst.etc],
                           input=stream(("T", "1 2"), ("A", "encoding=8bit"), ("S", "a"),
                                        ("R", "b"), ("M", ""), ("N", "x"), ("X", ""), ("E", "")),
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r)
        qid2, = [q for q in inst.queue_ids("maildrop") if q != "1A2B3C"]
        path2 = inst.queue_path("maildrop", qid2)
        with open(path2, "rb") as f:
            data = f.read()
        # Same length, so the file stays parseable, but an attribute that a
        # local user may not set (as if maildrop/ had been written directly).
        forged = data.replace(b"A13:encoding=8bit", b"A13:sasl_method=x")
        self.assertNotEqual(forged, data)
        with open(path2, "wb") as f:
            f.write(forged)
        inst.start()
        mtatest.wait_for(lambda: len(inst.queue_ids("corrupt")) == 2, 15,
                         "two corrupt files; log:\n" + inst.log())
        self.assertEqual(inst.queue_ids("corrupt"), sorted(["1A2B3C", qid2]))
        inst.wait_log(r"warning: maildrop/%s: invalid maildrop file: attribute not allowed: "
                      r"sasl_method; moved to corrupt/%s" % (qid2, qid2))
        inst.wait_log(r"warning: maildrop/1A2B3C: corrupt queue file .*; moved to corrupt/1A2B3C")
        self.assertEqual(inst.queue_ids("maildrop"), [])
        self.assertEqual(inst.queue_ids("incoming"), [])

    # --- mailq ---

    def test_mailq_is_sendmail_bp(self):
        mailq = mtatest.program("mailq")
        self.assertTrue(os.path.islink(mailq))
        self.assertEqual(os.readlink(mailq), "sendmail")
        inst = self.instance(services=["pickup", "cleanup", "showq"])
        inst.start()
        r = self.sendmail(inst, "bob@example.com")
        self.assertEqual(r.rc, 0, r)
        inst.incoming(1)
        want = inst.run("postqueue", "-p")
        self.assertEqual(want.rc, 0, want)
        for argv in (["mailq"], ["sendmail", "-bp"]):
            got = inst.run(*argv)
            self.assertEqual((got.rc, got.out), (0, want.out), argv)
        self.assertIn("bob@example.com", want.out)


if __name__ == "__main__":
    unittest.main()

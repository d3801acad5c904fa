"""System tests of trivial-rewrite (issue 6): a real instance started with
`postfix -c DIR start`, master.cf holding conf/master.cf's `rewrite` line,
queried through the real client stubs by tests/daemons/rewrite-query over
$queue_directory/private/rewrite. The example configurations of examples/
(backup-mx, soho, docomo, virtual-hash) are copied in with their
/etc/postfix paths rewritten, and their hash tables built with our postmap."""
import os
import re
import shutil
import signal
import subprocess

import mtatest

QUERY = mtatest.test_daemon("rewrite-query")
BASE_MAIN = "myhostname = mx.example.com\nmydomain = example.com\n"


class TrivialRewriteTest(mtatest.TempDirTestCase):

    def instance(self, main_cf="", example=None, tables=()):
        """An instance with only the rewrite service. `example` names a
        folder of examples/ whose main.cf is appended (paths moved
        into etc/) and whose files are copied; `tables` are built there with
        postmap."""
        inst = mtatest.MtaInstance(self, services=["rewrite"], main_cf=BASE_MAIN + main_cf)
        if example:
            src = os.path.join(mtatest.EXAMPLES, example)
            for name in os.listdir(src):
                if name not in ("main.cf", "master.cf"):
                    shutil.copy(os.path.join(src, name), os.path.join(inst.etc, name))
            with open(os.path.join(src, "main.cf")) as f:
                text = f.read().replace("/etc/postfix", inst.etc)
            with open(os.path.join(inst.etc, "main.cf"), "a") as f:
                f.write(text)
        for t in tables:
            r = mtatest.run([mtatest.program("postmap"), "-c", inst.etc,
                             "hash:" + os.path.join(inst.etc, t)])
            self.assertEqual(r.rc, 0, r)
        return inst

    def query(self, inst, *lines):
        """Runs rewrite-query; returns one tuple per answer line."""
        r = mtatest.run([QUERY, "-c", inst.etc], input="".join(l + "\n" for l in lines))
        self.assertEqual(r.rc, 0, r)
        answers = [tuple(line.split("\t")) for line in r.out.splitlines()]
        self.assertEqual(len(answers), len(lines), r)
        return answers

    def resolve(self, inst, rows):
        """rows: (sender, address, transport, nexthop, recipient, flags)."""
        got = self.query(inst, *["resolve %s %s" % (r[0] or "<>", r[1] or "<>") for r in rows])
        for row, answer in zip(rows, got):
            self.assertEqual(answer, ("resolve",) + tuple(row[2:]), "resolve %r" % (row[:2],))

    def rewrite_pids(self, inst):
        return inst.children_named("trivial-rewrite")

    def test_rewrite_and_address_classes(self):
        inst = self.instance(
            "virtual_alias_domains = alias.example\n"
            "virtual_mailbox_domains = vhost.example\n"
            "relay_domains = relay.example\n")
        inst.start()
        # The service is private, as master.cf's "-" private column says.
        self.assertTrue(os.path.exists(os.path.join(inst.queue, "private", "rewrite")))
        self.assertFalse(os.path.exists(os.path.join(inst.queue, "public", "rewrite")))
        self.assertEqual(self.query(inst, "rewrite local alice", "rewrite remote alice",
                                    "rewrite local host!bob", "rewrite local carol%example.org",
                                    "rewrite local dave@example.org.", "rewrite local <>"),
                         [("rewrite", "alice@mx.example.com"), ("rewrite", "alice"),
                          ("rewrite", "bob@host"), ("rewrite", "carol@example.org"),
                          ("rewrite", "dave@example.org"), ("rewrite", "")])
        self.resolve(inst, [
            ("", "alice", "local", "mx.example.com", "alice@mx.example.com", "local final"),
            ("", "Bob@LOCALHOST", "local", "mx.example.com", "Bob@LOCALHOST", "local final"),
            ("", "bob@[127.0.0.1]", "local", "mx.example.com", "bob@[127.0.0.1]", "local final"),
            ("", "", "local", "mx.example.com", "MAILER-DAEMON@mx.example.com", "local final"),
            ("", "x@alias.example", "error", "5.1.1 User unknown in virtual alias table",
             "x@alias.example", "alias final"),
            ("", "x@vhost.example", "virtual", "vhost.example", "x@vhost.example",
             "virtual final"),
            ("", "x@relay.example", "relay", "relay.example", "x@relay.example", "relay"),
            ("", "x@sub.relay.example", "relay", "sub.relay.example", "x@sub.relay.example",
             "relay"),
            ("", "x@example.net", "smtp", "example.net", "x@example.net", "default"),
            ("", "x%y@example.net", "smtp", "example.net", "x%y@example.net", "default routed"),
            ("", "x@192.0.2.1", "error", "5.1.3 bad address syntax", "x@192.0.2.1",
             "default error"),
        ])
        # One multi-server process served both connections of every query.
        self.assertEqual(len(self.rewrite_pids(inst)), 1)

    def test_backup_mx(self):
        inst = self.instance(example="backup-mx")
        inst.start()
        self.resolve(inst, [
            ("", "user@mitty.jp", "smtp", "mail1.mitty.jp", "user@mitty.jp", "relay"),
            ("", "user@test.mitty.jp", "smtp", "mail1.mitty.jp", "user@test.mitty.jp", "relay"),
            ("", "user@host.test.mitty.jp", "smtp", "mail1.mitty.jp",
             "user@host.test.mitty.jp", "relay"),
            ("", "user@example.org", "smtp", "example.org", "user@example.org", "default"),
        ])

    def test_soho_relayhost_and_sender_dependent_relayhost(self):
        inst = self.instance(example="soho", tables=["sender_relay"])
        inst.start()
        self.resolve(inst, [
            ("user1@example.com", "friend@example.org", "smtp", "[mail.example.com]:submission",
             "friend@example.org", "default"),
            ("user2@example.net", "friend@example.org", "smtp", "[mail.example.net]",
             "friend@example.org", "default"),
            ("other@example.com", "friend@example.org", "smtp", "[mail.isp.example]:submission",
             "friend@example.org", "default"),
            ("", "friend@example.org", "smtp", "[mail.isp.example]:submission",
             "friend@example.org", "default"),
            ("user1@example.com", "me@localhost", "local", "mx.example.com", "me@localhost",
             "local final"),
        ])

    def test_docomo_transport_maps(self):
        inst = self.instance("relayhost = [mail.isp.example]\n", example="docomo",
                             tables=["transport"])
        inst.start()
        self.resolve(inst, [
            ("", "taro@docomo.ne.jp", "docomo-smtp", "docomo.ne.jp", "taro@docomo.ne.jp",
             "default"),
            ("", "taro@mail.docomo.ne.jp", "docomo-smtp", "mail.docomo.ne.jp",
             "taro@mail.docomo.ne.jp", "default"),
            ("", "hanako@yahoo.co.jp", "yahoo-smtp", "yahoo.co.jp", "hanako@yahoo.co.jp",
             "default"),
            ("", "hanako@ybb.ne.jp", "yahoo-smtp", "ybb.ne.jp", "hanako@ybb.ne.jp", "default"),
            # No ".yahoo.co.jp" line: a subdomain takes the default route.
            ("", "x@mail.yahoo.co.jp", "smtp", "[mail.isp.example]", "x@mail.yahoo.co.jp",
             "default"),
        ])

    def test_virtual_hash_domains(self):
        inst = self.instance(example="virtual-hash",
                             tables=["virtual_mailbox_maps", "virtual_alias_maps"])
        inst.start()
        self.resolve(inst, [
            ("", "USER1@SOMEHOST.mitty.jp", "virtual", "SOMEHOST.mitty.jp",
             "USER1@SOMEHOST.mitty.jp", "virtual final"),
            ("", "anyone@mitty.jp", "virtual", "mitty.jp", "anyone@mitty.jp", "virtual final"),
            ("", "webmaster@ALIASE.mitty.jp", "error",
             "5.1.1 User unknown in virtual alias table", "webmaster@ALIASE.mitty.jp",
             "alias final"),
            ("", "x@other.mitty.jp", "smtp", "other.mitty.jp", "x@other.mitty.jp", "default"),
        ])

    def test_changed_table_takes_effect_without_restart(self):
        inst = self.instance(example="docomo", tables=["transport"])
        inst.start()
        want = ("resolve", "docomo-smtp", "docomo.ne.jp", "a@docomo.ne.jp", "default")
        self.assertEqual(self.query(inst, "resolve <> a@docomo.ne.jp"), [want])
        self.assertEqual(self.query(inst, "resolve <> a@docomo.ne.jp"), [want])  # cached
        pids = self.rewrite_pids(inst)
        with open(os.path.join(inst.etc, "transport"), "w") as f:
            f.write("docomo.ne.jp  slow-smtp:[gw.docomo.example]\n")
        r = mtatest.run([mtatest.program("postmap"), "-c", inst.etc,
                         "hash:" + os.path.join(inst.etc, "transport")])
        self.assertEqual(r.rc, 0, r)
        new = ("resolve", "slow-smtp", "[gw.docomo.example]", "a@docomo.ne.jp", "default")
        mtatest.wait_for(lambda: self.query(inst, "resolve <> a@docomo.ne.jp") == [new], 10,
                         "the new transport table to take effect")
        self.assertEqual(self.rewrite_pids(inst), pids, "same process, no restart")

    def test_temporary_table_error_defers(self):
        inst = self.instance("transport_maps = hash:%s/missing\n" % self.tmp)
        inst.start()
        answers = self.query(inst, "resolve <> u@example.net", "resolve <> alice",
                             "rewrite local alice")
        self.assertEqual(answers[0][:2], ("error", "unavailable"))
        self.assertRegex(answers[0][2], r"^address resolver failure: transport_maps lookup "
                                        r"failure: hash:.*/missing is unavailable\. ")
        self.assertEqual(answers[1][:2], ("error", "unavailable"))
        self.assertEqual(answers[2], ("rewrite", "alice@mx.example.com"))
        inst.wait_log(r"postfix/trivial-rewrite\[\d+\]: warning: transport_maps lookup failure")

    def test_conflicting_domains_warning(self):
        inst = self.instance("mydestination = $myhostname, vhost.example\n"
                             "virtual_mailbox_domains = vhost.example\n")
        inst.start()
        self.resolve(inst, [
            ("", "u@vhost.example", "local", "mx.example.com", "u@vhost.example", "local final"),
        ])
        inst.wait_log(r"postfix/trivial-rewrite\[\d+\]: warning: do not list domain "
                      r"vhost.example in BOTH mydestination and virtual_mailbox_domains")

    def test_service_down_is_unavailable(self):
        inst = self.instance()  # never started
        self.assertEqual(self.query(inst, "resolve <> u@example.net"),
                         [("error", "unavailable",
                           "resolve service is not available: connect to %s: No such file or "
                           "directory" % os.path.join(inst.queue, "private", "rewrite"))])

    def test_client_reconnects_after_server_crash(self):
        inst = self.instance()
        inst.start()
        proc = subprocess.Popen([QUERY, "-c", inst.etc], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        want = "resolve\tsmtp\texample.net\tu@example.net\tdefault\n"
        proc.stdin.write("resolve <> u@example.net\n")
        proc.stdin.flush()
        self.assertEqual(proc.stdout.readline(), want)
        pids = self.rewrite_pids(inst)
        self.assertEqual(len(pids), 1)
        os.kill(pids[0], signal.SIGKILL)
        inst.wait_log(r"process .*trivial-rewrite pid %d killed by signal 9" % pids[0])
        # The same client, on its kept (now dead) connection: it reconnects.
        # (Another address: the client remembers its last answer briefly.)
        proc.stdin.write("resolve <> v@example.net\n")
        proc.stdin.flush()
        self.assertEqual(proc.stdout.readline(), want.replace("u@", "v@"))
        proc.stdin.close()
        self.assertEqual(proc.wait(timeout=30), 0)
        proc.stdout.close()
        new = self.rewrite_pids(inst)
        self.assertEqual(len(new), 1)
        self.assertNotEqual(new, pids)


if __name__ == "__main__":
    import unittest
    unittest.main()

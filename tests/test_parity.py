"""Parity gaps of issue 17, each on a real instance and, where Debian's
Postfix can run here (root), side by side with a private Debian instance
given the same main.cf and transport table:
- a transport_maps `error:` / `retry:` entry refused at RCPT by smtpd with
  the entry's text (550 / 450), and local submission still bounced with it;
- discard's log reason: the `discard:TEXT` text, or the domain for a bare
  `discard:`, with a leading detail code as the dsn;
- soft_bounce = yes in the delivery agents: `dsn=4.x.x, status=SOFTBOUNCE`,
  the message stays queued with the reason in mailq, no notice;
- smtputf8_enable = no: no SMTPUTF8 in EHLO, the SMTPUTF8 option and UTF-8
  domains refused as Postfix refuses them;
- postsuper -e / -f: their output, and the message returned by qmgr;
- postfix logrotate: the rotated, compressed file and a fresh log;
- a non-delivery notice byte for byte (DSN fields, Remote-MTA and an smtp
  Diagnostic-Code, MIME headers), read back from the queue;
- postconf -F, -MX, -M#, -Me, -Fe, -Pe, -PX on copies of one master.cf."""
import os
import re

import mtatest

MAIN_CF = (
    "myhostname = mx.example.com\n"
    "mydestination =\n"
    "mynetworks = 127.0.0.0/8\n"
    "alias_maps =\n"
    "smtpd_error_sleep_time = 0\n"
    "transport_maps = hash:$config_directory/transport\n"
)

TRANSPORT = (
    "user@example.jp error:5.1.1 mailbox closed, write to alice@example.jp\n"
    "soft@example.jp error:4.2.1 try later\n"
    "nocode@example.jp error:no code here\n"
    "retry@example.jp retry:4.2.1 come back\n"
    "retry2@example.jp retry:come back later\n"
    "drop@example.jp discard:silently dropped\n"
    "code@example.jp discard:2.7.0 dropped by policy\n"
    "bare@example.jp discard:\n"
    "discard.example discard:\n"
    "keep.example retry:4.0.0 kept for the test\n"
)

MASTER_CF_DIST = "/usr/share/postfix/master.cf.dist"  # Debian's own master.cf

SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "error", "retry", "discard", "bounce",
            "defer", "trace", "showq", "anvil", "smtp"]

# Lines of a discard/error log entry that do not depend on timing:
# "to=<x>, relay=none, dsn=2.0.0, status=sent (text)".
STATUS_RE = re.compile(r"postfix/(discard|error)\[\d+\]: \w+: (to=<[^>]*>, relay=[^,]*), "
                       r"delay=[^,]*, delays=[^,]*, (dsn=.*)")


def status_lines(log):
    return sorted("%s: %s, %s" % m.groups() for m in STATUS_RE.finditer(log))


def session(port, commands):
    """Sends each command (bytes) on one SMTP connection and returns the
    replies, one string per command; DATA's content is sent after a 354."""
    s, greeting = mtatest.smtp_connect(port)
    out = []
    with s:
        for c in commands:
            s.sendall(c + b"\r\n")
            out.append(mtatest.recv_replies(s, 1)[0])
            if c == b"DATA" and out[-1].startswith("354"):
                s.sendall(b"Subject: parity\r\n\r\nhello\r\n.\r\n")
                out.append(mtatest.recv_replies(s, 1)[0])
        s.sendall(b"QUIT\r\n")
        mtatest.recv_replies(s, 1)
    return out


class ParityTest(mtatest.TempDirTestCase):

    def ours(self, main_cf=""):
        port = mtatest.free_port()
        inst = mtatest.MtaInstance(self, services=SERVICES, main_cf=MAIN_CF + main_cf,
                                   master_extra=mtatest.smtpd_service("127.0.0.1:%d" % port))
        self.write_transport(inst.etc, mtatest.program("postmap"))
        inst.start()
        mtatest.wait_smtpd(port)
        return inst, port

    def debian(self, main_cf=""):
        """Debian's Postfix with its own master.cf (smtpd on a free port,
        postlog on): (instance, port), or None where it cannot run."""
        if not mtatest.DebianPostfix.usable() or not os.path.exists(MASTER_CF_DIST):
            return None
        port = mtatest.free_port()
        with open(MASTER_CF_DIST) as f:
            master_cf = f.read().replace("smtp      inet", "127.0.0.1:%d inet" % port, 1)
        master_cf = master_cf.replace("#postlog", "postlog")
        deb = mtatest.DebianPostfix(self, main_cf="inet_interfaces = 127.0.0.1\n" + MAIN_CF +
                                    main_cf, master_cf=master_cf)
        self.write_transport(deb.etc, mtatest.DEBIAN_POSTMAP)
        if not deb.start():
            return None
        mtatest.wait_smtpd(port)
        return deb, port

    transport_extra = ""  # more transport_maps entries for one test

    def write_transport(self, etc, postmap):
        path = os.path.join(etc, "transport")
        with open(path, "w") as f:
            f.write(TRANSPORT + self.transport_extra)
        r = mtatest.run([postmap, "-c", etc, "hash:" + path])
        self.assertEqual(r.rc, 0, r)

    RCPT_SESSION = [b"EHLO client.example", b"MAIL FROM:<a@example.org>"] + [
        b"RCPT TO:<%s@example.jp>" % u for u in
        (b"user", b"soft", b"nocode", b"retry", b"retry2", b"drop", b"code", b"bare")] + [
        b"RCPT TO:<x@discard.example>", b"DATA"]

    def test_error_transport_refused_at_rcpt_and_discard_reason(self):
        inst, port = self.ours()
        replies = session(port, self.RCPT_SESSION)
        self.assertEqual(replies[2:8], [
            "550 5.1.1 <user@example.jp>: Recipient address rejected: mailbox closed, write to "
            "alice@example.jp",
            "550 5.2.1 <soft@example.jp>: Recipient address rejected: try later",
            "550 5.1.1 <nocode@example.jp>: Recipient address rejected: no code here",
            "450 4.2.1 <retry@example.jp>: Recipient address rejected: come back",
            "450 4.1.1 <retry2@example.jp>: Recipient address rejected: come back later",
            "250 2.1.5 Ok"])
        inst.wait_log(r"qmgr\[\d+\]: \w+: removed")
        log = inst.log()
        self.assertRegex(log, re.escape(": NOQUEUE: reject: RCPT from ") + r"\S+" + re.escape(
            "[127.0.0.1]: 550 5.1.1 <user@example.jp>: Recipient address rejected: mailbox "
            "closed, write to alice@example.jp; from=<a@example.org> to=<user@example.jp> "
            "proto=ESMTP helo=<client.example>"))
        ours = status_lines(log)
        self.assertEqual(ours, [
            "discard: to=<bare@example.jp>, relay=none, dsn=2.0.0, status=sent (example.jp)",
            "discard: to=<code@example.jp>, relay=none, dsn=2.7.0, status=sent (dropped by policy)",
            "discard: to=<drop@example.jp>, relay=none, dsn=2.0.0, status=sent (silently dropped)",
            "discard: to=<x@discard.example>, relay=none, dsn=2.0.0, status=sent "
            "(discard.example)"])

        # Local submission is not checked at RCPT: the error agent bounces it
        # with the text.
        inst.send("user@example.jp", sender="bob@example.org")
        inst.wait_log(r"error\[\d+\]: \w+: to=<user@example.jp>, relay=none, delay=[\d.]+, "
                      r"delays=[\d./]+, dsn=5\.1\.1, status=bounced \(mailbox closed, write to "
                      r"alice@example.jp\)")

        deb = self.debian()
        if deb is None:
            return
        deb, deb_port = deb
        # The last reply differs in the queue ID.
        self.assertEqual(session(deb_port, self.RCPT_SESSION)[1:-1], replies[1:-1])
        mtatest.wait_for(lambda: len(status_lines(deb.log())) == 4, 30,
                         lambda: "Debian's discard lines in:\n" + deb.log())
        self.assertEqual(status_lines(deb.log()), ours)

    def test_soft_bounce_in_delivery_agents(self):
        # Accepted at RCPT (no recipient check), so the error agent decides.
        main_cf = "soft_bounce = yes\nsmtpd_reject_unlisted_recipient = no\n"
        inst, port = self.ours(main_cf)
        commands = [b"EHLO client.example", b"MAIL FROM:<a@example.org>",
                    b"RCPT TO:<user@example.jp>", b"DATA"]
        replies = session(port, commands)
        self.assertRegex(replies[-1], r"^250 2\.0\.0 Ok: queued as \w+$")
        inst.wait_log(r"error\[\d+\]: \w+: to=<user@example.jp>")
        inst.wait_log(r"qmgr\[\d+\]: \w+: .*deferred|status=SOFTBOUNCE")
        ours = status_lines(inst.log())
        self.assertEqual(ours, [
            "error: to=<user@example.jp>, relay=none, dsn=4.1.1, status=SOFTBOUNCE (mailbox "
            "closed, write to alice@example.jp)"])
        # Kept in the queue with the reason, no notice to the sender.
        mtatest.wait_for(lambda: inst.queue_ids("deferred"), 30, "the message in deferred/")
        self.assertEqual(inst.queue_ids("active") + inst.queue_ids("incoming"), [])
        mailq = inst.run("mailq")
        self.assertIn("(mailbox closed, write to alice@example.jp)\n"
                      "                                         user@example.jp\n", mailq.out)
        self.assertNotIn("MAILER-DAEMON", inst.log())
        self.assertNotIn("bounced", inst.log())

        deb = self.debian(main_cf)
        if deb is None:
            return
        deb, deb_port = deb
        self.assertEqual(session(deb_port, commands)[1:-1], replies[1:-1])
        mtatest.wait_for(lambda: status_lines(deb.log()), 30,
                         lambda: "Debian's error line in:\n" + deb.log())
        self.assertEqual(status_lines(deb.log()), ours)

    UTF8_SESSION = [b"EHLO client.example", b"MAIL FROM:<a@example.org> SMTPUTF8",
                    "MAIL FROM:<a@bücher.example>".encode(), b"RSET",
                    "MAIL FROM:<ä@example.org>".encode(),
                    "RCPT TO:<u@bücher.example>".encode(), "RCPT TO:<ü@example.com>".encode(),
                    b"RCPT TO:<\xfe@example.com>", b"RCPT TO:<x@\xff.example>", b"RSET",
                    "VRFY ü@example.com".encode(), "HELO bücher.example".encode()]

    def test_smtputf8_disabled(self):
        inst, port = self.ours("smtputf8_enable = no\n")
        replies = session(port, self.UTF8_SESSION)
        self.assertNotIn("SMTPUTF8", replies[0])
        self.assertEqual(replies[1:11], [
            "555 5.5.4 Unsupported option: SMTPUTF8",
            "501 5.1.7 Bad sender address syntax",
            "250 2.0.0 Ok",
            "250 2.1.0 Ok",
            "501 5.1.3 Bad recipient address syntax",
            "250 2.1.5 Ok",
            "250 2.1.5 Ok",
            "501 5.1.3 Bad recipient address syntax",
            "250 2.0.0 Ok",
            "252 2.0.0 ü@example.com"])
        warnings = re.compile(r"warning: Illegal address syntax from \S+\[127\.0\.0\.1\] (.*)")
        # The log lines travel through postlogd: wait for them, bounded.
        mtatest.wait_for(lambda: len(warnings.findall(inst.log())) >= 3, what="our warnings")
        ours = warnings.findall(inst.log())
        self.assertEqual(ours, ["in MAIL command: <a@b??cher.example>",
                                "in RCPT command: <u@b??cher.example>",
                                "in RCPT command: <x@?.example>"])
        deb = self.debian("smtputf8_enable = no\n")
        if deb is None:
            return
        deb, deb_port = deb
        deb_replies = session(deb_port, self.UTF8_SESSION)
        self.assertEqual(deb_replies[0], replies[0])
        self.assertEqual(deb_replies[1:], replies[1:])
        mtatest.wait_for(lambda: len(warnings.findall(deb.log())) >= len(ours),
                         what="Debian's warnings")
        self.assertEqual(warnings.findall(deb.log()), ours)

    def expire_steps(self, etc, queue_ids, run, log, wait_log, deferred_count):
        """postsuper -e on a deferred message, -e then -f on a held one, a
        flush; returns the postsuper outputs with queue IDs as ID1/ID2 and
        the "force-expired" log lines."""
        wait_for_deferred = lambda n: mtatest.wait_for(
            lambda: len(queue_ids("deferred")) >= n, 30, lambda: "deferred mail; log:\n" + log())
        first = wait_for_deferred(deferred_count)
        ids = queue_ids("deferred")
        id1, id2 = ids[0], ids[1]
        outs = []
        r = run("postsuper", "-c", etc, "-h", id2)
        self.assertEqual(r.rc, 0, r)
        for args in (("-e", id1), ("-e", id2), ("-f", id2)):
            r = run("postsuper", "-c", etc, *args)
            self.assertEqual(r.rc, 0, r)
            outs.append(r.err.replace(id1, "ID1").replace(id2, "ID2"))
        self.assertEqual(queue_ids("hold"), [])
        r = run("postqueue", "-c", etc, "-f")
        self.assertEqual(r.rc, 0, r)
        for qid in (id1, id2):
            wait_log(r"%s: from=<a@discard.example>, status=force-expired, returned to sender"
                     % qid)
            wait_log(r"%s: removed" % qid)
        return outs

    def test_postsuper_expire(self):
        main_cf = "smtpd_reject_unlisted_recipient = no\n"
        inst, port = self.ours(main_cf)
        commands = [b"EHLO client.example", b"MAIL FROM:<a@discard.example>",
                    b"RCPT TO:<retry@example.jp>", b"DATA"]
        for _ in range(2):
            session(port, commands)

        def run_ours(prog, *args):
            return mtatest.run([mtatest.program(prog)] + list(args))
        outs = self.expire_steps(inst.etc, inst.queue_ids, run_ours, inst.log, inst.wait_log, 2)
        self.assertEqual(outs, [
            "postsuper: ID1: expired\npostsuper: Force-expired: 1 message\n",
            "postsuper: ID2: expired\npostsuper: Force-expired: 1 message\n",
            "postsuper: ID2: released from hold\n"
            "postsuper: Force-expired: 0 messages\npostsuper: Released from hold: 1 message\n"])
        # The notices state the delay's reason, and went to the sender.
        inst.wait_log(r"bounce\[\d+\]: \w+: sender non-delivery notification: \w+", count=2)
        inst.wait_empty()

        deb = self.debian(main_cf)
        if deb is None:
            return
        deb, deb_port = deb
        for _ in range(2):
            session(deb_port, commands)

        def run_debian(prog, *args):
            return mtatest.run(["/usr/sbin/" + prog] + list(args))

        def deb_wait_log(pattern):
            mtatest.wait_for(lambda: re.search(pattern, deb.log()), 30,
                             lambda: "%r in Debian's log:\n%s" % (pattern, deb.log()))
        deb_outs = self.expire_steps(
            deb.etc, lambda q: mtatest.MtaInstance.queue_ids(deb, q), run_debian, deb.log,
            deb_wait_log, 2)
        self.assertEqual(deb_outs, outs)

    def logrotate_checks(self, postfix, etc, maillog, log_activity):
        """postfix logrotate on a running instance, then two refusals;
        returns the refusals' stderr."""
        log_activity()
        mtatest.wait_for(lambda: "disconnect from" in mtatest.read_log(maillog), 10,
                         "the session in the maillog")
        r = postfix("logrotate")
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""), r)
        rotated = [n for n in os.listdir(os.path.dirname(maillog))
                   if re.fullmatch(re.escape(os.path.basename(maillog)) + r"\.\d{8}-\d{6}\.gz", n)]
        self.assertEqual(len(rotated), 1, os.listdir(os.path.dirname(maillog)))
        import gzip
        with gzip.open(os.path.join(os.path.dirname(maillog), rotated[0]), "rt") as f:
            old = f.read()
        self.assertRegex(old, r"smtpd\[\d+\]: disconnect from ")
        # The log goes on in a new file.
        log_activity()
        mtatest.wait_for(lambda: "connect from" in mtatest.read_log(maillog), 10,
                         "a new maillog")
        self.assertNotIn(old.splitlines()[0], mtatest.read_log(maillog))
        errors = []
        main_cf = os.path.join(etc, "main.cf")
        with open(main_cf) as f:
            saved = f.read()
        for extra in ("maillog_file_compressor =\n", "maillog_file_rotate_suffix =\n"):
            with open(main_cf, "w") as f:
                f.write(saved + extra)
            r = postfix("logrotate")
            self.assertEqual(r.rc, 1, r)
            errors.append(r.err)
        with open(main_cf, "w") as f:
            f.write(saved)
        # Debian's postfix-script fails with exit 1 and says why only to a
        # terminal (not in its maillog here); ours says it on stderr and in
        # the maillog.
        return errors

    def test_logrotate(self):
        port = mtatest.free_port()
        inst = mtatest.MtaInstance(self, services=SERVICES + ["postlog"], main_cf=MAIN_CF,
                                   master_extra=mtatest.smtpd_service("127.0.0.1:%d" % port))
        self.write_transport(inst.etc, mtatest.program("postmap"))
        inst.start()
        mtatest.wait_smtpd(port)
        errors = self.logrotate_checks(inst.postfix, inst.etc, inst.maillog,
                                       lambda: session(port, [b"NOOP"]))
        self.assertEqual(errors, [
            "postfix/postfix-script: fatal: empty '%s' parameter value - logfile rotation "
            "failed\n" % name for name in ("maillog_file_compressor", "maillog_file_rotate_suffix")])
        for line in errors:
            inst.wait_log(re.escape(line.split("/postfix-script: ")[1].strip()))
        deb = self.debian()
        if deb is None:
            return
        deb, deb_port = deb
        self.logrotate_checks(deb.postfix, deb.etc, deb.maillog,
                              lambda: session(deb_port, [b"NOOP"]))

    @staticmethod
    def notice_text(content, queue_ids):
        """A non-delivery notice's lines with what differs between two runs
        (queue IDs, dates, the MIME boundary, Message-ID) made constant."""
        text = "\n".join(content)
        for n, qid in enumerate(queue_ids):
            text = text.replace(qid, "ID%d" % n)
        text = re.sub(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), +\d+ \w+ \d{4} [\d:]+ [+-]\d{4}( \(\w+\))?",
                      "DATE", text)
        text = re.sub(r"ID\d\.\d+/mx\.example\.com", "BOUNDARY", text)
        text = re.sub(r"<\d+\.ID\d@mx\.example\.com>", "<MESSAGE-ID>", text)
        return text

    def test_dsn_fields_of_a_bounce(self):
        # The notice goes to a sender whose domain keeps it queued, where it
        # is read back: ours with queue-dump, Debian's with postcat.
        main_cf = "smtpd_reject_unlisted_recipient = no\n"
        # A remote server refuses one recipient: Remote-MTA and an smtp
        # Diagnostic-Code.
        from smtp_sink import SmtpSink
        sink = SmtpSink(rcpt_replies={
            "gone@remote.example": "550 5.1.1 <gone@remote.example>: Recipient address "
                                   "rejected: User unknown in virtual mailbox table"})
        sink.__enter__()
        self.addCleanup(sink.__exit__, None, None, None)
        self.transport_extra = "remote.example smtp:[127.0.0.1]:%d\n" % sink.port
        inst, port = self.ours(main_cf)
        commands = [b"EHLO client.example", b"MAIL FROM:<s@keep.example>",
                    b"RCPT TO:<user@example.jp> ORCPT=rfc822;orig@example.jp",
                    b"RCPT TO:<nocode@example.jp>", b"RCPT TO:<gone@remote.example>", b"DATA"]
        session(port, commands)
        inst.wait_log(r"sender non-delivery notification: \w+")
        notice_id = re.search(r"sender non-delivery notification: (\w+)", inst.log()).group(1)
        orig_id = re.search(r"(\w+): sender non-delivery notification", inst.log()).group(1)
        mtatest.wait_for(lambda: inst.queue_path("deferred", notice_id), 30, "the notice deferred")
        d = mtatest.queue_dump(inst.queue_path("deferred", notice_id))
        ours = self.notice_text(d["content"], [orig_id, notice_id])
        # The per-message fields, then the recipients' paragraphs in the
        # order their agents finished (any order).
        self.assertIn("\nReporting-MTA: dns; mx.example.com\nX-Postfix-Queue-ID: ID0\n"
                      "X-Postfix-Sender: rfc822; s@keep.example\nArrival-Date: DATE\n\n"
                      "Final-Recipient: rfc822; ", ours)
        self.assertIn("\n\nFinal-Recipient: rfc822; user@example.jp\n"
                      "Original-Recipient: rfc822;orig@example.jp\nAction: failed\n"
                      "Status: 5.1.1\n"
                      "Diagnostic-Code: X-Postfix; mailbox closed, write to alice@example.jp\n",
                      ours)
        deb = self.debian(main_cf)
        if deb is None:
            return
        deb, deb_port = deb
        session(deb_port, commands)
        pattern = r"(\w+): sender non-delivery notification: (\w+)"
        mtatest.wait_for(lambda: re.search(pattern, deb.log()), 30,
                         lambda: "the notice in Debian's log:\n" + deb.log())
        orig_id, notice_id = re.search(pattern, deb.log()).groups()
        r = mtatest.run(["/usr/sbin/postcat", "-c", deb.etc, "-hbq", notice_id])
        self.assertEqual(r.rc, 0, r)
        theirs = self.notice_text(r.out.rstrip("\n").split("\n"), [orig_id, notice_id])
        # The notice's own Received: line is compared too. The client's
        # name: Debian's smtpd finds none for 127.0.0.1 here.
        self.maxDiff = None
        self.assertTrue(ours.startswith("Received: by mx.example.com (Postfix)\n\tid ID1; DATE\n"
                                        "Date: DATE\n"), ours[:200])
        # The recipients' paragraphs come in the order their agents finished.
        ours = ours.replace("(localhost [127.0.0.1])", "(unknown [127.0.0.1])")
        self.assertEqual(sorted(ours.split("\n\n")), sorted(theirs.split("\n\n")))

    def test_postconf_master_fields_and_edits(self):
        """postconf -F, -MX, -M#, -Me, -Fe, -Pe and -PX side by side with
        Debian's postconf on copies of the same master.cf (Debian's own and
        ours): output, messages, exit code and the file after each step."""
        if not os.access(mtatest.DEBIAN_POSTCONF, os.X_OK):
            self.skipTest("Debian's postconf is not installed")
        sources = [os.path.join(mtatest.SOURCE, "conf", "master.cf")]
        if os.path.exists(MASTER_CF_DIST):
            sources.append(MASTER_CF_DIST)

        def copy(source, name):
            d = os.path.join(self.tmp, name)
            os.makedirs(d)
            open(os.path.join(d, "main.cf"), "w").close()
            with open(source) as f, open(os.path.join(d, "master.cf"), "w") as g:
                g.write(f.read())
            return d

        def normal(text):  # the program's name as invoked
            return re.sub(r"^\S*postconf: ", "postconf: ", text, flags=re.M)
        for n, source in enumerate(sources):
            ours, theirs = copy(source, "ours%d" % n), copy(source, "theirs%d" % n)
            for args in (["-F"], ["-F", "smtp/inet/command"], ["-Fh", "pickup/unix/wakeup"],
                         ["-F", "relay", "smtp/inet"], ["-F", "nosuch/unix"],
                         ["-F", "smtp/inet/bogus"],
                         ["-Pe", "relay/unix/syslog_name=foo", "pickup/unix/content_filter=x"],
                         ["-PX", "relay/unix/syslog_name"], ["-Pe", "nosuch/unix/max_idle=1"],
                         ["-Me", "smtp/inet = smtp inet n - n - 1 smtpd -o "
                          "smtpd_client_restrictions=permit",
                          "new/unix = new unix - - n - - discard"],
                         ["-Fe", "pickup/unix/wakeup=30"],
                         ["-Fe", "cleanup/unix/command=cleanup -v -o max_idle=10"],
                         ["-PX", "smtp"], ["-Pe", "smtp/inet"], ["-Fe", "smtp/inet/bogus=1"],
                         ["-M"], ["-P"], ["-MX", "smtp"], ["-M#", "relay/unix"],
                         ["-MX", "pickup/unix"], ["-MX", "nosuch/unix"], ["-M"],
                         ["-F", "relay/unix"]):
                a = mtatest.run([mtatest.program("postconf"), "-c", ours] + args)
                b = mtatest.run([mtatest.DEBIAN_POSTCONF, "-c", theirs] + args)
                self.assertEqual((a.rc, a.out, normal(a.err)), (b.rc, b.out, normal(b.err)),
                                 "%s: postconf %s" % (source, " ".join(args)))
                with open(os.path.join(ours, "master.cf")) as f, \
                        open(os.path.join(theirs, "master.cf")) as g:
                    self.assertEqual(f.read(), g.read(), "%s after postconf %s"
                                     % (source, " ".join(args)))

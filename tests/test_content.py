"""System tests of cleanup's content checks (header_checks(5)):
header_checks, mime_header_checks, nested_header_checks and body_checks with
regexp: and pcre: tables, every action, the MIME classification of part
and attached-message headers, the limits, and hostile MIME. A real
instance (smtpd, cleanup, no qmgr: accepted mail stays in incoming/ for
queue-dump) is fed by smtplib; where Debian's Postfix runs here (root), the
same tables and messages go to it too and the replies and cleanup's log
lines must be the same."""
import os
import re
import smtplib
import unittest

import mtatest
from smtp_sink import SmtpSink

MAIN_CF = (
    "myhostname = mx.example.test\n"
    "mydomain = example.test\n"
    "mydestination = example.com\n"
    "local_recipient_maps =\n"
    "mynetworks = 127.0.0.0/8\n"
    "smtpd_error_sleep_time = 0\n"
)

HEADER_CHECKS = r"""/^Subject: warnme/ WARN warned text
/^Subject: rejectme/ REJECT go away
/^Subject: rejectdef/ REJECT
/^Subject: rejectdsn/ REJECT 5.7.0 with its own code
/^Subject: holdme/ HOLD held here
/^Subject: discardme/ DISCARD dropped
/^Subject: redirectme/ REDIRECT other@example.net
/^Subject: bccme/ BCC copy@example.net
/^Subject: filterme/ FILTER discard:filtered away
/^Subject: infome/ INFO informed
/^Subject: okme/ OK
/^Subject: dunnome/ DUNNO
/^X-Prepend: / PREPEND X-Added: yes
/^X-Replace: (.*)/ REPLACE X-Replaced: $1
/^X-Ignore: / IGNORE
/^X-Multi:/ WARN multi
/^Content-Type: / WARN ctype
/^MIME-Version: / WARN mimever
/^X-Part: / WARN partheader
/^Subject: nested/ WARN nestedsubject
"""

BODY_CHECKS = r"""/^bodywarn/ WARN body warned
/^bodyreject/ REJECT body rejected
/^--b1/ WARN boundaryline
/^partbody/ WARN partbody
/^nestedbody/ WARN nestedbody
/^bodyreplace (.*)/ REPLACE replaced body $1
/^bodyignore/ IGNORE
"""

MULTIPART = """Subject: top
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

preamble
--b1
Content-Type: text/plain
X-Part: yes

partbody
--b1
Content-Type: message/rfc822

Subject: nested one
X-Part: nestedx
Content-Type: text/plain

nestedbody
--b1--
epilogue
"""

# (name, message): each is sent to bob@ and carol@example.com.
MESSAGES = [
    ("warn", "Subject: warnme please\nX-Prepend: 1\nX-Replace: abc\nX-Ignore: 1\n"
             "X-Multi: line1\n line2\n\nhello\n"),
    ("reject", "Subject: rejectme now\n\nx\n"),
    ("reject default", "Subject: rejectdef\n\nx\n"),
    ("reject dsn", "Subject: rejectdsn\n\nx\n"),
    ("hold", "Subject: holdme\n\nx\n"),
    ("discard", "Subject: discardme\n\nx\n"),
    ("redirect", "Subject: redirectme\n\nx\n"),
    ("bcc", "Subject: bccme\n\nx\n"),
    ("filter", "Subject: filterme\n\nx\n"),
    ("info", "Subject: infome\n\nx\n"),
    ("ok", "Subject: okme\n\nx\n"),
    ("body", "Subject: body\n\nbodywarn here\nbodyreplace this\nbodyignore me\nkept\n"),
    ("body reject", "Subject: body\n\nbodywarn here\nbodyreject here\n"),
    ("mime", MULTIPART),
    ("long", "Subject: warnme " + "x" * 300 + "\n\nx\n"),
]

ACTION = re.compile(r"cleanup\[\d+\]: (\w+): ((?:warning|reject|discard|hold|redirect|bcc|"
                    r"filter|prepend|replace|info): (?:header|body) .*)")
CLIENT = re.compile(r"smtpd\[\d+\]: (\w+): client=")


def send(port, message):
    """Sends with smtplib; the DATA outcome as "OK" or "CODE TEXT"."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
        c.ehlo("client.example")
        try:
            c.sendmail("alice@example.org", ["bob@example.com", "carol@example.com"], message)
            return "OK"
        except smtplib.SMTPDataError as e:
            return "%d %s" % (e.smtp_code, e.smtp_error.decode())


def write_file(test, name, text):
    path = os.path.join(test.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def start_instance(test, main_cf, services):
    """An instance of ours with MAIN_CF + main_cf, `services` and an smtpd
    on a free port; (instance, port) once the smtpd answers."""
    port = mtatest.free_port()
    inst = mtatest.MtaInstance(test, services=list(services), main_cf=MAIN_CF + main_cf,
                               master_extra=mtatest.smtpd_service("127.0.0.1:%d" % port))
    inst.start()
    mtatest.wait_smtpd(port)
    return inst, port


def action_lines(log):
    return [m.group(2) for m in ACTION.finditer(log)]


class ContentChecksTest(mtatest.TempDirTestCase):

    def write(self, name, text):
        return write_file(self, name, text)

    def instance(self, main_cf="", services=("cleanup", "anvil", "rewrite")):
        inst, self.port = start_instance(self, main_cf, services)
        return inst

    def checks_cf(self, kind="regexp"):
        hc = self.write("header_checks", HEADER_CHECKS)
        bc = self.write("body_checks", BODY_CHECKS)
        return "header_checks = %s:%s\nbody_checks = %s:%s\n" % (kind, hc, kind, bc)

    def run_all(self, port, log, total=None):
        """Every message of MESSAGES: {name: reply}, and the action log
        lines per message (by queue ID: Debian's daemons log through
        postlogd, whose lines may come after the reply). `total`: wait
        until that many action lines are there."""
        replies = {}
        for name, message in MESSAGES:
            replies[name] = send(port, message)
        qids = mtatest.wait_for(
            lambda: (lambda ids: ids if len(ids) >= len(MESSAGES) else None)(
                CLIENT.findall(log())), 10, "a client= line per message")
        if total is not None:
            mtatest.wait_for(lambda: len(ACTION.findall(log())) >= total, 10,
                             lambda: "%d action lines in:\n%s" % (total, log()))
        found = ACTION.findall(log())
        lines = {name: [text for qid, text in found if qid == qids[i]]
                 for i, (name, _) in enumerate(MESSAGES)}
        return replies, lines

    def check_ours(self, replies, lines):
        who = "from localhost[127.0.0.1]; from=<alice@example.org> to=<carol@example.com> " \
              "proto=ESMTP helo=<client.example>"
        self.assertEqual(replies["reject"], "550 5.7.1 go away")
        self.assertEqual(replies["reject default"], "550 5.7.1 message content rejected")
        self.assertEqual(replies["reject dsn"], "550 5.7.0 with its own code")
        self.assertEqual(replies["body reject"], "550 5.7.1 body rejected")
        for name in ("warn", "hold", "discard", "redirect", "bcc", "filter", "info", "ok", "body",
                     "mime", "long"):
            self.assertEqual(replies[name], "OK", name)
        self.assertEqual(lines["warn"], [
            "warning: header Subject: warnme please %s: warned text" % who,
            "prepend: header X-Prepend: 1 %s: X-Added: yes" % who,
            "replace: header X-Replace: abc %s: X-Replaced: abc" % who,
            "warning: header X-Multi: line1? line2 %s: multi" % who])
        self.assertEqual(lines["reject"],
                         ["reject: header Subject: rejectme now %s: 5.7.1 go away" % who])
        self.assertEqual(lines["hold"], ["hold: header Subject: holdme %s: held here" % who])
        self.assertEqual(lines["discard"], ["discard: header Subject: discardme %s: dropped" % who])
        self.assertEqual(lines["redirect"],
                         ["redirect: header Subject: redirectme %s: other@example.net" % who])
        self.assertEqual(lines["bcc"], ["bcc: header Subject: bccme %s: copy@example.net" % who])
        self.assertEqual(lines["filter"],
                         ["filter: header Subject: filterme %s: discard:filtered away" % who])
        self.assertEqual(lines["info"], ["info: header Subject: infome %s: informed" % who])
        self.assertEqual(lines["ok"], [])
        self.assertEqual(lines["body"], [
            "warning: body bodywarn here %s: body warned" % who,
            "replace: body bodyreplace this %s: replaced body this" % who])
        self.assertEqual(lines["body reject"], [
            "warning: body bodywarn here %s: body warned" % who,
            "reject: body bodyreject here %s: 5.7.1 body rejected" % who])
        # Content in the log is cut at 200 bytes.
        self.assertEqual(lines["long"],
                         ["warning: header %s %s: warned text"
                          % (("Subject: warnme " + "x" * 300)[:200], who)])

    def test_actions_and_log_lines(self):
        inst = self.instance(self.checks_cf())
        replies, lines = self.run_all(self.port, inst.log)
        self.check_ours(replies, lines)
        # The mime message: every header and body line in Postfix's order.
        self.assertEqual([l.split(" from ")[0] for l in lines["mime"]], [
            "warning: header MIME-Version: 1.0",
            'warning: header Content-Type: multipart/mixed; boundary="b1"',
            "warning: body --b1",
            "warning: header Content-Type: text/plain",
            "warning: header X-Part: yes",
            "warning: body partbody",
            "warning: body --b1",
            "warning: header Content-Type: message/rfc822",
            "warning: header Subject: nested one",
            "warning: header X-Part: nestedx",
            "warning: header Content-Type: text/plain",
            "warning: body nestedbody",
            "warning: body --b1--"])
        # No "reject:" line of cleanup's own for a content rejection.
        self.assertNotRegex(inst.log(), r"reject: 5\.7\.1")
        queued = inst.incoming()
        by_subject = {}
        for qid, d in queued.items():
            subject = [l for l in d["content"] if l.startswith("Subject:")]
            by_subject[subject[0] if subject else qid] = d
        # PREPEND, REPLACE, IGNORE; the folded header is kept whole.
        warn = by_subject["Subject: warnme please"]["content"]
        i = warn.index("X-Added: yes")
        self.assertEqual(warn[i + 1], "X-Prepend: 1")
        self.assertIn("X-Replaced: abc", warn)
        self.assertNotIn("X-Replace: abc", warn)
        self.assertFalse([l for l in warn if l.startswith("X-Ignore")])
        self.assertEqual(warn[warn.index("X-Multi: line1") + 1], " line2")
        # Body REPLACE and IGNORE.
        body = by_subject["Subject: body"]["content"]
        self.assertIn("replaced body this", body)
        self.assertNotIn("bodyignore me", body)
        self.assertIn("kept", body)
        # BCC: one more recipient.
        self.assertEqual(by_subject["Subject: bccme"]["recipients"],
                         ["bob@example.com", "carol@example.com", "copy@example.net"])
        # REDIRECT: the recipients are done, the new one has the first original.
        red = by_subject["Subject: redirectme"]
        self.assertEqual(red["done"], ["bob@example.com", "carol@example.com"])
        self.assertEqual([r for r in red["recipients"] if r not in red["done"]],
                         ["other@example.net"])
        # FILTER: stored for qmgr.
        self.assertEqual(by_subject["Subject: filterme"]["attrs"]["content_filter"],
                         "discard:filtered away")
        self.assertNotIn("content_filter", by_subject["Subject: okme"]["attrs"])
        # DISCARD and REJECT: nothing queued; HOLD: in hold/, released by postsuper -H.
        self.assertNotIn("Subject: discardme", by_subject)
        self.assertNotIn("Subject: rejectme now", by_subject)
        held = inst.queue_ids("hold")
        self.assertEqual(len(held), 1)
        self.assertIn("Subject: holdme", mtatest.queue_dump(inst.queue_path("hold", held[0]))["content"])
        r = inst.run("postsuper", "-H", held[0])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("postsuper: Released from hold: 1 message\n", r.err)
        self.assertEqual(inst.queue_ids("hold"), [])

    def test_pcre_tables(self):
        inst = self.instance(self.checks_cf("pcre"))
        replies, lines = self.run_all(self.port, inst.log)
        self.check_ours(replies, lines)

    def test_same_as_debian_postfix(self):
        if not mtatest.DebianPostfix.usable():
            self.skipTest("needs root and Debian's postfix package")
        inst = self.instance(self.checks_cf())
        ours = self.run_all(self.port, inst.log)
        port = mtatest.free_port()
        deb = mtatest.DebianPostfix(
            self, main_cf=MAIN_CF + "inet_interfaces = 127.0.0.1\n" + self.checks_cf(),
            master_cf=mtatest.DebianPostfix.receiving_master_cf(port))
        if not deb.start():
            self.skipTest("Debian's Postfix does not start here")
        mtatest.wait_smtpd(port)
        theirs = self.run_all(port, deb.log, sum(len(v) for v in ours[1].values()))
        self.assertEqual(ours[0], theirs[0])
        for name, _ in MESSAGES:
            self.assertEqual(ours[1][name], theirs[1][name], name)

    def test_mime_and_nested_tables(self):
        mime = self.write("mime", "/^Content-Type:/ WARN mimetable\n/^X-Part:/ WARN mimetable\n")
        nested = self.write("nested", "/^Subject:/ WARN nestedtable\n/^X-Part:/ WARN nestedtable\n")
        top = self.write("top", "/^Subject:/ WARN toptable\n/^Content-Type:/ WARN toptable\n")
        inst = self.instance("header_checks = regexp:%s\nmime_header_checks = regexp:%s\n"
                             "nested_header_checks = regexp:%s\n" % (top, mime, nested))
        self.assertEqual(send(self.port, MULTIPART), "OK")
        got = [l.split(" from ")[0] + " / " + l.rsplit(": ", 1)[1] for l in action_lines(inst.log())]
        self.assertEqual(got, [
            "warning: header Subject: top / toptable",
            'warning: header Content-Type: multipart/mixed; boundary="b1" / mimetable',
            "warning: header Content-Type: text/plain / mimetable",
            "warning: header X-Part: yes / mimetable",  # a part's headers: all MIME
            "warning: header Content-Type: message/rfc822 / mimetable",
            "warning: header Subject: nested one / nestedtable",
            "warning: header X-Part: nestedx / nestedtable",
            "warning: header Content-Type: text/plain / mimetable"])

    def test_disable_mime_input_processing(self):
        hc = self.write("hc", "/^Content-Type:/ WARN primary\n/^X-Part:/ WARN part\n")
        bc = self.write("bc", "/^X-Part:/ WARN bodytext\n")
        inst = self.instance("header_checks = regexp:%s\nbody_checks = regexp:%s\n"
                             "mime_header_checks =\ndisable_mime_input_processing = yes\n"
                             % (hc, bc))
        self.assertEqual(send(self.port, MULTIPART), "OK")
        got = [l.split(" from ")[0] + " / " + l.rsplit(": ", 1)[1] for l in action_lines(inst.log())]
        self.assertEqual(got, [
            'warning: header Content-Type: multipart/mixed; boundary="b1" / primary',
            "warning: body X-Part: yes / bodytext",
            "warning: body X-Part: nestedx / bodytext"])
        r = inst.run("postconf", "-n")
        self.assertNotIn("not implemented", r.err)

    def test_body_checks_size_limit(self):
        bc = self.write("bc", "/^match/ WARN seen\n")
        inst = self.instance("body_checks = regexp:%s\nbody_checks_size_limit = 100\n" % bc)
        message = ("Subject: limits\nContent-Type: multipart/mixed; boundary=z\n\n--z\n\n" +
                   "match first\n" + "filler line\n" * 20 + "match late\n" +
                   "--z\n\nmatch next part\n--z--\n")
        self.assertEqual(send(self.port, message), "OK")
        got = [l.split(" from ")[0] for l in action_lines(inst.log())]
        self.assertEqual(got, ["warning: body match first", "warning: body match next part"])

    def test_hostile_mime(self):
        """Deep nesting, endless boundaries, a huge folded header, garbage
        Content-Type values: accepted, the limits hold, cleanup survives."""
        hc = self.write("hc", "/^Subject: deepest/ WARN deepest reached\n")
        bc = self.write("bc", "/^last line/ WARN last line seen\n")
        inst = self.instance("header_checks = regexp:%s\nbody_checks = regexp:%s\n"
                             "mime_nesting_limit = 20\nmime_boundary_length_limit = 16\n"
                             "header_size_limit = 4096\n" % (hc, bc))
        deep = "Subject: deep\n" + "".join(
            "Content-Type: multipart/mixed; boundary=\"%s\"\n\n--%s\n" % ("b" * (n + 1), "b" * (n + 1))
            for n in range(500)) + "\nlast line\n"
        self.assertEqual(send(self.port, deep), "OK")
        attached = "Subject: top\n" + "Content-Type: message/rfc822\n\n" * 300 + \
            "Subject: deepest\n\nlast line\n"
        self.assertEqual(send(self.port, attached), "OK")
        garbage = ("Subject: g\nContent-Type: multipart/mixed; boundary=\"\\\nContent-Type: ;;==\"\n"
                   "X-Huge: " + "a" * 3000 + "\n" + " folded\n" * 2000 + "\n--\n----\n" +
                   "Content-Type: multipart/mixed; boundary=" + "y" * 5000 + "\n\nlast line\n")
        self.assertEqual(send(self.port, garbage), "OK")
        log = inst.log()
        self.assertIn("deepest reached", log)
        self.assertEqual(log.count("last line seen"), 3, log)
        self.assertNotRegex(log, r"fatal|panic|status \d+|killed")


ADDRESSES_CF = (
    "always_bcc = ab@example.net\n"
    "sender_bcc_maps = inline:{alice@example.org=sb@example.net}\n"
    "recipient_bcc_maps = inline:{bob@example.com=rb@example.net}\n"
    "masquerade_domains = !keep.example.org example.org\n"
    "masquerade_exceptions = root\n")

ADDRESSES_MESSAGE = ("From: alice@host.example.org\n"
                     "To: bob@sub.example.org, root@a.example.org, x@keep.example.org\n"
                     "Cc: y@b.keep.example.org\nSubject: t\n\nx\n")


def envelope(dump_text):
    """(sender, [(recipient, notify)], [From/To/Cc header lines]) from
    queue-dump or postcat output."""
    sender, rcpts, headers, notify = None, [], [], None
    for line in dump_text.split("\n"):
        line = line.strip()
        if line.startswith("sender:"):
            sender = line.partition(":")[2].strip()
        elif line.startswith("named_attribute: notify_flags="):  # postcat: before its recipient
            notify = line.rpartition("=")[2]
        elif line.startswith("notify:"):  # queue-dump: after its recipient
            rcpts[-1] = (rcpts[-1][0], line.partition(":")[2].strip())
        elif line.startswith("recipient:"):
            rcpts.append((line.partition(":")[2].strip(), notify))
            notify = None
        elif re.match(r"(From|To|Cc): ", line):
            headers.append(line)
    return sender, rcpts, headers


class CopiesAndAddressesTest(mtatest.TempDirTestCase):
    """always_bcc, sender_bcc_maps, recipient_bcc_maps and masquerading
    (with a "!" exception and masquerade_exceptions), compared with
    Debian's Postfix: the same envelope, in the same order, and the same
    headers."""

    def send_to(self, port):
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
            c.ehlo("client.example")
            c.sendmail("alice@host.example.org", ["bob@example.com", "carol@example.com"],
                       ADDRESSES_MESSAGE)

    def ours(self, main_cf):
        port = mtatest.free_port()
        inst = mtatest.MtaInstance(self, services=["cleanup", "anvil", "rewrite"],
                                   main_cf=MAIN_CF + main_cf,
                                   master_extra=mtatest.smtpd_service("127.0.0.1:%d" % port))
        inst.start()
        mtatest.wait_smtpd(port)
        self.send_to(port)
        inst.incoming(1)
        qid = inst.queue_ids("incoming")[0]
        r = mtatest.run([mtatest.test_daemon("queue-dump"), inst.queue_path("incoming", qid)])
        self.dump = r.out
        return envelope(r.out)

    def debian(self, main_cf):
        if not mtatest.DebianPostfix.usable():
            return None
        port = mtatest.free_port()
        deb = mtatest.DebianPostfix(
            self, main_cf=MAIN_CF + "inet_interfaces = 127.0.0.1\n" + main_cf,
            master_cf=mtatest.DebianPostfix.receiving_master_cf(port))
        if not deb.start():
            return None
        mtatest.wait_smtpd(port)
        self.send_to(port)

        def one_file():
            for top, _, files in os.walk(os.path.join(deb.queue, "incoming")):
                for f in files:
                    return os.path.join(top, f)
        path = mtatest.wait_for(one_file, 10, "Debian's queue file")
        r = mtatest.wait_for(lambda: (lambda r: r if r.rc == 0 else None)(
            mtatest.run(["postcat", "-c", deb.etc, path])), 10, "postcat")
        self.dump = r.out
        return envelope(r.out)

    def test_bcc_and_masquerading(self):
        got = self.ours(ADDRESSES_CF)
        self.assertEqual(got, (
            "alice@example.org",
            [("sb@example.net", "1"), ("bob@example.com", None), ("rb@example.net", "1"),
             ("carol@example.com", None), ("ab@example.net", "1")],
            ["From: alice@example.org",
             "To: bob@example.org, root@a.example.org, x@keep.example.org",
             "Cc: y@b.keep.example.org"]))
        deb = self.debian(ADDRESSES_CF)
        if deb is not None:
            self.assertEqual(got, deb)

    def test_masquerade_classes(self):
        cf = ("masquerade_domains = example.org\nmasquerade_classes = envelope_recipient, "
              "header_recipient\nrecipient_canonical_maps = inline:{bob@example.com="
              "bob@deep.example.org}\n")
        got = self.ours(cf)
        self.assertEqual(got, (
            "alice@host.example.org",
            [("bob@example.org", None), ("carol@example.com", None)],
            ["From: alice@host.example.org",
             "To: bob@example.org, root@example.org, x@example.org",
             "Cc: y@example.org"]))
        deb = self.debian(cf)
        if deb is not None:
            self.assertEqual(got, deb)

    def test_canonical_classes(self):
        cf = ("canonical_maps = inline:{alice@host.example.org=ALICE@example.net, "
              "bob@sub.example.org=robert@example.net}\ncanonical_classes = envelope_sender, "
              "header_recipient\n")
        got = self.ours(cf)
        self.assertEqual(got, (
            "ALICE@example.net",
            [("bob@example.com", None), ("carol@example.com", None)],
            ["From: alice@host.example.org",
             "To: robert@example.net, root@a.example.org, x@keep.example.org",
             "Cc: y@b.keep.example.org"]))
        deb = self.debian(cf)
        if deb is not None:
            self.assertEqual(got, deb)


    def check_original_recipient(self, setting, expected):
        """bob@ and carol@ are both aliased to robert@: one recipient per
        original with enable_original_recipient = yes, one in all with no;
        the original is written either way (as Debian's Postfix does)."""
        cf = ("virtual_alias_maps = inline:{bob@example.com=robert@example.net, "
              "carol@example.com=robert@example.net}\nenable_original_recipient = %s\n" % setting)
        got = self.ours(cf)
        self.assertEqual((got[1], originals(self.dump)), expected)
        deb = self.debian(cf)
        if deb is not None:
            self.assertEqual((deb[1], originals(self.dump)), expected, "Debian's Postfix")

    def test_enable_original_recipient(self):
        self.check_original_recipient("yes", (
            [("robert@example.net", None), ("robert@example.net", None)],
            ["bob@example.com", "carol@example.com"]))

    def test_enable_original_recipient_no(self):
        self.check_original_recipient("no", ([("robert@example.net", None)], ["bob@example.com"]))


def originals(dump_text):
    """The original recipients of queue-dump or postcat output, in order."""
    return re.findall(r"^\s*(?:original|original_recipient): (\S+)$", dump_text, re.M)


class ReceiveOverrideTest(mtatest.TempDirTestCase):
    """receive_override_options on the smtpd after a content filter
    (FILTER_README's re-injection service) against the same options unset
    on the main smtpd."""

    def test_after_filter_smtpd(self):
        hc = os.path.join(self.tmp, "hc")
        with open(hc, "w") as f:
            f.write("/^Subject: rejectme/ REJECT go away\n")
        main_port, filter_port = mtatest.free_port(), mtatest.free_port()
        inst = mtatest.MtaInstance(
            self, services=["cleanup", "anvil", "rewrite"],
            main_cf=MAIN_CF + ADDRESSES_CF + "header_checks = regexp:%s\n"
            "virtual_mailbox_domains = virt.example\n"
            "virtual_mailbox_maps = inline:{known@virt.example=x}\n" % hc,
            master_extra=mtatest.smtpd_service("127.0.0.1:%d" % main_port) +
            mtatest.smtpd_service("127.0.0.1:%d" % filter_port, [
                "receive_override_options=no_unknown_recipient_checks,no_header_body_checks,"
                "no_address_mappings,no_milters"]))
        inst.start()
        mtatest.wait_smtpd(main_port)
        mtatest.wait_smtpd(filter_port)
        message = "From: alice@host.example.org\nSubject: rejectme\n\nx\n"
        with smtplib.SMTP("127.0.0.1", main_port, timeout=30) as c:
            c.ehlo("client.example")
            c.mail("alice@host.example.org")
            self.assertEqual(c.rcpt("unknown@virt.example"), (
                550, b"5.1.1 <unknown@virt.example>: Recipient address rejected: User unknown in "
                     b"virtual mailbox table"))
            self.assertEqual(c.rcpt("known@virt.example")[0], 250)
            code, text = c.data(message)
            self.assertEqual((code, text), (550, b"5.7.1 go away"))
        with smtplib.SMTP("127.0.0.1", filter_port, timeout=30) as c:
            c.ehlo("client.example")
            c.sendmail("alice@host.example.org", ["unknown@virt.example"], message)
        d = list(inst.incoming(1).values())[0]
        # Not masqueraded, no BCC recipients, no header check.
        self.assertEqual(d["sender"], "alice@host.example.org")
        self.assertEqual(d["recipients"], ["unknown@virt.example"])
        self.assertIn("From: alice@host.example.org", d["content"])
        self.assertNotRegex(inst.log(), r"unknown receive_override_options")


class InternalMailTest(mtatest.TempDirTestCase):
    """Bounce notices are internal mail: no header/body checks and no
    automatic BCC recipients (Postfix's internal_mail_filter_classes is
    empty by default)."""

    def test_bounce_notice_is_not_checked_nor_copied(self):
        hc = write_file(self, "hc", "/^Subject:/ WARN subject seen\n")
        transport = write_file(self, "transport", "bob@example.com error:5.1.1 no such user\n")
        inst, port = start_instance(
            self, "header_checks = regexp:%s\nalways_bcc = ab@example.net\n"
            "transport_maps = texthash:%s\n" % (hc, transport),
            ["cleanup", "anvil", "rewrite", "qmgr", "error", "bounce", "defer", "trace",
             "pickup"])
        # Submitted locally: smtpd would refuse the error-transport address
        # at RCPT, as Postfix does.
        inst.sendmail("bob@example.com", sender="alice@example.org",
                      message="Subject: to bounce\n\nx\n")
        inst.wait_log(r"sender non-delivery notification: \w+")
        notice = re.search(r"sender non-delivery notification: (\w+)", inst.log()).group(1)
        inst.wait_log(r"%s: from=<>, size=\d+, nrcpt=1 \(queue active\)" % notice)
        log = inst.log()
        # The message itself: checked once, copied to ab@; the notice: neither.
        self.assertEqual(log.count("warning: header Subject:"), 1, log)
        self.assertNotRegex(log, r"%s: to=<ab@example\.net>" % notice)


class FilterDeliveryTest(mtatest.TempDirTestCase):
    """FILTER with qmgr: every recipient goes to the filter's transport."""

    def test_filter_through_qmgr(self):
        hc = write_file(self, "hc", "/^Subject: filterme/ FILTER discard:filtered away\n")
        inst, port = start_instance(
            self, "header_checks = regexp:%s\n" % hc,
            ["cleanup", "anvil", "rewrite", "qmgr", "discard", "error", "bounce", "defer"])
        self.assertEqual(send(port, "Subject: filterme\n\nx\n"), "OK")
        inst.wait_log(r"to=<carol@example\.com>, relay=none, .*status=sent \((discarded: )?filtered away\)")
        inst.wait_log(r"to=<bob@example\.com>, relay=none, .*status=sent \((discarded: )?filtered away\)")
        inst.wait_empty()


SMTP_HEADER_CHECKS = r"""/^Subject: warnme/ WARN warned text
/^Subject: infome (.*)/ INFO info $1
/^X-Replace: (.*)/ REPLACE X-Replaced: $1
/^X-Prepend:/ PREPEND X-Added: yes
/^X-Ignore:/ IGNORE
/^Subject: rejectme/ REJECT no
/^Subject: holdme/ HOLD no
"""
SMTP_BODY_CHECKS = "/^bodywarn/ WARN bw\n/^bodyrep (.*)/ REPLACE new $1\n/^bodyignore/ IGNORE\n"
SMTP_MIME_HEADER_CHECKS = r"""/^Content-Type: text\/plain/ WARN mimewarn
/^MIME-Version:/ INFO mimever
/^X-Part: (.*)/ REPLACE X-Part-Replaced: $1
"""
SMTP_NESTED_HEADER_CHECKS = r"""/^Subject: nestedsubj/ WARN nestwarn
/^X-Nested:/ IGNORE
/^X-Part:/ WARN never: X-Part is a MIME part header
"""
SMTP_MESSAGES = [
    "Subject: warnme x\nX-Replace: abc\nX-Prepend: 1\nX-Ignore: 2\n\nbodywarn 1\nbodyrep q\n"
    "bodyignore\nend\n",
    "Subject: infome y\n\nz\n",
    "Subject: rejectme\n\nz\n",
    "Subject: holdme\n\nz\n",
    "Subject: mimetest\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BB\"\n"
    "X-Part: primary is not a MIME header\n\npreamble\n--BB\nContent-Type: text/plain\n"
    "X-Part: p1\n\npartbody\n--BB\nContent-Type: message/rfc822\n\nSubject: nestedsubj\n"
    "X-Nested: n1\nX-Kept: k\n\nnested body\n--BB--\nepilogue\n",
]
SMTP_LOG = re.compile(r"smtp\[\d+\]: (?:\w+: )?((?:warning|info|replace|prepend): (?:header|body) .*|"
                      r"warning: unsupported command .*)")


class SmtpClientChecksTest(mtatest.TempDirTestCase):
    """smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks
    and smtp_body_checks in the smtp client: what the next hop gets and the
    log lines, the same as Debian's Postfix relaying the same messages to a
    sink."""

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)

    def relay(self, start, log):
        """Sends SMTP_MESSAGES through a relay (start(sink_port) gives its
        smtpd port); (the sink's message bodies in order of Subject, the
        smtp client's check log lines)."""
        sink = SmtpSink()
        sink.start()
        self.addCleanup(sink.stop)
        port = start(sink.port)
        mtatest.wait_smtpd(port)
        for m in SMTP_MESSAGES:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
                c.ehlo("client.example")
                c.sendmail("alice@example.org", ["bob@example.com"], m)
        mtatest.wait_for(lambda: len(sink.transactions) >= len(SMTP_MESSAGES), 30, "deliveries")
        bodies = []
        for t in sink.transactions:
            text = t.data.decode().replace("\r\n", "\n")
            lines = [l for l in text.split("\n") if not re.match(r"(Received|\s|Message-Id|Date)", l)]
            bodies.append("\n".join(lines))
        mtatest.wait_for(lambda: "status=sent" in log() and log().count("status=sent") >= 4, 10,
                         "delivery log lines")
        return sorted(bodies), sorted(SMTP_LOG.findall(log()))

    def files(self):
        paths = []
        for name, text in (("shc", SMTP_HEADER_CHECKS), ("sbc", SMTP_BODY_CHECKS),
                           ("smc", SMTP_MIME_HEADER_CHECKS), ("snc", SMTP_NESTED_HEADER_CHECKS)):
            paths.append(os.path.join(self.tmp, name))
            with open(paths[-1], "w") as f:
                f.write(text)
        return ("mydestination =\nlocal_recipient_maps =\nsmtp_header_checks = regexp:%s\n"
                "smtp_body_checks = regexp:%s\nsmtp_mime_header_checks = regexp:%s\n"
                "smtp_nested_header_checks = regexp:%s\n" % tuple(paths))

    def test_smtp_checks_like_debian(self):
        cf = MAIN_CF.replace("mydestination = example.com\n", "") + self.files()

        def ours(sink_port):
            port = mtatest.free_port()
            inst = mtatest.MtaInstance(
                self, services=["cleanup", "anvil", "rewrite", "qmgr", "bounce", "defer", "trace"],
                main_cf=cf + "relayhost = [127.0.0.1]:%d\n" % sink_port,
                master_extra=mtatest.smtpd_service("127.0.0.1:%d" % port) +
                "smtp unix - n n - - smtp\nrelay unix - n n - - smtp\n")
            inst.start()
            self.inst = inst
            return port
        bodies, lines = self.relay(ours, lambda: self.inst.log())
        self.assertIn("Subject: warnme x\nX-Replaced: abc\nX-Added: yes\nX-Prepend: 1\n"
                      "From: alice@example.org\n\nbodywarn 1\nnew q\nend\n", bodies)
        self.assertIn("warning: unsupported command in smtp_header_checks map: REJECT no", lines)
        self.assertIn("replace: body bodyrep q: new q", lines)
        self.assertIn("warning: header Content-Type: text/plain: mimewarn", lines)
        self.assertIn("info: header MIME-Version: 1.0: mimever", lines)
        self.assertIn("warning: header Subject: nestedsubj: nestwarn", lines)
        mime = [b for b in bodies if "Subject: mimetest" in b][0]
        self.assertIn("\nX-Part: primary is not a MIME header\n", mime)
        self.assertIn("\nX-Part-Replaced: p1\n\npartbody\n", mime)
        self.assertIn("\nSubject: nestedsubj\nX-Kept: k\n\nnested body\n", mime)
        self.assertNotIn("never", "\n".join(lines))
        if not mtatest.DebianPostfix.usable():
            return

        def debian(sink_port):
            port = mtatest.free_port()
            self.deb = mtatest.DebianPostfix(
                self, main_cf=cf + "inet_interfaces = 127.0.0.1\nrelayhost = [127.0.0.1]:%d\n"
                % sink_port,
                master_cf=mtatest.DebianPostfix.receiving_master_cf(port) +
                "qmgr unix n - n 300 1 qmgr\nsmtp unix - - n - - smtp\n"
                "bounce unix - - n - 0 bounce\ndefer unix - - n - 0 bounce\n"
                "trace unix - - n - 0 bounce\n")
            if not self.deb.start():
                self.skipTest("Debian's Postfix does not start here")
            return port
        self.assertEqual((bodies, lines), self.relay(debian, lambda: self.deb.log()))


if __name__ == "__main__":
    unittest.main()

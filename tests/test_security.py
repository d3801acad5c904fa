"""Security checks as system tests (issue 16, "Hardening"): real instances
started with the real postfix command, clients on loopback addresses only.

- OpenRelayTest: an smtpd with Postfix's default restrictions
  (smtpd_relay_restrictions left alone, mynetworks = 127.0.0.1/32) and a
  client outside mynetworks (127.0.0.5) trying relay tricks (percent hack,
  quoted and doubled @, source routes, bang paths, trailing dots, address
  literals, 8-bit domains, case ...) against the domains it hosts: a local
  one (mydestination, every local part accepted), a virtual mailbox domain
  and a relay_domains domain. Whatever is accepted is delivered by the real
  qmgr/trivial-rewrite/smtp chain: mail for our domains to one sink
  (local_transport, virtual_transport and relay_transport point there),
  everything foreign to another one (relayhost). The foreign sink must never
  see a probe. The RCPT replies are compared with Debian's Postfix when it
  can run here (root), and the whole battery is printed as a table.
- SmugglingTest: SMTP smuggling against two smtpd listeners of one
  instance, smtpd_forbid_bare_newline = normalize (the default) and reject:
  fake ends of DATA made of bare CR and bare LF (<LF>.<LF>, <LF>.<CR><LF>,
  <CR><LF>.<LF>, <CR>.<CR> ...), in DATA and in a BDAT chunk, followed by a
  second MAIL/RCPT/DATA. Always one message (or, with reject and a bare LF,
  a rejection), never two: checked in smtpd's replies and log and at the
  sink the mail is delivered to, which must not see a smuggled command (the
  smtp client must stuff every "." line it passes on, also the one from a
  long line it breaks). A proper <CR><LF>.<CR><LF> is the control that
  shows a second message would be seen. (test_smtpd.py and
  test_virtual_hash.py have the first <LF>.<CR><LF> cases.)
- SqlInjectionTest: a private MariaDB with the PostfixAdmin schema of
  examples/virtual-hosting (plus rows whose keys need quoting, and a
  latin1, a gbk and an sjis database), mysql: tables using every %
  expansion of mysql_table(5) (%s %u %d %1-%9 %S %U %D; single and double
  quoted templates), looked up with hostile keys (quotes, backslashes, NUL,
  invalid multibyte sequences, SQL comments, ' OR '1'='1, % and _, keys of
  10 kB to 400 kB) by postmap -q, postmap -q - (stdin), proxy:mysql:
  through proxymap, and a running smtpd's RCPT checks. No key may find what
  it should not, a query error must be a temporary error of that key (never
  an answer), and the good key asked right after every bad one must be
  found.

The two defects these tests found when they were written (an open relay
through routing in an address without a domain, and a mysql host marked
down by one oversized key) are fixed; their tests are plain tests.
"""
import concurrent.futures
import os
import re
import subprocess
import threading
import unittest

import mariadb
import mtatest
from smtp_sink import SmtpSink

OUTSIDE = "127.0.0.5"  # a loopback source address outside mynetworks = 127.0.0.1/32

# Daemons of a delivering instance; the smtp client line is added by hand
# (conf/master.cf's "smtp" also names the smtpd listener on port 25).
DELIVERY_SERVICES = ["cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "error",
                     "retry", "discard", "anvil", "showq"]
SMTP_CLIENT = "smtp unix - n n - - smtp\n"


def table(header, rows):
    """Formats rows (lists of str) as a plain text table."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def printable(b):
    """Bytes as text: printable ASCII as it is, other bytes as \\xNN."""
    return "".join(chr(c) if 32 <= c < 127 else "\\x%02x" % c for c in b)


class OpenRelayTest(unittest.TestCase):
    """One instance and one battery for the whole class: setUpClass sends
    every trick, waits until the queue is empty and records what each sink
    received; the tests judge groups of tricks."""

    # (group, RCPT TO argument). Our domains: ours.example (mydestination),
    # virt.example (virtual_mailbox_domains), relayed.example (relay_domains).
    # Anything else is foreign.
    TRICKS = [
        # baselines
        ("ours", b"<user@ours.example>"),
        ("ours", b"<user@virt.example>"),
        ("ours", b"<user@relayed.example>"),
        ("ours", b"<postmaster>"),
        ("ours", b"<user@[127.0.0.1]>"),  # inet_interfaces: a local literal
        ("ours", b"<user%ours.example>"),
        ("ours", b"<@other.example:user@ours.example>"),
        ("foreign", b"<user@other.example>"),
        ("foreign", b"user@other.example"),
        # percent hack
        ("foreign", b"<user%other.example@ours.example>"),
        ("foreign", b"<user%other.example@virt.example>"),
        ("foreign", b"<user%other.example@relayed.example>"),
        ("foreign", b"<user%other.example@localhost>"),
        ("foreign", b"<user%other.example@[127.0.0.1]>"),
        ("foreign", b"<user%other.example@OURS.EXAMPLE>"),
        ("foreign", b"<USER%OTHER.EXAMPLE@Ours.Example>"),
        ("foreign", b"<user%other.example@ours.example.>"),
        ("foreign", b"<user%other.example%ours.example@ours.example>"),
        ("foreign", b"<user%[192.0.2.1]@ours.example>"),
        ("foreign", b"<user\\%other.example@ours.example>"),
        ("foreign", b"<\xc3\xbcser%other.example@ours.example>"),
        # quoted local parts with @ and %
        ("foreign", b'<"user@other.example"@ours.example>'),
        ("foreign", b'<"user@other.example"@virt.example>'),
        ("foreign", b'<"user@other.example"@relayed.example>'),
        ("foreign", b'<"user%other.example"@ours.example>'),
        ("foreign", b'<"other.example!user"@ours.example>'),
        ("foreign", b'<"user@[192.0.2.1]"@ours.example>'),
        ("foreign", b'<"user@other.example@ours.example">'),
        ("foreign", b'<"user%other.example@ours.example"@ours.example>'),
        ("foreign", b'<"user@other.example">'),
        # two @
        ("foreign", b"<user@other.example@ours.example>"),
        ("foreign", b"<user\\@other.example@ours.example>"),
        ("foreign", b"<user@[192.0.2.1]@ours.example>"),
        ("foreign", b"<user@ours.example@other.example>"),
        # source routes
        ("foreign", b"<@ours.example:user@other.example>"),
        ("foreign", b"<@ours.example,@virt.example:user@other.example>"),
        ("foreign", b"<@[127.0.0.1]:user@other.example>"),
        # bang paths
        ("foreign", b"<other.example!user@ours.example>"),
        ("foreign", b"<other.example!user@virt.example>"),
        ("foreign", b"<ours.example!other.example!user@ours.example>"),
        # trailing dots and case
        ("foreign", b"<user@other.example.>"),
        ("foreign", b"<user@other.example..>"),
        ("foreign", b"<user@OTHER.EXAMPLE>"),
        # address literals
        ("foreign", b"<user@[192.0.2.1]>"),
        ("foreign", b"<user@[127.0.0.2]>"),
        ("foreign", b"<user@[IPv6:::1]>"),
        ("foreign", b"<user@192.0.2.1>"),
        ("foreign", b"<user@[ours.example]>"),
        # 8-bit and look-alike domains
        ("foreign", b"<user@ours.ex\xc3\xa4mple>"),
        ("foreign", b"<user@\xd0\xbeurs.example>"),  # Cyrillic o
        ("foreign", b"<user@ours.example\xff>"),
        # our names inside a foreign one, junk in the domain
        ("foreign", b"<user@ours.example.other.example>"),
        ("foreign", b"<user@virt.example.other.example>"),
        ("foreign", b"<user@ours.example%other.example>"),
        ("foreign", b"<user@ours.example:other.example>"),
        ("foreign", b"<user@other.example(ours.example)>"),
        ("foreign", b"<user(@ours.example)@other.example>"),
        ("foreign", b"<user@other.example> <user@ours.example>"),
        ("foreign", b"<user@other.example\x00@ours.example>"),
        # routing in an address without a domain: see test_unqualified_routing_is_not_a_relay
        ("unqualified", b"<user%other.example>"),
        ("unqualified", b"user%other.example"),
        ("unqualified", b"<USER%OTHER.EXAMPLE>"),
        ("unqualified", b"<user%other.example.>"),
        ("unqualified", b'<"user%other.example">'),
        ("unqualified", b"<user%[192.0.2.1]>"),
        ("unqualified", b"<other.example!user>"),
        ("unqualified", b"<ours.example!other.example!user>"),
        ("unqualified", b"<@ours.example:user%other.example>"),
    ]

    MAIN_CF = (
        "myhostname = mx.ours.example\n"
        "mydestination = ours.example, $myhostname, localhost\n"
        "mynetworks = 127.0.0.1/32\n"
        # every local part of ours.example is accepted: the worst case
        "local_recipient_maps =\n"
        "virtual_mailbox_domains = virt.example\n"
        "virtual_mailbox_maps = inline:{{user@virt.example=virt/user/}}\n"
        "relay_domains = relayed.example\n"
        "smtpd_error_sleep_time = 0\n"
        "smtpd_peername_lookup = no\n"  # no DNS here: no resolver timeouts
    )

    @classmethod
    def setUpClass(cls):
        scope = mtatest.ClassScope(cls)
        os.chmod(scope.tmp, 0o755)
        cls.foreign = SmtpSink(host="127.0.0.2")  # relayhost: everything foreign
        cls.ours = SmtpSink(host="127.0.0.3")     # our domains' mailboxes / backend
        for sink in (cls.foreign, cls.ours):
            sink.start()
            cls.addClassCleanup(sink.stop)
        cls.port = mtatest.free_port()
        cls.inst = mtatest.MtaInstance(
            scope, services=DELIVERY_SERVICES,
            main_cf=cls.MAIN_CF + (
                "relayhost = %s\nlocal_transport = smtp:%s\nvirtual_transport = smtp:%s\n"
                "relay_transport = smtp:%s\n" % ((cls.foreign.nexthop,) + (cls.ours.nexthop,) * 3)),
            master_extra=SMTP_CLIENT + mtatest.smtpd_service("127.0.0.1:%d" % cls.port))
        cls.inst.start()
        mtatest.wait_smtpd(cls.port)
        # Debian's Postfix takes seconds to start: it runs meanwhile.
        debian = {}

        def run_debian():
            try:
                debian["replies"] = cls.debian_replies(scope)
            except BaseException as e:  # reported below, in this thread
                debian["error"] = e
        reference = threading.Thread(target=run_debian)
        reference.start()

        # The battery: one session per trick, from outside mynetworks.
        cls.replies = []
        for n, (_, rcpt) in enumerate(cls.TRICKS):
            cls.replies.append(cls.probe(n, rcpt, OUTSIDE))
        # Controls: relaying works from inside mynetworks, and is watched.
        cls.control_reply = cls.probe(len(cls.TRICKS), b"<control@other.example>", None)
        mtatest.wait_for(lambda: cls.inst.queued() == 0, 60,
                         lambda: "an empty queue; log:\n" + cls.inst.log())
        reference.join(120)
        if "error" in debian:
            raise debian["error"]
        cls.debian = debian.get("replies")
        cls.where = [cls.delivered(n) for n in range(len(cls.TRICKS) + 1)]
        rows = []
        for n, (group, rcpt) in enumerate(cls.TRICKS):
            row = [group, printable(rcpt), cls.replies[n][0]]
            if cls.debian is not None:
                row.append(cls.debian[n])
            rows.append(row + [cls.where[n]])
        header = ["group", "RCPT TO:", "reply"] + (["Debian's Postfix"] if cls.debian else []) \
            + ["delivered"]
        print("\nRelay battery from %s (mynetworks = 127.0.0.1/32); control from 127.0.0.1: %s,"
              " delivered %s\n%s" % (OUTSIDE, cls.control_reply[0], cls.where[-1],
                                     table(header, rows)), flush=True)

    @classmethod
    def probe(cls, n, rcpt, source):
        """One session: MAIL, RCPT rcpt and, when accepted, a message marked
        "X-Probe: n". Returns (RCPT reply, end-of-data reply or None)."""
        s, greeting = mtatest.smtp_connect(cls.port, source)
        with s:
            assert greeting.startswith("220"), greeting
            s.sendall(b"EHLO client.example\r\n")
            mtatest.recv_replies(s, 1)
            s.sendall(b"MAIL FROM:<probe@ours.example> SMTPUTF8\r\nRCPT TO:" + rcpt + b"\r\n")
            mail, reply = (mtatest.recv_replies(s, 2) + ["", ""])[:2]
            assert mail.startswith("250"), mail
            final = None
            if reply.startswith("2"):
                s.sendall(b"DATA\r\n")
                if mtatest.recv_replies(s, 1)[0].startswith("354"):
                    s.sendall(b"X-Probe: %d\r\nSubject: relay probe %d\r\n\r\nprobe\r\n.\r\n"
                              % (n, n))
                    final = mtatest.recv_replies(s, 1)[0]
            s.sendall(b"QUIT\r\n")
            mtatest.recv_until_closed(s)
        return reply.replace("\n", " / "), final

    @classmethod
    def delivered(cls, n):
        """Where probe n went: "ours <rcpts>", "FOREIGN <rcpts>", "... (notice)"
        for a bounce or other notice that contains it, "-" for nowhere."""
        marker = b"X-Probe: %d\r\n" % n
        out = []
        for name, sink in (("ours", cls.ours), ("FOREIGN", cls.foreign)):
            for t in sink.transactions:
                if marker in t.data:
                    notice = " (notice)" if t.mail.startswith("MAIL FROM:<>") else ""
                    out.append("%s %s%s" % (name, ",".join(t.rcpts), notice))
        return "; ".join(out) or "-"

    @classmethod
    def debian_replies(cls, scope):
        """The RCPT reply of Debian's Postfix to every trick, same
        configuration, same client address; None when it cannot run here."""
        if not mtatest.DebianPostfix.usable():
            return None
        port = mtatest.free_port()
        deb = mtatest.DebianPostfix(
            scope, main_cf=cls.MAIN_CF + "inet_interfaces = 127.0.0.1\nsmtputf8_enable = yes\n",
            master_cf=mtatest.DebianPostfix.receiving_master_cf(port))
        if not deb.start():
            return None
        mtatest.wait_smtpd(port)

        def rcpt_reply(rcpt):
            s, _ = mtatest.smtp_connect(port, OUTSIDE)
            with s:
                s.sendall(b"EHLO client.example\r\n")
                mtatest.recv_replies(s, 1)
                s.sendall(b"MAIL FROM:<probe@ours.example> SMTPUTF8\r\nRCPT TO:" + rcpt + b"\r\n")
                replies = mtatest.recv_replies(s, 2)
            # Closed without QUIT: Debian's smtpd takes a second to end a
            # session with an open cleanup stream.
            return replies[1].replace("\n", " / ") if len(replies) > 1 else "(closed)"
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            out = list(pool.map(rcpt_reply, [rcpt for _, rcpt in cls.TRICKS]))
        deb.cleanup()
        return out

    # -- the judgements --

    def check_group(self, group):
        failures = []
        for n, (g, rcpt) in enumerate(self.TRICKS):
            if g != group:
                continue
            reply, final = self.replies[n]
            if "FOREIGN" in self.where[n]:
                failures.append("%s: RELAYED: %s, then %s" % (printable(rcpt), reply, final))
            elif reply.startswith("2") and (final is None or not final.startswith("250")):
                failures.append("%s: accepted (%s) but DATA got %s" % (printable(rcpt), reply, final))
            elif reply.startswith("2") and not self.where[n].startswith("ours"):
                failures.append("%s: accepted but delivered %s" % (printable(rcpt), self.where[n]))
            if self.debian is not None and not self.debian[n].startswith("2") \
                    and reply.startswith("2") and group != "ours":
                failures.append("%s: Debian's Postfix refuses it (%s), we accept it"
                                % (printable(rcpt), self.debian[n]))
        self.assertEqual(failures, [], "\n".join(failures))

    def test_controls(self):
        # Relaying from inside mynetworks reaches the foreign sink: a relayed
        # probe would have been seen.
        self.assertTrue(self.control_reply[0].startswith("250"), self.control_reply)
        self.assertEqual(self.where[-1], "FOREIGN control@other.example")
        for n, (group, rcpt) in enumerate(self.TRICKS):
            if group == "ours":
                self.assertTrue(self.replies[n][0].startswith("250"), (rcpt, self.replies[n]))
                self.assertTrue(self.where[n].startswith("ours "), (rcpt, self.where[n]))

    def test_our_domains_are_not_relays(self):
        self.check_group("ours")
        self.check_group("foreign")
        # Postfix's text for the refusal (defer_unauth_destination).
        n = self.TRICKS.index(("foreign", b"<user%other.example@ours.example>"))
        self.assertEqual(self.replies[n][0],
                         "454 4.7.1 <user%other.example@ours.example>: Relay access denied")

    # An address without a domain whose local part routes
    # (user%other.example, other.example!user) was accepted from any client
    # and relayed, because the resolver took it for local mail; Postfix
    # answers "454 4.7.1 <user%other.example>: Relay access denied".
    def test_unqualified_routing_is_not_a_relay(self):
        self.check_group("unqualified")


class SmugglingTest(unittest.TestCase):
    """SMTP smuggling: after DATA, a fake end of data made of bare CR and LF,
    then a second transaction (MAIL, RCPT, DATA, content) and the real end,
    then QUIT, all in one write; the same in a BDAT chunk. Two smtpd
    listeners of one instance: smtpd_forbid_bare_newline = normalize (the
    default) and = reject. The client is outside mynetworks (and so outside
    the default smtpd_forbid_bare_newline_exclusions); mail goes to
    ours.example, delivered to a sink by the smtp client."""

    # (name, kind, the bytes between "first part" and the smuggled commands)
    FAKE_ENDS = [
        ("<LF>.<LF>", "data", b"\n.\n"),
        ("<LF>.<CR><LF>", "data", b"\n.\r\n"),
        ("<CR><LF>.<LF>", "data", b"\r\n.\n"),
        ("<CR>.<CR>", "data", b"\r.\r"),
        ("<CR>.<LF>", "data", b"\r.\n"),
        ("<CR><LF>.<CR>", "data", b"\r\n.\r"),
        ("<CR>.<CR><LF>", "data", b"\r.\r\n"),
        ("<LF>.<CR>", "data", b"\n.\r"),
        ("<CR><LF>.<CR><CR><LF>", "data", b"\r\n.\r\r\n"),
        ("<CR><CR><LF>.<CR><CR><LF>", "data", b"\r\r\n.\r\r\n"),
        ("<CR><LF>.<SP><CR><LF>", "data", b"\r\n. \r\n"),
        ("<CR><LF>.<NUL><CR><LF>", "data", b"\r\n.\x00\r\n"),
        ("<CR><LF>..<CR><LF> (a stuffed dot)", "data", b"\r\n..\r\n"),
        ("<LF>.<LF>, commands ending in <LF>", "data-lf", b"\n.\n"),
        ("<CR><LF>.<LF> after a bare <LF> line", "data", b"\nbare\r\n.\n"),
        ("1996 x then .<CR><LF> (998 + 998 + .)", "data", b"\r\n" + b"x" * 1996 + b".\r\n"),
        ("2048 x then .<CR><LF> (line_length_limit)", "data", b"\r\n" + b"x" * 2048 + b".\r\n"),
        ("BDAT: <CR><LF>.<CR><LF> inside the chunk", "bdat", b"\r\n.\r\n"),
        ("BDAT: <LF>.<LF> inside the chunk", "bdat", b"\n.\n"),
        # The control: a proper end, then a pipelined second transaction.
        ("control: <CR><LF>.<CR><LF>", "data", b"\r\n.\r\n"),
    ]
    MODES = ("normalize", "reject")

    @classmethod
    def setUpClass(cls):
        scope = mtatest.ClassScope(cls)
        os.chmod(scope.tmp, 0o755)
        cls.sink = SmtpSink(host="127.0.0.3")
        cls.foreign = SmtpSink(host="127.0.0.2")
        for sink in (cls.sink, cls.foreign):
            sink.start()
            cls.addClassCleanup(sink.stop)
        cls.ports = {m: mtatest.free_port() for m in cls.MODES}
        cls.inst = mtatest.MtaInstance(
            scope, services=DELIVERY_SERVICES,
            main_cf="myhostname = mx.ours.example\nmydestination = ours.example\n"
                    "mynetworks = 127.0.0.1/32\nlocal_recipient_maps =\n"
                    "smtpd_peername_lookup = no\nrelayhost = %s\nlocal_transport = smtp:%s\n"
                    % (cls.foreign.nexthop, cls.sink.nexthop),
            master_extra=SMTP_CLIENT +
            mtatest.smtpd_service("127.0.0.1:%d" % cls.ports["normalize"]) +
            mtatest.smtpd_service("127.0.0.1:%d" % cls.ports["reject"],
                                  ["smtpd_forbid_bare_newline=reject"]))
        cls.inst.start()
        for port in cls.ports.values():
            mtatest.wait_smtpd(port)
        cls.results = {}
        for mode in cls.MODES:
            for n, (name, kind, fake) in enumerate(cls.FAKE_ENDS):
                cls.results[mode, n] = cls.attempt(mode, n, kind, fake)
        mtatest.wait_for(lambda: cls.inst.queued() == 0, 60,
                         lambda: "an empty queue; log:\n" + cls.inst.log())
        rows = []
        for mode in cls.MODES:
            for n, (name, _, _) in enumerate(cls.FAKE_ENDS):
                victim, smuggled = cls.at_sink(mode, n)
                rows.append([mode, name, " ".join(r[:3] for r in cls.results[mode, n]),
                             len(victim), len(smuggled)])
        print("\nSMTP smuggling from %s\n%s" % (OUTSIDE, table(
            ["smtpd_forbid_bare_newline", "fake end of data", "replies after 354 / BDAT",
             "at sink: victim", "smuggled"], rows)), flush=True)

    @staticmethod
    def addresses(mode, n):
        return "v-%s-%d@ours.example" % (mode, n), "s-%s-%d@ours.example" % (mode, n)

    @classmethod
    def attempt(cls, mode, n, kind, fake):
        """One session; returns the replies after 354 (DATA) or after RCPT
        (BDAT), up to the server's close."""
        victim, smuggled = cls.addresses(mode, n)
        eol = b"\n" if kind == "data-lf" else b"\r\n"
        content = (b"From: <alice@attacker.example>\r\nSubject: smuggling " + victim.encode() +
                   b"\r\n\r\nfirst part" + fake +
                   b"MAIL FROM:<admin@ours.example>" + eol +
                   b"RCPT TO:<" + smuggled.encode() + b">" + eol + b"DATA" + eol +
                   b"From: <admin@ours.example>" + eol + b"Subject: smuggled" + eol + eol +
                   b"smuggled body\r\n")
        s, greeting = mtatest.smtp_connect(cls.ports[mode], OUTSIDE)
        with s:
            assert greeting.startswith("220"), greeting
            s.sendall(b"EHLO client.example\r\n")
            mtatest.recv_replies(s, 1)
            s.sendall(b"MAIL FROM:<alice@attacker.example>\r\nRCPT TO:<" + victim.encode() +
                      b">\r\n" + (b"DATA\r\n" if kind != "bdat" else b""))
            replies = mtatest.recv_replies(s, 3 if kind != "bdat" else 2)
            assert [r[:3] for r in replies] == (["250", "250", "354"] if kind != "bdat"
                                                else ["250", "250"]), replies
            if kind == "bdat":
                s.sendall(b"BDAT %d LAST\r\n" % len(content) + content + b"QUIT\r\n")
            else:
                s.sendall(content + b".\r\nQUIT\r\n")
            return mtatest.recv_until_closed(s)

    @classmethod
    def at_sink(cls, mode, n):
        """The sink's transactions for the victim and for the smuggled recipient."""
        victim, smuggled = cls.addresses(mode, n)
        return ([t for t in cls.sink.transactions if victim in t.rcpts],
                [t for t in cls.sink.transactions if smuggled in t.rcpts])

    def expected(self, mode, n):
        """How many messages the session should have queued."""
        name, kind, fake = self.FAKE_ENDS[n]
        if name.startswith("control"):
            return 2
        bare_lf = re.search(rb"(?<!\r)\n", fake) or kind == "data-lf"
        return 0 if mode == "reject" and bare_lf else 1

    def test_one_message_or_a_rejection_never_two(self):
        failures = []
        for mode in self.MODES:
            for n, (name, kind, fake) in enumerate(self.FAKE_ENDS):
                replies = self.results[mode, n]
                got, got_smuggled = self.at_sink(mode, n)
                want = self.expected(mode, n)
                queued = [r for r in replies if "queued as" in r]
                what = "%s, %s: replies %r, at the sink %d + %d smuggled" % (
                    mode, name, replies, len(got), len(got_smuggled))
                if len(queued) != want or len(got) != min(want, 1) or \
                        len(got_smuggled) != (1 if want == 2 else 0):
                    failures.append(what)
                elif want == 0 and replies != [
                        "550 5.5.2 mx.ours.example Error: bare <LF> received"]:
                    failures.append(what)
                elif want == 1 and (replies[-1] != "221 2.0.0 Bye" or len(replies) != 2
                                    or b"smuggled body" not in got[0].data
                                    or b"RCPT TO:<%s>" % self.addresses(mode, n)[1].encode()
                                    not in got[0].data):
                    # the smuggled commands must be content of the one message
                    failures.append(what + ", content %r" % (got[0].data if got else None))
        self.assertEqual(failures, [], "\n".join(failures))

    def test_the_sink_sees_no_smuggled_command(self):
        # A "." line passed on unstuffed by the smtp client would end the
        # sink's DATA early and make it read the rest as commands.
        controls = {self.addresses(m, n)[1] for m in self.MODES
                    for n, (name, _, _) in enumerate(self.FAKE_ENDS) if name.startswith("control")}
        commands = self.sink.commands + self.foreign.commands
        rcpts = [m.group(1) for m in (re.match(r"RCPT TO:<(s-[^>]*)>", c) for c in commands) if m]
        self.assertEqual(sorted(rcpts), sorted(controls), commands)
        self.assertEqual(len([c for c in commands if c.startswith("MAIL FROM:<admin@")]),
                         len(controls), commands)
        self.assertEqual(self.foreign.transactions, [])

    def test_smtpd_ran_one_transaction_per_session(self):
        log = self.inst.log()
        # The controls' sessions are the only ones with two transactions.
        self.assertEqual(len(re.findall(r"disconnect from unknown\[127\.0\.0\.5\] ehlo=1 mail=2 ",
                                        log)), len(self.MODES), log)
        self.assertEqual(len(re.findall(r"qmgr\[\d+\]: \w+: from=<admin@ours\.example>", log)),
                         len(self.MODES), log)
        self.assertEqual(log.count("bare <LF> received from unknown[127.0.0.5]"),
                         sum(1 for m in self.MODES for n in range(len(self.FAKE_ENDS))
                             if self.expected(m, n) == 0), log)

# Rows whose keys need quoting, an alias domain with a catch-all target, a
# nine-label address, and two databases in multibyte charsets whose second
# bytes include '\' (0x5c): gbk and sjis, queried over connections in the
# same charset (the classic case against escaping that ignores the charset).
SQL_ROWS = r"""
USE postfix;
INSERT INTO alias (address, goto, domain) VALUES
  ('o''brien@example.jp', 'obrien@target.example', 'example.jp'),
  ('back\\slash@example.jp', 'backslash@target.example', 'example.jp'),
  ('dq"uote@example.jp', 'dquote@target.example', 'example.jp'),
  ('pct%@example.jp', 'percent@target.example', 'example.jp'),
  ('under_score@example.jp', 'underscore@target.example', 'example.jp'),
  ('nine@l9.l8.l7.l6.l5.l4.l3.example.jp', 'nine@target.example', 'l9.l8.l7.l6.l5.l4.l3.example.jp');
INSERT INTO alias_domain (alias_domain, target_domain) VALUES ('alias.example.net', 'example.net');
-- as PostfixAdmin has them: alias domains are domains too (virtual_mailbox_domains)
INSERT INTO domain (domain, description) VALUES ('alias.example.jp', 'alias'),
  ('alias.example.net', 'alias');
INSERT INTO mailbox (username, password, name, maildir, quota, local_part, domain) VALUES
  ('o''brien@example.jp', 'x', 'OBrien', 'example.jp/obrien/', 0, 'o''brien', 'example.jp');
CREATE DATABASE postfix_gbk CHARACTER SET gbk;
CREATE TABLE postfix_gbk.alias (address VARCHAR(255) NOT NULL PRIMARY KEY, goto TEXT NOT NULL,
  active TINYINT(1) NOT NULL DEFAULT 1) CHARACTER SET gbk;
INSERT INTO postfix_gbk.alias (address, goto) VALUES ('bob@example.jp', 'bob@example.jp');
CREATE DATABASE postfix_sjis CHARACTER SET sjis;
CREATE TABLE postfix_sjis.alias (address VARCHAR(255) NOT NULL PRIMARY KEY, goto TEXT NOT NULL,
  active TINYINT(1) NOT NULL DEFAULT 1) CHARACTER SET sjis;
INSERT INTO postfix_sjis.alias (address, goto) VALUES ('bob@example.jp', 'bob@example.jp');
-- A small packet limit (MySQL 5.5's default) makes a key too big for the
-- server cheap to build (test_key_larger_than_the_server_packet_limit).
SET GLOBAL max_allowed_packet = 1048576;
"""

# Hostile keys: none may find anything. Keys with bytes >= 0x80 may instead
# get a temporary error of their own from a table in another charset.
HOSTILE = [
    b"' OR '1'='1",
    b"x' OR '1'='1",
    b"x' OR 1=1 -- ",
    b"x' OR 1=1 #",
    b"x' OR 1=1 /*",
    b"*/ OR 1=1 /*",
    b"x'/*!50000 OR 1=1*/-- ",
    b"gone@example.jp' -- ",       # comments out "AND active = 1": an inactive row
    b"gone@example.jp'#",
    b"gone@example.jp'/*",
    b"gone@example.jp\\' -- ",
    b"x' UNION SELECT password FROM mailbox -- ",
    b"bob@example.jp'; DROP TABLE alias; -- ",
    b"bob@example.jp' AND '1'='0' UNION SELECT 'injected' -- ",
    b'x" OR "1"="1',
    b'gone@example.jp" -- ',
    b"x\\' OR 1=1 -- ",
    b"x\\\\' OR 1=1 -- ",
    b"\\",
    b"'",
    b'"',
    b"\\'",
    b"x' OR '1'='1@example.jp",
    b"gone' -- @example.jp",
    b"bob@example.jp' OR '1'='1",
    b"%",
    b"_",
    b"%@example.jp",
    b"_ob@example.jp",
    b"b%@example.jp",
    b"%s",
    b"%u@%d",
    b"%%",
    b"u@a'.b\".c\\.d--.e/*.f*/.g%.h_.i' OR '1'='1",
    b"nine@l9.l8.l7.l6.l5.l4.l3.example.jp' OR '1'='1",
    b"x\x00' OR '1'='1",
    b"bob@example.jp\x00",
    b"\xbf' OR '1'='1",              # gbk: 0xbf 0x5c is one character
    b"\xbf\\' OR 1=1 -- ",
    b"\x95' OR '1'='1",              # sjis: 0x95 0x5c is one character
    b"\x81\\' OR 1=1 -- ",
    b"\xff' OR '1'='1",
    b"\xe3\x81' OR '1'='1",          # a truncated UTF-8 sequence
    b"\xc0\xa7 OR 1=1 -- ",          # an overlong UTF-8 apostrophe
    b"\xef\xbc\x87 OR 1=1 -- ",      # U+FF07 FULLWIDTH APOSTROPHE
    b"\xe3\x81\xbb\xe3\x81\x92' OR '1'='1@example.jp",
    b"x" * 10240 + b"' OR '1'='1",
    b"'" * 10240,
    b"\\" * 100000,
    b"'" * 400000,
]


@unittest.skipUnless(mariadb.available(), "MariaDB server not installed")
class SqlInjectionTest(unittest.TestCase):
    """One private MariaDB and one instance (smtpd, proxymap, trivial-rewrite
    ...) for the class; every table is looked up with every hostile key, each
    followed by the table's good key."""

    # name -> (.cf body after hosts/user/password, good key, its value);
    # the example's query files are copied with the private server's settings.
    TABLES = {
        "alias": (None, b"bob@example.jp", b"bob@example.jp"),                   # %s
        "domains": (None, b"example.jp", b"example.jp"),                          # %s
        "mailbox": (None, b"bob@example.jp", b"example.jp/bob/"),                 # %s
        "alias_domain": (None, b"bob@alias.example.jp", b"bob@example.jp"),       # %u %d
        "alias_domain_mailbox": (None, b"bob@alias.example.jp", b"example.jp/bob/"),
        "alias_domain_catchall": (None, b"x@alias.example.net", b"carol@example.net"),  # %d
        "parts": ("dbname = postfix\nquery = SELECT maildir FROM mailbox WHERE username = '%S'"
                  " AND local_part = '%U' AND domain = '%D' AND domain = CONCAT('%2', '.', '%1')"
                  " AND active = 1\n", b"bob@example.jp", b"example.jp/bob/"),
        "labels": ("dbname = postfix\nquery = SELECT goto FROM alias WHERE address = '%s' AND"
                   " domain = CONCAT_WS('.', '%9', '%8', '%7', '%6', '%5', '%4', '%3', '%2',"
                   " '%1') AND active = 1\n",
                   b"nine@l9.l8.l7.l6.l5.l4.l3.example.jp", b"nine@target.example"),
        "dquote": ('dbname = postfix\nquery = SELECT goto FROM alias WHERE address = "%s" AND'
                   ' active = 1\n', b"bob@example.jp", b"bob@example.jp"),
        "latin1": (None, b"bob@example.jp", b"bob@example.jp"),
        "gbk": ("dbname = postfix_gbk\ncharset = gbk\nquery = SELECT goto FROM alias WHERE"
                " address = '%s' AND active = 1\n", b"bob@example.jp", b"bob@example.jp"),
        "sjis": ("dbname = postfix_sjis\ncharset = sjis\nquery = SELECT goto FROM alias WHERE"
                 " address = '%s' AND active = 1\n", b"bob@example.jp", b"bob@example.jp"),
    }
    EXAMPLE_FILES = {
        "alias": "mysql_virtual_alias_maps.cf",
        "domains": "mysql_virtual_domains_maps.cf",
        "mailbox": "mysql_virtual_mailbox_maps.cf",
        "alias_domain": "mysql_virtual_alias_domain_maps.cf",
        "alias_domain_mailbox": "mysql_virtual_alias_domain_mailbox_maps.cf",
        "alias_domain_catchall": "mysql_virtual_alias_domain_catchall_maps.cf",
    }
    # Keys that must be found as they are (escaping keeps every byte).
    QUOTED_ROWS = {
        "alias": [(b"o'brien@example.jp", b"obrien@target.example"),
                  (b"back\\slash@example.jp", b"backslash@target.example"),
                  (b'dq"uote@example.jp', b"dquote@target.example"),
                  (b"pct%@example.jp", b"percent@target.example"),
                  (b"under_score@example.jp", b"underscore@target.example")],
        "dquote": [(b"o'brien@example.jp", b"obrien@target.example"),
                   (b'dq"uote@example.jp', b"dquote@target.example")],
        "parts": [(b"o'brien@example.jp", b"example.jp/obrien/")],
    }

    @classmethod
    def setUpClass(cls):
        scope = mtatest.ClassScope(cls)
        os.chmod(scope.tmp, 0o755)
        cls.db = mariadb.MariaDB()
        cls.db.start()
        cls.addClassCleanup(cls.db.cleanup)
        vh = os.path.join(mtatest.EXAMPLES, "virtual-hosting")
        cls.db.execute_file(os.path.join(vh, "postfixadmin-schema.sql"))
        cls.db.execute_file(os.path.join(mtatest.EXAMPLES, "mysql-charset", "schema-latin1.sql"))
        cls.db.execute(SQL_ROWS)
        sql = os.path.join(scope.tmp, "sql")
        os.makedirs(sql)
        settings = cls.db.cf_settings()
        cls.cf = {}
        for name, (body, _, _) in cls.TABLES.items():
            path = os.path.join(sql, name + ".cf")
            if name in cls.EXAMPLE_FILES:
                mariadb.rewrite_cf(os.path.join(vh, "sql", cls.EXAMPLE_FILES[name]), path, settings)
            elif name == "latin1":
                mariadb.rewrite_cf(os.path.join(mtatest.EXAMPLES, "mysql-charset", "my_alias.cf"),
                                   path, settings)
            else:
                with open(path, "w") as f:
                    f.write("".join("%s = %s\n" % kv for kv in settings.items()) + body)
            cls.cf[name] = path
        proxy = lambda *names: ", ".join("proxy:mysql:" + cls.cf[n] for n in names)
        cls.port = mtatest.free_port()
        cls.inst = mtatest.MtaInstance(
            scope, services=["cleanup", "rewrite", "proxymap", "anvil"],
            main_cf="myhostname = mx.example.jp\nmydestination =\nmynetworks = 127.0.0.1/32\n"
                    "smtpd_peername_lookup = no\nsmtpd_error_sleep_time = 0\n"
                    "virtual_mailbox_domains = %s\nvirtual_alias_maps = %s\n"
                    "virtual_mailbox_maps = %s\nproxy_read_maps = %s\n"
                    % (proxy("domains"),
                       proxy("alias", "alias_domain", "alias_domain_catchall"),
                       proxy("mailbox", "alias_domain_mailbox", "parts", "labels", "dquote",
                             "gbk", "sjis", "latin1"),
                       proxy(*cls.TABLES)),
            master_extra=mtatest.smtpd_service("127.0.0.1:%d" % cls.port))
        cls.inst.start()
        mtatest.wait_smtpd(cls.port)

    # -- helpers --

    def postmap(self, *args, input=None):
        """Runs our postmap (bytes in and out) with the instance's config."""
        p = subprocess.run([mtatest.program("postmap"), "-c", self.inst.etc] + list(args),
                           input=input, capture_output=True, timeout=120,
                           env=dict(os.environ, MAIL_CONFIG=self.inst.etc))
        return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")

    def check_batch(self, spec, name, keys):
        """postmap -q - with every key followed by the table's good key.
        Returns a list of failures."""
        good, value = self.TABLES[name][1:]
        lines, want = [], b""
        for key in keys:
            lines += [key, good]
            want += good + b"\t" + value + b"\n"
        for key, v in self.QUOTED_ROWS.get(name, []):
            lines.append(key)
            want += key + b"\t" + v + b"\n"
        rc, out, err = self.postmap("-q", "-", spec, input=b"\n".join(lines) + b"\n")
        failures = []
        if out != want:
            got, expected = out.split(b"\n"), want.split(b"\n")
            extra = [l[:120] for l in got if l not in expected]
            missing = [l[:120] for l in expected if l not in got]
            failures.append("%s: %d answers instead of %d; unexpected %r, missing %r" % (
                spec, len(got) - 1, len(expected) - 1, extra, missing))
        failures += self.bad_warnings(spec, err)
        if name == "latin1":
            # A multibyte key cannot be compared with a latin1 column: a
            # temporary error for it, never "not found".
            errors = len(re.findall(r"query error for key", err))
            nonascii = sum(1 for k in keys if any(b >= 0x80 for b in k))
            if errors != nonascii:
                failures.append("%s: %d query errors for %d non-ASCII keys:\n%s"
                                % (spec, errors, nonascii, err[:3000]))
        return failures

    def bad_warnings(self, where, err):
        """Warnings are allowed only as a key's own temporary error caused by
        its charset (a key with bytes >= 0x80 against another charset)."""
        bad = []
        for line in err.splitlines():
            if "Illegal mix of collations" in line or "Incorrect string value" in line \
                    or "Cannot convert string" in line:
                if re.search(r'key "[^"]*[\x80-\uffff]', line) or "\ufffd" in line:
                    continue
            bad.append(line[:300])
        return ["%s: %s" % (where, l) for l in bad]

    # -- the tests --

    def test_postmap_stdin_every_table(self):
        failures = []
        for name in self.TABLES:
            failures += self.check_batch("mysql:" + self.cf[name], name, HOSTILE)
        self.assertEqual(failures, [], "\n".join(failures))

    def test_postmap_q_one_key_at_a_time(self):
        # Command-line keys: no NUL, at most the kernel's argument size.
        keys = [k for k in HOSTILE if b"\x00" not in k and len(k) < 100000]
        jobs = [(name, key) for name in ("alias", "parts", "dquote", "gbk") for key in keys]

        def one(job):
            name, key = job
            rc, out, err = self.postmap("-q", key, "mysql:" + self.cf[name])
            if (rc, out) != (1, b"") or (err and not self.charset_error(key, err)):
                return ["%s %r: rc=%d out=%r err=%r" % (name, key[:80], rc, out[:200], err[:300])]
            return []
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            failures = sum(pool.map(one, jobs), [])
        for name, rows in self.QUOTED_ROWS.items():
            for key, value in rows:
                rc, out, err = self.postmap("-q", key, "mysql:" + self.cf[name])
                if (rc, out, err) != (0, value + b"\n", ""):
                    failures.append("%s %r: rc=%d out=%r err=%r" % (name, key, rc, out, err))
        self.assertEqual(failures, [], "\n".join(failures))

    def charset_error(self, key, err):
        return any(b >= 0x80 for b in key) and "postmap: fatal: table mysql:" in err and (
            "Illegal mix of collations" in err or "Incorrect string value" in err)

    def test_through_proxymap(self):
        # Keys within the proxy protocol's 1 MB value limit.
        keys = [k for k in HOSTILE if len(k) < 1 << 20]
        failures = []
        for name in ("alias", "alias_domain", "parts", "latin1", "gbk"):
            failures += self.check_batch("proxy:mysql:" + self.cf[name], name, keys)
        self.assertEqual(failures, [], "\n".join(failures))
        self.assertNotIn("is unavailable", self.inst.log())

    def test_smtpd_rcpt(self):
        """The hostile keys that SMTP can carry, as quoted local parts (and a
        few as domains) of RCPT TO from outside mynetworks, each followed by
        a good recipient in the same transaction."""
        def quoted(local):
            return b'"' + local.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
        rcpts = []
        for key in HOSTILE:
            if b"\x00" in key or len(key) > 1000:
                continue
            rcpts.append(b"<" + quoted(key) + b"@example.jp>")
        # %u %d of the alias domain tables; the domain part; a long one.
        rcpts += [b"<\"x' OR '1'='1\"@alias.example.jp>", b"<\"gone' -- \"@alias.example.jp>",
                  b"<x@example.jp' OR '1'='1>", b"<x@example.jp'-->", b"<gone@example.jp'-->",
                  b"<" + quoted(b"'" * 900) + b"@example.jp>"]
        rows, failures = [], []
        for rcpt in rcpts:
            s, _ = mtatest.smtp_connect(self.port, OUTSIDE)
            with s:
                s.sendall(b"EHLO client.example\r\n")
                mtatest.recv_replies(s, 1)
                s.sendall(b"MAIL FROM:<someone@outside.example> SMTPUTF8\r\nRCPT TO:" + rcpt +
                          b"\r\nRCPT TO:<bob@example.jp>\r\nQUIT\r\n")
                replies = mtatest.recv_until_closed(s)
            hostile, good = (replies + ["", "", ""])[1:3]
            rows.append([printable(rcpt)[:60], hostile[:90], good[:12]])
            # Refused: unknown, bad syntax, or (@ % ! in the local part, a
            # domain that is no host name) not ours; a multibyte key that
            # gets as far as the latin1 table: 451, never "unknown".
            if any(b >= 0x80 for b in rcpt) and hostile[:3] not in ("454", "500", "501"):
                refused = hostile.startswith("451 4.3.0")  # the latin1 table's error
            else:
                refused = hostile.startswith("5") or hostile.endswith(": Relay access denied")
            if not refused or not good.startswith("250"):
                failures.append("%r: %r, then <bob@example.jp>: %r" % (rcpt, hostile, good))
        # And the rows whose keys need quoting are found.
        for rcpt in (b"<o'brien@example.jp>", b'<"dq\\"uote"@example.jp>',
                     b'<"back\\\\slash"@example.jp>', b"<under_score@example.jp>"):
            s, _ = mtatest.smtp_connect(self.port, OUTSIDE)
            with s:
                s.sendall(b"EHLO client.example\r\n")
                mtatest.recv_replies(s, 1)
                s.sendall(b"MAIL FROM:<someone@outside.example>\r\nRCPT TO:" + rcpt +
                          b"\r\nQUIT\r\n")
                reply = (mtatest.recv_until_closed(s) + ["", ""])[1]
            rows.append([printable(rcpt), reply, ""])
            if not reply.startswith("250"):
                failures.append("%r: %r" % (rcpt, reply))
        print("\nRCPT TO through proxy:mysql: from %s\n%s" % (
            OUTSIDE, table(["RCPT TO:", "reply", "then bob"], rows)), flush=True)
        self.assertEqual(failures, [], "\n".join(failures))
        self.assertNotRegex(self.inst.log(), r"error 1064|SQL syntax")

    # A key larger than the server's max_allowed_packet makes the server
    # drop the connection: a temporary error for that key only; the host
    # was once marked down, so one key denied every lookup after it.
    def test_key_larger_than_the_server_packet_limit(self):
        # Other tests share proxymap: wait until its table is back.
        alias = "proxy:mysql:" + self.cf["alias"]
        self.addCleanup(mtatest.wait_for, lambda: self.postmap("-q", "bob@example.jp", alias)[0] == 0,
                        90, "proxymap's " + alias + " back in use", 0.5)
        big = b"'" * 600000  # 1.2 MB once escaped
        for spec in ("mysql:" + self.cf["alias"], "proxy:mysql:" + self.cf["alias"]):
            rc, out, err = self.postmap("-q", "-", spec, input=b"bob@example.jp\n" + big +
                                        b"\nbob@example.jp\nbob@example.jp\n")
            self.assertEqual(out, b"bob@example.jp\tbob@example.jp\n" * 3,
                             "%s:\n%s" % (spec, re.sub(r"'{20,}", "'...", err)))


if __name__ == "__main__":
    unittest.main()

"""System tests of the local(8) delivery agent with real UNIX accounts:
mail for mydestination submitted through SMTP (smtplib) and sendmail,
delivered by local into Maildirs (home_mailbox), mbox files in a private
mail_spool_directory, through aliases (several targets, files, commands,
:include:), .forward files (with and without a kept copy), user+ext and
mailbox_command exit codes; unknown users rejected at RCPT by the default
local_recipient_maps (unix:passwd.byname) and bounced for sendmail; an
alias database rebuilt with newaliases; mailbox_transport_maps,
mailbox_command_maps and fallback_transport handing recipients to the smtp
client and a test sink.

The accounts are created by the test (useradd, unique names, homes in the
test's directory) and removed afterwards, so the tests need root; without
it they are skipped (they cannot create users)."""
import os
import pwd
import random
import re
import shutil
import smtplib
import string
import subprocess
import unittest

import mtatest
from smtp_sink import SmtpSink

ROOT = os.geteuid() == 0
SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "showq",
            "proxymap", "local"]
HAVE_USERADD = shutil.which("useradd") is not None


def unique(prefix):
    return prefix + "".join(random.choice(string.ascii_lowercase) for _ in range(6))


@unittest.skipUnless(ROOT and HAVE_USERADD,
                     "needs root and useradd: the tests create real UNIX accounts")
class LocalTest(mtatest.TempDirTestCase):
    MAIL_OWNER = None  # everything runs as root

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)
        self.users = {}
        for role in ("ann", "ben", "cat", "privs"):
            name = unique("mt" + role[0])
            home = os.path.join(self.tmp, "home", name)
            os.makedirs(os.path.dirname(home), exist_ok=True)
            r = mtatest.run(["useradd", "-m", "-d", home, "-s", "/bin/sh", "-U", name])
            self.assertEqual(r.rc, 0, r)
            self.addCleanup(self.remove_user, name)
            pw = pwd.getpwnam(name)
            self.users[role] = pw
        self.spool = os.path.join(self.tmp, "spool")
        os.makedirs(self.spool)
        os.chmod(self.spool, 0o1777)
        self.port = mtatest.free_port()

    def remove_user(self, name):
        subprocess.run(["userdel", name], capture_output=True, timeout=60)

    def name(self, role):
        return self.users[role].pw_name

    def home(self, role):
        return self.users[role].pw_dir

    def instance(self, main_cf="", aliases="", services=SERVICES):
        inst = mtatest.MtaInstance(
            self, services=services, mail_owner=self.MAIL_OWNER,
            master_extra=mtatest.smtpd_service(
                "127.0.0.1:%d" % self.port),
            main_cf="myhostname = mx.local.test\nmydomain = local.test\n"
                    "mydestination = $myhostname, localhost\n"
                    "recipient_delimiter = +\n"
                    "mail_spool_directory = %s\n"
                    "default_privs = %s\n"
                    "smtpd_peername_lookup = no\n"
                    "queue_run_delay = 1s\nminimal_backoff_time = 2s\n"
                    "maximal_backoff_time = 4s\n"
                    % (self.spool, self.name("privs")) + main_cf)
        self.aliases = os.path.join(inst.etc, "aliases")
        with open(self.aliases, "w") as f:
            f.write(aliases)
        with open(os.path.join(inst.etc, "main.cf"), "a") as f:
            f.write("alias_maps = hash:%s\nalias_database = hash:%s\n"
                    % (self.aliases, self.aliases))
        r = inst.run("newaliases")
        self.assertEqual(r.rc, 0, r)
        self.inst = inst
        return inst

    def wait_maildir(self, role, count=1, sub="Maildir"):
        d = os.path.join(self.home(role), sub, "new")
        mtatest.wait_for(lambda: os.path.isdir(d) and len(os.listdir(d)) >= count, 30,
                         lambda: "%d message(s) in %s; log:\n%s" % (count, d, self.inst.log()))
        out = []
        for n in sorted(os.listdir(d)):
            with open(os.path.join(d, n), "rb") as f:
                out.append(f.read())
        return out

    def wait_file(self, path, text, timeout=30):
        def has():
            try:
                with open(path, "rb") as f:
                    return text in f.read()
            except FileNotFoundError:
                return False
        mtatest.wait_for(has, timeout,
                         lambda: "%r in %s; log:\n%s" % (text, path, self.inst.log()))
        with open(path, "rb") as f:
            return f.read()

    def smtp_send(self, rcpts, body="Subject: hi\r\n\r\nhello\r\n", sender="x@example.org"):
        with mtatest.smtplib_client(self, self.port) as c:
            c.ehlo("client.example")
            return c.sendmail(sender, rcpts, body)

    def test_home_mailbox_maildir_via_smtp_and_ext(self):
        inst = self.instance("home_mailbox = Maildir/\n")
        inst.start()
        self.smtp_send(["%s@mx.local.test" % self.name("ann"),
                        "%s+lists@localhost" % self.name("ben")])
        msg = self.wait_maildir("ann")[0]
        self.assertIn(b"Delivered-To: %s@mx.local.test" % self.name("ann").encode(), msg)
        self.assertIn(b"Return-Path: <x@example.org>", msg)
        self.assertTrue(msg.endswith(b"hello\n"))
        msg = self.wait_maildir("ben")[0]
        self.assertIn(b"Delivered-To: %s+lists@localhost" % self.name("ben").encode(), msg)
        d = os.path.join(self.home("ann"), "Maildir", "new")
        st = os.stat(os.path.join(d, os.listdir(d)[0]))
        self.assertEqual((st.st_uid, st.st_gid), (self.users["ann"].pw_uid,
                                                  self.users["ann"].pw_gid))
        inst.wait_log(r"to=<%s@mx.local.test>, relay=local, .*status=sent \(delivered to "
                      r"maildir\)" % self.name("ann"))

    def test_mbox_in_spool_and_unknown_user(self):
        inst = self.instance()
        inst.start()
        inst.send("%s@localhost" % self.name("cat"), sender="x@example.org")
        spool = os.path.join(self.spool, self.name("cat"))
        data = self.wait_file(spool, b"body\n")
        self.assertTrue(data.startswith(b"From x@example.org  "))
        self.assertEqual(os.stat(spool).st_uid, self.users["cat"].pw_uid)
        inst.wait_log(r"to=<%s@localhost>, relay=local, .*status=sent \(delivered to mailbox\)"
                      % self.name("cat"))
        # Unknown user: 550 at RCPT (local_recipient_maps, the default
        # proxy:unix:passwd.byname $alias_maps) ...
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            self.smtp_send(["nosuchuser-xyz@mx.local.test"])
        code, text = cm.exception.recipients["nosuchuser-xyz@mx.local.test"]
        self.assertEqual((code, text.decode()),
                         (550, "5.1.1 <nosuchuser-xyz@mx.local.test>: Recipient address "
                               "rejected: User unknown in local recipient table"))
        # ... and bounced when submitted with sendmail (to cat's mbox).
        inst.send("nosuchuser-xyz@localhost", sender="%s@localhost" % self.name("cat"))
        inst.wait_log(r"to=<nosuchuser-xyz@localhost>, relay=local, .*dsn=5.1.1, "
                      r"status=bounced \(unknown user: \"nosuchuser-xyz\"\)")
        self.wait_file(spool, b"unknown user")

    def test_aliases_several_targets_file_command_include(self):
        out = os.path.join(self.tmp, "cmd.out")
        filebox = os.path.join(self.tmp, "filebox")
        incl = os.path.join(self.tmp, "list.incl")
        with open(incl, "w") as f:
            f.write("# members\n%s\n" % self.name("cat"))
        open(out, "w").close()
        open(filebox, "w").close()
        privs = self.users["privs"]
        for p in (out, filebox):
            os.chown(p, privs.pw_uid, privs.pw_gid)
        inst = self.instance(
            "home_mailbox = Maildir/\n",
            aliases="team: %s, %s\n"
                    "tofile: %s\n"
                    "tocmd: \"|/usr/bin/id -un >> %s; cat >> %s\"\n"
                    "incl: :include:%s\n"
                    % (self.name("ann"), self.name("ben"), filebox, out, out, incl))
        inst.start()
        inst.send("team@localhost", "tofile@localhost", "tocmd@localhost", "incl@localhost",
                  sender="x@example.org")
        self.wait_maildir("ann")
        self.wait_maildir("ben")
        self.wait_maildir("cat")
        self.wait_file(filebox, b"body\n")
        data = self.wait_file(out, b"body\n")
        # the command ran as default_privs (root owns the alias database)
        self.assertTrue(data.startswith(self.name("privs").encode() + b"\n"), data)
        self.assertIn(b"From x@example.org", data)
        inst.wait_log(r"to=<tocmd@localhost>, relay=local, .*status=sent \(delivered to "
                      r"command: ")
        inst.wait_log(r"to=<tofile@localhost>, relay=local, .*status=sent \(delivered to "
                      r"file: %s\)" % filebox)

    def test_forward_with_and_without_kept_copy(self):
        inst = self.instance("home_mailbox = Maildir/\n")
        ann, ben, cat = self.name("ann"), self.name("ben"), self.name("cat")
        for role, text in (("ann", "%s\n" % cat), ("ben", "\\%s, %s\n" % (ben, cat))):
            path = os.path.join(self.home(role), ".forward")
            with open(path, "w") as f:
                f.write(text)
            os.chown(path, self.users[role].pw_uid, self.users[role].pw_gid)
        inst.start()
        inst.send("%s@localhost" % ann, sender="x@example.org")
        self.wait_maildir("cat")
        inst.send("%s@localhost" % ben, sender="x@example.org")
        self.wait_maildir("cat", 2)
        self.wait_maildir("ben")
        self.assertFalse(os.path.exists(os.path.join(self.home("ann"), "Maildir")))

    def test_mailbox_command_exit_codes(self):
        script = os.path.join(self.tmp, "mda.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\ncase \"$EXTENSION\" in\n"
                    "  bounce) echo no such mailbox here; exit 67;;\n"
                    "  defer) echo try again later; exit 75;;\n"
                    "esac\n(echo \"arg=$1\"; cat) > \"$HOME/delivered.$USER$EXTENSION\"\n")
        os.chmod(script, 0o755)
        # $extension in mailbox_command is filtered (command_expansion_filter)
        inst = self.instance("mailbox_command = %s ${extension}\n" % script)
        inst.start()
        ann = self.name("ann")
        inst.send("%s@localhost" % ann, "%s+bounce@localhost" % ann,
                  "%s+defer@localhost" % ann, sender="x@example.org")
        data = self.wait_file(os.path.join(self.home("ann"), "delivered." + ann), b"body\n")
        self.assertTrue(data.startswith(b"arg=\n"), data)
        inst.send("%s+x|y@localhost" % ann, sender="x@example.org")
        data2 = self.wait_file(os.path.join(self.home("ann"), "delivered.%sx|y" % ann),
                               b"body\n")
        self.assertTrue(data2.startswith(b"arg=x_y\n"), data2)
        self.assertIn(b"Delivered-To: %s@localhost" % ann.encode(), data)
        st = os.stat(os.path.join(self.home("ann"), "delivered." + ann))
        self.assertEqual(st.st_uid, self.users["ann"].pw_uid)
        inst.wait_log(r"to=<%s\+bounce@localhost>, relay=local, .*dsn=5.1.1, status=bounced "
                      r"\(user unknown. Command output: no such mailbox here \)" % ann)
        inst.wait_log(r"to=<%s\+defer@localhost>, relay=local, .*dsn=4.3.0, status=deferred "
                      r"\(temporary failure. Command output: try again later" % ann)

    def test_newaliases_after_an_edit(self):
        inst = self.instance("home_mailbox = Maildir/\n",
                             aliases="old: %s\n" % self.name("ann"))
        inst.start()
        inst.send("old@localhost", sender="x@example.org")
        self.wait_maildir("ann")
        with open(self.aliases, "a") as f:
            f.write("new: %s\n" % self.name("ben"))
        r = inst.run("newaliases")
        self.assertEqual(r.rc, 0, r)
        inst.send("new@localhost", sender="x@example.org")
        self.wait_maildir("ben")


    def test_loops_restrictions_luser_relay_and_owner_alias(self):
        inst = self.instance(
            "home_mailbox = Maildir/\nallow_mail_to_commands = alias\n"
            "luser_relay = %s@localhost\n" % self.name("cat"),
            aliases="fwd: x@remote.example\n"
                    "list: %s, y@remote.example\n"
                    "owner-list: %s\n" % (self.name("ann"), self.name("ben")))
        path = os.path.join(self.home("ben"), ".forward")
        with open(path, "w") as f:
            f.write("|/bin/cat\n")
        os.chown(path, self.users["ben"].pw_uid, self.users["ben"].pw_gid)
        inst.start()
        ann = self.name("ann")
        # A message that was here before: Delivered-To: fwd@localhost.
        inst.send("fwd@localhost", sender="%s@localhost" % ann,
                  headers="Delivered-To: fwd@localhost\n")
        inst.wait_log(r"to=<fwd@localhost>, relay=local, .*dsn=5.4.6, status=bounced "
                      r"\(mail forwarding loop for fwd@localhost\)")
        ndr = self.wait_maildir("ann")[0]
        self.assertIn(b"mail forwarding loop for fwd@localhost", ndr)
        # .forward commands are not allowed here (only aliases').
        inst.send("%s@localhost" % self.name("ben"), sender="x@example.org")
        inst.wait_log(r"to=<%s@localhost>, relay=local, .*dsn=5.7.1, status=bounced "
                      r"\(mail to command is restricted\)" % self.name("ben"))
        # luser_relay takes mail for unknown users (sendmail: no RCPT check).
        inst.send("nobody-here@localhost", sender="x@example.org")
        msg = self.wait_maildir("cat")[0]
        self.assertIn(b"Delivered-To: nobody-here@localhost", msg)
        # owner-list is the sender of what the list forwards.
        inst.send("list@localhost", sender="x@example.org")
        self.wait_maildir("ann", 2)
        mtatest.wait_for(lambda: "owner-list@mx.local.test" in inst.run("postqueue", "-p").out,
                         30, lambda: inst.run("postqueue", "-p").out + inst.log())
        self.assertIn("y@remote.example", inst.run("postqueue", "-p").out)


    def test_commands_for_root_run_as_default_privs(self):
        if os.path.exists(os.path.join(pwd.getpwnam("root").pw_dir, ".forward")):
            self.skipTest("root has a .forward file on this host")
        out = os.path.join(self.tmp, "root-cmd.out")
        open(out, "w").close()
        os.chown(out, self.users["privs"].pw_uid, self.users["privs"].pw_gid)
        inst = self.instance("mailbox_command = /usr/bin/id -un > %s\n" % out)
        inst.start()
        inst.send("root@localhost", sender="x@example.org")
        inst.wait_log(r"to=<root@localhost>, relay=local, .*status=sent \(delivered to "
                      r"command: /usr/bin/id -un > ")
        with open(out) as f:
            self.assertEqual(f.read(), self.name("privs") + "\n")

    def test_same_texts_and_headers_as_debian(self):
        if not mtatest.DebianPostfix.usable():
            self.skipTest("Debian's Postfix is not installed (or not root)")
        ann = self.name("ann")
        singles = ["%s@localhost" % ann, "nosuch-xyz@localhost", "c67@localhost",
                   "c75@localhost", "cok@localhost", "tofile@localhost"]
        rcpts = singles + ["team@localhost"]  # team: one line per member, none for team

        def aliases(tag):
            box = os.path.join(self.tmp, "filebox-" + tag)
            open(box, "w").close()
            os.chown(box, self.users["privs"].pw_uid, self.users["privs"].pw_gid)
            return ('c67: "|echo nope; exit 67"\nc75: "|echo later; exit 75"\n'
                    'cok: "|cat > /dev/null"\ntofile: %s\nteam: %s, %s\n'
                    % (box, self.name("ben"), self.name("cat"))), box

        def statuses(log):
            log = re.sub(r"forwarded as \w+", "forwarded as ID", log)
            out = {}
            for r in singles:
                m = re.findall(r": to=<%s>, relay=local, .*dsn=(\S+), status=(\w+) \((.*)\)$"
                               % re.escape(r), log, re.M)
                out[r] = m[0] if m else None
            # the deliveries of the message the alias forwarded
            out["team expanded"] = sorted(re.findall(
                r"to=<([^>]*)>, orig_to=<team@localhost>, relay=local, .*dsn=(\S+), "
                r"status=(\w+) \((.*)\)$", log, re.M)) or None
            return out

        def head(path):
            with open(path, "rb") as f:
                lines = f.read().split(b"\n")
            return lines[1:4]  # after the From line: Return-Path, X-Original-To, Delivered-To

        # Ours.
        text, ours_box = aliases("ours")
        inst = self.instance(aliases=text)
        inst.start()
        inst.send(*rcpts, sender="x@example.org")
        mtatest.wait_for(lambda: all(statuses(inst.log()).values()), 60,
                         lambda: "our deliveries:\n" + inst.log())
        ours = statuses(inst.log())
        ours_head = head(os.path.join(self.spool, ann))
        # Debian's, with its own spool and alias database.
        spool = os.path.join(self.tmp, "spool-debian")
        os.makedirs(spool)
        os.chmod(spool, 0o1777)
        text, deb_box = aliases("debian")
        deb_aliases = os.path.join(self.tmp, "aliases-debian")
        with open(deb_aliases, "w") as f:
            f.write(text)
        deb = mtatest.DebianPostfix(
            self, main_cf="myhostname = mx.local.test\nmydomain = local.test\n"
                          "mydestination = $myhostname, localhost\nrecipient_delimiter = +\n"
                          "mail_spool_directory = %s\ndefault_privs = %s\n"
                          "alias_maps = hash:%s\nalias_database = hash:%s\n"
                          "biff = no\nqueue_run_delay = 1s\n"
                          % (spool, self.name("privs"), deb_aliases, deb_aliases),
            master_cf="pickup unix n - n 60 1 pickup\ncleanup unix n - n - 0 cleanup\n"
                      "qmgr unix n - n 300 1 qmgr\nrewrite unix - - n - - trivial-rewrite\n"
                      "bounce unix - - n - 0 bounce\ndefer unix - - n - 0 bounce\n"
                      "trace unix - - n - 0 bounce\nlocal unix - n n - - local\n"
                      "proxymap unix - - n - - proxymap\nsmtp unix - - n - - smtp\n"
                      "postlog unix-dgram n - n - 1 postlogd\n")
        r = mtatest.run(["/usr/sbin/postalias", "-c", deb.etc, deb_aliases])
        self.assertEqual(r.rc, 0, r)
        if not deb.start():
            self.skipTest("Debian's Postfix does not start here")
        proc = subprocess.run(["/usr/sbin/sendmail", "-C", deb.etc, "-i", "-f",
                               "x@example.org"] + rcpts,
                              input=b"Subject: test\n\nbody\n", capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc)
        mtatest.wait_for(lambda: all(statuses(deb.log()).values()), 60,
                         lambda: "Debian's deliveries:\n" + deb.log())
        theirs = statuses(deb.log())
        self.assertEqual(ours["team expanded"], theirs["team expanded"])
        for r in singles:
            o, t = list(ours[r]), list(theirs[r])
            o[2] = o[2].replace(ours_box, "BOX")
            t[2] = t[2].replace(deb_box, "BOX")
            self.assertEqual(o, t, r)
        self.assertEqual(ours_head, head(os.path.join(spool, ann)))

    def test_mailbox_transport_command_maps_and_fallback_transport(self):
        """mailbox_transport_maps (key: the user name) hands ann's mail to
        the smtp client, which reports it (relay=, status=) and leaves the
        done mark to local; mailbox_command_maps runs ben's command; cat
        gets her Maildir; names without an account go to
        fallback_transport, and a transport that is not there defers with
        relay=none. A deferral by the other transport keeps the message
        queued until it succeeds; a bounce by it goes to the sender."""
        sink = SmtpSink(rcpt_replies={"nosuch-later@localhost": "450 4.2.0 try later",
                                      "nosuch-never@localhost": "550 5.1.1 no such user"})
        sink.start()
        self.addCleanup(sink.stop)
        ann, ben, cat = self.name("ann"), self.name("ben"), self.name("cat")
        out = os.path.join(self.home("ben"), "cmd.out")
        inst = self.instance(
            "home_mailbox = Maildir/\n"
            "mailbox_transport_maps = inline:{%s=smtp:%s, %s=gone}\n"
            "mailbox_command_maps = inline:{{%s=/bin/sh -c 'cat > %s'}}\n"
            "fallback_transport = smtp:%s\n"
            % (ann, sink.nexthop, self.name("privs"), ben, out, sink.nexthop),
            aliases="team: %s, %s\n" % (ann, cat),
            services=SERVICES + ["smtp", "postlog"])
        inst.start()
        self.smtp_send(["%s@localhost" % ann, "%s@localhost" % ben])
        inst.send("nosuch-xyz@localhost", sender="%s@localhost" % cat)
        mtatest.wait_for(lambda: len(sink.transactions) >= 2, 30,
                         lambda: "2 transactions in the sink; log:\n" + inst.log())
        self.assertEqual(sorted(sink.all_rcpts()),
                         ["%s@localhost" % ann, "nosuch-xyz@localhost"])
        inst.wait_log(r"smtp\[\d+\]: \w+: to=<%s@localhost>, relay=127.0.0.1\[127.0.0.1\]:%d, "
                      r".*dsn=2.0.0, status=sent \(250 " % (ann, sink.port))
        inst.wait_log(r"smtp\[\d+\]: \w+: to=<nosuch-xyz@localhost>, relay=127.0.0.1"
                      r"\[127.0.0.1\]:%d, .*status=sent" % sink.port)
        self.wait_file(out, b"hello")
        inst.wait_log(r"to=<%s@localhost>, relay=local, .*status=sent \(delivered to command: "
                      r"/bin/sh -c" % ben)
        inst.wait_empty()  # local marked the passed recipients done
        self.assertNotRegex(inst.log(), r"to=<%s@localhost>, relay=local" % ann)
        # An alias member is passed as the address it resolved to.
        inst.send("team@localhost", sender="x@example.org")
        self.wait_maildir("cat")
        inst.wait_log(r"smtp\[\d+\]: \w+: to=<%s@mx.local.test>, orig_to=<team@localhost>, "
                      r"relay=127.0.0.1\[127.0.0.1\]:%d, .*status=sent" % (ann, sink.port))
        inst.wait_empty()
        # A transport that is not in master.cf: deferred by local.
        inst.send("%s@localhost" % self.name("privs"), sender="x@example.org")
        inst.wait_log(r"local\[\d+\]: \w+: to=<%s@localhost>, relay=none, .*dsn=4.3.0, "
                      r"status=deferred \(mail transport unavailable\)" % self.name("privs"))
        # Deferred by the other transport, then delivered.
        inst.send("nosuch-later@localhost", sender="x@example.org")
        inst.wait_log(r"smtp\[\d+\]: \w+: to=<nosuch-later@localhost>, .*dsn=4.2.0, "
                      r"status=deferred")
        sink.rcpt_replies.pop("nosuch-later@localhost")
        inst.wait_log(r"smtp\[\d+\]: \w+: to=<nosuch-later@localhost>, .*status=sent", 30)
        # Bounced by the other transport: the sender gets the notice.
        inst.send("nosuch-never@localhost", sender="%s@localhost" % cat)
        inst.wait_log(r"smtp\[\d+\]: \w+: to=<nosuch-never@localhost>, .*dsn=5.1.1, "
                      r"status=bounced")
        ndr = self.wait_maildir("cat", 2)
        self.assertTrue(any(b"nosuch-never@localhost" in m and b"no such user" in m
                            for m in ndr), ndr)
        # Only the recipient local could not pass is left.
        mtatest.wait_for(lambda: inst.queued() == 1, 30, lambda: inst.log())

class LocalAsAdministratorsRunItTest(LocalTest):
    """The same with mail_owner = postfix and master.cf's unpriv column as
    written: local stays root and becomes each user; the other daemons
    (bounce, proxymap for unix:passwd.byname, ...) run as postfix."""
    MAIL_OWNER = "postfix"

    def setUp(self):
        try:
            pwd.getpwnam("postfix")
        except KeyError:
            self.skipTest("no postfix user (make test installs Debian's postfix package)")
        super().setUp()


if __name__ == "__main__":
    unittest.main()

"""Every setting is either honoured or named as unsupported: postconf,
`postfix check` and master warn about settings of parameters this system
does not implement; where ignoring one would lower security or lose mail
(SASL asked for, a milter, a content filter) the service refuses to
start, or the smtp client defers, instead of serving plain text."""
import os
import pwd
import re
import socket

import mtatest
from smtp_sink import SmtpSink

NOT_IMPLEMENTED = "is not implemented by this mail system; its setting is ignored"


class SettingsTest(mtatest.TempDirTestCase):

    def test_postconf_names_unimplemented_settings(self):
        etc = self.make_config(
            "myhostname = mx.example.com\n"
            "smtpd_milters = inet:127.0.0.1:8891\n"
            "biff = no\n"
            "readme_directory = no\n"
            "smtpd_tls_security_level = none\n"
            "milter_header_checks = regexp:/etc/postfix/milter_header_checks\n"
            "smtp_sasl_mechanisim_filter = plain\n")
        with open(os.path.join(etc, "master.cf"), "a") as f:
            f.write("submission inet n - n - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
                    "  -o smtpd_tls_auth_only=yes\n  -o smtpd_reject_footer=x\n")
        r = mtatest.run([mtatest.program("postconf"), "-c", etc, "myhostname"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, "myhostname = mx.example.com\n")
        warned = re.findall(r"parameter (\S+) " + re.escape(NOT_IMPLEMENTED), r.err)
        # SASL through Dovecot is implemented (smtpd_sasl_auth_enable,
        # smtpd_tls_auth_only); reject footers are not.
        self.assertEqual(sorted(warned),
                         ["milter_header_checks", "smtpd_milters", "smtpd_reject_footer"], r.err)
        self.assertIn("postconf: warning: %s/main.cf: parameter smtpd_milters " % etc, r.err)
        self.assertRegex(r.err, r"%s/master.cf: line \d+: service submission/inet: parameter "
                                r"smtpd_reject_footer " % re.escape(etc))
        # A misspelled name keeps Postfix's own warning.
        self.assertIn("unused parameter: smtp_sasl_mechanisim_filter=plain", r.err)

    def example_config(self, name):
        """The example's main.cf and master.cf (when it has one) as written,
        with the default master.cf services around them."""
        src = os.path.join(mtatest.EXAMPLES, name)
        with open(os.path.join(src, "main.cf")) as f:
            etc = self.make_config(f.read(), name="etc-" + name)
        if os.path.exists(os.path.join(src, "master.cf")):
            with open(os.path.join(src, "master.cf")) as f, \
                    open(os.path.join(etc, "master.cf"), "a") as out:
                out.write(f.read())
        return etc

    def warned(self, err):
        return sorted(set(re.findall(r"parameter (\S+) " + re.escape(NOT_IMPLEMENTED), err)))

    def test_the_virtual_hosting_example_as_written(self):
        etc = self.example_config("virtual-hosting")
        r = mtatest.run([mtatest.program("postconf"), "-c", etc, "myhostname"])
        self.assertEqual(r.rc, 0, r)
        # home_mailbox belongs to local(8), which exists (issue 18)
        self.assertNotIn("home_mailbox", self.warned(r.err), r.err)
        # smtpd's TLS and SASL through Dovecot, as the example asks, are
        # implemented (issue 15); the session cache database is tlsmgr's
        # (sessions resume through tickets).
        for name in ("smtpd_use_tls", "smtpd_tls_cert_file", "smtpd_tls_key_file",
                     "smtpd_tls_session_cache_database",
                     "smtpd_tls_loglevel", "smtpd_sasl_auth_enable", "smtpd_sasl_type",
                     "smtpd_sasl_path", "broken_sasl_auth_clients"):
            self.assertNotIn(name, self.warned(r.err), r.err)
        # Both smtpd services start: nothing they are asked for is ignored.
        with open(os.path.join(etc, "main.cf"), "a") as f:
            f.write("daemon_directory = %s\nqueue_directory = %s\ndata_directory = %s\n"
                    "mail_owner = %s\n"
                    % (mtatest.BIN, os.path.join(self.tmp, "queue"),
                       os.path.join(self.tmp, "data"), pwd.getpwuid(os.geteuid()).pw_name))
        r = mtatest.run([mtatest.program("postfix"), "-c", etc, "check"])
        self.assertNotIn("smtpd will refuse to start", r.err)
        self.assertNotIn("is not implemented by this mail system; smtpd", r.err)

    def test_the_small_office_example_as_written(self):
        etc = self.example_config("soho")
        r = mtatest.run([mtatest.program("postconf"), "-c", etc, "relayhost"])
        self.assertEqual(r.out, "relayhost = [mail.isp.example]:submission\n")
        # The smtp client's SASL (issue 15) is implemented: nothing of the
        # example is ignored (tests/test_smtp_tls.py runs it end to end).
        self.assertEqual(self.warned(r.err), [], r.err)

    def test_a_bad_value_is_fatal_naming_the_file(self):
        inst = mtatest.MtaInstance(self, services=["pickup", "cleanup"],
                                   main_cf="hopcount_limit = 5x\n")
        r = inst.postfix("start")
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("%s/main.cf: bad numerical configuration: hopcount_limit = 5x" % inst.etc,
                      r.err + inst.log())

    def test_sasl_on_submission_refuses_only_that_service(self):
        plain, submission = mtatest.free_port(), mtatest.free_port()
        inst = mtatest.MtaInstance(
            self, services=["cleanup", "rewrite", "anvil"],
            main_cf="myhostname = mx.example.com\nsmtpd_peername_lookup = no\n",
            master_extra=(mtatest.smtpd_service("127.0.0.1:%d" % plain) +
                          mtatest.smtpd_service("127.0.0.1:%d" % submission,
                                                ["smtpd_sasl_auth_enable=yes",
                                                 "smtpd_sasl_type=cyrus"])))
        r = inst.postfix("check")
        self.assertIn("smtpd_sasl_auth_enable with smtpd_sasl_type = cyrus: SASL authentication "
                      "other than Dovecot's is not implemented by this mail system; smtpd will "
                      "refuse to start", r.err + inst.log())
        inst.start()
        # The submission port never says 220 in plain text.
        with socket.create_connection(("127.0.0.1", submission), timeout=10) as s:
            s.settimeout(3)
            try:
                data = s.recv(100)
            except (ConnectionResetError, socket.timeout):
                data = b""
            self.assertFalse(data.startswith(b"220"), data)
        inst.wait_log(r"smtpd\[\d+\]: fatal: smtpd_sasl_auth_enable with smtpd_sasl_type = "
                      r"cyrus: SASL authentication other than Dovecot's is not implemented by "
                      r"this mail system; smtpd refuses to start rather than ignore it")
        # Port 25 keeps working.
        with socket.create_connection(("127.0.0.1", plain), timeout=10) as s:
            s.settimeout(10)
            self.assertTrue(s.recv(100).startswith(b"220 mx.example.com ESMTP"))

    def test_smtp_client_never_sends_without_its_password_table(self):
        """A password table that cannot be opened is a lookup error (as in
        Postfix 3: "... is unavailable. open database ..."): the mail is
        deferred and nothing goes out unauthenticated."""
        with SmtpSink() as sink:
            inst = mtatest.MtaInstance(
                self, services=["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer",
                                "trace", "smtp"],
                main_cf="myhostname = mx.example.com\nrelayhost = [127.0.0.1]:%d\n"
                        "smtp_sasl_auth_enable = yes\n"
                        "smtp_sasl_password_maps = hash:%s/no-such-table\n"
                        % (sink.port, self.tmp))
            inst.start()
            inst.sendmail("bob@remote.example", sender="alice@example.com",
                          message="Subject: x\n\nsecret\n")
            inst.wait_log(r"smtp\[\d+\]: warning: hash:\S+/no-such-table is unavailable\. open "
                          r"database \S+/no-such-table\.db: No such file or directory")
            inst.wait_log(r"to=<bob@remote.example>, relay=none, .*dsn=4.3.0, status=deferred "
                          r"\(smtp_sasl_password_maps lookup error: hash:", timeout=30)
            self.assertEqual(sink.transactions, [])
            self.assertEqual(sink.sessions, 0)


class CompatibilityLevelTest(mtatest.TempDirTestCase):
    NAMES = ["append_dot_mydomain", "smtpd_relay_restrictions", "smtputf8_enable",
             "mynetworks_style", "relay_domains", "smtp_tls_fingerprint_digest",
             "smtpd_tls_fingerprint_digest", "respectful_logging",
             "smtpd_relay_before_recipient_restrictions"]

    def test_defaults_follow_the_level_as_debians_postconf(self):
        if not mtatest.have_debian_postfix():
            self.skipTest("Debian's postconf is not installed")
        for level in ("0", "1", "2", "3.5", "3.6", "3.7"):
            etc = self.make_config("compatibility_level = %s\n" % level, name="etc" + level)
            ours = mtatest.run([mtatest.program("postconf"), "-c", etc, "-x"] + self.NAMES)
            theirs = mtatest.run([mtatest.DEBIAN_POSTCONF, "-c", etc, "-x"] + self.NAMES)
            self.assertEqual(ours.out, theirs.out, "compatibility_level = " + level)
            self.assertNotIn("compatibility_level", ours.err)
        # An explicit setting wins over the level.
        etc = self.make_config("compatibility_level = 0\nrelay_domains = example.com\n",
                               name="etc-explicit")
        r = mtatest.run([mtatest.program("postconf"), "-c", etc, "relay_domains"])
        self.assertEqual(r.out, "relay_domains = example.com\n")

    def test_master_logs_the_backwards_compatible_defaults_in_effect(self):
        inst = mtatest.MtaInstance(self, services=["pickup", "cleanup"],
                                   main_cf="compatibility_level = 1\n"
                                           "mynetworks_style = host\n")
        inst.start()
        inst.wait_log(r"master\[\d+\]: using backwards-compatible default setting "
                      r"relay_domains=\$mydestination")
        log = inst.log()
        self.assertNotIn("mynetworks_style=subnet", log)  # set explicitly
        self.assertNotIn("append_dot_mydomain", log)  # level 1 has the new default

"""System tests of postconf: the real command on temporary config dirs,
every main.cf under examples/, and side by side with Debian's
/usr/sbin/postconf where it is installed."""
import os
import re
import subprocess
import unittest

from mtatest import (EXAMPLES, DEBIAN_POSTCONF, SOURCE, Result, TempDirTestCase,
                     have_debian_postfix, program, run)

POSTCONF = program("postconf")


def parse_lines(text):
    """'name = value' lines -> dict."""
    out = {}
    for line in text.splitlines():
        name, sep, value = line.partition(" = ")
        if not sep and line.endswith(" ="):
            name, value = line[:-2], ""
        out[name] = value
    return out


class PostconfBasics(TempDirTestCase):
    def test_values_in_effect(self):
        d = self.make_config("myhostname = mx.example.com\nmydomain = example.com\n"
                             "relay_domains = $mydomain,\n  other.example\n")
        r = run([POSTCONF, "-c", d, "myhostname", "relay_domains", "myorigin"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, "myhostname = mx.example.com\n"
                                "relay_domains = $mydomain, other.example\n"
                                "myorigin = $myhostname\n")
        r = run([POSTCONF, "-c", d, "-x", "-h", "relay_domains", "myorigin"])
        self.assertEqual(r.out, "example.com, other.example\nmx.example.com\n")

    def test_all_parameters_sorted(self):
        d = self.make_config("myhostname = mx.example.com\n")
        r = run([POSTCONF, "-c", d])
        self.assertEqual(r.rc, 0, r)
        names = [l.split(" = ")[0].rstrip(" =") for l in r.out.splitlines()]
        self.assertEqual(names, sorted(names))
        self.assertIn("myhostname = mx.example.com", r.out.splitlines())
        self.assertGreater(len(names), 500)

    def test_n_shows_explicit_settings_only(self):
        d = self.make_config("relayhost = [smtp.example]:587\nmydomain = example.com\n"
                             "unknown_thing = 1\n")
        r = run([POSTCONF, "-c", d, "-n"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, "config_directory = %s\nmydomain = example.com\n"
                                "relayhost = [smtp.example]:587\n" % d)
        self.assertIn("main.cf, line 3: unused parameter: unknown_thing=1", r.err)

    def test_d_shows_defaults(self):
        d = self.make_config("myorigin = elsewhere\n")
        r = run([POSTCONF, "-c", d, "-d", "myorigin", "default_destination_concurrency_limit",
                 "message_size_limit", "mydestination"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, "myorigin = $myhostname\n"
                                "default_destination_concurrency_limit = 20\n"
                                "message_size_limit = 10240000\n"
                                "mydestination = $myhostname, localhost.$mydomain, localhost\n")

    def test_unknown_parameter_is_a_warning(self):
        d = self.make_config("")
        r = run([POSTCONF, "-c", d, "no_such_parameter"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, "")
        self.assertIn("postconf: warning: no_such_parameter: unknown parameter", r.err)

    def test_expansion_forms(self):
        d = self.make_config("a = 1\nempty =\n"
                             "relayhost = ${a?{set}:{unset}} ${empty:dflt} ${a?x} $$a $(a)\n")
        r = run([POSTCONF, "-c", d, "-xh", "relayhost"])
        self.assertEqual(r.out, "set dflt x $a 1\n", r)

    def test_expansion_errors_are_fatal(self):
        for text, want in [("a = $b\nb = $a\nrelayhost = $a\n", "parameter reference loop"),
                           ("relayhost = ${mydomain\n", "truncated macro reference")]:
            d = self.make_config(text, name="e%d" % len(text))
            r = run([POSTCONF, "-c", d, "-x", "relayhost"])
            self.assertEqual(r.rc, 1, r)
            self.assertIn("postconf: fatal:", r.err)
            self.assertIn(want, r.err)

    def test_undefined_parameter_warning(self):
        d = self.make_config("relayhost = [$nothere]\n")
        r = run([POSTCONF, "-c", d, "-x", "relayhost"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, "relayhost = []\n")
        self.assertIn("undefined parameter: nothere", r.err)

    def test_mail_config_environment(self):
        d = self.make_config("relayhost = from-env\n")
        r = run([POSTCONF, "-h", "relayhost"], env={"MAIL_CONFIG": d})
        self.assertEqual(r.out, "from-env\n", r)
        other = self.make_config("relayhost = from-cli\n", name="other")
        r = run([POSTCONF, "-c", other, "-h", "relayhost"], env={"MAIL_CONFIG": d})
        self.assertEqual(r.out, "from-cli\n", r)

    def test_per_transport_parameters(self):
        master = open(os.path.join(SOURCE, "conf", "master.cf")).read()
        master += "docomo-smtp unix - - n - 1 smtp\n"
        d = self.make_config("docomo-smtp_destination_rate_delay = 2s\n", master_cf=master)
        r = run([POSTCONF, "-c", d, "docomo-smtp_destination_concurrency_limit",
                 "docomo-smtp_destination_rate_delay"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, "docomo-smtp_destination_concurrency_limit = "
                                "$default_destination_concurrency_limit\n"
                                "docomo-smtp_destination_rate_delay = 2s\n")
        self.assertNotIn("unused parameter", r.err)
        r = run([POSTCONF, "-c", d, "-xh", "docomo-smtp_destination_concurrency_limit"])
        self.assertEqual(r.out, "20\n")

    def test_bad_main_cf_is_fatal_with_file_and_line(self):
        cases = [("a = 1\nnoequals\n", "main.cf, line 2: missing '=' after attribute name: "
                                      "\"noequals\""),
                 ("= value\n", "main.cf, line 1: missing attribute name")]
        for i, (text, want) in enumerate(cases):
            d = self.make_config(text, name="bad%d" % i)
            r = run([POSTCONF, "-c", d])
            self.assertEqual(r.rc, 1, r)
            self.assertIn("postconf: fatal: %s/%s" % (d, want), r.err)

    def test_missing_main_cf_is_fatal(self):
        r = run([POSTCONF, "-c", os.path.join(self.tmp, "nothere")])
        self.assertEqual(r.rc, 1, r)
        self.assertIn("fatal: open %s/nothere/main.cf: No such file or directory" % self.tmp,
                      r.err)

    def test_unreadable_main_cf(self):
        d = self.make_config("a = 1\n")
        os.chmod(os.path.join(d, "main.cf"), 0)
        if os.geteuid() == 0:
            # Root reads any file: the command runs as nobody instead.
            os.chmod(self.tmp, 0o711)
            try:
                p = subprocess.run([POSTCONF, "-c", d], capture_output=True, text=True,
                                   timeout=60, user=65534, group=65534, extra_groups=[])
            except PermissionError:
                self.skipTest("nobody may not run %s here" % POSTCONF)
            r = Result(p)
        else:
            r = run([POSTCONF, "-c", d])
        self.assertEqual(r.rc, 1, r)
        self.assertIn("fatal: open %s/main.cf: Permission denied" % d, r.err)

    def test_f_folds_long_lines(self):
        long = "a" * 90
        d = self.make_config(
            "smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated,"
            " reject_unauth_destination, check_policy_service unix:private/policy, permit\n"
            "mydestination = x1\tx2   x3\n"
            "relay_domains = %s b\n" % long)
        r = run([POSTCONF, "-c", d, "-f", "smtpd_recipient_restrictions", "mydestination",
                 "relay_domains"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out,
                         "smtpd_recipient_restrictions = permit_mynetworks, "
                         "permit_sasl_authenticated,\n"
                         "    reject_unauth_destination, check_policy_service "
                         "unix:private/policy, permit\n"
                         "mydestination = x1 x2 x3\n"
                         "relay_domains =\n    %s\n    b\n" % long)
        r = run([POSTCONF, "-c", d, "-fh", "relay_domains"])
        self.assertEqual(r.out, "%s\n    b\n" % long)
        # Without -f: one line, the words joined by single spaces.
        r = run([POSTCONF, "-c", d, "relay_domains", "mydestination"])
        self.assertEqual(r.out, "relay_domains = %s b\nmydestination = x1 x2 x3\n" % long)

    def test_bad_usage(self):
        r = run([POSTCONF, "-Q"])
        self.assertEqual(r.rc, 1, r)
        self.assertIn("usage:", r.err)
        d = self.make_config("")
        r = run([POSTCONF, "-c", d, "-e", "-X", "a"])
        self.assertEqual(r.rc, 1, r)


class PostconfEdit(TempDirTestCase):
    ORIGINAL = ("# top comment\n"
                "myhostname = old.example\n"
                "  .continued\n"
                "# middle comment\n"
                "mydomain = example.com\n"
                "relayhost = [old]\n")

    def test_e_keeps_comments_and_layout(self):
        d = self.make_config(self.ORIGINAL)
        r = run([POSTCONF, "-c", d, "-e", "myhostname=new.example", "mynetworks = 10.0.0.0/8",
                 "relayhost="])
        self.assertEqual(r.rc, 0, r)
        with open(os.path.join(d, "main.cf")) as f:
            self.assertEqual(f.read(), "# top comment\n"
                                       "myhostname = new.example\n"
                                       "# middle comment\n"
                                       "mydomain = example.com\n"
                                       "relayhost = \n"
                                       "mynetworks = 10.0.0.0/8\n")

    def test_bare_assignment_edits(self):
        d = self.make_config(self.ORIGINAL)
        r = run([POSTCONF, "-c", d, "relayhost=[new]:587"])
        self.assertEqual(r.rc, 0, r)
        r = run([POSTCONF, "-c", d, "-h", "relayhost"])
        self.assertEqual(r.out, "[new]:587\n")

    def test_X_removes_and_hash_comments_out(self):
        d = self.make_config(self.ORIGINAL)
        self.assertEqual(run([POSTCONF, "-c", d, "-X", "mydomain"]).rc, 0)
        self.assertEqual(run([POSTCONF, "-c", d, "-#", "myhostname"]).rc, 0)
        with open(os.path.join(d, "main.cf")) as f:
            self.assertEqual(f.read(), "# top comment\n"
                                       "#myhostname = old.example\n"
                                       "#  .continued\n"
                                       "# middle comment\n"
                                       "relayhost = [old]\n")

    def test_e_without_equals_is_fatal_and_file_untouched(self):
        d = self.make_config(self.ORIGINAL)
        r = run([POSTCONF, "-c", d, "-e", "badnoequals"])
        self.assertEqual(r.rc, 1, r)
        self.assertIn("missing '=' after attribute name: \"badnoequals\"", r.err)
        with open(os.path.join(d, "main.cf")) as f:
            self.assertEqual(f.read(), self.ORIGINAL)

    def test_edit_is_atomic_no_temp_files_left(self):
        d = self.make_config(self.ORIGINAL)
        run([POSTCONF, "-c", d, "-e", "a_b=1"])
        self.assertEqual(sorted(os.listdir(d)), ["main.cf", "master.cf"])

    def test_edit_preserves_mode(self):
        d = self.make_config(self.ORIGINAL)
        os.chmod(os.path.join(d, "main.cf"), 0o640)
        run([POSTCONF, "-c", d, "-e", "relayhost=x"])
        self.assertEqual(os.stat(os.path.join(d, "main.cf")).st_mode & 0o777, 0o640)


class PostconfMaster(TempDirTestCase):
    MASTER = ("# comment\n"
              "smtp      inet  n       -       y       -       -       smtpd\n"
              "submission inet n       -       n       -       -       smtpd\n"
              "#  -o smtpd_tls_security_level=encrypt\n"
              "   -o smtpd_sasl_auth_enable=yes\n"
              "   -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n"
              "pickup    unix  n       -       n       60      1       pickup\n"
              "docomo unix - - n - 1 smtp -o syslog_name=postfix/docomo\n"
              "  -o { smtp_helo_name = foo bar }\n")

    def test_M(self):
        d = self.make_config("", master_cf=self.MASTER)
        r = run([POSTCONF, "-c", d, "-M"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out.splitlines(), [
            "smtp       inet  n       -       y       -       -       smtpd",
            "submission inet  n       -       n       -       -       smtpd -o "
            "smtpd_sasl_auth_enable=yes -o "
            "smtpd_client_restrictions=permit_sasl_authenticated,reject",
            "pickup     unix  n       -       n       60      1       pickup",
            "docomo     unix  -       -       n       -       1       smtp -o "
            "syslog_name=postfix/docomo -o {smtp_helo_name=foo bar}",
        ])
        r = run([POSTCONF, "-c", d, "-M", "pickup/unix", "nosuch/unix"])
        self.assertEqual(r.out, "pickup     unix  n       -       n       60      1       pickup\n")
        self.assertIn('warning: unmatched request: "nosuch/unix"', r.err)

    def test_P(self):
        d = self.make_config("", master_cf=self.MASTER)
        r = run([POSTCONF, "-c", d, "-P"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, "submission/inet/smtpd_client_restrictions = "
                                "permit_sasl_authenticated,reject\n"
                                "submission/inet/smtpd_sasl_auth_enable = yes\n"
                                "docomo/unix/smtp_helo_name = foo bar\n"
                                "docomo/unix/syslog_name = postfix/docomo\n")
        r = run([POSTCONF, "-c", d, "-Ph", "docomo/unix/syslog_name"])
        self.assertEqual(r.out, "postfix/docomo\n")

    def test_bad_master_cf(self):
        cases = [("smtp inet n - n - -\n", "master.cf, line 1: missing command field"),
                 ("smtp inet6 n - n - - smtpd\n", "master.cf, line 1: bad transport type: inet6"),
                 ("smtp inet n - n - - smtpd -o\n", "master.cf, line 1: -o without name=value"),
                 ("smtp inet n - n - - smtpd -o nothing\n",
                  "master.cf, line 1: bad -o parameter: \"nothing\""),
                 ("a unix - - n - - x\na unix - - n - - y\n",
                  "master.cf, line 2: duplicate service name and type: a/unix")]
        for i, (text, want) in enumerate(cases):
            d = self.make_config("", master_cf=text, name="m%d" % i)
            r = run([POSTCONF, "-c", d, "-M"])
            self.assertEqual(r.rc, 1, r)
            self.assertIn("postconf: fatal: %s/%s" % (d, want), r.err)

    def test_default_master_cf_parses(self):
        d = self.make_config("")
        r = run([POSTCONF, "-c", d, "-M"])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("postlog    unix-dgram n  -       n       -       1       postlogd",
                      r.out.splitlines())


class PostconfExamples(TempDirTestCase):
    """Every main.cf (and master.cf) under examples/ is accepted."""

    # Parameters in the examples that this system does not implement yet; they
    # are reported as unused, exactly as Postfix reports unknown names.
    EXPECTED_UNUSED = {}

    def examples(self):
        out = []
        for name in sorted(os.listdir(EXAMPLES)):
            main = os.path.join(EXAMPLES, name, "main.cf")
            if os.path.exists(main):
                out.append(name)
        return out

    def example_config(self, name):
        with open(os.path.join(EXAMPLES, name, "main.cf")) as f:
            main = f.read()
        master = open(os.path.join(SOURCE, "conf", "master.cf")).read()
        extra = os.path.join(EXAMPLES, name, "master.cf")
        if os.path.exists(extra):
            master += open(extra).read()
        return self.make_config(main, master_cf=master, name=name)

    def test_examples_exist(self):
        self.assertGreaterEqual(len(self.examples()), 5)

    def test_every_example(self):
        for name in self.examples():
            with self.subTest(example=name):
                d = self.example_config(name)
                r = run([POSTCONF, "-c", d, "-n"])
                self.assertEqual(r.rc, 0, r)
                self.assertNotIn("fatal", r.err)
                unused = set(re.findall(r"unused parameter: ([^=]+)=", r.err))
                self.assertEqual(unused, self.EXPECTED_UNUSED.get(name, set()), r.err)
                r = run([POSTCONF, "-c", d, "-x"])
                self.assertEqual(r.rc, 0, r)
                r = run([POSTCONF, "-c", d, "-M"])
                self.assertEqual(r.rc, 0, r)

    def test_virtual_hosting_values(self):
        d = self.example_config("virtual-hosting")
        r = run([POSTCONF, "-c", d, "-h", "virtual_alias_maps", "smtpd_sasl_path"])
        self.assertEqual(r.out.splitlines(), [
            "proxy:mysql:/etc/postfix/sql/mysql_virtual_alias_maps.cf, "
            "proxy:mysql:/etc/postfix/sql/mysql_virtual_alias_domain_maps.cf, "
            "proxy:mysql:/etc/postfix/sql/mysql_virtual_alias_domain_catchall_maps.cf",
            "private/auth"])
        r = run([POSTCONF, "-c", d, "-P", "submission/inet"])
        self.assertEqual(r.out, "submission/inet/smtpd_client_restrictions = "
                                "permit_sasl_authenticated,reject\n"
                                "submission/inet/smtpd_sasl_auth_enable = yes\n")

    def test_docomo_transport_parameters(self):
        d = self.example_config("docomo")
        r = run([POSTCONF, "-c", d, "-x", "-h", "docomo-smtp_destination_concurrency_limit",
                 "yahoo-smtp_destination_recipient_limit"])
        self.assertEqual(r.out, "20\n50\n", r)
        r = run([POSTCONF, "-c", d, "-P", "docomo-smtp/unix"])
        self.assertEqual(r.out, "docomo-smtp/unix/smtp_destination_concurrency_limit = 1\n"
                                "docomo-smtp/unix/smtp_destination_recipient_limit = 1\n")


# The VDA quota patch's parameters (virtual/README.md): built in here, absent
# from Debian's unpatched Postfix.
VDA_PARAMETERS = {"virtual_create_maildirsize", "virtual_mailbox_extended",
                  "virtual_mailbox_limit_maps", "virtual_mailbox_limit_override",
                  "virtual_maildir_limit_message", "virtual_overquota_bounce"}


@unittest.skipUnless(have_debian_postfix(), "Debian's postfix package is not installed")
class PostconfVersusDebian(TempDirTestCase):
    """Our postconf against Debian's /usr/sbin/postconf on the same files."""

    # Defaults that differ on purpose, with the reason. Postfix 3.7 prints
    # compatibility-level-dependent defaults as ${{$compatibility_level} ...}
    # expressions; we implement the level 3.6 values (see global/params.cpp).
    # Directory defaults are this build's; Debian patches its own.
    def known_differences(self):
        return {
            # directories of this build, not Debian's layout
            "command_directory", "daemon_directory", "meta_directory",
            "shlib_directory", "html_directory", "manpage_directory",
            "readme_directory", "sample_directory", "newaliases_path",
            "mailq_path", "sendmail_path", "config_directory",
            "queue_directory", "data_directory",
            # we implement the defaults of compatibility level 3.6 (see above);
            # Debian's postfix runs at level 0 until its main.cf says otherwise
            "compatibility_level",
            # Postfix 3.7 writes this default as a ${{...} == {...} ? ...}
            # comparison, which our expansion does not implement yet; "may"
            # is its value unless smtp_tls_security_level is "dane"
            "smtp_tls_dane_insecure_mx_policy",
            # SMTP smuggling defence on by default (Postfix 3.9's "normalize")
            "smtpd_forbid_bare_newline",
        }

    def run_both(self, d, *args):
        ours = run([POSTCONF, "-c", d] + list(args))
        theirs = run([DEBIAN_POSTCONF, "-c", d] + list(args))
        return ours, theirs

    def test_d_same_parameter_names(self):
        d = self.make_config("")
        ours, theirs = self.run_both(d, "-d")
        self.assertEqual(ours.rc, 0, ours)
        self.assertEqual(theirs.rc, 0, theirs)
        o, t = parse_lines(ours.out), parse_lines(theirs.out)
        missing = sorted(set(t) - set(o))
        extra = sorted(set(o) - set(t) - VDA_PARAMETERS)
        self.assertEqual(missing, [], "parameters Debian's postconf -d has and we lack")
        self.assertEqual(extra, [], "parameters we have and Debian's postconf -d lacks")

    def test_f_same_folding(self):
        """postconf -f (main.cf values and master.cf entries folded at 80
        columns) byte for byte with Debian's."""
        words = " ".join("w%d" % (i * 7919 % 1000) + "x" * (i % 13) for i in range(60))
        d = self.make_config(
            "smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated,"
            " reject_unauth_destination, check_policy_service unix:private/policy,"
            " reject_rbl_client zen.spamhaus.org, permit\n"
            "mydestination = %s\n"
            "relay_domains = %s b\n"
            "smtpd_banner = $myhostname ESMTP   $mail_name\tx\n" % (words, "a" * 90),
            master_cf=PostconfMaster.MASTER)
        for args in (["-nf"], ["-f", "mydestination"], ["-fh", "relay_domains"],
                     ["-fx", "smtpd_banner"], ["-Mf"], ["-Mf", "docomo/unix"], ["-Ff"],
                     ["-Pf"], ["mydestination"]):
            ours, theirs = self.run_both(d, *args)
            self.assertEqual((ours.rc, ours.out), (theirs.rc, theirs.out), args)

    def test_d_same_defaults(self):
        d = self.make_config("")
        ours, theirs = self.run_both(d, "-d")
        o, t = parse_lines(ours.out), parse_lines(theirs.out)
        differ = {}
        for name in sorted(set(o) & set(t)):
            if o[name] == t[name] or name in self.known_differences():
                continue
            if "compatibility_level" in t[name]:
                continue  # Postfix 3.7's level-dependent expression; see above
            if name in ("myhostname", "mydomain", "mynetworks", "process_id", "mail_version",
                        "mail_release_date", "process_name"):
                continue  # machine- and process-dependent
            differ[name] = (o[name], t[name])
        self.assertEqual(differ, {}, "(ours, Debian's) defaults that differ")

    def test_n_matches_on_examples(self):
        for name in sorted(os.listdir(EXAMPLES)):
            main = os.path.join(EXAMPLES, name, "main.cf")
            if not os.path.exists(main):
                continue
            with self.subTest(example=name):
                d = self.make_config(open(main).read(), name=name)
                ours, theirs = self.run_both(d, "-n")
                self.assertEqual(ours.rc, theirs.rc, (ours, theirs))
                # Debian's postconf leaves the VDA names out as unknown.
                kept = [line for line in ours.out.splitlines(True)
                        if line.split(" = ")[0] not in VDA_PARAMETERS]
                self.assertEqual("".join(kept), theirs.out)

    def test_m_lists_types_that_postfix_knows(self):
        d = self.make_config("")
        ours = run([POSTCONF, "-c", d, "-m"])
        theirs = run([DEBIAN_POSTCONF, "-c", d, "-m"])
        self.assertEqual(ours.rc, 0, ours)
        ours_types = ours.out.split()
        self.assertEqual(ours_types, sorted(ours_types))
        self.assertIn("mysql", ours_types)
        self.assertIn("lmdb", ours_types)
        # Every type we list is one Postfix has (with its table packages).
        self.assertEqual(sorted(set(ours_types) - set(theirs.out.split())), [])

    def test_M_and_P_match(self):
        master = PostconfMaster.MASTER + open(os.path.join(EXAMPLES, "docomo", "master.cf")).read()
        d = self.make_config("", master_cf=master)
        for args in (["-M"], ["-P"], ["-M", "docomo/unix"], ["-Ph", "docomo/unix/syslog_name"]):
            with self.subTest(args=args):
                ours, theirs = self.run_both(d, *args)
                self.assertEqual(ours.out, theirs.out)

    def test_x_matches_for_shared_parameters(self):
        d = self.make_config("myhostname = mx.example.com\nmydomain = example.com\n"
                             "relay_domains = $mydomain, ${mydomain?{x.$mydomain}}\n")
        args = ["-x", "-h", "myorigin", "mydestination", "relay_domains", "smtpd_banner"]
        ours, theirs = self.run_both(d, *args)
        self.assertEqual(ours.out, theirs.out)

    def test_e_produces_same_file(self):
        text = PostconfEdit.ORIGINAL
        a = self.make_config(text, name="ours")
        b = self.make_config(text, name="theirs")
        edits = ["myhostname=new.example", "relayhost=", "mynetworks=10.0.0.0/8"]
        run([POSTCONF, "-c", a, "-e"] + edits)
        run([DEBIAN_POSTCONF, "-c", b, "-e"] + edits)
        self.assertEqual(open(os.path.join(a, "main.cf")).read(),
                         open(os.path.join(b, "main.cf")).read())


if __name__ == "__main__":
    unittest.main()

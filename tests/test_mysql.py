"""System tests of the mysql: lookup table through postmap, against a
private MariaDB server (tests/mariadb.py) loaded with the PostfixAdmin-style
schema of the virtual-hosting example (examples/virtual-hosting).

Covers: every query file of examples/virtual-hosting/sql (rewritten to the
private server), quoting, multi-row/column results, result_format, domain,
expansion_limit, the legacy fields, stored procedures, TCP hosts, the
main.cf-embedded form, the charset case of examples/mysql-charset (one bad
key must not disable the table), a server killed in the middle of a
`postmap -q -` batch, and failover between two hosts.
"""
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
import unittest

import mariadb
import mtatest

POSTMAP = mtatest.program("postmap")
VH = os.path.join(mtatest.EXAMPLES, "virtual-hosting")
CHARSET = os.path.join(mtatest.EXAMPLES, "mysql-charset")

# Rows added to the example's sample data for these tests.
EXTRA_ROWS = r"""
USE postfix;
INSERT INTO alias_domain (alias_domain, target_domain) VALUES ('alias.example.net', 'example.net');
INSERT INTO alias_domain (alias_domain, target_domain, active) VALUES ('closed.example.jp', 'example.jp', 0);
INSERT INTO alias (address, goto, domain, active) VALUES ('old@example.jp', 'bob@example.jp', 'example.jp', 0);
INSERT INTO alias (address, goto, domain) VALUES
  ('o''brien@example.jp', 'obrien-target@example.jp', 'example.jp'),
  ('back\\slash@example.jp', 'backslash-target@example.jp', 'example.jp'),
  ('percent%s@example.jp', 'percent-target@example.jp', 'example.jp');
CREATE PROCEDURE lookup_alias(IN p VARCHAR(255)) READS SQL DATA
  SELECT goto FROM alias WHERE address = p AND active = 1;
"""


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class Coprocess:
    """`postmap -q -` driven interactively: one key in, then bounded waits
    for its answer on stdout or its error report on stderr."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.bufs = {self.proc.stdout.fileno(): b"", self.proc.stderr.fileno(): b""}
        self.out, self.err = [], []
        self.closed = set()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass

    def ask(self, key):
        self.proc.stdin.write(key.encode() + b"\n")
        self.proc.stdin.flush()

    def wait_for(self, cond, timeout):
        """Reads until cond(out_lines, err_lines) is true; False on timeout or
        when postmap has exited without satisfying it."""
        deadline = time.monotonic() + timeout
        while not cond(self.out, self.err):
            fds = [fd for fd in self.bufs if fd not in self.closed]
            left = deadline - time.monotonic()
            if not fds or left <= 0:
                return False
            ready, _, _ = select.select(fds, [], [], left)
            for fd in ready:
                data = os.read(fd, 65536)
                if not data:
                    self.closed.add(fd)
                    continue
                buf = self.bufs[fd] + data
                *lines, self.bufs[fd] = buf.split(b"\n")
                target = self.out if fd == self.proc.stdout.fileno() else self.err
                target += [l.decode(errors="replace") for l in lines]
        return True

    def transcript(self):
        return "stdout:\n%s\nstderr:\n%s" % ("\n".join(self.out), "\n".join(self.err))


@unittest.skipUnless(mariadb.available(), "MariaDB server not installed")
class MysqlTableTest(unittest.TestCase):
    """One private server (socket and TCP) shared by the lookups of this class."""

    @classmethod
    def setUpClass(cls):
        cls.db = mariadb.MariaDB(tcp=True)
        cls.db.start()
        cls.addClassCleanup(cls.db.cleanup)
        cls.db.execute_file(os.path.join(VH, "postfixadmin-schema.sql"))
        cls.db.execute(EXTRA_ROWS)
        cls.db.execute_file(os.path.join(CHARSET, "schema-latin1.sql"))
        cls.tmp = tempfile.mkdtemp(prefix="mta-test-mysql-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.conf = os.path.join(cls.tmp, "etc")
        os.makedirs(cls.conf)
        write(os.path.join(cls.conf, "main.cf"), "")
        cls.settings = dict(cls.db.cf_settings(), dbname="postfix")
        cls.sql = os.path.join(cls.tmp, "sql")
        os.makedirs(cls.sql)
        mariadb.rewrite_cf_dir(os.path.join(VH, "sql"), cls.sql, cls.settings)

    def postmap(self, *args, input=None, conf=None):
        return mtatest.run([POSTMAP, "-c", conf or self.conf] + list(args), input=input, timeout=60)

    def cf(self, name, text, **settings):
        """A .cf file with the server settings plus `text`."""
        base = dict(self.settings, **settings)
        body = "".join("%s = %s\n" % kv for kv in base.items()) + text
        return write(os.path.join(self.tmp, name), body)

    def check_lookups(self, table, cases):
        """cases: (key, value or None). One postmap -q per key (exit 0 and the
        value, or exit 1 and no output), then all keys in one -q - batch."""
        for key, want in cases:
            with self.subTest(table=os.path.basename(table), key=key):
                r = self.postmap("-q", key, table)
                if want is None:
                    self.assertEqual((r.rc, r.out), (1, ""), r)
                else:
                    self.assertEqual((r.rc, r.out), (0, want + "\n"), r)
                self.assertNotIn("warning", r.err)
        r = self.postmap("-q", "-", table, input="".join(k + "\n" for k, _ in cases))
        want = "".join("%s\t%s\n" % (k, v) for k, v in cases if v is not None)
        self.assertEqual(r.out, want, r)

    # -- loading the connector --

    def test_connector_is_loaded_only_for_a_mysql_table(self):
        # No program links libmariadb (it costs every daemon start ~2 ms):
        # tables/mariadb_api.cpp loads it when a mysql: table is opened.
        for name in sorted(os.listdir(mtatest.BIN)):
            path = os.path.join(mtatest.BIN, name)
            if not os.access(path, os.X_OK) or os.path.isdir(path):
                continue
            r = subprocess.run(["readelf", "-d", path], capture_output=True, text=True)
            with self.subTest(program=name):
                self.assertNotIn("libmariadb", r.stdout)
        # postmap -q - maps it once it has answered from a mysql: table,
        # and not with a hash: table.
        hashed = write(os.path.join(self.tmp, "plain"), "k v\n")
        self.assertEqual(self.postmap(hashed).rc, 0)
        for table, key, answer, loaded in [
                ("mysql:" + os.path.join(self.sql, "mysql_virtual_mailbox_maps.cf"),
                 "bob@example.jp", "example.jp/bob/", True),
                ("hash:" + hashed, "k", "v", False)]:
            p = Coprocess([POSTMAP, "-c", self.conf, "-q", "-", table])
            self.addCleanup(p.kill)
            p.ask(key)
            self.assertTrue(p.wait_for(lambda out, err: out, 30), p.transcript())
            self.assertEqual(p.out, ["%s\t%s" % (key, answer)], p.transcript())
            with open("/proc/%d/maps" % p.proc.pid) as f:
                self.assertEqual("libmariadb" in f.read(), loaded, table)
            p.kill()

    # -- the virtual-hosting example's query files --

    def test_virtual_mailbox_maps(self):
        self.check_lookups("mysql:" + os.path.join(self.sql, "mysql_virtual_mailbox_maps.cf"), [
            ("bob@example.jp", "example.jp/bob/"),
            ("Bob@Example.JP", "example.jp/bob/"),  # keys are folded to lower case
            ("carol@example.net", "example.net/carol/"),
            ("gone@example.jp", None),  # inactive mailbox
            ("nobody@example.jp", None),
        ])

    def test_virtual_alias_maps(self):
        self.check_lookups("mysql:" + os.path.join(self.sql, "mysql_virtual_alias_maps.cf"), [
            ("bob@example.jp", "bob@example.jp"),
            ("sales@example.jp", "alice@example.jp,carol@example.net"),  # two targets
            ("@example.net", "carol@example.net"),  # catch-all
            ("old@example.jp", None),  # inactive alias
            ("o'brien@example.jp", "obrien-target@example.jp"),
            ("back\\slash@example.jp", "backslash-target@example.jp"),
            ("percent%s@example.jp", "percent-target@example.jp"),
            ("x' OR '1'='1", None),  # an injection attempt finds nothing
            ("x' OR 1=1 -- ", None),
            ("nobody@example.jp", None),
        ])

    def test_virtual_domains_maps(self):
        self.check_lookups("mysql:" + os.path.join(self.sql, "mysql_virtual_domains_maps.cf"), [
            ("example.jp", "example.jp"),
            ("example.net", "example.net"),
            ("old.example.jp", None),  # inactive domain
            ("alias.example.jp", None),
        ])

    def test_alias_domain_maps(self):
        self.check_lookups(
            "mysql:" + os.path.join(self.sql, "mysql_virtual_alias_domain_maps.cf"), [
                ("bob@alias.example.jp", "bob@example.jp"),
                ("sales@alias.example.jp", "alice@example.jp,carol@example.net"),
                ("bob@closed.example.jp", None),  # inactive alias domain
                ("bob@example.jp", None),
                ("bob", None),  # %d: unqualified key, no query
                ("@alias.example.jp", None),  # %u: empty local part, no query
            ])

    def test_alias_domain_mailbox_maps(self):
        self.check_lookups(
            "mysql:" + os.path.join(self.sql, "mysql_virtual_alias_domain_mailbox_maps.cf"), [
                ("alice@alias.example.jp", "example.jp/alice/"),
                ("carol@alias.example.net", "example.net/carol/"),
                ("gone@alias.example.jp", None),  # inactive mailbox
                ("alice@closed.example.jp", None),
            ])

    def test_alias_domain_catchall_maps(self):
        self.check_lookups(
            "mysql:" + os.path.join(self.sql, "mysql_virtual_alias_domain_catchall_maps.cf"), [
                ("anyone@alias.example.net", "carol@example.net"),
                ("anyone@alias.example.jp", None),  # example.jp has no catch-all
            ])

    def test_mailbox_limit_maps(self):
        self.check_lookups(
            "mysql:" + os.path.join(self.sql, "mysql_virtual_mailbox_limit_maps.cf"), [
                ("alice@example.jp", "10240000"),
                ("tiny@example.jp", "1000"),
                ("bob@example.jp", "0"),
                ("gone@example.jp", None),
            ])

    # -- other parameters against the real server --

    def test_rows_columns_and_result_format(self):
        self.check_lookups("mysql:" + self.cf("rows.cf", (
            "query = SELECT address FROM alias WHERE domain = '%d' AND active = 1"
            " ORDER BY address\n")), [
            ("x@example.net", "@example.net,carol@example.net"),
            ("x@old.example.jp", None),
        ])
        self.check_lookups("mysql:" + self.cf("columns.cf", (
            "query = SELECT username, maildir FROM mailbox WHERE username = '%s'\n")), [
            ("bob@example.jp", "bob@example.jp,example.jp/bob/"),
        ])
        self.check_lookups("mysql:" + self.cf("format.cf", (
            "query = SELECT username FROM mailbox WHERE local_part = '%u' AND domain = '%d'\n"
            "result_format = %d/%u/Maildir [%S %U %D %2.%1] 100%%\n")), [
            ("alice@example.jp", "example.jp/alice/Maildir [alice@example.jp alice example.jp"
                                 " example.jp] 100%"),
        ])
        self.check_lookups("mysql:" + self.cf("labels.cf", (
            "query = SELECT domain FROM domain WHERE domain = CONCAT('%2', '.', '%1')\n")), [
            ("u@example.jp", "example.jp"),
            ("u@jp", None),  # too few labels for %2: no query
        ])

    def test_expansion_limit(self):
        table = "mysql:" + self.cf("limit.cf", (
            "query = SELECT goto FROM alias WHERE domain = '%d' AND active = 1\n"
            "expansion_limit = 1\n"))
        r = self.postmap("-q", "bob@example.net", table)  # two values: too many
        self.assertEqual(r.rc, 1, r)
        self.assertIn("expansion limit exceeded", r.err)
        self.check_lookups(table, [("x@alias.example.jp", None)])

    def test_domain_restriction(self):
        domains = write(os.path.join(self.tmp, "domains"), "# searched\nexample.net\n")
        self.check_lookups("mysql:" + self.cf("domain.cf", (
            "query = SELECT goto FROM alias WHERE address = '%s'\n"
            "domain = example.org, " + domains + "\n")), [
            ("carol@example.net", "carol@example.net"),
            ("bob@example.jp", None),  # not in the list: no query
            ("@example.net", None),  # empty local part: no query
        ])

    def test_legacy_fields(self):
        self.check_lookups("mysql:" + self.cf("legacy.cf", (
            "select_field = maildir\ntable = mailbox\nwhere_field = username\n"
            "additional_conditions = AND active = '1'\n")), [
            ("bob@example.jp", "example.jp/bob/"),
            ("gone@example.jp", None),
        ])

    def test_stored_procedure(self):
        self.check_lookups("mysql:" + self.cf("call.cf", "query = CALL lookup_alias('%s')\n"), [
            ("sales@example.jp", "alice@example.jp,carol@example.net"),
            ("nobody@example.jp", None),
            ("bob@example.jp", "bob@example.jp"),
        ])

    def test_require_result_set(self):
        r = self.postmap("-q", "k", "mysql:" + self.cf("noresult.cf", "query = DO '%s'\n"))
        self.assertEqual(r.rc, 1, r)
        self.assertIn("returned no result set", r.err)
        self.check_lookups("mysql:" + self.cf("noresult2.cf", (
            "query = DO '%s'\nrequire_result_set = no\n")), [("k", None)])

    def test_tcp_host(self):
        self.check_lookups("mysql:" + self.cf(
            "tcp.cf", "query = SELECT maildir FROM mailbox WHERE username = '%s'\n",
            hosts="inet:127.0.0.1:%d" % self.db.port), [("bob@example.jp", "example.jp/bob/")])

    def test_main_cf_embedded_form(self):
        conf = os.path.join(self.tmp, "embedded")
        os.makedirs(conf, exist_ok=True)
        write(os.path.join(conf, "main.cf"), "".join(
            "vmail_%s = %s\n" % kv for kv in self.settings.items()) +
            "vmail_query = SELECT maildir FROM mailbox WHERE username='%s' AND active = '1'\n")
        r = self.postmap("-q", "bob@example.jp", "mysql:vmail", conf=conf)
        self.assertEqual((r.rc, r.out), (0, "example.jp/bob/\n"), r)
        r = self.postmap("-q", "gone@example.jp", "mysql:vmail", conf=conf)
        self.assertEqual((r.rc, r.out), (1, ""), r)

    def test_configuration_errors(self):
        path = self.cf("bad.cf", "query = SELECT 1\nexpansion_limit = many\n")
        r = self.postmap("-q", "k", "mysql:" + path)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("postmap: fatal: %s, line 6: bad expansion_limit value \"many\": "
                      "expected a number >= 0" % path, r.err)
        path = self.cf("badq.cf", "query = SELECT '%x'\n")
        r = self.postmap("-q", "k", "mysql:" + path)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("postmap: fatal: %s, line 5: invalid query template: %%x in "
                      "\"SELECT '%%x'\"" % path, r.err)
        path = self.cf("unknown.cf", "query = SELECT '%s'\nhost = db1\n")
        r = self.postmap("-q", "k", "mysql:" + path)
        self.assertEqual((r.rc, r.out), (0, "k\n"), r)
        self.assertIn("postmap: warning: %s, line 6: unused parameter: host" % path, r.err)

    # -- one bad key must not disable the table (examples/mysql-charset) --

    def test_charset_bad_key_fails_alone(self):
        cf = mariadb.rewrite_cf(os.path.join(CHARSET, "my_alias.cf"), os.path.join(self.tmp, "my_alias.cf"),
                        dict(self.settings, dbname="postfix_latin1"))
        r = self.postmap("-q", "-", "mysql:" + cf,
                         input="ほげ@example.jp\nbob@example.jp\nほげ@example.jp\nbob@example.jp\n")
        self.assertIn("Illegal mix of collations", r.err)
        self.assertEqual(r.out, "bob@example.jp\tbob@example.jp\n" * 2, r)

    # -- failover --

    def test_two_hosts_first_dead(self):
        dead_socket = os.path.join(self.tmp, "no-such-dir", "mysqld.sock")
        query = "query = SELECT maildir FROM mailbox WHERE username = '%s'\n"
        keys = ["bob@example.jp", "alice@example.jp", "carol@example.net"]
        want = ("bob@example.jp\texample.jp/bob/\nalice@example.jp\texample.jp/alice/\n"
                "carol@example.net\texample.net/carol/\n")
        # A socket is always tried first, so the dead one is asked first.
        table = "mysql:" + self.cf("twohosts.cf", query, hosts="unix:%s inet:127.0.0.1:%d" % (
            dead_socket, self.db.port))
        r = self.postmap("-q", "-", table, input="".join(k + "\n" for k in keys))
        self.assertEqual((r.rc, r.out), (0, want), r)
        # One connection failure, then the dead host rests while the other serves.
        self.assertEqual(r.err.count("connect to mysql server unix:" + dead_socket), 1, r)
        # Two TCP hosts in random order, one of them dead.
        table = "mysql:" + self.cf("twotcp.cf", query, hosts="inet:127.0.0.1:%d 127.0.0.1:%d" % (
            mariadb.free_port(), self.db.port))
        for _ in range(3):
            r = self.postmap("-q", "-", table, input="".join(k + "\n" for k in keys))
            self.assertEqual((r.rc, r.out), (0, want), r)


@unittest.skipUnless(mariadb.available(), "MariaDB server not installed")
class MysqlOutageTest(mtatest.TempDirTestCase):
    """A server that dies and comes back while one postmap process runs."""

    def setUp(self):
        super().setUp()
        self.db = mariadb.MariaDB()
        self.db.start()
        self.addCleanup(self.db.cleanup)
        self.db.execute_file(os.path.join(VH, "postfixadmin-schema.sql"))
        self.conf = self.make_config("")
        cf = mariadb.rewrite_cf(os.path.join(VH, "sql", "mysql_virtual_alias_maps.cf"),
                        os.path.join(self.tmp, "alias.cf"),
                        dict(self.db.cf_settings(), dbname="postfix"))
        self.pm = Coprocess([POSTMAP, "-c", self.conf, "-q", "-", "mysql:" + cf])
        self.addCleanup(self.pm.kill)

    FOUND = "bob@example.jp\tbob@example.jp"

    def ask(self, key, timeout=10):
        """Asks one key; returns "found", "error" (postmap reported a table
        error for it and went on), "timeout" or "postmap exited"."""
        n_out = len(self.pm.out)
        n_err = len([l for l in self.pm.err if "table mysql:" in l])
        try:
            self.pm.ask(key)
        except BrokenPipeError:
            self.pm.wait_for(lambda out, err: False, 5)  # collect what it said
            return "postmap exited"
        ok = self.pm.wait_for(lambda out, err: len(out) > n_out or
                              len([l for l in err if "table mysql:" in l]) > n_err, timeout)
        if not ok:
            return "timeout"
        if len(self.pm.out) > n_out:
            self.assertEqual(self.pm.out[n_out:], [self.FOUND])
            return "found"
        return "error"

    def test_server_killed_mid_batch_and_restarted(self):
        self.assertEqual(self.ask("bob@example.jp"), "found", self.pm.transcript())
        self.db.kill()
        for _ in range(2):
            self.assertEqual(self.ask("bob@example.jp"), "error", self.pm.transcript())
        self.db.restart()
        deadline = time.monotonic() + 30
        answer = None
        while time.monotonic() < deadline:
            answer = self.ask("bob@example.jp")
            if answer != "error":
                break
            time.sleep(0.05)  # poll interval while the host rests
        self.assertEqual(answer, "found", self.pm.transcript())
        self.assertIsNone(self.pm.proc.poll(), "postmap exited:\n" + self.pm.transcript())
        self.pm.proc.stdin.close()
        self.assertEqual(self.pm.proc.wait(timeout=30), 0, self.pm.transcript())

    def test_restart_between_lookups_is_invisible(self):
        # The open connection went stale while idle: reopened at once.
        self.assertEqual(self.ask("bob@example.jp"), "found", self.pm.transcript())
        self.db.kill()
        self.db.restart()
        self.assertEqual(self.ask("bob@example.jp"), "found", self.pm.transcript())
        self.assertEqual([l for l in self.pm.err if "warning" in l], [], self.pm.transcript())


if __name__ == "__main__":
    unittest.main()

"""System tests of the proxymap service (proxymap/): real instances started
with `postfix start`, asked through our `postmap -q KEY proxy:TYPE:NAME`
(the real proxy: client, tables/proxy_table.cpp) and through a small
attribute-protocol client (mtatest.attr_encode/attr_read) for what postmap
cannot ask (raw statuses, proxywrite updates, sequence, many concurrent
clients).

Covers: found, not found, a table not in proxy_read_maps (status 4 and
Postfix's warning), a hash table rebuilt by postmap (new value without a
restart), proxywrite updates/deletes and their refusal on proxymap, sequence,
and a mysql: table on a private MariaDB: server killed -> temporary error
(status 2; postmap fails with a query error, never "not found"), server back
-> found again, and many concurrent clients served by one proxymap process
over a single database connection.
"""
import os
import re
import socket
import subprocess
import threading
import unittest

import mariadb
import mtatest

VH = os.path.join(mtatest.EXAMPLES, "virtual-hosting")
LOOKUP_FLAGS = "13"  # kFoldFixed | kTryNul | kTryNoNul (tables/table.h)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class ProxyClient:
    """One kept connection to a proxymap socket; request() sends one
    attribute list and returns the reply as a dict of str -> str."""

    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.reader = self.sock.makefile("rb")

    def request(self, **attrs):
        self.sock.sendall(mtatest.attr_encode(list(attrs.items())))
        reply = mtatest.attr_read(self.reader)
        if reply is None:
            raise ConnectionError("proxymap closed the connection")
        return {k: v.decode() for k, v in reply.items()}

    def lookup(self, table, key):
        return self.request(request="lookup", table=table, flags=LOOKUP_FLAGS, key=key)

    def close(self):
        self.reader.close()
        self.sock.close()


class ProxymapTest(mtatest.TempDirTestCase):
    def start(self, main_cf, overrides=None):
        inst = mtatest.MtaInstance(self, services=["proxymap", "proxywrite"],
                                   overrides=overrides, main_cf=main_cf)
        inst.start()
        self.inst = inst
        return inst

    def client(self, service="proxymap"):
        c = ProxyClient(os.path.join(self.inst.queue, "private", service))
        self.addCleanup(c.close)
        return c

    def postmap(self, *args, input=None):
        return self.inst.run("postmap", *args, input=input)

    def make_hash(self, name, text):
        path = write(os.path.join(self.tmp, name), text)
        conf = os.path.join(self.tmp, "postmap-etc")
        if not os.path.isdir(conf):
            os.makedirs(conf)
            write(os.path.join(conf, "main.cf"), "")
        r = mtatest.run([mtatest.program("postmap"), "-c", conf, "hash:" + path])
        self.assertEqual(r.rc, 0, r)
        return path

    def proxymap_pids(self):
        return [p for p in self.inst.children_named("proxymap")
                if "proxymap" in mtatest.argv(p)[1:]]

    # -- hash tables --

    def test_hash_found_not_found_and_unapproved(self):
        aliases = self.make_hash("aliases", "bob@example.jp bob@mail.example.jp\n"
                                            "Sales@example.jp alice@example.jp\n")
        other = self.make_hash("other", "bob@example.jp secret\n")
        self.start("virtual_alias_maps = proxy:hash:%s\n" % aliases)

        r = self.postmap("-q", "bob@example.jp", "proxy:hash:" + aliases)
        self.assertEqual((r.rc, r.out), (0, "bob@mail.example.jp\n"), r)
        r = self.postmap("-q", "SALES@example.jp", "proxy:hash:" + aliases)
        self.assertEqual((r.rc, r.out), (0, "alice@example.jp\n"), r)
        r = self.postmap("-q", "nobody@example.jp", "proxy:hash:" + aliases)
        self.assertEqual((r.rc, r.out, r.err), (1, "", ""), r)

        # Not in proxy_read_maps: denied, never looked up.
        r = self.postmap("-q", "bob@example.jp", "proxy:hash:" + other)
        self.assertEqual(r.rc, 1, r)
        self.assertNotIn("secret", r.out)
        self.assertIn('proxymap service is not configured for table "hash:%s"' % other, r.err)
        self.inst.wait_log(r'postfix/proxymap\[\d+\]: warning: request for unapproved table: '
                           r'"hash:%s"' % re.escape(other))
        c = self.client()
        self.assertEqual(c.lookup("hash:" + other, "bob@example.jp"), {"status": "4", "value": ""})
        self.assertEqual(c.lookup("hash:" + aliases, "bob@example.jp"),
                         {"status": "0", "value": "bob@mail.example.jp"})
        self.assertEqual(c.lookup("hash:" + aliases, "x@y"), {"status": "1", "value": ""})
        self.assertEqual(c.request(request="open", table="hash:" + aliases, flags=LOOKUP_FLAGS),
                         {"status": "0", "flags": str(13 | 256)})
        self.assertEqual(c.request(request="nonsense", table="t", flags="0"), {"status": "3"})
        self.inst.wait_log(r'warning: unrecognized request: "nonsense", ignored')

    def test_rebuilt_table_seen_without_restart(self):
        aliases = self.make_hash("aliases", "bob@example.jp old@example.jp\n")
        self.start("virtual_alias_maps = proxy:hash:%s\n" % aliases)
        c = self.client()
        self.assertEqual(c.lookup("hash:" + aliases, "bob@example.jp")["value"], "old@example.jp")
        pids = self.proxymap_pids()
        self.assertEqual(len(pids), 1)
        write(aliases, "bob@example.jp new@example.jp\n")
        r = self.postmap("hash:" + aliases)
        self.assertEqual(r.rc, 0, r)
        # Same connection, same process: the table is reopened within ~1 s.
        mtatest.wait_for(lambda: c.lookup("hash:" + aliases, "bob@example.jp")["value"]
                         == "new@example.jp", timeout=10, what="the rebuilt table")
        self.assertEqual(self.proxymap_pids(), pids)
        r = self.postmap("-q", "bob@example.jp", "proxy:hash:" + aliases)
        self.assertEqual((r.rc, r.out), (0, "new@example.jp\n"), r)

    def test_missing_table_is_a_temporary_error(self):
        missing = os.path.join(self.tmp, "missing")
        self.start("virtual_alias_maps = proxy:hash:%s\n" % missing)
        c = self.client()
        r = c.lookup("hash:" + missing, "bob@example.jp")
        self.assertEqual(r["status"], "2", r)
        self.assertIn("is unavailable", r["value"])
        r = self.postmap("-q", "bob@example.jp", "proxy:hash:" + missing)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("query error", r.err)
        # Created later: found, still without a restart.
        write(missing, "bob@example.jp here\n")
        self.assertEqual(self.postmap("hash:" + missing).rc, 0)
        mtatest.wait_for(lambda: c.lookup("hash:" + missing, "bob@example.jp")
                         == {"status": "0", "value": "here"}, timeout=10, what="the new table")

    def test_proxywrite_updates_and_sequence(self):
        cache = self.make_hash("cache", "a@x 1\n")
        self.start("address_verify_map = proxy:hash:%s\n"
                   "virtual_alias_maps = proxy:hash:%s\n" % (cache, cache))
        table = "hash:" + cache
        reader, writer = self.client("proxymap"), self.client("proxywrite")
        self.assertEqual(reader.request(request="update", table=table, flags=LOOKUP_FLAGS,
                                        key="b@x", value="2"), {"status": "4"})
        self.inst.wait_log(r"warning: refusing hash:%s update request on non-proxywrite "
                           r"service" % re.escape(cache))
        self.assertEqual(writer.request(request="update", table=table, flags=LOOKUP_FLAGS,
                                        key="B@x", value="2"), {"status": "0"})
        self.assertEqual(writer.lookup(table, "b@x"), {"status": "0", "value": "2"})
        # On disk: postmap and the read-only service see it.
        r = self.postmap("-q", "b@x", "hash:" + cache)
        self.assertEqual((r.rc, r.out), (0, "2\n"), r)
        mtatest.wait_for(lambda: reader.lookup(table, "b@x") == {"status": "0", "value": "2"},
                         timeout=10, what="the update seen by proxymap")
        self.assertEqual(writer.request(request="delete", table=table, flags=LOOKUP_FLAGS,
                                        key="a@x"), {"status": "0"})
        self.assertEqual(writer.request(request="delete", table=table, flags=LOOKUP_FLAGS,
                                        key="a@x"), {"status": "1"})
        seen = []
        r = writer.request(request="sequence", table=table, flags=LOOKUP_FLAGS, function="first")
        while r["status"] == "0":
            seen.append((r["key"], r["value"]))
            r = writer.request(request="sequence", table=table, flags=LOOKUP_FLAGS,
                               function="next")
        self.assertEqual(r["status"], "1")
        self.assertEqual(seen, [("b@x", "2")])
        # A table only in proxy_read_maps cannot be written.
        other = self.make_hash("other", "k v\n")
        self.assertEqual(writer.request(request="update", table="hash:" + other,
                                        flags=LOOKUP_FLAGS, key="k", value="w"), {"status": "4"})
        r = self.postmap("-q", "k", "hash:" + other)
        self.assertEqual(r.out, "v\n")

    # -- mysql --

    @unittest.skipUnless(mariadb.available(), "MariaDB server not installed")
    def test_mysql_through_proxy(self):
        db = mariadb.MariaDB()
        db.start()
        self.addCleanup(db.cleanup)
        db.execute_file(os.path.join(VH, "postfixadmin-schema.sql"))
        cf = mariadb.rewrite_cf(os.path.join(VH, "sql", "mysql_virtual_mailbox_maps.cf"),
                                os.path.join(self.tmp, "mailbox.cf"),
                                dict(db.cf_settings(), dbname="postfix"))
        table = "mysql:" + cf
        self.start("virtual_mailbox_maps = proxy:%s\n" % table,
                   overrides={"proxymap": {"maxproc": "1"}})

        r = self.postmap("-q", "bob@example.jp", "proxy:" + table)
        self.assertEqual((r.rc, r.out), (0, "example.jp/bob/\n"), r)
        r = self.postmap("-q", "nobody@example.jp", "proxy:" + table)
        self.assertEqual((r.rc, r.out, r.err), (1, "", ""), r)

        # Many clients at once, one process, one database connection.
        errors = []
        keys = ["bob@example.jp", "carol@example.net", "nobody@example.jp"]
        want = {"bob@example.jp": {"status": "0", "value": "example.jp/bob/"},
                "carol@example.net": {"status": "0", "value": "example.net/carol/"},
                "nobody@example.jp": {"status": "1", "value": ""}}

        def worker(n):
            try:
                c = ProxyClient(os.path.join(self.inst.queue, "private", "proxymap"))
                try:
                    for i in range(20):
                        key = keys[(n + i) % len(keys)]
                        got = c.lookup(table, key)
                        if got != want[key]:
                            errors.append((key, got))
                finally:
                    c.close()
            except Exception as e:  # reported below, in the test's thread
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(25)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertFalse(any(t.is_alive() for t in threads), "clients hung")
        self.assertEqual(errors, [])
        self.assertEqual(len(self.proxymap_pids()), 1)
        threads_connected = int(db.execute("SHOW STATUS LIKE 'Threads_connected'").split()[1])
        # proxymap's one connection plus the one asking.
        self.assertLessEqual(threads_connected, 2)

        # Server down: a temporary error, never "not found".
        db.kill()
        c = self.client()
        r = c.lookup(table, "bob@example.jp")
        self.assertEqual(r["status"], "2", r)
        r = self.postmap("-q", "bob@example.jp", "proxy:" + table)
        self.assertEqual((r.rc, r.out), (1, ""), r)
        self.assertIn("query error", r.err)
        self.inst.wait_log(r"postfix/proxymap\[\d+\]: warning: %s lookup error for "
                           r'"bob@example.jp"' % re.escape(table))

        # Server back: found again, same proxymap process, no restart.
        pids = self.proxymap_pids()
        db.restart()
        mtatest.wait_for(lambda: c.lookup(table, "bob@example.jp")
                         == {"status": "0", "value": "example.jp/bob/"},
                         timeout=60, interval=0.5, what="lookups after the restart")
        r = self.postmap("-q", "bob@example.jp", "proxy:" + table)
        self.assertEqual((r.rc, r.out), (0, "example.jp/bob/\n"), r)
        self.assertEqual(self.proxymap_pids(), pids)


if __name__ == "__main__":
    unittest.main()

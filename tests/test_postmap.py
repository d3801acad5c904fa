"""System tests of postmap: building, querying, changing and listing the
indexed tables (hash, btree, lmdb, cdb), its warnings and errors, tables
shared with Debian's /usr/sbin/postmap in both directions, and readers that
never see a half-built table while it is rebuilt."""
import os
import stat
import subprocess
import threading
import time
import unittest

import mtatest

TYPES = ["hash", "btree", "lmdb", "cdb"]
SUFFIX = {"hash": ".db", "btree": ".db", "lmdb": ".lmdb", "cdb": ".cdb"}


def have_debian_postmap():
    return os.access(mtatest.DEBIAN_POSTMAP, os.X_OK)


class PostmapTestCase(mtatest.TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.etc = self.make_config("")

    def postmap(self, *args, input=None, program=None, etc=None):
        argv = [program or mtatest.program("postmap"), "-c", etc or self.etc] + list(args)
        return mtatest.run(argv, input=input)

    def ok(self, *args, **kw):
        r = self.postmap(*args, **kw)
        self.assertEqual(r.rc, 0, r)
        return r

    def write(self, name, text, mode=0o644):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path


class BuildAndQueryTest(PostmapTestCase):
    SOURCE = ("# a comment\n"
              "Bob@Example.JP   bob@mail.example.jp\n"
              "\n"
              "alice  a1,\n"
              "   a2\n"
              "  # an indented comment inside a continuation\n"
              "\ta3\n"
              "carol\tc  \n")

    def test_build_query_each_type(self):
        src = self.write("virtual", self.SOURCE)
        for t in TYPES:
            with self.subTest(type=t):
                r = self.ok(t + ":" + src)
                self.assertEqual(r.err, "")
                self.assertTrue(os.path.exists(src + SUFFIX[t]))
                r = self.ok("-q", "BOB@example.jp", t + ":" + src)
                self.assertEqual(r.out, "bob@mail.example.jp\n")
                self.assertEqual(self.ok("-q", "alice", t + ":" + src).out, "a1,   a2\ta3\n")
                self.assertEqual(self.ok("-q", "carol", t + ":" + src).out, "c\n")
                r = self.postmap("-q", "nobody", t + ":" + src)
                self.assertEqual((r.rc, r.out, r.err), (1, "", ""))
                # -s lists every entry, keys folded.
                r = self.ok("-s", t + ":" + src)
                self.assertEqual(sorted(r.out.splitlines()),
                                 ["alice\ta1,   a2\ta3", "bob@example.jp\tbob@mail.example.jp",
                                  "carol\tc"])

    def test_no_folding(self):
        src = self.write("t", "MiXeD v\n")
        for t in TYPES:
            with self.subTest(type=t):
                self.ok("-f", t + ":" + src)
                self.assertEqual(self.postmap("-f", "-q", "mixed", t + ":" + src).rc, 1)
                self.assertEqual(self.ok("-f", "-q", "MiXeD", t + ":" + src).out, "v\n")
                # Without -f the lookup key is folded: not found.
                self.assertEqual(self.postmap("-q", "MiXeD", t + ":" + src).rc, 1)

    def test_query_stdin(self):
        src = self.write("t", "a 1\nb 2\n")
        for t in TYPES:
            with self.subTest(type=t):
                self.ok(t + ":" + src)
                r = self.ok("-q", "-", t + ":" + src, input="A\nzz\nb\n")
                self.assertEqual(r.out, "A\t1\nb\t2\n")
                r = self.postmap("-q", "-", t + ":" + src, input="x\ny\n")
                self.assertEqual((r.rc, r.out), (1, ""))

    def test_query_searches_maps_in_order(self):
        one = self.write("one", "k first\n")
        two = self.write("two", "k second\nj only-two\n")
        self.ok("hash:" + one)
        self.ok("cdb:" + two)
        self.assertEqual(self.ok("-q", "k", "hash:" + one, "cdb:" + two).out, "first\n")
        self.assertEqual(self.ok("-q", "j", "hash:" + one, "cdb:" + two).out, "only-two\n")

    def test_default_type_from_main_cf(self):
        src = self.write("t", "k v\n")
        self.ok(src)  # hash by default
        self.assertEqual(self.ok("-q", "k", "hash:" + src).out, "v\n")
        etc = self.make_config("default_database_type = lmdb\n", name="etc2")
        self.ok(src, etc=etc)
        self.assertTrue(os.path.exists(src + ".lmdb"))
        self.assertEqual(self.ok("-q", "k", src, etc=etc).out, "v\n")

    def test_new_table_mode_follows_source(self):
        for mode, want in [(0o640, 0o640), (0o600, 0o600), (0o644, 0o644), (0o604, 0o604)]:
            with self.subTest(mode=oct(mode)):
                src = self.write("m%o" % mode, "k v\n", mode)
                self.ok("hash:" + src)
                self.assertEqual(stat.S_IMODE(os.stat(src + ".db").st_mode), want)
        # An existing table keeps its mode on a rebuild.
        src = os.path.join(self.tmp, "m644")
        os.chmod(src + ".db", 0o600)
        self.ok("hash:" + src)
        self.assertEqual(stat.S_IMODE(os.stat(src + ".db").st_mode), 0o600)

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_root_builds_as_source_owner(self):
        d = os.path.join(self.tmp, "nobody")
        os.mkdir(d)
        os.chown(d, 65534, 65534)
        os.chmod(self.tmp, 0o755)
        src = os.path.join(d, "t")
        with open(src, "w") as f:
            f.write("k v\n")
        os.chown(src, 65534, 65534)
        for t in TYPES:
            with self.subTest(type=t):
                self.ok(t + ":" + src)
                self.assertEqual(os.stat(src + SUFFIX[t]).st_uid, 65534)
                os.unlink(src + SUFFIX[t])
                self.ok("-o", t + ":" + src)  # -o: keep root privileges
                self.assertEqual(os.stat(src + SUFFIX[t]).st_uid, 0)
                os.unlink(src + SUFFIX[t])

    def test_nul_options(self):
        src = self.write("t", "k v\n")
        for t in TYPES:
            with self.subTest(type=t):
                for build, query, found in [("-N", "-N", 0), ("-n", "-n", 0), ("-N", None, 0),
                                            ("-n", None, 0), ("-N", "-n", 1), ("-n", "-N", 1)]:
                    self.ok(build, t + ":" + src)
                    args = ([query] if query else []) + ["-q", "k", t + ":" + src]
                    self.assertEqual(self.postmap(*args).rc, found, (build, query))


class ChangeTest(PostmapTestCase):
    def test_delete(self):
        src = self.write("t", "a 1\nb 2\nc 3\n")
        for t in TYPES:
            with self.subTest(type=t):
                self.ok(t + ":" + src)
                self.assertEqual(self.ok("-d", "A", t + ":" + src).out, "")
                self.assertEqual(self.postmap("-d", "a", t + ":" + src).rc, 1)
                self.assertEqual(self.postmap("-q", "a", t + ":" + src).rc, 1)
                r = self.ok("-d", "-", t + ":" + src, input="b\nnope\n")
                self.assertEqual(self.postmap("-q", "b", t + ":" + src).rc, 1)
                r = self.postmap("-d", "-", t + ":" + src, input="nope\n")
                self.assertEqual(r.rc, 1, r)
                self.assertEqual(self.ok("-s", t + ":" + src).out, "c\t3\n")
                self.assertEqual(sorted(os.listdir(self.tmp)).count("t" + SUFFIX[t]), 1)

    def test_incremental(self):
        src = self.write("t", "a 1\n")
        for t in TYPES:
            with self.subTest(type=t):
                self.ok(t + ":" + src)
                r = self.ok("-i", t + ":" + src, input="B 2\na 9\nbad\n")
                self.assertEqual(r.err.splitlines()[-1],
                                 "postmap: warning: stdin, line 3: expected format: "
                                 "key whitespace value")
                self.assertIn('duplicate entry: "a"', r.err)
                self.assertEqual(self.ok("-q", "a", t + ":" + src).out, "1\n")
                self.assertEqual(self.ok("-q", "b", t + ":" + src).out, "2\n")
                self.ok("-i", "-r", t + ":" + src, input="a 9\n")
                self.assertEqual(self.ok("-q", "a", t + ":" + src).out, "9\n")
        # -i creates a missing table.
        new = os.path.join(self.tmp, "new")
        self.ok("-i", "hash:" + new, input="k v\n")
        self.assertEqual(self.ok("-q", "k", "hash:" + new).out, "v\n")

    def test_duplicates(self):
        src = self.write("t", "k first\nK second\n")
        want = {"hash": 'postmap: warning: %s.db: duplicate entry: "k"\n' % src,
                "btree": 'postmap: warning: %s.db: duplicate entry: "k"\n' % src,
                "lmdb": 'postmap: warning: lmdb:%s: duplicate entry: "k"\n' % src,
                "cdb": 'postmap: warning: %s: duplicate entry: "k"\n' % src}
        for t in TYPES:
            with self.subTest(type=t):
                r = self.ok(t + ":" + src)
                self.assertEqual(r.err, want[t])
                self.assertEqual(self.ok("-q", "k", t + ":" + src).out, "first\n")
                r = self.ok("-w", t + ":" + src)
                self.assertEqual(r.err, "")
                self.assertEqual(self.ok("-q", "k", t + ":" + src).out, "first\n")
                r = self.ok("-r", t + ":" + src)
                self.assertEqual(r.err, "")
                self.assertEqual(self.ok("-q", "k", t + ":" + src).out, "second\n")


class ErrorTest(PostmapTestCase):
    def test_bad_lines(self):
        src = self.write("t", "good v\n\n# c\nlonely\nalias: x\n  leading\nok 1\n")
        src2 = self.write("lead", "  first line indented\nk v\n")
        r = self.ok("hash:" + src)
        self.assertEqual(r.err,
                         "postmap: warning: %s, line 4: expected format: key whitespace value\n"
                         "postmap: warning: %s, line 5: record is in \"key: value\" format; "
                         "is this an alias file?\n" % (src, src))
        self.assertEqual(self.ok("-q", "alias:", "hash:" + src).out, "x  leading\n")
        r = self.ok("hash:" + src2)
        self.assertEqual(r.err, "postmap: warning: %s: logical line must not start with "
                                "whitespace: \"  first line indented\"\n" % src2)

    def test_missing_source(self):
        missing = os.path.join(self.tmp, "nope")
        r = self.postmap("hash:" + missing)
        self.assertEqual((r.rc, r.err),
                         (1, "postmap: fatal: open %s: No such file or directory\n" % missing))

    def test_missing_table(self):
        for t in TYPES:
            with self.subTest(type=t):
                missing = os.path.join(self.tmp, "nope")
                for args in (["-q", "k"], ["-s"], ["-d", "k"]):
                    r = self.postmap(*args, t + ":" + missing)
                    self.assertEqual((r.rc, r.err), (1, "postmap: fatal: open database %s%s: "
                                                        "No such file or directory\n"
                                                        % (missing, SUFFIX[t])))

    def test_bad_type(self):
        src = self.write("t", "k v\n")
        r = self.postmap("foo:" + src)
        self.assertEqual((r.rc, r.err), (1, "postmap: fatal: unsupported dictionary type: foo\n"))
        r = self.postmap("-q", "k", "foo:/x")
        self.assertEqual((r.rc, r.err), (1, "postmap: fatal: unsupported dictionary type: foo\n"))
        r = self.postmap("foo:/x")  # as Postfix: the source file is opened first
        self.assertEqual((r.rc, r.err),
                         (1, "postmap: fatal: open /x: No such file or directory\n"))

    def test_unix_tables(self):
        """unix:passwd.byname and unix:group.byname as Postfix prints them
        (compared with Debian's postmap where installed)."""
        import grp
        import pwd
        pw = pwd.getpwnam("root")
        self.assertEqual(self.ok("-q", "ROOT", "unix:passwd.byname").out,
                         "root:%s:0:%d:%s:%s:%s\n" % (pw.pw_passwd, pw.pw_gid, pw.pw_gecos,
                                                       pw.pw_dir, pw.pw_shell))
        gr = grp.getgrnam("root")
        self.assertEqual(self.ok("-q", "root", "unix:group.byname").out,
                         "root:%s:0:%s\n" % (gr.gr_passwd, ",".join(gr.gr_mem)))
        self.assertEqual(self.postmap("-q", "no-such-user-xyzzy", "unix:passwd.byname").rc, 1)
        r = self.postmap("-q", "x", "unix:foo")
        self.assertEqual((r.rc, r.err), (1, "postmap: fatal: unknown table: unix:foo\n"))
        r = self.postmap("-s", "unix:passwd.byname")
        self.assertEqual((r.rc, r.err), (1, "postmap: fatal: table unix:passwd.byname: "
                                            "sequence operation is not supported\n"))
        if have_debian_postmap():
            for q in (["-q", "root", "unix:passwd.byname"], ["-q", "root", "unix:group.byname"],
                      ["-q", "nobody", "unix:passwd.byname"], ["-q", "x", "unix:foo"],
                      ["-s", "unix:passwd.byname"]):
                ours, theirs = self.postmap(*q), self.postmap(*q, program=mtatest.DEBIAN_POSTMAP)
                self.assertEqual((ours.rc, ours.out, ours.err), (theirs.rc, theirs.out, theirs.err))

    def test_read_only_type(self):
        src = self.write("t", "k v\n")
        r = self.postmap("regexp:" + src)
        self.assertEqual((r.rc, r.err),
                         (1, "postmap: fatal: unsupported dictionary type: regexp does not "
                             "support bulk-mode creation.\n"))

    def test_unwritable_directory(self):
        d = os.path.join(self.tmp, "ro")
        os.mkdir(d)
        src = os.path.join(d, "t")
        with open(src, "w") as f:
            f.write("k v\n")
        os.chmod(d, 0o555)
        self.addCleanup(os.chmod, d, 0o755)
        os.chmod(self.tmp, 0o755)
        os.chmod(self.etc, 0o755)
        os.chmod(os.path.join(self.etc, "main.cf"), 0o644)

        def demote():
            if os.geteuid() == 0:  # root could write anyway: run as nobody
                os.setgid(65534)
                os.setuid(65534)
        for t in TYPES:
            with self.subTest(type=t):
                p = subprocess.run([mtatest.program("postmap"), "-c", self.etc, t + ":" + src],
                                   capture_output=True, text=True, timeout=60,
                                   preexec_fn=demote)
                self.assertEqual((p.returncode, p.stderr),
                                 (1, "postmap: fatal: open database %s%s: Permission denied\n"
                                  % (src, SUFFIX[t])))
        self.assertEqual(os.listdir(d), ["t"])

    def test_missing_main_cf(self):
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        src = self.write("t", "k v\n")
        r = self.postmap("hash:" + src, etc=empty)
        self.assertEqual((r.rc, r.err), (1, "postmap: fatal: open %s/main.cf: No such file "
                                            "or directory\n" % empty))

    def test_usage(self):
        r = self.postmap()
        self.assertEqual(r.rc, 1)
        self.assertTrue(r.err.startswith("postmap: fatal: usage: postmap "), r)
        r = self.postmap("-q", "a", "-s", "hash:x")
        self.assertEqual(r.err, "postmap: fatal: specify only one of -s or -q or -d\n")
        r = self.postmap("-s", "-d", "a", "hash:x")
        self.assertEqual(r.err, "postmap: fatal: specify only one of -s -q or -d\n")


@unittest.skipUnless(have_debian_postmap(), "Debian's postfix is not installed")
class InteropTest(PostmapTestCase):
    """Tables built by Debian's postmap are read by ours, and vice versa."""
    SOURCE = "Bob@Example.JP bob@mail.example.jp\nalice a1,\n a2\nk3 v3\n"
    ENTRIES = ["alice\ta1, a2", "bob@example.jp\tbob@mail.example.jp", "k3\tv3"]

    def test_theirs_read_by_ours(self):
        src = self.write("t", self.SOURCE)
        for t in TYPES:
            for opt in ([], ["-N"], ["-n"]):
                with self.subTest(type=t, opt=opt):
                    self.ok(*opt, t + ":" + src, program=mtatest.DEBIAN_POSTMAP)
                    self.assertEqual(self.ok("-q", "BOB@example.jp", t + ":" + src).out,
                                     "bob@mail.example.jp\n")
                    self.assertEqual(self.ok("-q", "alice", t + ":" + src).out, "a1, a2\n")
                    self.assertEqual(self.postmap("-q", "nope", t + ":" + src).rc, 1)
                    r = self.ok("-s", t + ":" + src)
                    self.assertEqual(sorted(r.out.splitlines()), self.ENTRIES)
                    # Our incremental change of their table, read back by them.
                    self.ok("-i", t + ":" + src, input="new v\n")
                    if t != "cdb":  # Postfix's postmap cannot open cdb O_RDWR
                        self.ok("-d", "k3", t + ":" + src, program=mtatest.DEBIAN_POSTMAP)
                    else:
                        self.ok("-d", "k3", t + ":" + src)
                    r = self.ok("-q", "new", t + ":" + src, program=mtatest.DEBIAN_POSTMAP)
                    self.assertEqual(r.out, "v\n")
                    r = self.postmap("-q", "k3", t + ":" + src, program=mtatest.DEBIAN_POSTMAP)
                    self.assertEqual(r.rc, 1)

    def test_ours_read_by_theirs(self):
        src = self.write("t", self.SOURCE)
        for t in TYPES:
            for opt in ([], ["-N"], ["-n"]):
                with self.subTest(type=t, opt=opt):
                    self.ok(*opt, t + ":" + src)
                    theirs = mtatest.DEBIAN_POSTMAP
                    r = self.ok("-q", "BOB@example.jp", t + ":" + src, program=theirs)
                    self.assertEqual(r.out, "bob@mail.example.jp\n")
                    r = self.ok("-q", "-", t + ":" + src, program=theirs, input="alice\nnope\n")
                    self.assertEqual(r.out, "alice\ta1, a2\n")
                    if t != "cdb":  # Postfix cannot sequence cdb tables
                        r = self.ok("-s", t + ":" + src, program=theirs)
                        self.assertEqual(sorted(r.out.splitlines()), self.ENTRIES)
                        # Their incremental change of our table, read back by us.
                        self.ok("-i", t + ":" + src, program=theirs, input="new v\n")
                        self.assertEqual(self.ok("-q", "new", t + ":" + src).out, "v\n")

    def test_ordered_types_are_built_in_key_order(self):
        # btree and lmdb keep keys in byte order: ours loads them sorted
        # (global/table_loader.h), so pages fill one after another and the
        # btree file is far smaller than Postfix's from the same shuffled
        # source; both read both alike, and a duplicate resolves as in
        # source order (first wins; the warnings are compared with
        # Postfix's in PostaliasTest).
        import random
        rng = random.Random(7)
        keys = ["User%d@Example.JP" % i for i in range(20000)]
        rng.shuffle(keys)
        lines = ["%s v%d" % (k, i) for i, k in enumerate(keys)]
        lines.insert(0, "user17@example.jp first")
        lines.append("USER17@example.jp later")
        src = self.write("t", "\n".join(lines) + "\n")
        ours_src = self.write("o", "\n".join(lines) + "\n")
        theirs = mtatest.DEBIAN_POSTMAP
        for t in ("btree", "lmdb"):
            with self.subTest(type=t):
                self.ok(t + ":" + ours_src)
                self.ok(t + ":" + src, program=theirs)
                ours_size = os.path.getsize(ours_src + SUFFIX[t])
                their_size = os.path.getsize(src + SUFFIX[t])
                if t == "btree":
                    self.assertLess(ours_size, 0.75 * their_size, (ours_size, their_size))
                else:  # only the pages in use, not the whole map
                    self.assertLessEqual(ours_size, their_size, (ours_size, their_size))
                want = "user17@example.jp\tfirst\nuser4@example.jp\tv%d\n" % keys.index(
                    "User4@Example.JP")
                q = "user17@example.jp\nuser4@example.jp\n"
                for prog in (None, theirs):
                    for f in (ours_src, src):
                        r = self.ok("-q", "-", t + ":" + f, program=prog, input=q)
                        self.assertEqual(r.out, want, (prog, f))
                r = self.ok("-s", t + ":" + ours_src, program=theirs)
                self.assertEqual(len(r.out.splitlines()), 20000)

    def test_same_bytes_for_cdb(self):
        # cdb files are deterministic: ours must equal Postfix's byte for byte.
        src = self.write("t", self.SOURCE)
        self.ok("cdb:" + src, program=mtatest.DEBIAN_POSTMAP)
        with open(src + ".cdb", "rb") as f:
            theirs = f.read()
        self.ok("cdb:" + src)
        with open(src + ".cdb", "rb") as f:
            self.assertEqual(f.read(), theirs)


class ConcurrentReaderTest(PostmapTestCase):
    """A rebuild never exposes a half-built table to a reader."""
    ENTRIES = 20000
    REBUILDS = 4

    def test_reader_during_rebuilds(self):
        src = self.write("t", "".join("user%d@example.jp example.jp/user%d/\n" % (i, i)
                                      for i in range(self.ENTRIES)))
        for t in TYPES:
            with self.subTest(type=t):
                self.ok(t + ":" + src)
                stop = threading.Event()
                answers = []

                def reader():
                    i = 0
                    while not stop.is_set():
                        key = "user%d@example.jp" % ((i * 7919) % self.ENTRIES)
                        r = self.postmap("-q", key, t + ":" + src)
                        answers.append((key, r.rc, r.out, r.err))
                        i += 1
                th = threading.Thread(target=reader)
                th.start()
                try:
                    # Rebuild until the reader has had answers during the
                    # rebuilds (bounded).
                    deadline = time.monotonic() + 60
                    rebuilds = 0
                    while ((rebuilds < self.REBUILDS or len(answers) < 30)
                           and time.monotonic() < deadline):
                        self.ok(t + ":" + src)
                        rebuilds += 1
                finally:
                    stop.set()
                    th.join(60)
                self.assertGreaterEqual(len(answers), 20)
                for key, rc, out, err in answers:
                    want = "example.jp/%s/\n" % key.split("@")[0]
                    self.assertEqual((rc, out, err), (0, want, ""), key)
                self.assertEqual(sorted(os.listdir(self.tmp)).count("t" + SUFFIX[t]), 1)
                self.assertFalse([n for n in os.listdir(self.tmp) if ".tmp." in n])


DEBIAN_POSTALIAS = "/usr/sbin/postalias"


class PostaliasTest(PostmapTestCase):
    """postalias(1) and newaliases: aliases(5) syntax, the records Postfix
    adds, output formats, and files shared with Debian's postalias."""
    SOURCE = ('# comment\n'
              'root: admin, "|/bin/cat -n"\n'
              'PostMaster: root\n'
              '"quoted name": x\n'
              'list:\n  a,\n      b\n'
              'bad line here\n'
              'file: /tmp/x\n'
              'incl: :include: /etc/list\n'
              'dup: a\n'
              'dup: b\n'
              '\n  # indented comment\n'
              'empty:\n'
              'owner-list: a\n')
    ENTRIES = ['@:\t@', 'dup:\ta', 'file:\t/tmp/x', 'incl:\t:include:/etc/list',
               'list:\ta, b', 'owner-list:\ta', 'postmaster:\troot',
               'quoted name:\tx', 'root:\tadmin, "|/bin/cat -n"']

    def postalias(self, *args, input=None, program=None):
        argv = [program or mtatest.program("postalias"), "-c", self.etc] + list(args)
        return mtatest.run(argv, input=input)

    def listing(self, spec, program=None):
        r = self.postalias("-s", spec, program=program)
        self.assertEqual(r.rc, 0, r)
        return sorted(l for l in r.out.splitlines() if not l.startswith("YP_"))

    def test_build_query_list(self):
        src = self.write("aliases", self.SOURCE)
        r = self.postalias(src)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, "postalias: warning: %s, line 8: need name:value pair\n"
                                "postalias: warning: %s.db: duplicate entry: \"dup\"\n"
                                "postalias: warning: %s, line 15: need name:value pair\n"
                         % (src, src, src))
        self.assertEqual(self.listing(src), self.ENTRIES)
        self.assertEqual(self.postalias("-q", "ROOT", src).out, 'admin, "|/bin/cat -n"\n')
        r = self.postalias("-q", "-", src, input="root\nnope\nlist\n")
        self.assertEqual(r.out, 'root:\tadmin, "|/bin/cat -n"\nlist:\ta, b\n')
        self.assertEqual(self.postalias("-q", "nope", src).rc, 1)
        # the YP_ records keep their case, and -q folds the key (as Postfix)
        self.assertEqual(self.postalias("-q", "YP_MASTER_NAME", src).rc, 1)
        self.assertIn("YP_MASTER_NAME:", self.postalias("-s", src).out)
        r = self.postalias()
        self.assertEqual((r.rc, r.err), (1, "postalias: fatal: usage: postalias [-Nfinoprsuvw] "
                                            "[-c config_dir] [-d key] [-q key] "
                                            "[map_type:]file...\n"))
        self.postalias("-r", src)
        self.assertIn("dup:\tb", self.listing(src))
        self.postalias("-w", src)
        self.assertIn("dup:\ta", self.listing(src))

    @unittest.skipUnless(os.access(DEBIAN_POSTALIAS, os.X_OK), "Debian's postalias not installed")
    def test_same_as_debian_both_ways(self):
        for t in ("hash", "btree", "lmdb"):
            with self.subTest(type=t):
                ours = self.write("ours-" + t, self.SOURCE)
                theirs = self.write("theirs-" + t, self.SOURCE)
                r1 = self.postalias(t + ":" + ours)
                r2 = self.postalias(t + ":" + theirs, program=DEBIAN_POSTALIAS)
                self.assertEqual(r1.err.replace("ours-", "X-"), r2.err.replace("theirs-", "X-"))
                # each reads the other's file
                self.assertEqual(self.listing(t + ":" + ours, program=DEBIAN_POSTALIAS),
                                 self.ENTRIES)
                self.assertEqual(self.listing(t + ":" + theirs), self.ENTRIES)
                for key in ("root", "@", "YP_MASTER_NAME", "nope"):
                    a = self.postalias("-q", key, t + ":" + ours)
                    b = self.postalias("-q", key, t + ":" + theirs, program=DEBIAN_POSTALIAS)
                    self.assertEqual((a.rc, a.out), (b.rc, b.out), key)

    def test_newaliases_builds_alias_database(self):
        src = self.write("aliases", "root: admin\n")
        with open(os.path.join(self.etc, "main.cf"), "a") as f:
            f.write("alias_database = hash:%s\ncommand_directory = %s\n"
                    % (src, os.path.dirname(mtatest.program("postalias"))))
        for argv in ([mtatest.program("newaliases")], [mtatest.program("sendmail"), "-bi"]):
            with self.subTest(argv=argv):
                with open(src, "a") as f:
                    f.write("new%d: x\n" % len(argv))
                r = mtatest.run(argv, env={"MAIL_CONFIG": self.etc})
                self.assertEqual(r.rc, 0, r)
                self.assertEqual(self.postalias("-q", "new%d" % len(argv), src).out, "x\n")


if __name__ == "__main__":
    unittest.main()

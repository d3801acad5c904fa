"""The repository stands alone: a fresh `git clone` with nothing beside it
builds and passes `make test`. These tests read every file git tracks in
the source tree (MTA_SOURCE) and fail, naming file and line, when one
refers to a place outside the checkout:

- the reference folders that once sat beside the repository (a path that
  climbs with `../` into a folder named shared or seeds);
- any other relative path that climbs out of the repository when resolved
  from the file's own folder (`../something` in a top-level file);
- the source tree's root joined with its parent directory (CMake's
  CMAKE_SOURCE_DIR or the tests' SOURCE followed by a climb);
- absolute paths under personal or workspace directories
  (PERSONAL_ROOTS below), the checkout's own absolute path, and its parent
  directory when that is not a system directory.

System paths (/etc/postfix, /usr/..., /var/..., /tmp, /dev/..., /proc ...)
are fine: they are what a mail system and its tests use. Binary files are
not read. They also check that the examples and the design document the
README promises are in the tree.

Skipped only when the source tree is not a git checkout (no .git), for
example an unpacked release archive.
"""
import os
import re
import shutil
import subprocess
import unittest

import mtatest

SOURCE = mtatest.SOURCE

# Folders that sat beside the repository; written without the climbing
# prefix here so that this file does not match its own patterns.
SIBLING_FOLDERS = ("shared", "seeds")
# Top-level directories of a Debian system; absolute paths under them are
# fine, and the checkout's parent is only forbidden when it is not one.
SYSTEM_ROOTS = {"bin", "boot", "dev", "etc", "lib", "lib64", "opt", "proc", "run", "sbin",
                "srv", "sys", "tmp", "usr", "var"}
# Absolute paths that are never right in a tracked file: a developer's or a
# workspace's directory.
PERSONAL_ROOTS = ("work", "home", "root", "Users", "mnt", "media")

# A path starts where the previous character cannot belong to a word, a
# longer path, a URL or a variable (`a/../b`, `.../x`, `$HOME/..` are not
# starts).
START = r"(?<![\w.~$/}\]-])"
SIBLING = re.compile(r"(?<![\w.])(?:\.\./)+(?:%s)(?![\w.-])" % "|".join(SIBLING_FOLDERS))
CLIMB = re.compile(START + r"((?:\.\./)+)([\w.@+-]*)")
SOURCE_UP = re.compile(r"\b(?:MTA_SOURCE|SOURCE|CMAKE_SOURCE_DIR|PROJECT_SOURCE_DIR)\b"
                       r"[\W]{1,6}\.\.(?![\w.])")
PERSONAL = re.compile(START + r"/(?:%s)(?![\w.-])" % "|".join(PERSONAL_ROOTS))


def tracked_files():
    """The files git tracks under SOURCE, relative to it; skips the test
    when SOURCE is not a git checkout."""
    if not os.path.exists(os.path.join(SOURCE, ".git")):
        raise unittest.SkipTest("MTA_SOURCE=%s is not a git checkout (no .git): "
                                "cannot list the tracked files" % SOURCE)
    r = mtatest.run(["git", "-C", SOURCE, "ls-files", "-z"])
    if r.rc != 0:
        raise AssertionError("git ls-files failed in %s: %s" % (SOURCE, r.err.strip()))
    return [p for p in r.out.split("\0") if p]


def checkout_paths():
    """Absolute paths that mean "this checkout or its siblings" here."""
    out = [SOURCE]
    parent = os.path.dirname(SOURCE)
    top = parent.strip("/").split("/")[0]
    if parent != "/" and top not in SYSTEM_ROOTS:
        out.append(parent)
    return [re.compile(START + re.escape(p) + r"(?![\w.-])") for p in out]


def text_of(path):
    """The file's text, or None for binary files and files that are gone."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def climbs_out(rel_file, climb, name):
    """Whether `climb + name`, resolved from rel_file's folder, leaves the
    repository."""
    folder = os.path.dirname(rel_file)
    target = os.path.normpath(os.path.join(folder, climb + name))
    return target == ".." or target.startswith("../")


def problems_in(rel, text, checkout):
    """(line number, reason, line) for every reference outside the tree."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        reasons = []
        if SIBLING.search(line):
            reasons.append("refers to a folder beside the repository")
        else:
            for m in CLIMB.finditer(line):
                if climbs_out(rel, m.group(1), m.group(2)):
                    reasons.append("'%s' climbs out of the repository from %s/"
                                   % (m.group(0), os.path.dirname(rel) or "."))
                    break
        if SOURCE_UP.search(line):
            reasons.append("climbs out of the source tree from its root")
        m = PERSONAL.search(line)
        if m:
            reasons.append("absolute path under %s" % m.group(0))
        for p in checkout:
            if p.search(line):
                reasons.append("absolute path of this checkout or a sibling of it")
                break
        for reason in reasons:
            out.append((n, reason, line.strip()))
    return out


class SelfContainedTest(unittest.TestCase):
    def test_no_tracked_file_refers_outside_the_repository(self):
        files = tracked_files()
        self.assertIn("README.md", files)
        checkout = checkout_paths()
        found = []
        for rel in files:
            path = os.path.join(SOURCE, rel)
            if os.path.islink(path):
                target = os.readlink(path)
                if os.path.isabs(target) or climbs_out(rel, "", target):
                    found.append("%s: symbolic link to %s, outside the repository"
                                 % (rel, target))
                continue
            text = text_of(path)
            if text is None:
                continue
            for n, reason, line in problems_in(rel, text, checkout):
                found.append("%s:%d: %s: %s" % (rel, n, reason, line[:120]))
        self.assertEqual(found, [], "tracked files that refer to places outside the "
                         "repository:\n" + "\n".join(found[:100]))

    def test_the_patterns(self):
        """The rules themselves, on lines like the ones they must catch."""
        dots = "." * 2
        up = dots + "/"
        checkout = checkout_paths()
        caught = [
            ("README.md", "The design is in `%sshared/DESIGN.md`." % up),
            ("tests/README.md", "every main.cf in `%sshared/examples/`" % up),
            ("bench/x.sh", "cp %s%sseeds/a.txt ." % (up, up)),
            ("README.md", "see %sother-project/notes" % up),
            ("tests/CMakeLists.txt", "MTA_X=${CMAKE_SOURCE_DIR}/%sx" % up),
            ("tests/mtatest.py", 'X = os.path.join(SOURCE, "%s", "x")' % dots),
            ("docs/x.md", "copied from /%s/shared/examples" % PERSONAL_ROOTS[0]),
            ("docs/x.md", "my notes in /%s/alice/mta" % PERSONAL_ROOTS[1]),
            ("docs/x.md", "built in %s/build" % SOURCE),
        ]
        fine = [
            ("README.md", "cp conf/main.cf /tmp/demo-etc/ && ls /etc/postfix /var/spool/postfix"),
            ("global/x_test.cpp", 'EXPECT_FALSE(Append(layout_, q, "%sx", a).ok());' % up),
            ("tests/README.md", "cd tests && MTA_BIN=%sbuild/bin python3 -m unittest" % up),
            ("global/mail_queue_dirs.h", "//   .%spid   root  755" % up),
            ("tests/x.py", 'os.path.join(os.path.dirname(__file__), "%s")' % dots),
            ("docs/x.md", "reads /proc/self/fd and /dev/null; https://example.com/home/x"),
            ("docs/x.md", "the workers of /usr/lib/postfix"),
        ]
        for rel, line in caught:
            with self.subTest(caught=line):
                self.assertNotEqual(problems_in(rel, line, checkout), [])
        for rel, line in fine:
            with self.subTest(fine=line):
                self.assertEqual(problems_in(rel, line, checkout), [])


class ContentsTest(unittest.TestCase):
    """What the README promises is in the tree, not beside it."""

    EXAMPLES = ("virtual-hosting", "mysql-charset", "virtual-hash", "soho", "backup-mx",
                "docomo")

    def test_examples(self):
        self.assertEqual(mtatest.EXAMPLES, os.path.join(SOURCE, "examples"))
        readme = os.path.join(SOURCE, "examples", "README.md")
        self.assertTrue(os.path.isfile(readme), "no examples/ index in " + SOURCE)
        with open(readme) as f:
            index = f.read()
        for name in self.EXAMPLES:
            with self.subTest(example=name):
                folder = os.path.join(SOURCE, "examples", name)
                self.assertTrue(os.path.isfile(os.path.join(folder, "README.md")), folder)
                self.assertIn("(%s/)" % name, index)
        self.assertTrue(os.path.isfile(os.path.join(
            SOURCE, "examples", "virtual-hosting", "postfixadmin-schema.sql")))

    def test_design_document(self):
        self.assertTrue(os.path.isfile(os.path.join(SOURCE, "docs", "DESIGN.md")),
                        "no docs/DESIGN.md in " + SOURCE)
        with open(os.path.join(SOURCE, "README.md")) as f:
            self.assertIn("docs/DESIGN.md", f.read())


class FormatTest(unittest.TestCase):
    """The tree is formatted with the repository's .clang-format (`make
    format` formats every folder); clang-format --dry-run names each file
    and line that is not."""

    @unittest.skipUnless(os.path.isdir(os.path.join(SOURCE, ".git")), "not a git checkout")
    def test_every_cpp_file_is_formatted(self):
        clang_format = shutil.which("clang-format")
        if clang_format is None:
            self.skipTest("clang-format is not installed")
        files = subprocess.run(["git", "ls-files", "*.cpp", "*.h"], cwd=SOURCE, check=True,
                               capture_output=True, text=True).stdout.split()
        self.assertGreater(len(files), 100)
        r = subprocess.run([clang_format, "--dry-run", "--Werror"] + files, cwd=SOURCE,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, "not formatted (make format):\n" + r.stderr[:3000])


if __name__ == "__main__":
    unittest.main()

"""Shared helpers for the system tests (standard library only).

The tests run the real programs from build/bin (MTA_BIN) on temporary
configuration directories and instances, the way an administrator would.
CTest sets MTA_BIN, MTA_SOURCE and MTA_SHARED; run by hand:
    MTA_BIN=build/bin MTA_SOURCE=. MTA_SHARED=../shared python3 -m unittest tests/test_x.py
"""
import os
import shutil
import subprocess
import tempfile
import unittest

SOURCE = os.path.abspath(os.environ.get("MTA_SOURCE", os.path.join(os.path.dirname(__file__), "..")))
BIN = os.path.abspath(os.environ.get("MTA_BIN", os.path.join(SOURCE, "build", "bin")))
SHARED = os.path.abspath(os.environ.get("MTA_SHARED", os.path.join(SOURCE, "..", "shared")))
EXAMPLES = os.path.join(SHARED, "examples")

# Debian's Postfix, installed by `make test` as a test-only reference.
DEBIAN_POSTCONF = "/usr/sbin/postconf"
DEBIAN_POSTMAP = "/usr/sbin/postmap"


def have_debian_postfix():
    return os.access(DEBIAN_POSTCONF, os.X_OK)


def program(name):
    return os.path.join(BIN, name)


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return "rc=%d\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.out, self.err)


def run(argv, env=None, input=None, timeout=60):
    """Runs a command to completion (bounded by `timeout`) and returns a Result."""
    full_env = dict(os.environ)
    full_env.pop("MAIL_CONFIG", None)
    if env:
        full_env.update(env)
    proc = subprocess.run(argv, input=input, capture_output=True, text=True,
                          env=full_env, timeout=timeout)
    return Result(proc)


class TempDirTestCase(unittest.TestCase):
    """A test case with a fresh temporary directory, removed afterwards."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mta-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def make_config(self, main_cf="", master_cf=None, name="etc"):
        """Creates a config directory with the given main.cf text and, by
        default, the project's default master.cf."""
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "main.cf"), "w") as f:
            f.write(main_cf)
        if master_cf is None:
            shutil.copy(os.path.join(SOURCE, "conf", "master.cf"), os.path.join(d, "master.cf"))
        else:
            with open(os.path.join(d, "master.cf"), "w") as f:
                f.write(master_cf)
        return d


# --- Test daemons and the attribute protocol (added with the daemon skeletons) ---

def test_daemon(name):
    """Absolute path of a test daemon from tests/daemons/ (echo-single,
    echo-multi, trigger-log), built into build/tests/daemons/."""
    return os.path.join(os.path.dirname(BIN), "tests", "daemons", name)


def attr_encode(pairs):
    """Encodes an attribute list (util/attr.h): pairs is a dict or a list of
    (name, value) with str or bytes values."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    out = b""
    for name, value in items:
        if isinstance(value, str):
            value = value.encode()
        out += name.encode() + b"=" + str(len(value)).encode() + b":" + value + b"\n"
    return out + b"\n"


def attr_read(reader):
    """Reads one attribute list from a binary file object (sock.makefile("rb"))
    and returns a dict of str -> bytes, or None at end of file."""
    result = {}
    while True:
        first = reader.read(1)
        if first == b"":
            if result:
                raise ValueError("truncated attribute list")
            return None
        if first == b"\n":
            return result
        name = first
        while not name.endswith(b"="):
            c = reader.read(1)
            if c == b"":
                raise ValueError("truncated attribute list")
            name += c
        length = b""
        while True:
            c = reader.read(1)
            if c == b"":
                raise ValueError("truncated attribute list")
            if c == b":":
                break
            length += c
        value = reader.read(int(length))
        if reader.read(1) != b"\n":
            raise ValueError("bad attribute terminator")
        result[name[:-1].decode()] = value

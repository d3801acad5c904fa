"""A private MariaDB server for system tests (standard library only).

    from mariadb import MariaDB
    with MariaDB(tcp=True) as db:          # tcp: also listen on a free 127.0.0.1 port
        db.execute_file(path)              # run an SQL file as root
        db.execute("INSERT ...")           # returns the client's stdout (tab-separated)
        db.socket, db.port                 # unix socket path; TCP port (0 without tcp)
        db.kill()                          # SIGKILL the server (a crash)
        db.restart()                       # start it again on the same data, socket, port

The server gets its own data directory under a temporary directory
(mariadb-install-db --no-defaults), listens on TMP/mysqld.sock (and on
127.0.0.1:PORT with tcp=True), runs as the current user (--user=root when
that is root), and is stopped by PID and removed on exit. Readiness is
waited for with a bounded timeout, never a fixed sleep. A user
postfix/hogehoge (the password in the query files of examples/) can do anything,
from 'localhost' (the socket) and from 127.0.0.1.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from mtatest import free_port

MARIADBD = shutil.which("mariadbd", path=os.environ.get("PATH", "") + ":/usr/sbin") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
CLIENT = shutil.which("mariadb") or "/usr/bin/mariadb"

USER = "postfix"
PASSWORD = "hogehoge"


def available():
    """Whether the MariaDB server programs are installed."""
    return all(os.access(p, os.X_OK) for p in (MARIADBD, INSTALL_DB, CLIENT))


class MariaDB:
    def __init__(self, tcp=False, timeout=60):
        self.tcp = tcp
        self.timeout = timeout
        self.dir = None
        self.proc = None
        self.port = 0
        self.socket = None

    # -- lifetime --

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def start(self):
        """Creates the data directory, starts the server, creates the test user."""
        self.dir = tempfile.mkdtemp(prefix="mta-mariadb-")
        try:
            self.datadir = os.path.join(self.dir, "data")
            self.socket = os.path.join(self.dir, "mysqld.sock")
            self.log = os.path.join(self.dir, "mysqld.log")
            if self.tcp:
                self.port = free_port()
            args = [INSTALL_DB, "--no-defaults", "--datadir=" + self.datadir,
                    "--auth-root-authentication-method=normal", "--skip-test-db",
                    "--innodb-log-file-size=4M"]
            if os.geteuid() == 0:
                args.append("--user=root")
            r = subprocess.run(args, capture_output=True, text=True, timeout=self.timeout)
            if r.returncode != 0:
                raise RuntimeError("mariadb-install-db failed:\n" + r.stdout + r.stderr)
            self._launch()
            for host in ("localhost", "127.0.0.1"):
                self.execute("CREATE USER '%s'@'%s' IDENTIFIED BY '%s';"
                             "GRANT ALL ON *.* TO '%s'@'%s';" % (USER, host, PASSWORD, USER, host))
        except BaseException:
            self.cleanup()
            raise

    def _launch(self):
        args = [MARIADBD, "--no-defaults", "--datadir=" + self.datadir,
                "--socket=" + self.socket, "--pid-file=" + os.path.join(self.dir, "mysqld.pid"),
                "--log-error=" + self.log, "--innodb-buffer-pool-size=16M",
                "--innodb-log-file-size=4M", "--skip-name-resolve", "--max-connections=50"]
        if self.tcp:
            args += ["--bind-address=127.0.0.1", "--port=%d" % self.port]
        else:
            args.append("--skip-networking")
        if os.geteuid() == 0:
            args.append("--user=root")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + self.timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("mariadbd exited with %s:\n%s" % (self.proc.returncode, self._log_tail()))
            r = subprocess.run(self._client_args() + ["-e", "SELECT 1"], capture_output=True,
                               text=True, timeout=self.timeout)
            if r.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("mariadbd not ready after %ss:\n%s" % (self.timeout, self._log_tail()))
            time.sleep(0.05)

    def _log_tail(self):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return "(no log)"

    def kill(self):
        """Kills the server with SIGKILL, as a crash would, and reaps it."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=self.timeout)

    def stop(self):
        """Stops the server with SIGTERM (SIGKILL after the timeout)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self):
        """Starts the server again (after kill() or stop()) on the same data,
        socket and port, and waits until it answers."""
        self.stop()
        self._launch()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        self.stop()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # -- SQL --

    def _client_args(self):
        return [CLIENT, "--no-defaults", "--socket=" + self.socket, "--user=root",
                "--batch", "--skip-column-names", "--default-character-set=utf8mb4"]

    def execute(self, sql, database=None):
        """Runs SQL as root; returns stdout. Raises on failure."""
        args = self._client_args() + (["--database=" + database] if database else [])
        r = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=self.timeout)
        if r.returncode != 0:
            raise RuntimeError("SQL failed: %s\n%s" % (sql[:200], r.stderr))
        return r.stdout

    def execute_file(self, path, database=None):
        with open(path, encoding="utf-8") as f:
            return self.execute(f.read(), database)

    def cf_settings(self, via_tcp=False):
        """hosts/user/password lines for a mysql_table(5) .cf file."""
        hosts = "inet:127.0.0.1:%d" % self.port if via_tcp else "unix:" + self.socket
        return {"hosts": hosts, "user": USER, "password": PASSWORD}


def rewrite_cf(src, dst, settings):
    """Copies a mysql_table(5) file, replacing the named parameters (names
    matched without regard to case, as in the charset example's "User")."""
    with open(src) as f:
        lines = f.read().splitlines()
    out, done = [], set()
    for line in lines:
        m = re.match(r"^(\w+)\s*=", line)
        if m and m.group(1).lower() in settings:
            name = m.group(1).lower()
            out.append("%s = %s" % (name, settings[name]))
            done.add(name)
        else:
            out.append(line)
    out += ["%s = %s" % (k, v) for k, v in settings.items() if k not in done]
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")
    return dst


def rewrite_cf_dir(src_dir, dst_dir, settings):
    """rewrite_cf for every file of src_dir (e.g. the sql/ of
    examples/virtual-hosting) into dst_dir, which must exist."""
    for name in sorted(os.listdir(src_dir)):
        rewrite_cf(os.path.join(src_dir, name), os.path.join(dst_dir, name), settings)

#!/usr/bin/env python3
"""Benchmark: inbound mail into a virtual mailbox host, ours vs. Debian's
Postfix configured identically, in the same run.

Postfix's smtp-source sends MESSAGES messages (default 5,000) of SIZE bytes
(default 2,048) over SESSIONS parallel sessions (default 10) to MAILBOXES
virtual mailboxes (default 1,000; hash tables, Maildir), RECIPIENTS
recipients per message (default 1; each a different mailbox while there
are enough). Two figures per
system:
  acceptance   messages per second until smtp-source has every "250 Ok:
               queued" (each acknowledged message is synced to disk first)
  end-to-end   messages per second until every message is a file in a
               Maildir's new/ (virtual syncs each file before it reports)
and the ratio ours/Debian's (higher is better for us). Not a test: it prints
figures. Needs root (both systems run their daemons as `postfix`, as in
production) and /usr/sbin/smtp-source; without Debian's Postfix it measures
ours alone.

Usage: bench/inbound.py [BUILD_DIR]   (make bench runs it; settings: benchlib.py)
"""
import os
import pwd
import subprocess
import time

import benchlib
from benchlib import (DEBIAN_POSTFIX, DOMAIN, MESSAGES, ONLY_OURS, RECIPIENTS, SERVICES,
                      SESSIONS, SIZE, SMTP_SOURCE,
                      TLS_SERVICES, FS_NOTE, can_run, report, free_port, main_cf, programs,
                      smtp_source, start_instance, stop_instance, tls_main_cf, wait_until)

MAILBOXES = int(os.environ.get("MAILBOXES", 1000))


def setup(root, kind):
    """Writes an instance under root; returns (etc, port, base, postfix_cmd)."""
    etc, base = os.path.join(root, "etc"), os.path.join(root, "vmail")
    for d in (etc, os.path.join(root, "queue"), base):
        os.makedirs(d)
    os.chmod(root, 0o755)
    pw = pwd.getpwnam("postfix")
    os.chown(base, pw.pw_uid, pw.pw_gid)
    port = free_port()
    _, postmap, postfix = programs(kind)
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write(main_cf(root, kind,
                        "virtual_mailbox_domains = %s\nvirtual_mailbox_base = %s\n"
                        "virtual_mailbox_maps = hash:%s/vmailbox\n"
                        "virtual_uid_maps = static:%d\nvirtual_gid_maps = static:%d\n%s"
                        % (DOMAIN, base, etc, pw.pw_uid, pw.pw_gid, tls_main_cf(root))))
    with open(os.path.join(etc, "master.cf"), "w") as f:
        f.write(SERVICES.format(listen="127.0.0.1:%d" % port) + "virtual unix - n n - - virtual\n"
                + (TLS_SERVICES if benchlib.TLS else ""))
    # smtp-source -N numbers the recipients 1..MESSAGES: "7user@domain".
    with open(os.path.join(etc, "vmailbox"), "w") as f:
        for n in range(1, MESSAGES * RECIPIENTS + 1):
            f.write("%duser@%s %s/u%d/\n" % (n, DOMAIN, DOMAIN, n % MAILBOXES))
    subprocess.run([postmap, "-c", etc, "hash:" + os.path.join(etc, "vmailbox")], check=True)
    return etc, port, base, postfix


def delivered(base):
    n = 0
    d = os.path.join(base, DOMAIN)
    if not os.path.isdir(d):
        return 0
    for box in os.scandir(d):
        try:
            n += sum(1 for _ in os.scandir(os.path.join(box.path, "new")))
        except FileNotFoundError:
            pass
    return n


def measure(kind):
    """(acceptance, end-to-end) in messages per second, None on failure."""
    def run(root, cleanups):
        etc, port, base, postfix = setup(root, kind)
        cleanups.append(lambda: stop_instance(postfix, etc))
        start_instance(root, postfix, etc, port, kind)
        benchlib.begin_usage(kind)
        start = time.time()
        accepted = smtp_source(port, "user@" + DOMAIN, numbered=True)
        wait_until(lambda: delivered(base), MESSAGES * RECIPIENTS, "delivered", root)
        elapsed = time.time() - start
        benchlib.end_usage(kind, MESSAGES)
        return MESSAGES / accepted, MESSAGES / elapsed
    return benchlib.measure(kind, "inbound-", run)


def main():
    if not can_run("inbound", (SMTP_SOURCE,)):
        return
    tls = (", STARTTLS in every session (%s)"
           % ("resuming" if benchlib.RESUME else "full handshakes")) if benchlib.TLS else ""
    print("inbound: %d messages of %d bytes to %d recipient(s) each, %d sessions, %d mailboxes"
          " (Maildir, hash tables)%s%s"
          % (MESSAGES, SIZE, RECIPIENTS, SESSIONS, MAILBOXES, tls, FS_NOTE))
    ours = measure("ours")
    theirs = (measure("debian") if os.access(DEBIAN_POSTFIX, os.X_OK) and not ONLY_OURS
              else None)
    report(["acceptance", "end-to-end"], ours, theirs)
    benchlib.report_usage()


if __name__ == "__main__":
    main()

"""check_policy_service (Postfix's policy delegation, SMTPD_POLICY_README)
on a real instance: a policy server of the test's own that records what it
is asked and answers per recipient, a policy server that is down (the
default action), and Debian's postgrey greylisting a client and letting
its retry through with its X-Greylist header."""
import grp
import os
import pwd
import shutil
import socket
import socketserver
import subprocess
import threading
import time
import unittest

import mtatest

MAIN_CF = (
    "myhostname = mx.example.test\n"
    "mydestination = $myhostname, localhost\n"
    "mynetworks = 127.0.0.1/32\n"
    "relay_domains = example.jp\n"
    "smtpd_error_sleep_time = 0\n"
    "smtpd_peername_lookup = no\n"
)


class PolicyServer:
    """Answers each request with actions[recipient local part] (default
    DUNNO); `requests` holds each request as a dict; `connections` counts
    connections."""

    def __init__(self, actions):
        self.actions = actions
        self.requests = []
        self.connections = 0
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                server.connections += 1
                attrs = {}
                for raw in self.rfile:
                    line = raw.decode().rstrip("\n")
                    if line:
                        name, _, value = line.partition("=")
                        attrs[name] = value
                        continue
                    server.requests.append(attrs)
                    local = attrs.get("recipient", "").split("@")[0]
                    self.wfile.write(("action=%s\n\n" % server.actions.get(local, "DUNNO"))
                                     .encode())
                    self.wfile.flush()
                    attrs = {}

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def queued_bytes(inst):
    """The bytes of the one queue file in incoming/, active/ or deferred/."""
    paths = [inst.queue_path(q, i) for q in ("incoming", "active", "deferred")
             for i in inst.queue_ids(q)]
    assert len(paths) == 1, paths
    with open(paths[0], "rb") as f:
        return f.read()


class PolicyTest(mtatest.TempDirTestCase):

    def instance(self, main_cf):
        self.port = mtatest.free_port()
        inst = mtatest.MtaInstance(self, services=["cleanup", "rewrite"],
                                   main_cf=MAIN_CF + main_cf,
                                   master_extra=mtatest.smtpd_service("127.0.0.1:%d" % self.port))
        inst.start()
        mtatest.wait_smtpd(self.port)
        return inst

    def session(self, rcpts, data=None):
        """EHLO, MAIL, one RCPT per recipient (and DATA with `data` when
        given), QUIT; the replies after the greeting and EHLO."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        self.addCleanup(s.close)
        mtatest.recv_replies(s, 1)
        s.sendall(b"EHLO client.example\r\n")
        mtatest.recv_replies(s, 1)
        s.sendall(("MAIL FROM:<a@sender.example>\r\n" +
                   "".join("RCPT TO:<%s>\r\n" % r for r in rcpts)).encode())
        replies = mtatest.recv_replies(s, 1 + len(rcpts))
        if data is not None:
            s.sendall(b"DATA\r\n")
            replies += mtatest.recv_replies(s, 1)
            if replies[-1].startswith("354"):
                s.sendall(data.encode() + b"\r\n.\r\n")
                replies += mtatest.recv_replies(s, 1)
        s.sendall(b"QUIT\r\n")
        return replies + mtatest.recv_replies(s, 1)

    def test_actions_and_the_request(self):
        policy = PolicyServer({"reject": "REJECT not welcome here",
                               "grey": "DEFER_IF_PERMIT Greylisted for 60 seconds",
                               "tagged": "PREPEND X-Policy: looked at"})
        self.addCleanup(policy.stop)
        inst = self.instance("smtpd_recipient_restrictions = "
                             "reject_unauth_destination, check_policy_service "
                             "inet:127.0.0.1:%d\n"
                             "smtpd_relay_restrictions =\n"
                             "smtpd_client_restrictions = check_policy_service "
                             "{ inet:127.0.0.1:%d, policy_context=connect }\n"
                             "smtpd_delay_reject = no\n" % (policy.port, policy.port))
        replies = self.session(["reject@example.jp", "grey@example.jp", "ok@example.jp"])
        self.assertEqual(replies[:4], [
            "250 2.1.0 Ok",
            "554 5.7.1 <reject@example.jp>: Recipient address rejected: not welcome here",
            "450 4.7.1 <grey@example.jp>: Recipient address rejected: Greylisted for 60 seconds",
            "250 2.1.5 Ok"], inst.log())
        replies = self.session(["tagged@example.jp", "ok@example.jp"],
                               data="Subject: policy\r\n\r\nhello")
        self.assertTrue(replies[-2].startswith("250 2.0.0 Ok: queued as "), replies)
        log = inst.log()
        self.assertIn("NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 5.7.1 "
                      "<reject@example.jp>: Recipient address rejected: not welcome here; "
                      "from=<a@sender.example> to=<reject@example.jp> proto=ESMTP "
                      "helo=<client.example>", log)

        connect = [r for r in policy.requests if r["protocol_state"] == "CONNECT"]
        rcpt = [r for r in policy.requests if r["protocol_state"] == "RCPT"]
        self.assertGreaterEqual(len(connect), 2)  # and wait_smtpd's session
        self.assertEqual({r["policy_context"] for r in connect}, {"connect"})
        self.assertEqual(len(rcpt), 5)
        first = rcpt[0]
        for name, value in [("request", "smtpd_access_policy"), ("protocol_name", "ESMTP"),
                            ("client_address", "127.0.0.1"), ("client_name", "unknown"),
                            ("reverse_client_name", "unknown"), ("helo_name", "client.example"),
                            ("sender", "a@sender.example"), ("recipient", "reject@example.jp"),
                            ("recipient_count", "0"), ("server_address", "127.0.0.1"),
                            ("server_port", str(self.port)), ("policy_context", ""),
                            ("sasl_username", ""), ("encryption_protocol", ""),
                            ("encryption_keysize", "0")]:
            self.assertEqual(first.get(name), value, name)
        for name in ("client_port", "queue_id", "instance", "size", "ccert_subject",
                     "ccert_fingerprint", "etrn_domain", "stress"):
            self.assertIn(name, first)
        # One instance per message, another for the next one.
        self.assertEqual(len({r["instance"] for r in rcpt[:3]}), 1)
        self.assertNotEqual(rcpt[0]["instance"], rcpt[3]["instance"])
        # The connection is kept: one per smtpd process, not per request.
        self.assertLess(policy.connections, len(policy.requests))
        # PREPEND reached the message.
        self.assertIn(b"X-Policy: looked at", queued_bytes(inst))

    def test_a_policy_server_that_is_down(self):
        port = mtatest.free_port()
        inst = self.instance("smtpd_recipient_restrictions = "
                             "reject_unauth_destination, check_policy_service "
                             "inet:127.0.0.1:%d\nsmtpd_relay_restrictions =\n"
                             "smtpd_policy_service_try_limit = 1\n" % port)
        replies = self.session(["bob@example.jp"])
        self.assertEqual(replies[1], "451 4.3.5 <bob@example.jp>: Recipient address rejected: "
                                     "Server configuration problem")
        self.assertIn("warning: problem talking to server 127.0.0.1:%d: Connection refused"
                      % port, inst.log())

    def test_a_bad_policy_service_is_a_start_up_error(self):
        self.port = mtatest.free_port()
        inst = mtatest.MtaInstance(
            self, services=["cleanup", "rewrite"],
            main_cf=MAIN_CF + "smtpd_recipient_restrictions = check_policy_service "
            "{ inet:127.0.0.1:1, timeout=soon }, reject_unauth_destination\n",
            master_extra=mtatest.smtpd_service("127.0.0.1:%d" % self.port))
        inst.start()
        s = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        self.addCleanup(s.close)
        # smtpd refuses to serve with the bad setting (as Postfix's exits).
        greeting = mtatest.recv_replies(s, 1)
        self.assertFalse(greeting and greeting[0].startswith("220"), greeting)
        inst.wait_log(r"bad setting \"timeout=soon\"")

    @unittest.skipUnless(shutil.which("postgrey"), "postgrey is not installed")
    def test_postgrey(self):
        """Debian's postgrey, started privately: the first attempt is
        greylisted, the retry after its delay passes and the message gets
        postgrey's X-Greylist header."""
        dbdir = os.path.join(self.tmp, "postgrey")
        os.makedirs(dbdir)
        user = "postgrey" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            os.chmod(self.tmp, 0o755)
            pw = pwd.getpwnam(user)
            os.chown(dbdir, pw.pw_uid, pw.pw_gid)
        port = mtatest.free_port()
        empty = os.path.join(self.tmp, "empty")
        open(empty, "w").close()
        grey = subprocess.Popen(
            ["postgrey", "--inet=127.0.0.1:%d" % port, "--dbdir=" + dbdir, "--delay=1",
             "--user=" + user, "--group=" + grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name,
             "--whitelist-clients=" + empty, "--whitelist-recipients=" + empty,
             "--auto-whitelist-clients=0", "--hostname=grey.example"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(stop, grey)
        mtatest.wait_for(lambda: port_open(port), 30, "postgrey listening")
        inst = self.instance("smtpd_recipient_restrictions = "
                             "reject_unauth_destination, check_policy_service "
                             "inet:127.0.0.1:%d\nsmtpd_relay_restrictions =\n" % port)
        first = self.session(["bob@example.jp"])
        # postgrey 1.37 says "DEFER_IF_PERMIT 4.2.0 Greylisted, see ...": its
        # status code replaces defer_if_permit's 4.7.1, as in Postfix.
        self.assertRegex(first[1], r"^450 4\.2\.0 <bob@example\.jp>: Recipient address "
                                   r"rejected: Greylisted, see http://postgrey")
        time.sleep(2)  # postgrey's --delay=1: the retry must come later
        second = self.session(["bob@example.jp"], data="Subject: grey\r\n\r\nhello")
        self.assertEqual(second[1], "250 2.1.5 Ok", inst.log())
        self.assertTrue(second[-2].startswith("250 2.0.0 Ok: queued as "), second)
        self.assertRegex(queued_bytes(inst).decode("latin-1"),
                         r"X-Greylist: delayed \d+ seconds by postgrey-[\d.]+ at grey\.example")


if __name__ == "__main__":
    unittest.main()

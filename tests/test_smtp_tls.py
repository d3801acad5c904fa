"""System tests of the smtp client's TLS and SASL (smtp/smtp_tls.h,
smtp/smtp_sasl.h): the small office that relays through its provider's
submission port with a login.

The "provider" is a real instance of ours: smtpd services with STARTTLS
and AUTH through a private Dovecot (passwd-file), on several ports, each
with another certificate (good, expired, wrong name), one without TLS and
one in wrappermode; it keeps what it accepts in incoming/ (no qmgr). The
"office" is a second instance that submits with sendmail and relays by
transport_maps to those ports under the name mail.isp.example (served by
tests/dns_server.py), with smtp_tls_policy_maps, smtp_tls_CAfile and
smtp_sasl_password_maps (sender-dependent). Certificates are made at test
time with openssl (mtatest.make_ca / make_cert)."""
import os
import re
import shutil
import unittest

import mtatest
from dns_server import DnsServer

ROOT = os.geteuid() == 0

OFFICE_SERVICES = ["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace",
                   "showq", "error", "retry"]
SENDER = "alice@office.example"


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
@unittest.skipUnless(mtatest.have_dovecot(), "Dovecot is not installed")
class SmtpClientTlsSaslTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        scope = mtatest.ClassScope(cls)
        os.chmod(scope.tmp, 0o755)
        certs = cls.certs = os.path.join(scope.tmp, "certs")
        os.makedirs(certs)
        os.chmod(certs, 0o755)
        mtatest.make_ca(certs)
        mtatest.make_cert(certs, "good", "mail.isp.example", ["DNS:mail.isp.example"])
        mtatest.make_cert(certs, "expired", "mail.isp.example", ["DNS:mail.isp.example"], days=0)
        mtatest.make_cert(certs, "wrong", "other.example", ["DNS:other.example"])
        owner = mtatest.postfix_user() if ROOT else None
        if owner:
            for name in ("good", "expired", "wrong"):
                shutil.chown(os.path.join(certs, name + ".key"), owner)

        # The provider: ports by certificate and TLS mode.
        cls.ports = {k: mtatest.free_port()
                     for k in ("sub", "expired", "wrong", "plain", "smtps", "old")}
        sasl = ["smtpd_sasl_auth_enable=yes", "smtpd_sasl_type=dovecot",
                "smtpd_sasl_path=private/auth"]

        def service(port, cert, options):
            tls = ["smtpd_tls_cert_file=%s/%s.pem" % (certs, cert),
                   "smtpd_tls_key_file=%s/%s.key" % (certs, cert)] if cert else []
            return ("127.0.0.1:%d inet n %s n - - smtpd\n" % (port, "-" if owner else "n") +
                    "".join("  -o %s\n" % o for o in tls + sasl + options))
        p = cls.ports
        master = (service(p["sub"], "good", ["smtpd_tls_security_level=encrypt",
                                             "smtpd_tls_auth_only=yes"]) +
                  service(p["expired"], "expired", ["smtpd_tls_security_level=may"]) +
                  service(p["wrong"], "wrong", ["smtpd_tls_security_level=may"]) +
                  service(p["plain"], None, ["smtpd_tls_security_level=none"]) +
                  service(p["smtps"], "good", ["smtpd_tls_wrappermode=yes"]) +
                  service(p["old"], "good", ["smtpd_tls_security_level=may",
                                             "smtpd_tls_protocols=>=TLSv1.2"]))
        cls.provider = mtatest.MtaInstance(
            scope, name="provider", services=["cleanup", "anvil", "rewrite", "postlog"],
            mail_owner=owner,
            master_extra=master,
            main_cf="myhostname = mail.isp.example\nmydestination =\nmynetworks =\n"
                    "smtpd_peername_lookup = no\nsmtpd_error_sleep_time = 0\n"
                    "smtpd_tls_loglevel = 1\n"
                    "smtpd_relay_restrictions = permit_sasl_authenticated reject\n")
        cls.provider.start()
        passwd = "".join("%s:{PLAIN}%s:1000:1000::/nonexistent\n" % up for up in (
            ("office@isp.example", "office pw"), ("boss@isp.example", "boss pw")))
        mtatest.Dovecot(scope, os.path.join(scope.tmp, "dovecot"), passwd=passwd,
                        auth_socket=os.path.join(cls.provider.queue, "private", "auth"),
                        socket_user=owner)
        for port in p.values():
            if port != p["smtps"]:
                mtatest.wait_smtpd(port)

        # The office: names in DNS, routes, policies and passwords.
        dns = DnsServer({name: {"A": ["127.0.0.1"]}
                         for name in ("mail.isp.example", "mx-fp.isp.example",
                                      "mail-old.isp.example")})
        dns.start()
        scope.addCleanup(dns.stop)
        fp = mtatest.cert_fingerprint(os.path.join(certs, "wrong.pem"))
        isp = "[mail.isp.example]:%d"
        tables = {
            "transport": "".join("%s.example %s\n" % kv for kv in (
                ("sub", "smtp:" + isp % p["sub"]),
                ("expired", "smtp:" + isp % p["expired"]),
                ("wrong", "smtp:" + isp % p["wrong"]),
                ("plain", "smtp:" + isp % p["plain"]),
                ("fp", "smtp:[mx-fp.isp.example]:%d" % p["wrong"]),
                ("smtps", "smtps:" + isp % p["smtps"]),
                ("old", "smtp:[mail-old.isp.example]:%d" % p["old"]))),
            "tls_policy": "".join("%s %s\n" % kv for kv in (
                (isp % p["sub"], "secure"),
                (isp % p["expired"], "verify"),
                (isp % p["wrong"], "verify"),
                ("[mx-fp.isp.example]:%d" % p["wrong"], "fingerprint match=" + fp),
                (isp % p["smtps"], "secure"),
                # TLS 1.1 only: the provider (TLS 1.2 and up) refuses the handshake.
                ("[mail-old.isp.example]:%d" % p["old"], "may protocols=TLSv1.1"))),
            "sasl_passwd": "".join("%s %s\n" % kv for kv in (
                (isp % p["sub"], "office@isp.example:office pw"),
                (isp % p["expired"], "office@isp.example:office pw"),
                (isp % p["wrong"], "office@isp.example:office pw"),
                (isp % p["plain"], "office@isp.example:office pw"),
                (isp % p["smtps"], "office@isp.example:office pw"),
                ("mx-fp.isp.example", "office@isp.example:office pw"),
                ("mail-old.isp.example", "office@isp.example:office pw"),
                ("boss@office.example", "boss@isp.example:boss pw"),
                ("liar@office.example", "office@isp.example:wrong pw"))),
        }
        for name, text in tables.items():
            with open(os.path.join(scope.tmp, name), "w") as f:
                f.write(text)
        cls.office = mtatest.MtaInstance(
            scope, name="office", services=OFFICE_SERVICES,
            master_extra="smtp unix - n n - - smtp\n"
                         "smtps unix - n n - - smtp\n  -o smtp_tls_wrappermode=yes\n",
            main_cf=("myhostname = office.example\nmydestination =\n"
                     "queue_run_delay = 300s\nminimal_backoff_time = 300s\n"
                     "smtp_connect_timeout = 5s\ninet_protocols = ipv4\n"
                     "import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C "
                     "MTA_DNS_NAMESERVER=%(dns)s\n"
                     "transport_maps = texthash:%(t)s/transport\n"
                     "smtp_tls_security_level = may\n"
                     "smtp_tls_policy_maps = texthash:%(t)s/tls_policy\n"
                     "smtp_tls_CAfile = %(c)s/ca.pem\nsmtp_tls_loglevel = 1\n"
                     "smtp_sasl_auth_enable = yes\n"
                     "smtp_sasl_password_maps = texthash:%(t)s/sasl_passwd\n"
                     "smtp_sender_dependent_authentication = yes\n"
                     # The default keeps plain-text mechanisms off without TLS; allow them
                     # under TLS only.
                     "smtp_sasl_tls_security_options = noanonymous\n"
                     % {"dns": dns.address, "t": scope.tmp, "c": certs}))
        cls.office.start()

    def deliver(self, rcpt, sender=SENDER):
        self.office.send(rcpt, sender=sender, body="for %s\n" % rcpt)

    def outcome(self, rcpt, status, text):
        return self.office.wait_log(r"smtp\[\d+\]: \w+: to=<%s>, relay=.*, dsn=[\d.]+, "
                                    r"status=%s \(%s" % (rcpt, status, text), timeout=30)

    def test_secure_level_and_login_at_the_submission_port(self):
        self.deliver("bob@sub.example")
        self.outcome("bob@sub.example", "sent", r"250 2\.0\.0 Ok: queued as ")
        port = self.ports["sub"]
        self.office.wait_log(
            r"smtp\[\d+\]: Verified TLS connection established to mail\.isp\.example"
            r"\[127\.0\.0\.1\]:%d: TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 \(256/256 bits\) "
            r"key-exchange X25519 server-signature RSA-PSS \(2048 bits\) server-digest SHA256\n"
            % port)
        self.provider.wait_log(r"client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, "
                               r"sasl_username=office@isp\.example\n")
        log = self.office.log()
        self.assertNotIn("office pw", log)

    def test_sender_dependent_credentials(self):
        self.deliver("carol@sub.example", sender="boss@office.example")
        self.outcome("carol@sub.example", "sent", r"250 ")
        self.provider.wait_log(r"sasl_method=PLAIN, sasl_username=boss@isp\.example\n")

    def test_wrong_password_defers_with_the_servers_reply(self):
        self.deliver("dave@sub.example", sender="liar@office.example")
        self.outcome("dave@sub.example", "deferred",
                     r"SASL authentication failed; server mail\.isp\.example\[127\.0\.0\.1\] "
                     r"said: 535 5\.7\.8 Error: authentication failed:")
        self.office.wait_log(r"to=<dave@sub\.example>, .*dsn=4\.7\.8, status=deferred")

    def test_expired_certificate_is_not_trusted(self):
        self.deliver("erin@expired.example")
        self.outcome("erin@expired.example", "deferred", r"Server certificate not trusted\)")
        self.office.wait_log(r"server certificate verification failed for mail\.isp\.example"
                             r"\[127\.0\.0\.1\]:%d: certificate has expired" % self.ports["expired"])
        self.office.wait_log(r"to=<erin@expired\.example>, .*dsn=4\.7\.5, status=deferred")

    def test_wrong_name_is_not_verified_but_a_fingerprint_is(self):
        self.deliver("frank@wrong.example")
        self.outcome("frank@wrong.example", "deferred", r"Server certificate not verified\)")
        self.office.wait_log(r"Trusted TLS connection established to mail\.isp\.example"
                             r"\[127\.0\.0\.1\]:%d" % self.ports["wrong"])
        self.deliver("grace@fp.example")
        self.outcome("grace@fp.example", "sent", r"250 ")
        self.office.wait_log(r"Verified TLS connection established to mx-fp\.isp\.example"
                             r"\[127\.0\.0\.1\]:%d" % self.ports["wrong"])

    def test_no_credentials_in_plain_text(self):
        self.deliver("heidi@plain.example")
        self.outcome("heidi@plain.example", "deferred",
                     r"SASL authentication failed; cannot authenticate to server "
                     r"mail\.isp\.example\[127\.0\.0\.1\]: no mechanism available\)")
        self.provider.wait_log(r"disconnect from unknown\[127\.0\.0\.1\] ehlo=1 quit=1 "
                               r"commands=2\n")

    def test_wrappermode(self):
        self.deliver("ivan@smtps.example")
        self.outcome("ivan@smtps.example", "sent", r"250 ")
        self.office.wait_log(r"Verified TLS connection established to mail\.isp\.example"
                             r"\[127\.0\.0\.1\]:%d: TLSv1\.3" % self.ports["smtps"])

    def test_failed_handshake_at_may_retries_in_plain_text(self):
        self.deliver("judy@old.example")
        self.office.wait_log(r"smtp\[\d+\]: SSL_connect error to mail-old\.isp\.example"
                             r"\[127\.0\.0\.1\]:%d: " % self.ports["old"])
        self.office.wait_log(r"mail-old\.isp\.example\[127\.0\.0\.1\]:%d: TLS handshake failed, "
                             r"trying again in plain text" % self.ports["old"])
        # In plain text the default security options keep the password back.
        self.outcome("judy@old.example", "deferred", r"SASL authentication failed; cannot "
                     r"authenticate to server mail-old\.isp\.example\[127\.0\.0\.1\]: no "
                     r"mechanism available\)")


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
@unittest.skipUnless(mtatest.have_dovecot(), "Dovecot is not installed")
class DebianProviderTest(mtatest.TempDirTestCase):
    """Interop: our smtp client logs in, over STARTTLS at level secure, to
    Debian's Postfix smtpd with Dovecot SASL (its submission set-up)."""

    def test_our_client_to_debians_submission_port(self):
        if not mtatest.DebianPostfix.usable():
            self.skipTest("Debian's Postfix is not usable here (needs root and the package)")
        os.chmod(self.tmp, 0o755)
        certs = os.path.join(self.tmp, "certs")
        os.makedirs(certs)
        mtatest.make_ca(certs)
        mtatest.make_cert(certs, "good", "mail.isp.example", ["DNS:mail.isp.example"])
        port = mtatest.free_port()
        deb = mtatest.DebianPostfix(
            self,
            main_cf="myhostname = mail.isp.example\nmydestination =\nlocal_recipient_maps =\n"
                    "inet_interfaces = 127.0.0.1\nmynetworks = 192.0.2.0/24\n"
                    "smtpd_tls_cert_file = %(c)s/good.pem\nsmtpd_tls_key_file = %(c)s/good.key\n"
                    "smtpd_tls_security_level = encrypt\nsmtpd_tls_auth_only = yes\n"
                    "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\n"
                    "smtpd_sasl_path = private/auth\n"
                    "smtpd_relay_restrictions = permit_sasl_authenticated reject\n" % {"c": certs},
            master_cf="127.0.0.1:%d inet n - n - - smtpd\ncleanup unix n - n - 0 cleanup\n"
                      "rewrite unix - - n - - trivial-rewrite\nanvil unix - - n - 1 anvil\n"
                      "postlog unix-dgram n - n - 1 postlogd\n"
                      "tlsmgr unix - - n 1000? 1 tlsmgr\n" % port)
        if not deb.start():
            self.skipTest("Debian's Postfix does not start here")
        mtatest.Dovecot(self, os.path.join(self.tmp, "dovecot"),
                        passwd="office@isp.example:{PLAIN}office pw:1000:1000::/nonexistent\n",
                        auth_socket=os.path.join(deb.queue, "private", "auth"),
                        socket_user="postfix")
        mtatest.wait_smtpd(port)
        dns = DnsServer({"mail.isp.example": {"A": ["127.0.0.1"]}})
        dns.start()
        self.addCleanup(dns.stop)
        passwd = os.path.join(self.tmp, "sasl_passwd")
        with open(passwd, "w") as f:
            f.write("[mail.isp.example]:%d office@isp.example:office pw\n" % port)
        office = mtatest.MtaInstance(
            self, name="office", services=OFFICE_SERVICES,
            master_extra="smtp unix - n n - - smtp\n",
            main_cf=("myhostname = office.example\nmydestination =\ninet_protocols = ipv4\n"
                     "import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C "
                     "MTA_DNS_NAMESERVER=%s\n"
                     "relayhost = [mail.isp.example]:%d\n"
                     "smtp_tls_security_level = secure\nsmtp_tls_CAfile = %s/ca.pem\n"
                     "smtp_tls_loglevel = 1\nsmtp_sasl_auth_enable = yes\n"
                     "smtp_sasl_password_maps = texthash:%s\n"
                     "smtp_sasl_tls_security_options = noanonymous\n"
                     % (dns.address, port, certs, passwd)))
        office.start()
        office.send("bob@remote.example", sender=SENDER)
        office.wait_log(r"smtp\[\d+\]: \w+: to=<bob@remote\.example>, relay=mail\.isp\.example"
                        r"\[127\.0\.0\.1\]:%d, .*status=sent \(250 2\.0\.0 Ok: queued as \w+\)"
                        % port, timeout=30)
        office.wait_log(r"Verified TLS connection established to mail\.isp\.example"
                        r"\[127\.0\.0\.1\]:%d: TLSv1\.3 with cipher " % port)
        mtatest.wait_for(lambda: re.search(r"sasl_method=PLAIN, sasl_username=office@isp\.example",
                                           deb.log()), 10, lambda: "Debian's log:\n" + deb.log())


if __name__ == "__main__":
    unittest.main()

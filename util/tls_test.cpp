#include "util/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <thread>

#include "util/tls_testing.h"

namespace util::tls {
namespace {

constexpr unsigned kSsl3 = 1, kTls1 = 2, kTls11 = 4, kTls12 = 8, kTls13 = 16;

TEST(TlsTest, ParseProtocols) {
  EXPECT_EQ(ParseProtocols(">=TLSv1"), kTls1 | kTls11 | kTls12 | kTls13);
  EXPECT_EQ(ParseProtocols("!SSLv2, !SSLv3"), kTls1 | kTls11 | kTls12 | kTls13);
  EXPECT_EQ(ParseProtocols("!SSLv2:!SSLv3:!TLSv1:!TLSv1.1"), kTls12 | kTls13);
  EXPECT_EQ(ParseProtocols("TLSv1.2 TLSv1.3"), kTls12 | kTls13);
  EXPECT_EQ(ParseProtocols(">=TLSv1.1 <=TLSv1.2"), kTls11 | kTls12);
  EXPECT_EQ(ParseProtocols(""), kSsl3 | kTls1 | kTls11 | kTls12 | kTls13);
  EXPECT_EQ(ParseProtocols("SSLv2"), 0u);
  EXPECT_EQ(ParseProtocols("TLSv1.4"), std::nullopt);
  EXPECT_EQ(ParseProtocols(">=bogus"), std::nullopt);
}

TEST(TlsTest, CipherGrades) {
  CipherLists l{"H", "M", "L", "E", "N"};
  EXPECT_EQ(*CipherList("high", l), "H");
  EXPECT_EQ(*CipherList("Medium", l), "M");
  EXPECT_EQ(*CipherList("null", l), "N");
  EXPECT_FALSE(CipherList("strong", l).ok());
}

Summary Sample() {
  Summary s;
  s.protocol = "TLSv1.3";
  s.cipher = "TLS_AES_256_GCM_SHA384";
  s.cipher_bits = s.cipher_alg_bits = 256;
  s.kex_name = "X25519";
  s.sig_name = "RSA-PSS";
  s.sig_bits = 2048;
  s.sig_digest = "SHA256";
  return s;
}

TEST(TlsTest, LogLineAndReceivedClause) {
  EXPECT_EQ(LogLine(Sample(), "from", "unknown[192.0.2.1]"),
            "Anonymous TLS connection established from unknown[192.0.2.1]: TLSv1.3 with cipher "
            "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS "
            "(2048 bits) server-digest SHA256");
  EXPECT_EQ(ReceivedClause(Sample()),
            (std::vector<std::string>{
                "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
                "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)",
                "\t(No client certificate requested)"}));
  Summary bare = Sample();
  bare.kex_name.clear();
  bare.sig_name.clear();
  EXPECT_EQ(ReceivedClause(bare)[0],
            "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))");
  Summary ec = Sample();
  ec.kex_name = "ECDHE";
  ec.kex_curve = "P-256";
  ec.sig_name = "ECDSA";
  ec.sig_curve = "P-256";
  EXPECT_NE(LogLine(ec, "to", "h[a]")
                .find("(256/256 bits) key-exchange ECDHE (P-256) "
                      "server-signature ECDSA (P-256) server-digest SHA256"),
            std::string::npos);
}

TEST(TlsTest, ContextErrorsNameTheFile) {
  ServerSettings s;
  s.cert_key.push_back({"/nonexistent/cert.pem", ""});
  auto c = ServerContext::Create(s);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/cert.pem"), std::string::npos);
  s.cert_key.clear();
  testing::CertFile cert;
  s.chain_files.push_back(cert.path());
  s.dh_param_file = "/nonexistent/dh.pem";
  c = ServerContext::Create(s);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("DH parameters from file \"/nonexistent/dh.pem\""),
            std::string::npos);
  s.protocols = "TLSv9";
  EXPECT_FALSE(ServerContext::Create(s).ok());
  EXPECT_FALSE(ServerContext::Create(ServerSettings()).ok());  // no certificate
}

TEST(TlsTest, HandshakeThenLinesThroughTheStream) {
  signal(SIGPIPE, SIG_IGN);  // as in the daemons (see tls.h)
  testing::CertFile cert;
  ServerSettings s;
  s.chain_files.push_back(cert.path());
  auto ctx = ServerContext::Create(s);
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  std::thread client([fd = sv[1]] {
    SSL_CTX* cc = SSL_CTX_new(TLS_client_method());
    SSL* ssl = SSL_new(cc);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
      SSL_write(ssl, "hello\r\n", 7);
      char buf[64];
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n > 0) SSL_write(ssl, buf, n);  // echo
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    SSL_CTX_free(cc);
    close(fd);
  });
  Stream st(sv[0], Stream::Ownership::kOwned);
  st.set_timeout(10);
  Summary sum;
  auto t = Accept(**ctx, st.fd(), std::chrono::seconds(10), &sum);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_TRUE(st.set_transport(std::move(*t)).ok());
  std::string line;
  ASSERT_TRUE(st.ReadLine(&line, 100).ok());
  EXPECT_EQ(line, "hello");
  st.Write("250 ok\r\n");
  ASSERT_TRUE(st.Flush().ok());
  ASSERT_TRUE(st.ReadLine(&line, 100).ok());
  EXPECT_EQ(line, "250 ok");
  EXPECT_EQ(st.ReadLine(&line, 100).code(), Code::kNotFound);  // close_notify: end of file
  client.join();
  EXPECT_EQ(sum.protocol, "TLSv1.3");
  EXPECT_EQ(sum.sig_name, "ECDSA");
  EXPECT_EQ(sum.sig_curve, "P-256");
  EXPECT_EQ(sum.sig_digest, "SHA256");
  EXPECT_FALSE(sum.kex_name.empty());
  st.Close();
}

TEST(TlsTest, GarbageInsteadOfClientHello) {
  testing::CertFile cert;
  ServerSettings s;
  s.cert_key.push_back({cert.path(), cert.path()});
  auto ctx = ServerContext::Create(s);
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ASSERT_EQ(write(sv[1], "EHLO garbage\r\nQUIT\r\n", 20), 20);
  auto t = Accept(**ctx, sv[0], std::chrono::seconds(10), nullptr);
  EXPECT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Code::kUnavailable) << t.status().message();
  // Silence: the deadline ends the handshake.
  int sv2[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
  t = Accept(**ctx, sv2[0], std::chrono::milliseconds(50), nullptr);
  EXPECT_EQ(t.status().code(), Code::kDeadlineExceeded);
  for (int fd : {sv[0], sv[1], sv2[0], sv2[1]}) close(fd);
}

// Our client against our server: what the client learns of the server's
// certificate, with and without the certificate as trust anchor.
TEST(TlsTest, ClientJudgesTheServerCertificate) {
  signal(SIGPIPE, SIG_IGN);
  testing::CertFile cert;  // self-signed, CN mx.example.com: its own trust anchor
  ServerSettings s;
  s.chain_files.push_back(cert.path());
  auto sctx = ServerContext::Create(s);
  ASSERT_TRUE(sctx.ok()) << sctx.status().message();
  struct Case {
    bool with_ca;
    std::vector<std::string> names;
    bool trusted, matched;
  } cases[] = {
      {false, {"mx.example.com"}, false, false},
      {true, {"mx.example.com"}, true, true},
      {true, {"other.example.com", ".example.com"}, true, true},
      {true, {"mx.example.net", ".example.org"}, true, false},
  };
  for (const Case& c : cases) {
    ClientSettings cs;
    if (c.with_ca) cs.ca_file = cert.path();
    auto cctx = ClientContext::Create(cs);
    ASSERT_TRUE(cctx.ok()) << cctx.status().message();
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    std::thread server([&, fd = sv[0]] {
      auto t = Accept(**sctx, fd, std::chrono::seconds(10), nullptr);
      Stream st(fd, Stream::Ownership::kOwned);
      if (t.ok() && st.set_transport(std::move(*t)).ok()) {
        st.Write("220 hi\r\n");
        (void)st.Flush();
      }
      st.Close();
    });
    ConnectOptions o;
    o.sni = "mx.example.com";
    o.match_names = c.names;
    Summary sum;
    PeerCertificate peer;
    Stream st(sv[1], Stream::Ownership::kOwned);
    st.set_timeout(10);
    auto t = Connect(**cctx, st.fd(), std::chrono::seconds(10), o, &sum, &peer);
    ASSERT_TRUE(t.ok()) << t.status().message();
    ASSERT_TRUE(st.set_transport(std::move(*t)).ok());
    std::string line;
    ASSERT_TRUE(st.ReadLine(&line, 100).ok());
    EXPECT_EQ(line, "220 hi");
    server.join();
    st.Close();
    EXPECT_TRUE(peer.present);
    EXPECT_EQ(peer.trusted, c.trusted) << c.names[0];
    EXPECT_EQ(peer.matched, c.matched) << c.names[0];
    if (!c.with_ca) {
      EXPECT_EQ(peer.verify_error, "self-signed certificate");
    }
    EXPECT_EQ(peer.subject_cn, "mx.example.com");
    EXPECT_EQ(peer.issuer_cn, "mx.example.com");
    EXPECT_EQ(peer.cert_fingerprint.size(), 32u * 3 - 1);  // sha256, "AB:" each
    EXPECT_TRUE(FingerprintMatches(peer, peer.cert_fingerprint));
    std::string lower_bare;
    for (char ch : peer.pkey_fingerprint)
      if (ch != ':') lower_bare += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_TRUE(FingerprintMatches(peer, lower_bare));
    EXPECT_FALSE(FingerprintMatches(peer, "00:11"));
    EXPECT_FALSE(FingerprintMatches(peer, ""));
    // The signature named is the server's.
    EXPECT_EQ(sum.sig_name, "ECDSA");
    EXPECT_EQ(sum.sig_curve, "P-256");
  }
}

TEST(TlsTest, ClientContextErrors) {
  ClientSettings cs;
  cs.ca_file = "/nonexistent/ca.pem";
  auto c = ClientContext::Create(cs);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("CAfile=\"/nonexistent/ca.pem\""), std::string::npos);
  cs.ca_file.clear();
  cs.protocols = "!TLSv1.4";
  EXPECT_FALSE(ClientContext::Create(cs).ok());
  cs.protocols = ">=TLSv1.2";
  cs.cipherlist = "NO-SUCH-CIPHER";
  EXPECT_FALSE(ClientContext::Create(cs).ok());
}

// The client keeps the server's ticket in its slot and resumes with it.
TEST(TlsTest, ClientResumesFromItsSlot) {
  signal(SIGPIPE, SIG_IGN);
  testing::CertFile cert;
  // A plain OpenSSL server with tickets on (OpenSSL's defaults).
  SSL_CTX* sctx = SSL_CTX_new(TLS_server_method());
  ASSERT_EQ(SSL_CTX_use_certificate_chain_file(sctx, cert.path().c_str()), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey_file(sctx, cert.path().c_str(), SSL_FILETYPE_PEM), 1);
  auto cctx = ClientContext::Create(ClientSettings());
  ASSERT_TRUE(cctx.ok());
  for (const char* version : {"TLSv1.2", "TLSv1.3", ""}) {
    ConnectOptions o;
    o.protocols = version;
    o.resumption = NewResumptionSlot();
    for (int round = 0; round < 3; round++) {
      int sv[2];
      ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
      std::thread server([sctx, fd = sv[0]] {
        SSL* ssl = SSL_new(sctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
          SSL_write(ssl, "220 hi\r\n", 8);
          char buf[16];
          SSL_read(ssl, buf, sizeof(buf));  // until the client closes
        }
        SSL_free(ssl);
        close(fd);
      });
      Summary sum;
      Stream st(sv[1], Stream::Ownership::kOwned);
      st.set_timeout(10);
      auto t = Connect(**cctx, st.fd(), std::chrono::seconds(10), o, &sum, nullptr);
      ASSERT_TRUE(t.ok()) << t.status().message();
      ASSERT_TRUE(st.set_transport(std::move(*t)).ok());
      std::string line;
      ASSERT_TRUE(st.ReadLine(&line, 100).ok());  // the ticket comes with it
      st.Close();
      server.join();
      if (*version) {
        EXPECT_EQ(sum.protocol, version);
      }
      EXPECT_EQ(sum.resumed, round > 0) << version << " round " << round;
    }
  }
  SSL_CTX_free(sctx);
}

TEST(TlsTest, TransportRefusedWhileInputIsBuffered) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ASSERT_EQ(write(sv[1], "STARTTLS\r\nRSET\r\n", 16), 16);
  Stream st(sv[0], Stream::Ownership::kOwned);
  std::string line;
  ASSERT_TRUE(st.ReadLine(&line, 100).ok());
  EXPECT_EQ(st.set_transport(nullptr).code(), Code::kFailedPrecondition);
  st.DiscardInput();
  EXPECT_TRUE(st.set_transport(nullptr).ok());
  close(sv[1]);
}

}  // namespace
}  // namespace util::tls

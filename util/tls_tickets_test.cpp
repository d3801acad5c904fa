#include "util/tls_tickets.h"

#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "util/tls_ccert.h"
#include "util/tls_testing.h"

namespace util::tls {
namespace {

TEST(TlsTicketsTest, KeysAsText) {
  auto k = NewTicketKey(12345);
  ASSERT_TRUE(k.ok());
  std::string text = EncodeTicketKey(*k);
  auto back = DecodeTicketKey(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, k->name);
  EXPECT_EQ(back->hmac, k->hmac);
  EXPECT_EQ(back->aes, k->aes);
  EXPECT_EQ(back->expires, 12345);
  EXPECT_EQ(ParseTicketKeyName(TicketKeyNameHex(k->name)), k->name);
  EXPECT_FALSE(ParseTicketKeyName("00"));
  EXPECT_FALSE(DecodeTicketKey("xyz").ok());
  EXPECT_FALSE(DecodeTicketKey(text.substr(1)).ok());
  EXPECT_NE(NewTicketKey(1)->name, k->name);
}

// One TLS 1.2 or 1.3 client handshake on `fd` offering `session`; returns
// the session to offer next time (the caller frees it).
SSL_SESSION* ClientHandshake(int fd, int version, SSL_SESSION* session, bool* reused) {
  SSL_CTX* cc = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(cc, version);
  SSL_CTX_set_max_proto_version(cc, version);
  SSL* ssl = SSL_new(cc);
  SSL_set_fd(ssl, fd);
  if (session != nullptr) SSL_set_session(ssl, session);
  SSL_SESSION* out = nullptr;
  if (SSL_connect(ssl) == 1) {
    char buf[16];
    SSL_write(ssl, "x", 1);
    SSL_read(ssl, buf, sizeof(buf));  // a TLS 1.3 ticket arrives after the handshake
    *reused = SSL_session_reused(ssl) == 1;
    out = SSL_get1_session(ssl);
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  SSL_CTX_free(cc);
  close(fd);
  return out;
}

// A server handshake with `ctx` against ClientHandshake.
SSL_SESSION* Session(const ServerContext& ctx, int version, SSL_SESSION* offer, bool* reused,
                     Summary* sum) {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  SSL_SESSION* next = nullptr;
  std::thread client([&, fd = sv[1]] { next = ClientHandshake(fd, version, offer, reused); });
  Stream st(sv[0], Stream::Ownership::kOwned);
  st.set_timeout(10);
  auto t = Accept(ctx, st.fd(), std::chrono::seconds(10), sum);
  EXPECT_TRUE(t.ok()) << t.status().message();
  if (t.ok()) {
    EXPECT_TRUE(st.set_transport(std::move(*t)).ok());
    st.Write("y");
    EXPECT_TRUE(st.Flush().ok());
  }
  client.join();
  st.Close();
  return next;
}

// Two server contexts (as two smtpd processes) with one key source: a
// session made with one resumes with the other, for TLS 1.2 and 1.3; an
// unknown key means a full handshake; another session context never
// resumes.
TEST(TlsTicketsTest, SessionResumesWithAnotherContextSharingTheKeys) {
  signal(SIGPIPE, SIG_IGN);
  testing::CertFile cert;
  ServerSettings s;
  s.chain_files.push_back(cert.path());
  std::vector<TicketKey> keys = {*NewTicketKey(time(nullptr) + 3600)};
  int asked = 0;
  TicketKeySource source = [&](const TicketKeyName* name) -> std::optional<TicketKey> {
    ++asked;
    for (const TicketKey& k : keys)
      if (name == nullptr || k.name == *name) return k;
    return std::nullopt;
  };
  auto a = ServerContext::Create(s), b = ServerContext::Create(s), c = ServerContext::Create(s);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_TRUE(EnableTickets(**a, 3600, "smtpd/smtp", source).ok());
  ASSERT_TRUE(EnableTickets(**b, 3600, "smtpd/smtp", source).ok());
  ASSERT_TRUE(EnableTickets(**c, 3600, "smtpd/submission", source).ok());
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    bool reused = true;
    Summary sum;
    SSL_SESSION* first = Session(**a, version, nullptr, &reused, &sum);
    ASSERT_NE(first, nullptr);
    EXPECT_FALSE(reused);
    EXPECT_FALSE(sum.resumed);
    EXPECT_TRUE(SSL_SESSION_has_ticket(first));
    SSL_SESSION* second = Session(**b, version, first, &reused, &sum);
    EXPECT_TRUE(reused) << version;
    EXPECT_TRUE(sum.resumed);
    SSL_SESSION* other = Session(**c, version, first, &reused, &sum);
    EXPECT_FALSE(reused) << "another session context";
    SSL_SESSION_free(other);
    // The key is gone (a new tlsmgr): a full handshake, no error.
    keys = {*NewTicketKey(time(nullptr) + 3600)};
    SSL_SESSION* third = Session(**b, version, second, &reused, &sum);
    EXPECT_FALSE(reused);
    ASSERT_NE(third, nullptr);
    SSL_SESSION_free(first);
    SSL_SESSION_free(second);
    SSL_SESSION_free(third);
  }
  EXPECT_GT(asked, 0);
  // No key at all: TLS without tickets.
  keys.clear();
  bool reused = true;
  Summary sum;
  SSL_SESSION* none = Session(**a, TLS1_3_VERSION, nullptr, &reused, &sum);
  ASSERT_NE(none, nullptr);
  EXPECT_FALSE(SSL_SESSION_has_ticket(none));
  SSL_SESSION_free(none);
}

TEST(TlsCcertTest, LogLineAndReceivedClauseWithACertificate) {
  Summary s;
  s.protocol = "TLSv1.3";
  s.cipher = "TLS_AES_256_GCM_SHA384";
  s.cipher_bits = s.cipher_alg_bits = 256;
  s.kex_name = "X25519";
  s.sig_name = s.client_sig_name = "RSA-PSS";
  s.sig_bits = s.client_sig_bits = 2048;
  s.sig_digest = s.client_sig_digest = "SHA256";
  s.peer_cert_requested = s.peer_cert_present = s.peer_cert_trusted = true;
  s.peer_CN = "client.example";
  s.issuer_CN = "Test CA";
  EXPECT_EQ(ClientTrust(s), "Trusted");
  EXPECT_EQ(LogLine(s, "from", "h[a]", ClientTrust(s)),
            "Trusted TLS connection established from h[a]: TLSv1.3 with cipher "
            "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS "
            "(2048 bits) server-digest SHA256 client-signature RSA-PSS (2048 bits) client-digest "
            "SHA256");
  EXPECT_EQ(ReceivedClause(s),
            (std::vector<std::string>{
                "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
                "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
                "\t client-signature RSA-PSS (2048 bits) client-digest SHA256)",
                "\t(Client CN \"client.example\", Issuer \"Test CA\" (verified OK))"}));
  s.peer_cert_trusted = false;
  EXPECT_EQ(ClientTrust(s), "Untrusted");
  EXPECT_EQ(ReceivedClause(s).back(),
            "\t(Client CN \"client.example\", Issuer \"Test CA\" (not verified))");
  s.peer_cert_present = false;
  s.client_sig_name.clear();
  EXPECT_EQ(ReceivedClause(s).back(), "\t(Client did not present a certificate)");
  EXPECT_EQ(ClientTrust(s), "Anonymous");
}

TEST(TlsCcertTest, Fingerprints) {
  EXPECT_EQ(*CertFingerprint("", "sha256"),
            "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:"
            "78:52:B8:55");
  EXPECT_EQ(*CertFingerprint("abc", "md5"), "90:01:50:98:3C:D2:4F:B0:D6:96:3F:7D:28:E1:7F:72");
  EXPECT_FALSE(CertFingerprint("", "nosuchdigest").ok());
  EXPECT_FALSE(PublicKeyFingerprint("not DER", "sha256").ok());
}

}  // namespace
}  // namespace util::tls
namespace util::tls {
namespace {

// Our client (util::tls::Connect with a resumption slot) against ticket
// servers that share keys, as smtp against smtpd processes: every
// connection after the first resumes, under TLS 1.2 and 1.3 (where each
// ticket is used once: the server sends a new one with each resumption),
// also when the client's transport is dropped without Close().
TEST(TlsTicketsTest, OurClientResumesEveryTime) {
  signal(SIGPIPE, SIG_IGN);
  testing::CertFile cert;
  ServerSettings s;
  s.chain_files.push_back(cert.path());
  std::vector<TicketKey> keys = {*NewTicketKey(time(nullptr) + 3600)};
  TicketKeySource source = [&](const TicketKeyName* name) -> std::optional<TicketKey> {
    for (const TicketKey& k : keys)
      if (name == nullptr || k.name == *name) return k;
    return std::nullopt;
  };
  auto a = ServerContext::Create(s);
  ASSERT_TRUE(EnableTickets(**a, 3600, "smtpd/smtp", source).ok());
  auto cctx = ClientContext::Create(ClientSettings());
  for (const char* version : {"TLSv1.2", "TLSv1.3"}) {
    ConnectOptions o;
    o.protocols = version;
    o.resumption = NewResumptionSlot();
    for (int round = 0; round < 4; round++) {
      int sv[2];
      ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
      auto a2 = ServerContext::Create(s);
      ASSERT_TRUE(EnableTickets(**a2, 3600, "smtpd/smtp", source).ok());
      std::thread server([&, fd = sv[0]] {
        Stream st(fd, Stream::Ownership::kOwned);
        st.set_timeout(10);
        auto t = Accept(**a2, st.fd(), std::chrono::seconds(10), nullptr);
        if (t.ok() && st.set_transport(std::move(*t)).ok()) {
          std::string line;
          (void)st.ReadLine(&line, 100);
          st.Write("250 ok\r\n");
          (void)st.Flush();
          (void)st.ReadLine(&line, 100);
        }
        st.Close();
      });
      Summary sum;
      Stream st(sv[1], Stream::Ownership::kOwned);
      st.set_timeout(10);
      auto t = Connect(**cctx, st.fd(), std::chrono::seconds(10), o, &sum, nullptr);
      ASSERT_TRUE(t.ok());
      ASSERT_TRUE(st.set_transport(std::move(*t)).ok());
      st.Write("EHLO x\r\n");
      (void)st.Flush();
      std::string line;
      (void)st.ReadLine(&line, 100);
      st.Write("QUIT\r\n");
      if (round % 2 == 0) {
        st.Close();
      } else {
        (void)st.Flush();
        st = Stream();  // dropped: the transport still says goodbye
      }
      server.join();
      EXPECT_EQ(sum.protocol, version);
      EXPECT_EQ(sum.resumed, round > 0) << version << " round " << round;
    }
  }
}
}  // namespace
}  // namespace util::tls

#include "util/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <string.h>

#include "util/strings.h"
#include "util/tls_ccert.h"

namespace util::tls {

namespace {

using Clock = std::chrono::steady_clock;

struct Version {
  std::string_view name;
  int openssl;        // *_VERSION
  unsigned long off;  // SSL_OP_NO_*
};
constexpr Version kVersions[] = {
    {"SSLv3", SSL3_VERSION, SSL_OP_NO_SSLv3},       {"TLSv1", TLS1_VERSION, SSL_OP_NO_TLSv1},
    {"TLSv1.1", TLS1_1_VERSION, SSL_OP_NO_TLSv1_1}, {"TLSv1.2", TLS1_2_VERSION, SSL_OP_NO_TLSv1_2},
    {"TLSv1.3", TLS1_3_VERSION, SSL_OP_NO_TLSv1_3},
};
constexpr unsigned kAll = (1u << std::size(kVersions)) - 1;

// The bit of a version name; 0 for SSLv2; nullopt when unknown.
std::optional<unsigned> VersionBit(std::string_view name) {
  if (EqualsIgnoreCase(name, "SSLv2")) return 0u;
  for (size_t i = 0; i < std::size(kVersions); ++i)
    if (EqualsIgnoreCase(name, kVersions[i].name)) return 1u << i;
  return std::nullopt;
}

class SslTransport : public Transport {
 public:
  explicit SslTransport(SSL* ssl) : ssl_(ssl) {}
  ~SslTransport() override { SSL_free(ssl_); }

  ssize_t Read(char* buf, size_t len, Want* want, Status* error) override {
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_read_ex(ssl_, buf, len, &n);
    if (r > 0) return static_cast<ssize_t>(n);
    return Failed(r, want, error, true);
  }
  ssize_t Write(const char* buf, size_t len, Want* want, Status* error) override {
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_write_ex(ssl_, buf, len, &n);
    if (r > 0) return static_cast<ssize_t>(n);
    return Failed(r, want, error, false);
  }
  void Shutdown() override {
    if (!broken_) SSL_shutdown(ssl_);  // one try: sends close_notify if it can
  }

 private:
  ssize_t Failed(int r, Want* want, Status* error, bool reading) {
    switch (SSL_get_error(ssl_, r)) {
      case SSL_ERROR_WANT_READ:
        *want = Want::kRead;
        return -1;
      case SSL_ERROR_WANT_WRITE:
        *want = Want::kWrite;
        return -1;
      case SSL_ERROR_ZERO_RETURN:
        if (reading) return 0;
        break;
      default:
        break;
    }
    broken_ = true;
    *want = Want::kNone;
    *error = Unavailable(std::string(reading ? "TLS read: " : "TLS write: ") + OpenSslErrors());
    return -1;
  }

  SSL* ssl_;
  bool broken_ = false;
};

// An EC key's or group's curve: its NIST name where it has one.
std::string CurveName(int nid) {
  const char* nist = EC_curve_nid2nist(nid);
  if (nist != nullptr) return nist;
  const char* sn = OBJ_nid2sn(nid);
  return sn != nullptr ? sn : "";
}

// How Postfix names the TLS 1.3 signature of a certificate's key: RSA keys
// sign with PSS ("RSA-PSS", with its bits), EC keys "ECDSA" (with the
// curve), others by their OpenSSL name ("ED25519").
void KeySignature(EVP_PKEY* key, std::string* name, std::string* curve, int* bits) {
  if (key == nullptr) return;
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_RSA) {
    *name = "RSA-PSS";
    *bits = EVP_PKEY_get_bits(key);
  } else if (id == EVP_PKEY_EC) {
    *name = "ECDSA";
    char group_name[80];
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group_name,
                                       sizeof(group_name), &len))
      *curve = CurveName(OBJ_sn2nid(group_name));
  } else if (const char* sn = OBJ_nid2sn(id)) {
    *name = sn;
  }
}

void Summarize(SSL* ssl, Summary* s) {
  s->protocol = SSL_get_version(ssl);
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) {
    s->cipher = SSL_CIPHER_get_name(c);
    s->cipher_bits = SSL_CIPHER_get_bits(c, &s->cipher_alg_bits);
  }
  SummarizePeer(ssl, s);
  // As Postfix: key exchange and signatures are reported for TLS 1.3 only.
  if (SSL_version(ssl) < TLS1_3_VERSION) return;
  int group = SSL_get_negotiated_group(ssl);
  if (group != NID_undef && (group & TLSEXT_nid_unknown) == 0) {
    if (group == NID_X25519 || group == NID_X448) {
      s->kex_name = OBJ_nid2sn(group);
    } else if (group >= NID_ffdhe2048 && group <= NID_ffdhe8192) {
      s->kex_name = "DHE";
      s->kex_bits = std::stoi(std::string(OBJ_nid2sn(group)).substr(6));
    } else {
      s->kex_name = "ECDHE";
      s->kex_curve = CurveName(group);
    }
  }
  // Each end's signature: the algorithm of its certificate's key (ours on
  // a client only when it signed; the peer's whenever it has one, resumed
  // sessions included), and the digest when this handshake signed (a
  // resumed session has none).
  int md = NID_undef;
  const bool local_signed = SSL_get_signature_nid(ssl, &md) == 1;
  if (SSL_is_server(ssl) || local_signed) {
    if (X509* local = SSL_get_certificate(ssl))
      KeySignature(X509_get0_pubkey(local), &s->sig_name, &s->sig_curve, &s->sig_bits);
    if (local_signed && md != NID_undef) s->sig_digest = OBJ_nid2sn(md);
  }
  if (X509* peer = SSL_get0_peer_certificate(ssl)) {
    KeySignature(X509_get0_pubkey(peer), &s->peer_sig_name, &s->peer_sig_curve, &s->peer_sig_bits);
    md = NID_undef;
    if (SSL_get_peer_signature_nid(ssl, &md) == 1 && md != NID_undef)
      s->peer_sig_digest = OBJ_nid2sn(md);
  }
}

// " (P-256)" or " (2048 bits)" or nothing.
std::string Strength(const std::string& curve, int bits) {
  if (!curve.empty()) return " (" + curve + ")";
  return bits > 0 ? StrFormat(" (%d bits)", bits) : "";
}

std::string Details(const Summary& s, std::string_view sep) {
  std::string out;
  if (!s.kex_name.empty()) {
    out += std::string(sep) + "key-exchange " + s.kex_name + Strength(s.kex_curve, s.kex_bits);
    sep = " ";
  }
  if (!s.sig_name.empty()) {
    out += std::string(sep) + "server-signature " + s.sig_name + Strength(s.sig_curve, s.sig_bits);
    if (!s.sig_digest.empty()) out += " server-digest " + s.sig_digest;
    sep = " ";
  }
  return out;
}

// " client-signature RSA-PSS (2048 bits) client-digest SHA256" or nothing.
std::string ClientDetails(const Summary& s) {
  if (s.peer_sig_name.empty()) return "";
  std::string out =
      " client-signature " + s.peer_sig_name + Strength(s.peer_sig_curve, s.peer_sig_bits);
  if (!s.peer_sig_digest.empty()) out += " client-digest " + s.peer_sig_digest;
  return out;
}

}  // namespace

std::string OpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}

std::optional<unsigned> ParseProtocols(std::string_view list) {
  unsigned include = 0, exclude = 0;
  unsigned range = kAll;
  bool listed = false;  // some plain name: only those
  for (const std::string& w : SplitAny(list, " \t,:")) {
    std::string_view name = w;
    enum { kPlain, kNot, kMin, kMax } kind = kPlain;
    if (name.starts_with("!")) {
      kind = kNot;
      name.remove_prefix(1);
    } else if (name.starts_with(">=")) {
      kind = kMin;
      name.remove_prefix(2);
    } else if (name.starts_with("<=")) {
      kind = kMax;
      name.remove_prefix(2);
    }
    std::optional<unsigned> bit = VersionBit(name);
    if (!bit) return std::nullopt;
    switch (kind) {
      case kPlain:
        include |= *bit;
        listed = true;
        break;
      case kNot:
        exclude |= *bit;
        break;
      case kMin:
        if (*bit) range &= ~(*bit - 1);
        break;
      case kMax:
        if (*bit)
          range &= (*bit << 1) - 1;
        else
          range = 0;
        break;
    }
  }
  unsigned enabled = listed ? include : kAll;
  return enabled & ~exclude & range;
}

StatusOr<std::string> CipherList(std::string_view grade, const CipherLists& lists) {
  std::string g = Lowercase(Trim(grade));
  if (g == "high") return lists.high;
  if (g == "medium") return lists.medium;
  if (g == "low") return lists.low;
  if (g == "export") return lists.export_;
  if (g == "null") return lists.null;
  return InvalidArgument("invalid cipher grade: \"" + std::string(grade) + "\"");
}

StatusOr<std::unique_ptr<ServerContext>> ServerContext::Create(const ServerSettings& st) {
  std::optional<unsigned> versions = ParseProtocols(st.protocols);
  if (!versions) return InvalidArgument("invalid TLS protocol list: \"" + st.protocols + "\"");
  if (*versions == 0)
    return InvalidArgument("no TLS protocol enabled by: \"" + st.protocols + "\"");
  if (st.cert_key.empty() && st.chain_files.empty())
    return FailedPrecondition("no server certificate or key configured");
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Internal("SSL_CTX_new: " + OpenSslErrors());
  std::unique_ptr<ServerContext> out(new ServerContext(ctx));
  int lo = 0, hi = 0;
  unsigned long off = 0;
  for (size_t i = 0; i < std::size(kVersions); ++i) {
    if (*versions & (1u << i)) {
      if (lo == 0) lo = kVersions[i].openssl;
      hi = kVersions[i].openssl;
    } else {
      off |= kVersions[i].off;
    }
  }
  SSL_CTX_set_min_proto_version(ctx, lo);
  SSL_CTX_set_max_proto_version(ctx, hi);
  SSL_CTX_set_options(
      ctx, off | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  if (st.server_preference) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (st.dh_param_file.empty()) {
    SSL_CTX_set_dh_auto(ctx, 1);
  } else {
    BIO* bio = BIO_new_file(st.dh_param_file.c_str(), "r");
    EVP_PKEY* dh = bio != nullptr ? PEM_read_bio_Parameters(bio, nullptr) : nullptr;
    BIO_free(bio);
    if (dh == nullptr || SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
      EVP_PKEY_free(dh);
      return FailedPrecondition("cannot load DH parameters from file \"" + st.dh_param_file +
                                "\": " + OpenSslErrors());
    }
  }
  if (SSL_CTX_set_cipher_list(ctx, st.cipherlist.c_str()) != 1)
    return InvalidArgument("invalid cipher list: \"" + st.cipherlist + "\": " + OpenSslErrors());
  auto load = [ctx](const std::string& cert, const std::string& key) -> Status {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1)
      return FailedPrecondition("cannot load certificate chain from file \"" + cert +
                                "\": " + OpenSslErrors());
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1)
      return FailedPrecondition("cannot load private key from file \"" + key +
                                "\": " + OpenSslErrors());
    if (SSL_CTX_check_private_key(ctx) != 1)
      return FailedPrecondition("private key in \"" + key +
                                "\" does not match the certificate in \"" + cert +
                                "\": " + OpenSslErrors());
    return OkStatus();
  };
  for (const auto& [cert, key] : st.cert_key) {
    Status s = load(cert, key.empty() ? cert : key);
    if (!s.ok()) return s;
  }
  for (const std::string& f : st.chain_files) {
    Status s = load(f, f);
    if (!s.ok()) return s;
  }
  return out;
}

ServerContext::~ServerContext() { SSL_CTX_free(ctx_); }

StatusOr<std::unique_ptr<Transport>> Accept(const ServerContext& ctx, int fd,
                                            std::chrono::milliseconds timeout, Summary* summary) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return ErrnoStatus(errno, "fcntl");
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx.ctx());
  if (ssl == nullptr) return Internal("SSL_new: " + OpenSslErrors());
  auto t = std::make_unique<SslTransport>(ssl);
  if (SSL_set_fd(ssl, fd) != 1) return Internal("SSL_set_fd: " + OpenSslErrors());
  const Clock::time_point deadline =
      timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max();
  for (;;) {
    ERR_clear_error();
    int r = SSL_accept(ssl);
    if (r == 1) break;
    int e = SSL_get_error(ssl, r);
    short events;
    if (e == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (e == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      return Unavailable(errno != 0 ? std::string("SSL_accept: ") + strerror(errno)
                                    : "SSL_accept: lost connection");
    } else {
      return Unavailable("SSL_accept: " + OpenSslErrors());
    }
    int ms = -1;
    if (deadline != Clock::time_point::max()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return DeadlineExceeded("timeout during TLS handshake");
      ms = static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, ms);
    if (n == 0) return DeadlineExceeded("timeout during TLS handshake");
    if (n < 0 && errno != EINTR) return ErrnoStatus(errno, "poll");
  }
  if (summary != nullptr) Summarize(ssl, summary);
  return std::unique_ptr<Transport>(std::move(t));
}

std::string LogLine(const Summary& s, std::string_view direction, std::string_view namaddr) {
  const char* trust = !s.peer_cert_present  ? "Anonymous"
                      : s.peer_cert_trusted ? "Trusted"
                                            : "Untrusted";
  return StrFormat("%s TLS connection established %.*s %.*s: %s with cipher %s (%d/%d bits)", trust,
                   static_cast<int>(direction.size()), direction.data(),
                   static_cast<int>(namaddr.size()), namaddr.data(), s.protocol.c_str(),
                   s.cipher.c_str(), s.cipher_bits, s.cipher_alg_bits) +
         Details(s, " ") + ClientDetails(s);
}

std::vector<std::string> ReceivedClause(const Summary& s) {
  std::vector<std::string> out;
  std::string first = StrFormat("\t(using %s with cipher %s (%d/%d bits)", s.protocol.c_str(),
                                s.cipher.c_str(), s.cipher_bits, s.cipher_alg_bits);
  std::string details = Details(s, "\t ");
  std::string client = ClientDetails(s);
  if (details.empty() && client.empty()) {
    out.push_back(first + ")");
  } else {
    out.push_back(first);
    if (!details.empty()) out.push_back(details + (client.empty() ? ")" : ""));
    if (!client.empty()) out.push_back("\t" + client + ")");
  }
  if (s.peer_cert_present)
    out.push_back(StrFormat("\t(Client CN \"%s\", Issuer \"%s\" (%s))", s.peer_CN.c_str(),
                            s.issuer_CN.c_str(),
                            s.peer_cert_trusted ? "verified OK" : "not verified"));
  else if (s.peer_cert_requested)
    out.push_back("\t(Client did not present a certificate)");
  else
    out.push_back("\t(No client certificate requested)");
  return out;
}

}  // namespace util::tls

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
#include <openssl/x509v3.h>
#include <poll.h>
#include <string.h>

#include <cctype>
#include <functional>

#include "util/strings.h"

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

}  // namespace

struct ResumptionSlot {
  SSL_SESSION* session = nullptr;
  ~ResumptionSlot() { SSL_SESSION_free(session); }
};

std::shared_ptr<ResumptionSlot> NewResumptionSlot() { return std::make_shared<ResumptionSlot>(); }

namespace {

// The SSL object's ex_data index for its ResumptionSlot.
int SlotIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL's new-session callback on the client: the server's (latest)
// ticket goes to the connection's slot. Returns 1: the reference is ours.
int KeepSession(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<ResumptionSlot*>(SSL_get_ex_data(ssl, SlotIndex()));
  if (slot == nullptr) return 0;
  SSL_SESSION_free(slot->session);
  slot->session = session;
  return 1;
}

class SslTransport : public Transport {
 public:
  explicit SslTransport(SSL* ssl) : ssl_(ssl) {}
  // A connection that ends without close_notify makes OpenSSL mark its
  // session not resumable (a truncation attack cannot be told apart), so a
  // transport dropped after a clean exchange says goodbye first.
  ~SslTransport() override {
    Shutdown();
    SSL_free(ssl_);
  }
  // Keeps the slot the SSL object's tickets go to alive as long as it.
  void set_slot(std::shared_ptr<ResumptionSlot> slot) { slot_ = std::move(slot); }
  SSL* ssl() const { return ssl_; }

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
    if (!broken_ && !shut_) SSL_shutdown(ssl_);  // one try: sends close_notify if it can
    shut_ = true;
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
  std::shared_ptr<ResumptionSlot> slot_;
  bool broken_ = false;
  bool shut_ = false;
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

void InspectClient(SSL* ssl, Summary* s);

// `client`: we are the client (the server's signature is our peer's).
void Summarize(SSL* ssl, bool client, Summary* s) {
  s->protocol = SSL_get_version(ssl);
  s->resumed = SSL_session_reused(ssl) == 1;
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) {
    s->cipher = SSL_CIPHER_get_name(c);
    s->cipher_bits = SSL_CIPHER_get_bits(c, &s->cipher_alg_bits);
  }
  if (!client) InspectClient(ssl, s);
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
  // Each end's signature: the algorithm of its certificate's key and,
  // when it signed in this handshake, the digest (a resumed session has
  // none). Ours as a client only when we signed; the peer's whenever it
  // has a certificate (resumed sessions included).
  int md = NID_undef, peer_md = NID_undef;
  const bool local_signed = SSL_get_signature_nid(ssl, &md) == 1 && md != NID_undef;
  const bool peer_signed = SSL_get_peer_signature_nid(ssl, &peer_md) == 1 && peer_md != NID_undef;
  X509* local = !client || local_signed ? SSL_get_certificate(ssl) : nullptr;
  X509* peer = SSL_get0_peer_certificate(ssl);
  auto report = [](X509* cert, bool signed_, int nid, std::string* name, std::string* curve,
                   int* bits, std::string* digest) {
    if (cert == nullptr) return;
    KeySignature(X509_get0_pubkey(cert), name, curve, bits);
    if (signed_) *digest = OBJ_nid2sn(nid);
  };
  report(client ? peer : local, client ? peer_signed : local_signed, client ? peer_md : md,
         &s->sig_name, &s->sig_curve, &s->sig_bits, &s->sig_digest);
  report(client ? local : peer, client ? local_signed : peer_signed, client ? md : peer_md,
         &s->client_sig_name, &s->client_sig_curve, &s->client_sig_bits, &s->client_sig_digest);
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
  if (s.client_sig_name.empty()) return "";
  std::string out =
      " client-signature " + s.client_sig_name + Strength(s.client_sig_curve, s.client_sig_bits);
  if (!s.client_sig_digest.empty()) out += " client-digest " + s.client_sig_digest;
  return out;
}

// The enabled versions of a protocol list as OpenSSL's bounds and
// SSL_OP_NO_* options for the holes.
struct Range {
  int lo = 0, hi = 0;
  unsigned long off = 0;
};
StatusOr<Range> VersionRange(const std::string& list) {
  std::optional<unsigned> versions = ParseProtocols(list);
  if (!versions) return InvalidArgument("invalid TLS protocol list: \"" + list + "\"");
  if (*versions == 0) return InvalidArgument("no TLS protocol enabled by: \"" + list + "\"");
  Range r;
  for (size_t i = 0; i < std::size(kVersions); ++i) {
    if (*versions & (1u << i)) {
      if (r.lo == 0) r.lo = kVersions[i].openssl;
      r.hi = kVersions[i].openssl;
    } else {
      r.off |= kVersions[i].off;
    }
  }
  return r;
}

// What both sides set on a new context.
void CommonOptions(SSL_CTX* ctx, const Range& r) {
  SSL_CTX_set_min_proto_version(ctx, r.lo);
  SSL_CTX_set_max_proto_version(ctx, r.hi);
  SSL_CTX_set_options(
      ctx, r.off | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

// "AB:CD:..." of `len` bytes.
std::string HexColons(const unsigned char* md, unsigned len) {
  std::string out;
  for (unsigned i = 0; i < len; i++) out += StrFormat(i ? ":%02X" : "%02X", md[i]);
  return out;
}

// The text of a name entry (e.g. the CN) of `name`, or "".
std::string NameEntry(const X509_NAME* name, int nid) {
  if (name == nullptr) return "";
  int i = X509_NAME_get_index_by_NID(name, nid, -1);
  if (i < 0) return "";
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return ReplaceControls(out);
}

// Fills `peer` from the handshake's result.
void Inspect(SSL* ssl, const ConnectOptions& o, PeerCertificate* peer) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return;
  peer->present = true;
  peer->subject_cn = NameEntry(X509_get_subject_name(cert), NID_commonName);
  peer->issuer_cn = NameEntry(X509_get_issuer_name(cert), NID_commonName);
  long v = SSL_get_verify_result(ssl);
  peer->trusted = v == X509_V_OK;
  if (!peer->trusted) peer->verify_error = X509_verify_cert_error_string(v);
  if (const EVP_MD* md = EVP_get_digestbyname(o.fingerprint_digest.c_str())) {
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (X509_digest(cert, md, buf, &len) == 1) peer->cert_fingerprint = HexColons(buf, len);
    if (X509_pubkey_digest(cert, md, buf, &len) == 1) peer->pkey_fingerprint = HexColons(buf, len);
  }
  if (!peer->trusted) return;
  for (const std::string& name : o.match_names) {
    if (X509_check_host(cert, name.data(), name.size(), 0, nullptr) == 1) {
      peer->matched = true;
      break;
    }
  }
}

// Postfix's wording of a chain that did not verify.
std::string VerifyFailure(long result, X509* cert) {
  switch (result) {
    case X509_V_OK:
      return "";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "self-signed certificate";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: {
      char buf[256];
      X509_NAME_oneline(X509_get_issuer_name(cert), buf, sizeof(buf));
      return std::string("untrusted issuer ") + buf;
    }
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "certificate not yet valid";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "certificate has expired";
    default:
      return StrFormat("num=%ld:%s", result, X509_verify_cert_error_string(result));
  }
}

// The server side's view of the client's certificate (util/tls_ccert.h):
// asked for or not, present, verified; its subject and issuer (the
// issuer's organization when it has no CN), as Postfix's Received: clause
// shows them.
void InspectClient(SSL* ssl, Summary* s) {
  s->peer_cert_requested = (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0;
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) return;
  s->peer_cert_present = true;
  const long result = SSL_get_verify_result(ssl);
  s->peer_cert_trusted = result == X509_V_OK;
  s->peer_verify_failure = VerifyFailure(result, peer);
  s->peer_CN = NameEntry(X509_get_subject_name(peer), NID_commonName);
  s->issuer_CN = NameEntry(X509_get_issuer_name(peer), NID_commonName);
  if (s->issuer_CN.empty())
    s->issuer_CN = NameEntry(X509_get_issuer_name(peer), NID_organizationName);
  unsigned char* der = nullptr;
  int n = i2d_X509(peer, &der);
  if (n > 0) s->peer_cert_der.assign(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
}

// Makes the SSL object on `fd` (non-blocking from now on), lets `setup`
// adjust it, and runs the handshake to its end or the deadline.
Status Handshake(SSL_CTX* ctx, int fd, std::chrono::milliseconds timeout, bool client,
                 const std::function<Status(SSL*)>& setup, std::unique_ptr<SslTransport>* out) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return ErrnoStatus(errno, "fcntl");
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return Internal("SSL_new: " + OpenSslErrors());
  auto t = std::make_unique<SslTransport>(ssl);
  if (SSL_set_fd(ssl, fd) != 1) return Internal("SSL_set_fd: " + OpenSslErrors());
  if (setup) {
    Status st = setup(ssl);
    if (!st.ok()) return st;
  }
  const char* what = client ? "SSL_connect" : "SSL_accept";
  const Clock::time_point deadline =
      timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max();
  for (;;) {
    ERR_clear_error();
    int r = client ? SSL_connect(ssl) : SSL_accept(ssl);
    if (r == 1) break;
    int e = SSL_get_error(ssl, r);
    short events;
    if (e == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (e == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      return Unavailable(errno != 0 ? std::string(what) + ": " + strerror(errno)
                                    : std::string(what) + ": lost connection");
    } else {
      return Unavailable(std::string(what) + ": " + OpenSslErrors());
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
  *out = std::move(t);
  return OkStatus();
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
  auto range = VersionRange(st.protocols);
  if (!range.ok()) return range.status();
  if (st.cert_key.empty() && st.chain_files.empty())
    return FailedPrecondition("no server certificate or key configured");
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Internal("SSL_CTX_new: " + OpenSslErrors());
  std::unique_ptr<ServerContext> out(new ServerContext(ctx));
  CommonOptions(ctx, *range);
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
  std::unique_ptr<SslTransport> t;
  Status st = Handshake(ctx.ctx(), fd, timeout, /*client=*/false, nullptr, &t);
  if (!st.ok()) return st;
  if (summary != nullptr) Summarize(t->ssl(), false, summary);
  return std::unique_ptr<Transport>(std::move(t));
}

std::string LogLine(const Summary& s, std::string_view direction, std::string_view namaddr,
                    std::string_view trust) {
  return StrFormat("%.*s TLS connection established %.*s %.*s: %s with cipher %s (%d/%d bits)",
                   static_cast<int>(trust.size()), trust.data(), static_cast<int>(direction.size()),
                   direction.data(), static_cast<int>(namaddr.size()), namaddr.data(),
                   s.protocol.c_str(), s.cipher.c_str(), s.cipher_bits, s.cipher_alg_bits) +
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

// --- Client side -------------------------------------------------------

StatusOr<std::unique_ptr<ClientContext>> ClientContext::Create(const ClientSettings& st) {
  auto range = VersionRange(st.protocols);
  if (!range.ok()) return range.status();
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return Internal("SSL_CTX_new: " + OpenSslErrors());
  std::unique_ptr<ClientContext> out(new ClientContext(ctx));
  CommonOptions(ctx, *range);
  // The handshake completes whatever the certificate; the caller judges
  // the result (SSL_get_verify_result) by its security level.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  // Sessions live in the callers' slots, not in OpenSSL's cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, KeepSession);
  SSL_CTX_set_verify_depth(ctx, st.verify_depth);
  if (SSL_CTX_set_cipher_list(ctx, st.cipherlist.c_str()) != 1)
    return InvalidArgument("invalid cipher list: \"" + st.cipherlist + "\": " + OpenSslErrors());
  if (!st.ca_file.empty() || !st.ca_path.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, st.ca_file.empty() ? nullptr : st.ca_file.c_str(),
                                      st.ca_path.empty() ? nullptr : st.ca_path.c_str()) != 1)
      return FailedPrecondition("cannot load Certification Authority data, CAfile=\"" + st.ca_file +
                                "\", CApath=\"" + st.ca_path + "\": " + OpenSslErrors());
  }
  for (const auto& [cert, key0] : st.cert_key) {
    const std::string& key = key0.empty() ? cert : key0;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1)
      return FailedPrecondition("cannot load certificate chain from file \"" + cert +
                                "\": " + OpenSslErrors());
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1)
      return FailedPrecondition("cannot load private key from file \"" + key +
                                "\": " + OpenSslErrors());
  }
  return out;
}

ClientContext::~ClientContext() { SSL_CTX_free(ctx_); }

StatusOr<std::unique_ptr<Transport>> Connect(const ClientContext& ctx, int fd,
                                             std::chrono::milliseconds timeout,
                                             const ConnectOptions& o, Summary* summary,
                                             PeerCertificate* peer) {
  auto setup = [&o](SSL* ssl) -> Status {
    if (!o.sni.empty() && SSL_set_tlsext_host_name(ssl, o.sni.c_str()) != 1)
      return InvalidArgument("bad TLS server name: \"" + o.sni + "\"");
    if (!o.protocols.empty()) {
      auto r = VersionRange(o.protocols);
      if (!r.ok()) return r.status();
      SSL_set_min_proto_version(ssl, r->lo);
      SSL_set_max_proto_version(ssl, r->hi);
      SSL_set_options(ssl, r->off);
    }
    if (!o.cipherlist.empty() && SSL_set_cipher_list(ssl, o.cipherlist.c_str()) != 1)
      return InvalidArgument("invalid cipher list: \"" + o.cipherlist + "\": " + OpenSslErrors());
    if (o.resumption) {
      SSL_set_ex_data(ssl, SlotIndex(), o.resumption.get());
      // A session that cannot be offered (expired, other protocol) is
      // simply not resumed.
      if (o.resumption->session != nullptr) (void)SSL_set_session(ssl, o.resumption->session);
    }
    return OkStatus();
  };
  std::unique_ptr<SslTransport> t;
  Status st = Handshake(ctx.ctx(), fd, timeout, /*client=*/true, setup, &t);
  if (!st.ok()) return st;
  t->set_slot(o.resumption);
  if (summary != nullptr) Summarize(t->ssl(), true, summary);
  if (peer != nullptr) Inspect(t->ssl(), o, peer);
  return std::unique_ptr<Transport>(std::move(t));
}

bool FingerprintMatches(const PeerCertificate& peer, std::string_view fingerprint) {
  auto norm = [](std::string_view f) {
    std::string out;
    for (char c : f)
      if (c != ':') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  };
  std::string want = norm(fingerprint);
  if (want.empty()) return false;
  return want == norm(peer.cert_fingerprint) || want == norm(peer.pkey_fingerprint);
}

}  // namespace util::tls

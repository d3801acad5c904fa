// tls: TLS (OpenSSL 3) for the line protocols: a server context built from
// certificate and key files, the handshake on a connected descriptor, the
// resulting util::Transport that a util::Stream reads and writes through,
// and the summary Postfix logs and writes into Received: headers.
//
//   util::tls::ServerSettings s;
//   s.cert_key.push_back({"/etc/ssl/mx.pem", "/etc/ssl/mx.key"});
//   s.protocols = ">=TLSv1";                       // Postfix syntax
//   s.cipherlist = *util::tls::CipherList("medium", lists);
//   auto ctx = util::tls::ServerContext::Create(s); // error: cannot serve TLS
//   ...
//   stream.DiscardInput();                          // nothing read in plain text survives
//   util::tls::Summary sum;
//   auto t = util::tls::Accept(**ctx, stream.fd(), std::chrono::seconds(300), &sum);
//   if (!t.ok()) ...                                // log t.status(), end the session
//   stream.set_transport(std::move(*t));            // from now on: TLS
//   msg::Info("%s", util::tls::LogLine(sum, "from", "host[addr]").c_str());
//
// The descriptor is switched to non-blocking mode; the stream's deadlines
// still apply (it polls on the transport's behalf). OpenSSL writes with
// write(2), so a program using TLS must ignore SIGPIPE (the daemon
// skeleton does); a peer that went away is then an error status. OpenSSL's error queue
// is turned into the Status message of a failure. Nothing here reads
// main.cf: the programs map their parameters onto ServerSettings.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"
#include "util/stream.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace util::tls {

// The protocol versions a Postfix protocol list enables, as bits:
// SSLv3 = 1, TLSv1 = 2, TLSv1.1 = 4, TLSv1.2 = 8, TLSv1.3 = 16. Syntax
// (smtpd_tls_protocols): names separated by white space, commas or colons;
// "!NAME" excludes one, ">=NAME" / "<=NAME" bound the range, a plain NAME
// enables only the names listed. SSLv2 is accepted and never enabled.
// nullopt for an unknown name.
std::optional<unsigned> ParseProtocols(std::string_view list);

// OpenSSL's error queue as one message, emptied ("unknown error" when empty).
std::string OpenSslErrors();

// The cipher lists of the grades ("high", "medium", "low", "export",
// "null"), i.e. tls_high_cipherlist etc.
struct CipherLists {
  std::string high, medium, low, export_, null;
};
// The OpenSSL cipher list of `grade`; an error for an unknown grade.
StatusOr<std::string> CipherList(std::string_view grade, const CipherLists& lists);

struct ServerSettings {
  // Certificate (chain) file and its private key file, one pair per
  // algorithm (RSA, ECDSA); an empty key file means the key is in the
  // certificate file.
  std::vector<std::pair<std::string, std::string>> cert_key;
  // Files each holding a private key and its certificate chain.
  std::vector<std::string> chain_files;
  std::string protocols = ">=TLSv1";
  std::string cipherlist = "DEFAULT";  // TLS 1.2 and below
  bool server_preference = false;      // our cipher order first (tls_preempt_cipherlist)
  // PEM DH parameters for DHE (TLS 1.2 and below); empty: OpenSSL's
  // built-in groups sized to the certificate.
  std::string dh_param_file;
};

class ServerContext {
 public:
  // Loads the keys and certificates (each key must match its
  // certificate); an error says which file failed and why.
  static StatusOr<std::unique_ptr<ServerContext>> Create(const ServerSettings& settings);
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;
  SSL_CTX* ctx() const { return ctx_; }

 private:
  explicit ServerContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// What was negotiated, as Postfix reports it.
struct Summary {
  std::string protocol;  // "TLSv1.3"
  std::string cipher;    // "TLS_AES_256_GCM_SHA384"
  int cipher_bits = 0;   // bits used
  int cipher_alg_bits = 0;
  std::string kex_name;  // "X25519", "ECDHE", "DHE", or empty
  std::string kex_curve;
  int kex_bits = 0;
  std::string sig_name;  // our signature: "RSA-PSS", "RSA", "ECDSA", "ED25519"
  std::string sig_curve;
  int sig_bits = 0;
  std::string sig_digest;  // "SHA256", or empty
  // Server side (util/tls_ccert.h): a resumed session, and the client's
  // certificate when one was asked for.
  bool session_reused = false;
  bool peer_cert_requested = false;
  bool peer_cert_present = false;
  bool peer_cert_trusted = false;  // its chain verified
  // Why not, as Postfix logs it after "certificate verification failed
  // for host[addr]: ": "self-signed certificate", "untrusted issuer /CN=X", ...
  std::string peer_verify_failure;
  std::string peer_CN, issuer_CN;
  std::string peer_cert_der;  // the certificate, DER
  std::string peer_sig_name;  // the client's signature (as sig_*)
  std::string peer_sig_curve;
  int peer_sig_bits = 0;
  std::string peer_sig_digest;
};

// The server side of a handshake on `fd` (which must have no unread
// plaintext anywhere), within `timeout`.
StatusOr<std::unique_ptr<Transport>> Accept(const ServerContext& ctx, int fd,
                                            std::chrono::milliseconds timeout, Summary* summary);

// "Anonymous TLS connection established from host[addr]: TLSv1.3 with
// cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519
// server-signature RSA-PSS (2048 bits) server-digest SHA256"
// (direction "from" on a server, "to" on a client). "Trusted" or
// "Untrusted" instead of "Anonymous" when the peer presented a
// certificate, and then " client-signature ... client-digest ..." too.
std::string LogLine(const Summary& s, std::string_view direction, std::string_view namaddr);

// The lines Postfix's smtpd adds to its Received: header after the "from"
// line (each begins with a TAB):
//   \t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
//   \t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)
//   \t(No client certificate requested)
// or, when a certificate was asked for, "\t(Client did not present a
// certificate)" / "\t(Client CN "cn", Issuer "cn" (verified OK))" (or
// "(not verified)").
std::vector<std::string> ReceivedClause(const Summary& s);

}  // namespace util::tls

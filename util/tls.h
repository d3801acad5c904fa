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
//
// The client side (the smtp agent after STARTTLS, or from the first byte
// with smtp_tls_wrappermode) is the same in reverse:
//   util::tls::ClientSettings c;  c.ca_file = "/etc/ssl/certs/ca.pem";
//   auto cctx = util::tls::ClientContext::Create(c);
//   util::tls::ConnectOptions o;  o.sni = "mx.example.com";
//   o.match_names = {"mx.example.com"};       // what "verified" means here
//   util::tls::PeerCertificate peer;
//   auto t = util::tls::Connect(**cctx, stream.fd(), timeout, o, &sum, &peer);
//   peer.trusted: the chain ends at a trust anchor (ca_file/ca_path);
//   peer.matched: trusted and a name in match_names is the certificate's;
//   the caller decides what its security level needs of them.
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
  std::string sig_name;  // the server's signature: "RSA-PSS", "ECDSA", "ED25519"
  std::string sig_curve;
  int sig_bits = 0;
  std::string sig_digest;  // "SHA256", or empty
  // The client's signature, when it authenticated with a certificate
  // (as sig_*; "client-signature" in the log line).
  std::string client_sig_name;
  std::string client_sig_curve;
  int client_sig_bits = 0;
  std::string client_sig_digest;
  bool resumed = false;  // an earlier session was resumed
  // Server side (util/tls_ccert.h): the client's certificate when one was
  // asked for.
  bool peer_cert_requested = false;
  bool peer_cert_present = false;
  bool peer_cert_trusted = false;  // its chain verified
  // Why not, as Postfix logs it after "certificate verification failed
  // for host[addr]: ": "self-signed certificate", "untrusted issuer /CN=X", ...
  std::string peer_verify_failure;
  std::string peer_CN, issuer_CN;
  std::string peer_cert_der;  // the certificate, DER
};

// The server side of a handshake on `fd` (which must have no unread
// plaintext anywhere), within `timeout`.
StatusOr<std::unique_ptr<Transport>> Accept(const ServerContext& ctx, int fd,
                                            std::chrono::milliseconds timeout, Summary* summary);

// "Anonymous TLS connection established from host[addr]: TLSv1.3 with
// cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519
// server-signature RSA-PSS (2048 bits) server-digest SHA256"
// (direction "from" on a server, "to" on a client; `trust` is "Anonymous",
// "Untrusted", "Trusted" or "Verified"), then " client-signature ...
// client-digest ..." when the client signed with a certificate.
std::string LogLine(const Summary& s, std::string_view direction, std::string_view namaddr,
                    std::string_view trust = "Anonymous");

// The lines Postfix's smtpd adds to its Received: header after the "from"
// line (each begins with a TAB):
//   \t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
//   \t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)
//   \t(No client certificate requested)
// or, when a certificate was asked for, "\t(Client did not present a
// certificate)" / "\t(Client CN "cn", Issuer "cn" (verified OK))" (or
// "(not verified)").
std::vector<std::string> ReceivedClause(const Summary& s);

// --- Client side -------------------------------------------------------

struct ClientSettings {
  std::string protocols = ">=TLSv1";
  std::string cipherlist = "DEFAULT";
  // Trust anchors (PEM file, hashed directory); with neither, no server
  // certificate is trusted (Postfix's tls_append_default_CA = no).
  std::string ca_file, ca_path;
  int verify_depth = 9;
  // Optional client certificate and key (key empty: in the cert file).
  std::vector<std::pair<std::string, std::string>> cert_key;
};

class ClientContext {
 public:
  static StatusOr<std::unique_ptr<ClientContext>> Create(const ClientSettings& settings);
  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;
  SSL_CTX* ctx() const { return ctx_; }

 private:
  explicit ClientContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// Where a client keeps one server's TLS session to offer it again
// (resumption): Connect offers the session in the slot, and the tickets
// the server sends replace it. One slot per destination; not thread-safe.
struct ResumptionSlot;
std::shared_ptr<ResumptionSlot> NewResumptionSlot();

struct ConnectOptions {
  std::string sni;                             // server name indication; empty: none sent
  std::shared_ptr<ResumptionSlot> resumption;  // null: always a full handshake
  // Names the certificate must carry for PeerCertificate::matched: DNS
  // names; ".example.com" matches any name below example.com.
  std::vector<std::string> match_names;
  std::string fingerprint_digest = "sha256";
  // Per-destination overrides (smtp_tls_policy_maps protocols=, ciphers=);
  // empty: the context's.
  std::string protocols;
  std::string cipherlist;
};

struct PeerCertificate {
  bool present = false;
  bool trusted = false;      // the chain verifies up to a trust anchor
  bool matched = false;      // trusted, and a match name is the certificate's
  std::string verify_error;  // why not trusted ("certificate has expired")
  std::string subject_cn, issuer_cn;
  // Digests with ConnectOptions::fingerprint_digest, "AB:CD:..."; of the
  // whole certificate and of its public key (Postfix's cert and pkey
  // fingerprints).
  std::string cert_fingerprint, pkey_fingerprint;
};

// The client side of a handshake on `fd`, within `timeout`.
StatusOr<std::unique_ptr<Transport>> Connect(const ClientContext& ctx, int fd,
                                             std::chrono::milliseconds timeout,
                                             const ConnectOptions& options, Summary* summary,
                                             PeerCertificate* peer);

// True when `fingerprint` names `peer` (its certificate or public key
// digest), ignoring case and the colons.
bool FingerprintMatches(const PeerCertificate& peer, std::string_view fingerprint);

}  // namespace util::tls

// smtp_tls: the smtp client's TLS policy (Postfix's smtp_tls_* parameters,
// TLS_README "client-side"): which security level applies to a
// destination, what the server's certificate must show, and the client
// TLS context the sessions use.
//
//   auto tls = smtp::TlsClient::FromConfig(cfg);      // fatal on bad settings
//   auto pol = tls->PolicyFor("[mail.isp.example]:submission", "mail.isp.example");
//   if (!pol.ok()) defer(pol.status());               // table lookup failed
//   smtp::TlsSession plan = tls->SessionFor(*pol, host_name, nexthop_domain);
//   // RunSession(..., plan) does STARTTLS (or wrappermode) as it says.
//
// Levels (smtp_tls_security_level, or smtp_tls_policy_maps per destination;
// the legacy smtp_use_tls -> may, smtp_enforce_tls -> verify with
// smtp_tls_enforce_peername, else encrypt):
//   none         never STARTTLS
//   may          STARTTLS when offered; a failed handshake is retried in
//                plain text (once, to the same host); any certificate
//   encrypt      STARTTLS required ("TLS is required, but was not offered by
//                host H", 4.7.4); any certificate; mandatory protocols/ciphers
//   fingerprint  encrypt, and the certificate's (or public key's) digest
//                (smtp_tls_fingerprint_digest) is listed in
//                smtp_tls_fingerprint_cert_match / match=a|b
//   verify       encrypt, the chain verifies to smtp_tls_CAfile/CApath
//                ("Server certificate not trusted") and a name matches
//                smtp_tls_verify_cert_match ("Server certificate not
//                verified"); default match: the server's host name
//   secure       as verify with smtp_tls_secure_cert_match (default
//                "nexthop, dot-nexthop")
//   dane         no DNSSEC validation here: used as "may", with a warning
//   dane-only    refused: every delivery is deferred (fail closed)
// Match strategies: "hostname" (the MX or relay host name), "nexthop" (the
// next-hop domain), "dot-nexthop" (any name below it), or literal names
// (".example.com": below example.com).
//
// smtp_tls_policy_maps keys: the next-hop as the request names it
// ("[mail.isp.example]:submission", "example.com"), then for a domain its
// parents as ".example.com", ".com". Values: a level, then attributes
// match= (':'-separated; '|' for fingerprints), protocols=, ciphers=,
// exclude=, servername=. An unknown level or attribute is a configuration
// error: that destination is deferred with a warning naming the table.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "global/config.h"
#include "global/maps.h"
#include "util/status.h"
#include "util/tls.h"

namespace smtp {

enum class TlsLevel { kNone, kMay, kEncrypt, kFingerprint, kVerify, kSecure, kDaneOnly };

// Parses a level name ("dane" -> kMay); nullopt when unknown.
std::optional<TlsLevel> ParseTlsLevel(std::string_view name);
const char* TlsLevelName(TlsLevel level);
// Above "may": TLS is required.
inline bool TlsMandatory(TlsLevel l) { return l >= TlsLevel::kEncrypt; }

struct TlsPolicy {
  TlsLevel level = TlsLevel::kNone;
  std::vector<std::string> match;  // strategies/names, or fingerprints
  bool match_set = false;          // match= given: replaces the default
  std::string protocols;           // empty: the level's default
  std::string ciphers;             // a grade; empty: the level's default
  std::vector<std::string> exclude;
  std::string servername;  // empty: smtp_tls_servername
};

// One session's plan, given to RunSession.
struct TlsSession {
  TlsLevel level = TlsLevel::kNone;
  bool wrappermode = false;                       // smtp_tls_wrappermode: TLS from the first byte
  const util::tls::ClientContext* ctx = nullptr;  // null: TLS unusable here
  std::string ctx_error;                          // why ctx is null
  util::tls::ConnectOptions options;              // SNI, match names, protocols, ciphers
  std::vector<std::string> fingerprints;          // the fingerprint level's list
  int loglevel = 0;
  bool note_starttls_offer = false;
  int starttls_timeout = 300;
};

class TlsClient {
 public:
  static util::StatusOr<std::unique_ptr<TlsClient>> FromConfig(const config::Config& cfg);

  // The policy for `nexthop` (the request's, verbatim).
  util::StatusOr<TlsPolicy> PolicyFor(const std::string& nexthop) const;
  // The session plan with `host_name` the server's name and `domain` the
  // next-hop domain (brackets and port removed).
  TlsSession SessionFor(const TlsPolicy& policy, const std::string& host_name,
                        const std::string& domain) const;

 private:
  TlsClient() = default;
  const config::Config* cfg_ = nullptr;
  TlsPolicy default_;
  std::unique_ptr<maps::Maps> policy_maps_;
  std::unique_ptr<util::tls::ClientContext> ctx_;
  std::string ctx_error_;
  std::vector<std::string> verify_match_, secure_match_, fingerprint_match_;
  std::string servername_;
  std::string protocols_, mandatory_protocols_;
  std::string ciphers_, mandatory_ciphers_;
  std::vector<std::string> exclude_, mandatory_exclude_;
  int loglevel_ = 0;
  bool note_starttls_offer_ = false;
  bool wrappermode_ = false;
  int starttls_timeout_ = 300;
};

// "[mail.isp.example]:submission" -> "mail.isp.example", "example.com:2525"
// -> "example.com": the name the match strategies call the next-hop.
std::string NexthopDomain(std::string_view nexthop);

// The text of a policy table value, parsed; an error names what is wrong.
util::StatusOr<TlsPolicy> ParseTlsPolicy(std::string_view value);

}  // namespace smtp

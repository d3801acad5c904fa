// smtp_sasl: the smtp client's SASL authentication (Postfix's
// smtp_sasl_* parameters, SASL_README "client"), with the PLAIN and LOGIN
// mechanisms built in (no Cyrus library).
//
//   auto sasl = smtp::SaslClient::FromConfig(cfg);   // null: smtp_sasl_auth_enable = no
//   auto creds = sasl->Find(sender, "mail.isp.example", "[mail.isp.example]:submission");
//   if (!creds.ok()) defer(...);                    // table lookup error
//   if (*creds) plan = sasl->SessionFor(**creds);   // RunSession authenticates after EHLO
//
// Credentials: smtp_sasl_password_maps values "user:password", looked up
// (as Postfix does) by the sender address when
// smtp_sender_dependent_authentication is on (user+ext@domain,
// user@domain, @domain), then by the server's host name, then by the
// next-hop as the request names it ("[mail.isp.example]:submission" must be
// written so). No entry: the session does not authenticate.
//
// Mechanisms: of those the server offers (EHLO AUTH), PLAIN then LOGIN,
// minus what smtp_sasl_mechanism_filter leaves out (when set) and what the
// security options forbid: smtp_sasl_security_options in plain text (the
// default "noplaintext, noanonymous" forbids both built-in mechanisms, as
// with Postfix: credentials never cross unencrypted unless allowed),
// smtp_sasl_tls_security_options under TLS, and
// smtp_sasl_tls_verified_security_options when the certificate was
// verified. None left: "SASL authentication failed; cannot authenticate to
// server H: no mechanism available" (deferred). A failed AUTH defers the
// recipients with "SASL authentication failed; server H said: 535 ..." and
// a 4.x.x code while smtp_sasl_auth_soft_bounce is on (the default).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "global/addr_find.h"
#include "global/config.h"
#include "global/dovecot_auth.h"
#include "global/maps.h"
#include "util/status.h"

namespace smtp {

struct SaslCredentials {
  std::string user;
  std::string password;
};

// What one session needs to authenticate.
struct SaslSession {
  SaslCredentials credentials;
  dovecot_auth::Security plain, tls, verified;  // per channel
  std::vector<std::string> filter;              // upper case; empty: no filter
  bool soft_bounce = true;
};

// The mechanism to use of those `offered`, given the channel's security;
// empty when none is acceptable.
std::string ChooseMechanism(const std::vector<std::string>& offered, const SaslSession& s, bool tls,
                            bool verified);
// The initial response of AUTH PLAIN: base64("\0user\0password").
std::string PlainResponse(const SaslCredentials& c);

class SaslClient {
 public:
  static util::StatusOr<std::unique_ptr<SaslClient>> FromConfig(const config::Config& cfg);

  // nullopt: no credentials for this session.
  util::StatusOr<std::optional<SaslCredentials>> Find(const std::string& sender,
                                                      const std::string& host_name,
                                                      const std::string& nexthop);
  SaslSession SessionFor(const SaslCredentials& c) const;

 private:
  SaslClient() = default;
  maps::Maps passwords_;
  maps::AddrFindOptions find_;
  bool sender_dependent_ = false;
  SaslSession base_;
};

}  // namespace smtp

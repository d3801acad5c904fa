// smtp_deliver: one delivery request of the smtp agent, from nexthop to
// per-recipient outcomes (Postfix's smtp_connect/smtp_proto loop).
//
//   auto agent = smtp::Agent::FromConfig(server.config());   // fatal on bad config
//   deliver_status::ServeRequest(client, cfg, [&](const auto& req, auto& rep) {
//     agent.Deliver(req, rep);
//   });
//
// Steps: read the queue file's envelope; apply smtp_generic_maps to the
// sender and recipients (a lookup failure defers everything, 4.3.0);
// resolve the nexthop (smtp_addr.h; a DNS failure defers 4.4.3 or bounces
// 5.4.4 / 5.4.6 / 5.1.10 every recipient, relay=none); then try the hosts
// in order: a connection failure ("connect to mx[192.0.2.1]:25: Connection
// refused") moves on to the next address; each connected host gets one
// session (smtp_session.h) with the recipients still open, at most
// smtp_mx_session_limit sessions. Sent and bounced recipients are final
// at once; soft failures are tried at the next host and deferred with the
// last reason when none is left. When no server even greeted us, the
// reply to qmgr carries site_failure (negative concurrency feedback).
// TLS and SASL per host: the TLS policy of the next-hop (smtp_tls.h) and
// the credentials for the server (smtp_sasl.h) go into the session; a
// TLS handshake failure at level may connects to the same host again in
// plain text. One message transaction per request; no connection cache.
// As the LMTP client (FromConfig's `lmtp`, smtp/lmtp_params.h): LMTP
// destinations (smtp_addr.h) and dialogue (smtp_session.h); a unix:PATH
// destination is relay=MYHOSTNAME[PATH] with no port, its connect timeout
// 0 (the lmtp default: the system's limit) waits as long as the LHLO
// timeout, and TLS level may is not used there (Postfix: "opportunistic
// TLS encryption is not appropriate for unix-domain destinations").
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "global/config.h"
#include "global/content_checks.h"
#include "global/deliver_request.h"
#include "global/deliver_status.h"
#include "global/mime.h"
#include "smtp/generic.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_sasl.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_tls.h"
#include "util/dns.h"

namespace smtp {

class Agent {
 public:
  static Agent FromConfig(const config::Config& cfg, bool lmtp = false);

  void Deliver(const deliver_request::Request& req, deliver_status::Reporter& rep);

  // The resolver for MX and address lookups (default: the system's).
  void set_resolver(util::dns::Resolver* r) { resolver_ = r; }

 private:
  explicit Agent(Generic generic) : generic_(std::move(generic)) {}

  const config::Config* cfg_ = nullptr;
  LookupOptions lookup_;
  SessionParams session_;
  bool send_xforward_ = false;  // smtp_send_xforward_command
  int connect_timeout_ = 30;
  int mx_session_limit_ = 2;
  // A setting asked for but not implemented: every delivery is deferred
  // with this reason rather than made with less security than asked.
  std::optional<std::string> refusal_;
  std::shared_ptr<TlsClient> tls_;
  std::shared_ptr<SaslClient> sasl_;  // null: smtp_sasl_auth_enable = no
  Generic generic_;
  content_checks::Checks checks_;  // smtp_header_checks, smtp_body_checks ...
  mime::Mime::Limits mime_limits_;
  util::dns::Resolver* resolver_ = nullptr;
};

}  // namespace smtp

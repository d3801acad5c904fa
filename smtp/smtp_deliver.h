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
// plain text. One message transaction per request. Connection reuse
// (Postfix's connection cache, scache(8)): for a destination listed in
// smtp_connection_cache_destinations, or on demand when qmgr's request
// asks (smtp_connection_cache_on_demand, deliver_request::kFlagConnLoad
// and _Store), each host's connection is first looked for in the cache
// (a live one goes on at MAIL FROM, the log line says conn_use=N), and a
// session whose transaction ran to its end is handed back to the cache
// for smtp_connection_cache_time_limit instead of QUIT, while it is
// younger than smtp_connection_reuse_time_limit and has served fewer than
// smtp_connection_reuse_count_limit deliveries (0: no limit). Only plain
// sessions: not with SASL credentials, TLS levels above may, wrappermode,
// or a session that started TLS. A cached connection that turns out dead
// before the server says anything is replaced by a new one; without the
// scache service the client warns once and goes on without it.
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
#include "global/domain_list.h"
#include "global/mime.h"
#include "global/scache_client.h"
#include "smtp/generic.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_reuse.h"
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
  // The master.cf service name, part of the connection cache's labels
  // (default "smtp").
  void set_service(const std::string& name) { service_ = name; }

 private:
  explicit Agent(Generic generic) : generic_(std::move(generic)) {}
  // A live cached connection to `endpoint` with what was kept about it
  // (*fd set), or nullopt; dead ones found on the way are closed.
  std::optional<ReuseState> TakeCached(const std::string& endpoint, util::Fd* fd);
  void WarnCache(const util::Status& st);

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
  // Connection reuse: smtp_connection_cache_on_demand,
  // smtp_connection_cache_destinations, smtp_connection_cache_time_limit,
  // smtp_connection_reuse_time_limit and _count_limit.
  std::string service_ = "smtp";
  bool cache_on_demand_ = true;
  std::shared_ptr<domain_list::DomainList> cache_destinations_;
  int cache_time_ = 2;
  long long reuse_time_ = 300;
  long long reuse_count_ = 0;
  std::shared_ptr<scache_client::Client> scache_;
  bool cache_warned_ = false;
};

}  // namespace smtp

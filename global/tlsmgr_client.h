// tlsmgr_client: the client of the tlsmgr(8) service, which makes the TLS
// session ticket keys every smtpd process shares (so that a session made
// with one smtpd resumes with another), rotates them every
// smtpd_tls_session_cache_timeout and keeps the previous key for opening
// tickets for one more period. smtpd gives Key() to
// util::tls::EnableTickets (util/tls_tickets.h).
//
//   tlsmgr_client::Client keys(cfg);             // $queue_directory/private/$tlsmgr_service_name
//   std::optional<util::tls::TicketKey> k = keys.Key(nullptr);   // to issue a ticket
//   std::optional<util::tls::TicketKey> d = keys.Key(&name);     // to open one
//
// Protocol (util/attr.h lists over a UNIX stream socket, one connection
// kept per process):
//   {request=tktkey, keyname=}      -> {status=0, key=KEY}   the current key
//   {request=tktkey, keyname=HEX}   -> {status=0, key=KEY}   that key, while valid
//                                   -> {status=1}            unknown or expired
// KEY is util::tls::EncodeTicketKey's text; its expiry is when it stops
// being used for new tickets; it opens tickets for `lifetime` seconds
// more.
//
// Keys are cached in the process: the current one until it expires, each
// one while it may still open tickets. When tlsmgr cannot be reached the
// answer is nullopt (TLS goes on without resumption) and, once per
// process, Postfix's kind of warning is logged:
//   warning: TLS session ticket key manager private/tlsmgr unavailable: REASON;
//   session resumption disabled
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "util/attr_client.h"
#include "util/tls_tickets.h"

namespace tlsmgr_client {

inline constexpr std::string_view kAttrRequest = "request";
inline constexpr std::string_view kAttrKeyName = "keyname";
inline constexpr std::string_view kAttrStatus = "status";
inline constexpr std::string_view kAttrKey = "key";
inline constexpr std::string_view kRequestTicketKey = "tktkey";

// smtpd_tls_session_cache_timeout as Postfix applies it: <= 0 disables
// resumption (0 returned), under 2 minutes is 2 minutes, and at most 100
// days (a larger value is warned about, once, through `warning`).
long TicketLifetime(const config::Config& cfg, std::string* warning = nullptr);

class Client {
 public:
  // The socket $queue_directory/private/$tlsmgr_service_name; lifetime
  // from TicketLifetime.
  explicit Client(const config::Config& cfg);
  Client(std::string socket_path, long lifetime, std::chrono::milliseconds timeout);

  // nullptr: the key for new tickets; a name: the key that made a ticket.
  std::optional<util::tls::TicketKey> Key(const util::tls::TicketKeyName* name);

 private:
  std::optional<util::tls::TicketKey> Ask(std::string_view name_hex);

  util::AttrClient client_;
  long lifetime_;
  std::vector<util::tls::TicketKey> cache_;
  bool warned_ = false;
};

}  // namespace tlsmgr_client

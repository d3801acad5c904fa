// anvil_client: the client of the anvil(8) service, which counts
// connections and rates per client for smtpd's limits
// (smtpd_client_connection_count_limit, smtpd_client_connection_rate_limit,
// smtpd_client_message_rate_limit, smtpd_client_recipient_rate_limit,
// smtpd_client_new_tls_session_rate_limit, smtpd_client_auth_rate_limit).
//
//   anvil_client::AnvilClient anvil(cfg);          // $queue_directory/private/anvil
//   std::string ident = anvil_client::Ident("smtp", "192.0.2.1");
//   auto c = anvil.Connect(ident);                 // at connect
//   if (c.ok() && limit > 0 && c->count > limit) reply("421 4.7.0 ...");
//   auto m = anvil.Message(ident);                 // at MAIL FROM
//   auto r = anvil.Recipient(ident);               // at RCPT TO
//   anvil.Disconnect(ident);                       // at the end
//
// Protocol (the requests and attribute names of Postfix's anvil protocol,
// in util/attr.h's encoding (name=LEN:value) over a UNIX stream socket, one
// connection kept open per client process; not Postfix's plain encoding
// and no protocol greeting, so our smtpd and Postfix's anvil do not mix):
//   {request=connect, ident=ID}    -> {status=0, count=N, rate=N}
//   {request=disconnect, ident=ID} -> {status=0}
//   {request=message, ident=ID}    -> {status=0, rate=N}
//   {request=recipient, ident=ID}  -> {status=0, rate=N}
//   {request=newtls, ident=ID}     -> {status=0, rate=N}
//   {request=newtls_report, ident=ID} -> {status=0, rate=N}  (no increment)
//   {request=auth, ident=ID}       -> {status=0, rate=N}
//   {request=lookup, ident=ID}     -> {status=0, count=N, rate=N,
//                                      message=N, recipient=N, newtls=N, auth=N}
// Rates are events within the last anvil_rate_time_unit; count is the
// number of simultaneous connections (connect minus disconnect). status=1
// means a request anvil did not understand. The server forgets a
// connection's counts when its client connection closes (a crashed smtpd
// does not leak a count).
//
// Errors: kUnavailable when anvil cannot be reached or its reply is
// malformed (smtpd then logs a warning and goes on without the limit, as
// Postfix does); kFailedPrecondition when anvil answered status != 0 (a
// request it does not understand: a version mismatch).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "global/config.h"
#include "util/attr_client.h"
#include "util/status.h"

namespace anvil_client {

inline constexpr std::string_view kAttrRequest = "request";
inline constexpr std::string_view kAttrIdent = "ident";
inline constexpr std::string_view kAttrStatus = "status";
inline constexpr std::string_view kAttrCount = "count";
inline constexpr std::string_view kAttrRate = "rate";
inline constexpr std::string_view kAttrMessage = "message";
inline constexpr std::string_view kAttrRecipient = "recipient";
inline constexpr std::string_view kAttrNewtls = "newtls";
inline constexpr std::string_view kAttrAuth = "auth";

// "service:address", the key anvil counts under.
std::string Ident(std::string_view service, std::string_view client_addr);

struct Counts {
  int count = 0;  // simultaneous connections
  int rate = 0;   // connection rate (connect), or the rate asked for
  int message = 0, recipient = 0, newtls = 0, auth = 0;  // lookup only
};

class AnvilClient {
 public:
  explicit AnvilClient(const config::Config& cfg);
  AnvilClient(std::string socket_path, std::chrono::milliseconds timeout);

  util::StatusOr<Counts> Connect(std::string_view ident);
  util::Status Disconnect(std::string_view ident);
  util::StatusOr<int> Message(std::string_view ident);
  util::StatusOr<int> Recipient(std::string_view ident);
  util::StatusOr<int> NewTls(std::string_view ident);
  util::StatusOr<int> Auth(std::string_view ident);
  // The newtls rate without counting an event (newtls_report).
  util::StatusOr<int> NewTlsReport(std::string_view ident);
  util::StatusOr<Counts> Lookup(std::string_view ident);

 private:
  util::AttrClient client_;
};

}  // namespace anvil_client

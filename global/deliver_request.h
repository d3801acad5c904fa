// deliver_request: the delivery request protocol between qmgr and the
// delivery agents (Postfix's deliver_request), over util/attr.h lists on
// the agent's master.cf service socket $queue_directory/private/TRANSPORT.
//
// One connection carries one request and one reply:
//   request   {queue_name, queue_id, sender, nexthop, arrival_time
//              ("SEC.USEC"), active_time (when qmgr took the message,
//              "SEC.USEC"), flags, dsn_envid, dsn_ret, client_name,
//              client_address, protocol, helo_name, sasl_username,
//              log_ident, rcpt_count}
//             then rcpt_count lists, one per recipient:
//             {address, original, dsn_orcpt, dsn_notify, offset}
//   reply     {status=0}  every recipient finished (sent or bounced)
//             {status=4[, site_failure=1, reason=TEXT]}  some recipient
//             deferred; site_failure says the destination itself failed
//             (connection refused, handshake failure), which is negative
//             concurrency feedback for qmgr's scheduler.
// Empty optional attributes are left out. The agent reports each recipient
// itself (global/deliver_status.h: logging, queue file done marks and the
// defer/ and bounce/ logs); qmgr re-reads the queue file after the last
// delivery of a message to see what is left.
//
//   Agent side (single server):
//     util::StatusOr<deliver_request::Request> req = deliver_request::Read(client);
//     ... deliver_status::Reporter ...
//     deliver_request::WriteReply(client, reply);
//   qmgr side:
//     std::string wire = deliver_request::Encode(req);   // write it, then
//     util::AttrDecoder dec; ... deliver_request::ParseReply(list)
//     or blocking: deliver_request::Deliver(socket_path, req, timeout)
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/attr.h"
#include "util/status.h"
#include "util/stream.h"

namespace deliver_request {

// Request flags.
enum Flags : unsigned {
  kFlagVerify = 1,  // address verification: do not deliver (reserved)
  // The message's last outstanding delivery: once it ends, qmgr removes
  // the file if every recipient is finished, and otherwise syncs it before
  // keeping it. The agent then marks its recipients done without a sync
  // of its own (a file about to be removed needs none); a crash before
  // qmgr's removal or sync may deliver twice, never lose.
  kFlagLastDelivery = 2,
  // Connection reuse on demand (the smtp and lmtp clients with
  // smtp_connection_cache_on_demand): qmgr sets them per destination while
  // deliveries to it come back to back or run side by side, as Postfix's
  // DEL_REQ_FLAG_CONN_LOAD and _STORE. Load: look for a cached connection
  // first. Store: keep the connection in the cache afterwards.
  kFlagConnLoad = 4,
  kFlagConnStore = 8,
};

struct Recipient {
  std::string address;
  std::string original;
  std::string dsn_orcpt;
  int dsn_notify = 0;
  long long offset = -1;  // queue file offset of the R record
  bool operator==(const Recipient&) const = default;
};

// DSN RET values in requests (Postfix's DSN_RET_FULL, DSN_RET_HDRS).
inline constexpr int kDsnRetFull = 1;
inline constexpr int kDsnRetHdrs = 2;
// The queue file's dsn_ret attribute, stored as a number (smtpd) or as
// "FULL"/"HDRS" (sendmail -R), as a kDsnRet* value; 0 when absent or bad.
int ParseDsnRet(std::string_view value);

struct Request {
  std::string queue_name;
  std::string queue_id;
  std::string sender;
  std::string nexthop;
  double arrival_time = 0;  // seconds since the epoch
  double active_time = 0;   // when qmgr moved the message into active/
  unsigned flags = 0;
  std::string dsn_envid;
  int dsn_ret = 0;
  std::string client_name;
  std::string client_address;
  std::string protocol;
  std::string helo_name;
  std::string sasl_username;
  std::string log_ident;
  std::vector<Recipient> recipients;
  bool operator==(const Request&) const = default;
};

struct Reply {
  int status = 0;             // 0 all finished, 4 some deferred
  bool site_failure = false;  // the destination failed as a whole
  std::string reason;
  bool operator==(const Reply&) const = default;
};

// Wire form of a request (header list + one list per recipient).
std::string Encode(const Request& req);
// The header list and recipient lists back; kInvalidArgument naming the
// problem ("missing attribute: queue_id", "bad rcpt_count: x").
util::StatusOr<Request> Decode(const util::AttrList& header,
                               const std::vector<util::AttrList>& rcpts);
// Reads one request from a blocking stream (the agent side).
util::StatusOr<Request> Read(util::Stream& client);

util::AttrList EncodeReply(const Reply& r);
util::StatusOr<Reply> ParseReply(const util::AttrList& list);
// Writes and flushes the reply.
util::Status WriteReply(util::Stream& client, const Reply& r);

// Blocking client: connects to `socket_path`, sends, waits up to `timeout`
// for the reply (zero: no limit). Errors: kUnavailable ("TRANSPORT service
// is not available: ...") when it cannot connect or send, kInternal ("no
// reply from TRANSPORT service: ...") when no well-formed reply comes.
util::StatusOr<Reply> Deliver(const std::string& socket_path, const Request& req,
                              std::chrono::milliseconds timeout);

}  // namespace deliver_request

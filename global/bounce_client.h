// bounce_client: asks the bounce service to send a delivery status
// notification (RFC 3464 DSN) about one message.
//
// Division of work (Postfix's): delivery agents ask the bounce service to
// append one delivery_log entry per bounced / deferred / traced recipient
// (LogClient::Append below; the services bounce, defer and trace) and mark
// finished recipients done in the queue file themselves. The logs are thus
// always created and written by the bounce daemon as mail_owner, whatever
// the privileges of the agent (virtual and local run as root or as the
// recipient). qmgr, once a message's delivery attempt is over, calls
// Request():
//   - kNonDelivery when the message has a bounce/ log: bounce composes the
//     non-delivery notice from that log and the queue file, injects it
//     through cleanup (null sender), then removes the bounce log. Only then
//     may qmgr remove the message (or keep it for deferred recipients).
//   - kDelay when a message has been queued longer than delay_warning_time
//     (from the defer/ log; the log is kept).
//   - kSuccess for DSN NOTIFY=SUCCESS recipients (from the trace/ log,
//     which is then removed).
// A notice to the null sender (a bounce of a bounce) goes to
// 2bounce_notice_recipient as Postfix does, or is dropped when
// notify_classes does not include "2bounce".
//
// Protocol (util/attr.h lists over $queue_directory/private/SERVICE):
//   notify (to $bounce_service_name):
//   request  {request="notify", kind="bounce"|"delay"|"success",
//             queue_name=QUEUE, queue_id=ID}
//   append (to $bounce_service_name, $defer_service_name or
//   $trace_service_name, for the logs bounce, defer and trace):
//   request  {request="append", log="bounce"|"defer"|"trace", queue_id=ID,
//             the delivery_log::ToAttrs attributes of one entry}
//   reply    {status=0} (sent, nothing to send, or appended and synced) |
//            {status=4, reason=TEXT} (try again later)
//
//   util::Status st = bounce_client::Request(cfg, bounce_client::Notice::kNonDelivery,
//                                            mail_queue::kActive, id);
//   if (!st.ok()) keep the message and the log; try again later
#pragma once

#include <memory>
#include <string_view>

#include "global/config.h"
#include "global/delivery_log.h"
#include "util/attr_client.h"
#include "util/status.h"

namespace bounce_client {

enum class Notice { kNonDelivery, kDelay, kSuccess };

// kUnavailable when the service is down, times out or answers status 4.
util::Status Request(const config::Config& cfg, Notice kind, std::string_view queue_name,
                     std::string_view queue_id);

// Appends delivery log entries through the bounce service, one connection
// per service (bounce, defer, trace), made at first use and kept for the
// LogClient's life (a delivery request's). The
// deadline of each call is ipc_timeout. An error (service down, status 4,
// bad reply) is kUnavailable: the caller reports the recipient deferred.
//
//   bounce_client::LogClient logs(cfg);
//   util::Status st = logs.Append(mail_queue::kDefer, id, entry);
class LogClient {
 public:
  explicit LogClient(const config::Config& cfg);
  util::Status Append(std::string_view log_queue, std::string_view queue_id,
                      const delivery_log::Entry& e);

 private:
  std::string queue_directory_;
  std::string services_[3];  // bounce defer trace
  std::chrono::milliseconds timeout_;
  std::unique_ptr<util::AttrClient> clients_[3];
};

}  // namespace bounce_client

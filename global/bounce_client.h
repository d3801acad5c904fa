// bounce_client: asks the bounce service to send a delivery status
// notification (RFC 3464 DSN) about one message.
//
// Division of work (Postfix's, simplified): delivery agents append one
// delivery_log entry per bounced / deferred / traced recipient themselves
// (global/delivery_log.h) and mark finished recipients done in the queue
// file; qmgr, once a message's delivery attempt is over, calls Request():
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
// Protocol (util/attr.h lists over $queue_directory/private/$bounce_service_name):
//   request  {request="notify", kind="bounce"|"delay"|"success",
//             queue_name=QUEUE, queue_id=ID}
//   reply    {status=0} (sent, or nothing to send) |
//            {status=4, reason=TEXT} (try again later)
//
//   util::Status st = bounce_client::Request(cfg, bounce_client::Notice::kNonDelivery,
//                                            mail_queue::kActive, id);
//   if (!st.ok()) keep the message and the log; try again later
#pragma once

#include <string_view>

#include "global/config.h"
#include "util/status.h"

namespace bounce_client {

enum class Notice { kNonDelivery, kDelay, kSuccess };

// kUnavailable when the service is down, times out or answers status 4.
util::Status Request(const config::Config& cfg, Notice kind, std::string_view queue_name,
                     std::string_view queue_id);

}  // namespace bounce_client

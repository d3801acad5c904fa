// service: the bounce daemon's requests (global/bounce_client.h has the
// protocol): "append" writes one delivery log entry for an agent; "notify"
// reads the message's delivery log and queue file, sends the notice through
// cleanup, logs it, and consumes the log.
//
// Who gets the notice:
//   - the original sender, from the null sender, for the recipients whose
//     DSN NOTIFY asks for this kind (dsn::Wants); none left: nothing sent;
//   - mail from the null sender (a bounce that bounced): a non-delivery
//     notice goes to 2bounce_notice_recipient, from double_bounce_sender,
//     when notify_classes has "2bounce" or "bounce" (postconf(5)); otherwise
//     it is discarded silently, as Postfix does (default notify_classes =
//     resource, software). Delay and success notices for the null sender are
//     never sent;
//   - mail from the double-bounce sender (a postmaster notice that failed):
//     discarded, "warning: ID: undeliverable postmaster notification
//     discarded" (never a triple bounce).
// Logs (Postfix's lines): "ID: sender non-delivery notification: NEWID",
// "ID: sender delay notification: NEWID", "ID: sender delivery status
// notification: NEWID", "ID: postmaster non-delivery notification: NEWID".
// After a non-delivery notice the bounce/ log is removed, after a success
// notice the trace/ log; the defer/ log stays (qmgr owns it). Not done
// (yet): the "bounce"/"delay" notify_classes postmaster header copies of
// every bounce, bounce_template_file, SMTPUTF8 notices.
#pragma once

#include <string>

#include "global/config.h"
#include "util/attr.h"

namespace bounce {

// Handles one request list; the reply list is {status=0} or {status=4,
// reason=...}. Never fails otherwise.
util::AttrList HandleRequest(const config::Config& cfg, const util::AttrList& req);

}  // namespace bounce

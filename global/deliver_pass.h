// deliver_pass: one delivery agent hands a recipient of its request to
// another transport (Postfix's deliver_pass): local(8)'s mailbox_transport
// and fallback_transport.
//
//   deliver_pass::Result r = deliver_pass::Pass(queue_directory, "smtp:[10.0.0.1]:2525",
//                                               req, rcpt, timeout);
//   switch (r.outcome) { case kDone: ...; case kDeferred: ...; case kFailed: report r.dsn, r.text }
//
// SERVICE is "transport[:nexthop]" (a master.cf service name, then its
// destination); without a nexthop, or with an empty one, the request's own
// nexthop is passed. The request goes, as qmgr would send it
// (global/deliver_request.h), to $queue_directory/private/TRANSPORT: the
// same queue file, sender, flags and times, one recipient, with offset -1.
// The other agent then logs the recipient and appends its defer/ or
// bounce/ log entries (relay= is its own) but leaves the done mark to the
// agent that passed it (deliver_status: offset -1 is never marked), as in
// Postfix, where the passing agent may have more to deliver for the same
// recipient (an alias with several members).
//
// Outcomes: kDone (the other agent answered status 0: sent or bounced, and
// reported), kDeferred (status 4: deferred, and reported), kFailed (nothing
// was reported: the caller reports `dsn` and `text` itself, with relay=none
// as Postfix does): "4.3.0 mail transport unavailable" when the service
// cannot be reached or the request cannot be sent, "4.3.0 unknown mail
// transport error" when no well-formed reply comes back, "4.3.0 mail system
// configuration error" for a SERVICE without a transport name (Postfix's
// local exits with a fatal error there). Unlike Postfix, which retries a
// connection for up to 100 s and then exits, a service that is not there
// defers at once.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "global/deliver_request.h"

namespace deliver_pass {

enum class Outcome { kDone, kDeferred, kFailed };

struct Result {
  Outcome outcome = Outcome::kFailed;
  std::string dsn;   // kFailed only
  std::string text;  // kFailed only
};

// The transport and nexthop of SERVICE ("transport[:nexthop]"), the
// nexthop `default_nexthop` when SERVICE has none. False for an empty
// transport name or one that cannot name a socket (contains '/').
bool ParseService(std::string_view service, std::string_view default_nexthop,
                  std::string* transport, std::string* nexthop);

// Passes `rcpt` of `req` to SERVICE and waits up to `timeout` for the
// answer (zero: no limit).
Result Pass(const std::string& queue_directory, std::string_view service,
            const deliver_request::Request& req, const deliver_request::Recipient& rcpt,
            std::chrono::milliseconds timeout);

}  // namespace deliver_pass

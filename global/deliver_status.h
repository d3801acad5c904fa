// deliver_status: the agent side of a delivery request's outcome (Postfix's
// sent(), defer_append(), bounce_append()): one call per recipient that
//   - logs Postfix's line
//       ID: to=<rcpt>, [orig_to=<o>,] relay=R, delay=D, delays=a/b/c/d,
//           dsn=X.Y.Z, status=sent|deferred|bounced|SOFTBOUNCE (reason)
//     (a = arrival to active, b = active to the agent's start, c = set-up
//     time the agent reports, d = the rest; values in Postfix's format),
//   - marks sent and bounced recipients done in the queue file
//     (queue_file::Reader::OpenForUpdate / MarkDone; synced, except on
//     the message's last delivery: deliver_request::kFlagLastDelivery),
//     unless the recipient's offset is -1: another agent passed it
//     (global/deliver_pass.h) and marks it done itself,
//   - has a delivery_log entry appended to bounce/ (bounced) or defer/
//     (deferred), which bounce and showq read: agents ask the bounce
//     service to append it (bounce_client::LogClient), so the log never
//     belongs to whichever agent (root, a mailbox uid) wrote first; qmgr,
//     itself mail_owner, appends directly.
// A recipient whose outcome cannot be recorded (the done mark or the log
// append fails) is reported as deferred instead: it is tried again, never
// lost. qmgr uses the same class for the recipients it defers or bounces
// itself (resolver failures, dead destinations, expired mail).
//
//   auto rep = deliver_status::Reporter::Open(layout, req, start, append);
//   if (!rep.ok()) { reply {status=4}; return; }
//   rep->Bounced(0, "none", "5.1.1", "User unknown");
//   deliver_request::WriteReply(client, rep->reply());
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "global/config.h"
#include "global/deliver_request.h"
#include "global/delivery_log.h"
#include "global/mail_queue.h"
#include "global/queue_file.h"
#include "util/status.h"
#include "util/stream.h"

namespace deliver_status {

// The status a bounce gets in the log with soft_bounce = yes.
inline constexpr std::string_view kSoftBounce = "SOFTBOUNCE";

// Postfix's delay format: "0", "0.05", "0.42", "1.1", "293".
std::string FormatDelay(double seconds);

// The status=... log line without the "ID: " prefix.
struct LogFields {
  std::string recipient;
  std::string original;  // shown as orig_to= when different from recipient
  std::string relay;
  int conn_use = 0;  // shown as conn_use= when above 1 (a cached connection)
  double delay = 0;
  double delays[4] = {0, 0, 0, 0};
  std::string dsn;
  std::string status;  // sent deferred bounced
  std::string reason;
};
std::string FormatLogLine(const LogFields& f);

// Splits "5.1.1 text" into dsn and text; without a leading status code the
// dsn is `default_dsn` and the text is the whole string. The class digit
// is forced to `force_class` ('4' or '5') when non-zero.
void SplitDsn(std::string_view text, std::string_view default_dsn, char force_class,
              std::string* dsn, std::string* rest);

// Appends one entry to the message's log in LOG_QUEUE (bounce, defer).
using LogAppender = std::function<util::Status(std::string_view log_queue, const std::string& id,
                                               const delivery_log::Entry& e)>;

// What a remote server said about a recipient: the DSN's Remote-MTA
// ("dns; MTA") and Diagnostic-Code ("smtp; REPLY") instead of "X-Postfix;
// REASON". Empty: the outcome is not a remote server's reply.
struct Remote {
  std::string mta;    // the server's host name
  std::string reply;  // its reply, "550 5.1.1 <bob@example.com>: ..."
};

class Reporter {
 public:
  // Opens the request's queue file for update; `start` (seconds since the
  // epoch) is the agent's start time for the delays; `append` records the
  // bounce and defer log entries.
  static util::StatusOr<Reporter> Open(const mail_queue::Layout& layout,
                                       const deliver_request::Request& req, double start,
                                       LogAppender append);

  // Outcome of recipient `i` of the request. The return value says whether
  // the outcome was recorded; failures are logged and counted as deferred.
  bool Sent(size_t i, std::string_view relay, std::string_view dsn, std::string_view reason);
  bool Deferred(size_t i, std::string_view relay, std::string_view dsn, std::string_view reason,
                const Remote& remote = {});
  bool Bounced(size_t i, std::string_view relay, std::string_view dsn, std::string_view reason,
               const Remote& remote = {});

  // soft_bounce = yes: Bounced() defers instead, as Postfix's
  // bounce_append() does then: the dsn's class becomes 4, the entry goes to
  // the defer/ log with action "delayed", the recipient stays queued, and
  // the log line says status=SOFTBOUNCE. ServeRequest sets it from the
  // configuration. qmgr does not: an expired message is returned to the
  // sender whatever soft_bounce says, as in Postfix (its own bounces of
  // unresolvable recipients are not softened yet).
  void set_soft_bounce(bool on) { soft_bounce_ = on; }

  // Agents that expand one recipient into several (local(8) aliases and
  // .forward files): the outcome for `address`, expanded from recipient
  // `i`, logged as "to=<address>, orig_to=<original>" with its bounce or
  // defer log entry, but without a done mark; Finish(i) afterwards marks
  // the recipient done when none of its expansions was deferred (and logs
  // nothing).
  bool Expanded(size_t i, std::string_view address, std::string_view status, std::string_view relay,
                std::string_view dsn, std::string_view reason);
  bool Finish(size_t i, bool any_deferred);

  // Seconds of connection set-up to show as delays "c" (default 0).
  void set_setup_time(double s) { setup_time_ = s; }
  // The how-manieth delivery over its connection this one is (the smtp
  // client's connection cache); above 1 the log line says conn_use=N.
  void set_conn_use(int n) { conn_use_ = n; }
  // The destination failed as a whole (negative scheduler feedback).
  void SetSiteFailure(std::string_view reason);

  // {status=0} when every recipient was sent or bounced, else {status=4}.
  deliver_request::Reply reply() const;

  // The request's queue file, opened (for update) and read by Open(): the
  // agent reads the envelope and content from it rather than opening the
  // file a second time.
  const queue_file::Reader& file() const { return *file_; }

 private:
  Reporter() = default;
  // The done mark of a recipient (synced unless this is the last delivery).
  util::Status MarkDone(const deliver_request::Recipient& rc);
  // `address` empty: the recipient itself; else an expansion (no done mark).
  bool Report(size_t i, std::string_view status, std::string_view relay, std::string_view dsn,
              std::string_view reason, const Remote& remote = {}, std::string_view address = {});

  mail_queue::Layout layout_;
  LogAppender append_;
  deliver_request::Request req_;
  std::optional<queue_file::Reader> file_;
  double start_ = 0;
  double setup_time_ = 0;
  int conn_use_ = 0;
  bool deferred_ = false;
  bool site_failure_ = false;
  bool soft_bounce_ = false;
  std::string reason_;
};

// One delivery agent session with qmgr: reads the request from `client`
// (ipc_timeout), opens its Reporter (log entries through the bounce
// service, connected at the first entry and closed with the request), lets `deliver` decide every
// recipient's outcome (Sent/Deferred/Bounced), then writes the reply. A
// malformed request is logged and the connection dropped; a queue file that
// cannot be opened for update gets a "try again" reply. A request whose
// queue manager has closed the connection by the time the queue file is
// locked is dropped undelivered (a later queue manager owns the message
// then; delivering it here too would deliver it twice). Each agent's
// service hook is then just its delivery logic:
//   hooks.service = [](util::Stream& c, server::Server& s) {
//     deliver_status::ServeRequest(c, s.config(), [](const auto& req, auto& rep) {...});
//   };
using DeliverFn = std::function<void(const deliver_request::Request&, Reporter&)>;
void ServeRequest(util::Stream& client, const config::Config& cfg, const DeliverFn& deliver);

}  // namespace deliver_status

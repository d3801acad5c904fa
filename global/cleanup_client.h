// cleanup_client: the one way to hand a message to the cleanup service
// (smtpd, pickup, bounce, postsuper -r all use it).
//
// Protocol (util/attr.h encodings over a UNIX stream socket,
// $queue_directory/public/$cleanup_service_name):
//   1. client -> AttrList {request="cleanup", flags=N (Flags below)}
//      server -> AttrList {status=0, queue_id=ID}  (a queue file was created)
//             or {status=4, dsn="4.3.0", reason="..."}
//   2. client -> the message as queue-file records (queue_file::RecordType,
//      util/attr.h record encoding): T arrival, A attributes, S sender,
//      [O original] [o ORCPT] [n NOTIFY] R recipient ..., M, N/L content
//      lines (without line terminators), X, further A/R records known only
//      after the content, E end.
//   3. server -> AttrList {status=0, queue_id=ID} when the file is durable
//      and ready (only then may the caller say "250 Ok: queued as ID"), or
//      {status=S, dsn="X.Y.Z", reason="text"} with S 4 (temporary, e.g.
//      "4.3.0 Temporary lookup failure") or 5 (permanent, e.g. "5.3.4
//      Message size exceeds fixed limit"); nothing is queued then.
// The server reads the whole stream even after deciding to reject, so the
// final reply always comes after E.
//
// Attributes the server understands in A records besides those it stores:
//   rewrite_context=local|remote  how to treat header addresses (Postfix's
//        local_header_rewrite_clients decision, made by smtpd); kFlagLocal
//        implies local; without either the context is local, as in Postfix
//   full_name=TEXT  the sender's full name (sendmail -F), used in an added
//        From: header;
//   hold=REASON  put the message in the hold queue, not incoming (an smtpd
//        access table's HOLD action; `postsuper -H` releases it);
//   discard=1  read the message, then drop it and answer as if it were
//        queued (DISCARD); may come after the content;
//   none of these is stored in the queue file.
//
//   auto c = CleanupClient::Open(cfg, cleanup_client::kFlagNone);
//   if (!c.ok()) reply_4xx(c.status());
//   log("%s: client=...", (*c)->queue_id().c_str());
//   (*c)->Attr("client_name", "mail.example"); (*c)->Sender("alice@example.com");
//   (*c)->Recipient(rcpt); (*c)->BeginContent(); (*c)->Line("Subject: hi"); ...
//   auto r = (*c)->Finish();  // r->status == 0: queued as r->queue_id
//
// Timeouts: connecting is bounded by 10 s, every later read or write by
// ipc_timeout (Postfix's limit for internal conversations). The record
// methods buffer and never block for long; a write error (cleanup died) is
// remembered and reported by Finish() as kUnavailable, as is a missing or
// malformed verdict: the caller then defers (4xx) - nothing was queued.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "global/config.h"
#include "global/queue_file.h"
#include "util/status.h"
#include "util/stream.h"

namespace cleanup_client {

enum Flags : unsigned {
  kFlagNone = 0,
  // Local submission (sendmail/pickup): add missing From:, Date:,
  // Message-ID: headers from the envelope.
  kFlagLocal = 1u << 0,
  // sendmail -t: take recipients from To:, Cc:, Bcc: (Resent-* when
  // present); Bcc: headers are removed.
  kFlagExtract = 1u << 1,
  // Problems with the message (too large, bad addresses) are bounced to
  // the sender instead of rejected (pickup: nobody is there to tell).
  // Not implemented: cleanup rejects as for any client, and pickup moves
  // a rejected maildrop file to corrupt/ with a warning (never lost).
  kFlagBounce = 1u << 2,
  // Do not apply canonical and virtual alias maps: for re-injecting mail
  // whose recipients were already final (bounce notices). postsuper -r does
  // NOT use it: as in Postfix, requeued mail is mapped again, which is the
  // point of requeueing after changing the maps.
  // (receive_override_options = no_address_mappings also sets it: then
  // neither masquerading nor automatic BCC recipients either.)
  kFlagNoAddressMaps = 1u << 3,
  // No header_checks, body_checks (receive_override_options =
  // no_header_body_checks).
  kFlagNoHeaderBodyChecks = 1u << 4,
  // Mail the system makes itself (bounce notices): no header/body checks
  // (Postfix's internal_mail_filter_classes is empty) and no automatic BCC
  // recipients, as Postfix's cleanup treats internal mail.
  kFlagInternal = 1u << 5,
};
inline constexpr unsigned kAllFlags = kFlagLocal | kFlagExtract | kFlagBounce | kFlagNoAddressMaps |
                                      kFlagNoHeaderBodyChecks | kFlagInternal;

// receive_override_options (postconf(5)) of a receiving program (smtpd,
// pickup): the cleanup flags it adds (no_address_mappings,
// no_header_body_checks), and smtpd's no_unknown_recipient_checks.
// no_milters is accepted (this system runs no milters); an unknown value
// is a warning and is ignored.
struct ReceiveOverrides {
  unsigned cleanup_flags = 0;
  bool no_unknown_recipient_checks = false;
};
ReceiveOverrides ReceiveOverridesFromConfig(const config::Config& cfg);

// Attribute names of the protocol.
inline constexpr std::string_view kAttrRequest = "request";
inline constexpr std::string_view kAttrFlags = "flags";
inline constexpr std::string_view kAttrStatus = "status";
inline constexpr std::string_view kAttrQueueId = "queue_id";
inline constexpr std::string_view kAttrDsn = "dsn";
inline constexpr std::string_view kAttrReason = "reason";
inline constexpr std::string_view kRequestCleanup = "cleanup";
// A-record attributes consumed by cleanup (see above).
inline constexpr std::string_view kAttrRewriteContext = "rewrite_context";
inline constexpr std::string_view kAttrFullName = "full_name";
inline constexpr std::string_view kAttrHold = "hold";
inline constexpr std::string_view kAttrDiscard = "discard";
// smtpd's access table actions for the message (Postfix's REDIRECT, FILTER
// and BCC records): every recipient replaced by this address; delivery
// through this transport:destination; one more recipient. Local users
// cannot send them: postdrop takes only the maildrop attributes.
inline constexpr std::string_view kAttrRedirect = "redirect";
inline constexpr std::string_view kAttrFilter = "filter";
inline constexpr std::string_view kAttrBcc = "bcc";
// Stored (by cleanup only; a client's own is dropped): the transport and
// destination of the last FILTER (main.cf content_filter as smtpd and
// pickup send it first, then an access table's FILTER, then a content
// check's); qmgr delivers through it.
inline constexpr std::string_view kAttrContentFilter = "content_filter";
// Stored: the client a message is logged as when it differs from the one
// that connected (smtpd after XFORWARD, as Postfix's log_* attributes):
// cleanup's log lines use them, and the smtp client forwards them with
// XFORWARD (smtp/smtp_xforward.h); without them, client_name,
// client_address, client_port, helo_name and protocol are used.
inline constexpr std::string_view kAttrLogClientName = "log_client_name";
inline constexpr std::string_view kAttrLogClientAddress = "log_client_address";
inline constexpr std::string_view kAttrLogClientPort = "log_client_port";
inline constexpr std::string_view kAttrLogMessageOrigin = "log_message_origin";
inline constexpr std::string_view kAttrLogHeloName = "log_helo_name";
inline constexpr std::string_view kAttrLogProtocolName = "log_protocol_name";
// In a rejecting verdict: content=1 when a content check (header_checks,
// body_checks) refused the message; smtpd then replies "550 DSN text"
// with the table's text, as Postfix.
inline constexpr std::string_view kAttrContent = "content";

struct Result {
  int status = 0;      // 0 queued, 4 temporary failure, 5 permanent failure
  std::string dsn;     // enhanced status code, "2.0.0" when queued
  std::string reason;  // text for the SMTP reply / the log
  std::string queue_id;
  bool content = false;  // rejected by a content check (kAttrContent)
};

class CleanupClient {
 public:
  // Connects to the cleanup service and starts a message. Errors:
  // kUnavailable when the service is down or refuses (the caller defers).
  static util::StatusOr<std::unique_ptr<CleanupClient>> Open(const config::Config& cfg,
                                                             unsigned flags);
  // The same with an explicit socket path and I/O timeout (tests, tools).
  static util::StatusOr<std::unique_ptr<CleanupClient>> OpenPath(const std::string& path,
                                                                 unsigned flags,
                                                                 std::chrono::milliseconds timeout);

  CleanupClient(const CleanupClient&) = delete;
  CleanupClient& operator=(const CleanupClient&) = delete;
  ~CleanupClient() = default;  // without Finish(): cleanup discards the message

  const std::string& queue_id() const { return queue_id_; }

  void Arrival(long sec, long usec);
  void Attr(std::string_view name, std::string_view value);
  void Sender(std::string_view address);
  void Recipient(const queue_file::Recipient& r);
  void BeginContent();
  // One content line without its terminator (long lines are sent as
  // L segments and a final N record).
  void Line(std::string_view line);
  // Sends the end, waits for the verdict (bounded by a timeout).
  util::StatusOr<Result> Finish();

  // Low-level: one record (for pickup copying a maildrop file verbatim).
  void Record(char type, std::string_view data);

 private:
  CleanupClient() = default;

  util::Stream stream_;
  std::string queue_id_;
  std::string path_;
  util::Status error_;  // first write error
  bool finished_ = false;
};

}  // namespace cleanup_client

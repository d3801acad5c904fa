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
//   auto c = CleanupClient::Open(cfg, cleanup_client::kFlagNone);
//   if (!c.ok()) reply_4xx(c.status());
//   log("%s: client=...", c->queue_id().c_str());
//   c->Attr("client_name", "mail.example"); c->Sender("alice@example.com");
//   c->Recipient(rcpt); c->BeginContent(); c->Line("Subject: hi"); ...
//   auto r = c->Finish();    // r->status == 0: queued as c->queue_id()
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "global/config.h"
#include "global/queue_file.h"
#include "util/status.h"

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
  kFlagBounce = 1u << 2,
  // Do not expand virtual_alias_maps / canonical maps (re-injection of a
  // message that was already processed, e.g. postsuper -r).
  kFlagNoAddressMaps = 1u << 3,
};

struct Result {
  int status = 0;          // 0 queued, 4 temporary failure, 5 permanent failure
  std::string dsn;         // enhanced status code, "2.0.0" when queued
  std::string reason;      // text for the SMTP reply / the log
  std::string queue_id;
};

class CleanupClient {
 public:
  // Connects to the cleanup service and starts a message. Errors:
  // kUnavailable when the service is down or refuses (the caller defers).
  static util::StatusOr<std::unique_ptr<CleanupClient>> Open(const config::Config& cfg,
                                                             unsigned flags);
  virtual ~CleanupClient() = default;

  const std::string& queue_id() const { return queue_id_; }

  void Arrival(long sec, long usec);
  void Attr(std::string_view name, std::string_view value);
  void Sender(std::string_view address);
  void Recipient(const queue_file::Recipient& r);
  void BeginContent();
  void Line(std::string_view line);
  // Sends the end, waits for the verdict (bounded by a timeout).
  util::StatusOr<Result> Finish();

  // Low-level: one record (for pickup copying a maildrop file verbatim).
  void Record(char type, std::string_view data);

 protected:
  CleanupClient() = default;
  std::string queue_id_;
  virtual void Send(char type, std::string_view data) = 0;
  virtual util::StatusOr<Result> Complete() = 0;
};

}  // namespace cleanup_client

// showq_client: the showq protocol (the queue listing behind postqueue -p,
// postqueue -j, mailq and sendmail -bp), its client, and the two output
// formats Postfix's postqueue prints.
//
// PROTOCOL (util/attr.h over the UNIX stream socket
// $queue_directory/public/$showq_service_name, world-usable; showq reads
// the queue as mail_owner). The client connects and sends nothing; the
// server writes one attribute list per message, then an empty list ("\n")
// as the end, and closes. A connection that ends without the empty list
// is a failed listing ("malformed showq server response"). Per message:
//   queue_name       maildrop incoming active deferred hold
//   queue_id         the queue ID
//   arrival_time     seconds since the epoch
//   message_size     bytes of content
//   forced_expire    0 or 1 (postsuper -e/-f; always 0 for now)
//   sender           external (quoted) form; the null sender is shown as
//                    $empty_address_recipient (MAILER-DAEMON), as Postfix
//   recipient_count  N, then for I in 0..N-1:
//   recipient_I      external form
//   delay_reason_I   why delivery is deferred (from the defer log,
//                    global/delivery_log.h); absent when unknown
// Messages come in Postfix's order (maildrop, active, incoming, deferred,
// hold; IDs sorted within a queue); within a message, recipients with a
// defer-log reason come first, in log order, then the other live
// recipients in queue-file order (Postfix's order).
//
// FORMATS (postqueue(1)):
//   -p  MailqFormatter: Postfix's Sendmail-compatible listing, byte for
//       byte: the heading, "ID[*!] SIZE DATE  SENDER" per message (`*`
//       active, `!` hold), "(reason)" lines right-aligned to column 78 when
//       the reason changes ("(reason unavailable)" after a reason), indented
//       recipients, a blank line between messages, then "-- N Kbytes in M
//       Requests." or "Mail queue is empty". Long queue IDs widen the ID
//       column as Postfix does. Text is shown as UTF-8; control characters
//       and invalid UTF-8 bytes print as '?'.
//   -j  FormatJson: one JSON object per line, Postfix 3.1's field names and
//       order; delay_reason is left out when unknown. Strings are escaped
//       as JSON requires (\" \\ \n \t \u00XX ...); invalid UTF-8 bytes
//       become '?' so that the output is always valid UTF-8 JSON.
//
//   auto fd = showq_client::Connect(showq_client::ServicePath(cfg), timeout);
//   util::Stream s(std::move(*fd));
//   showq_client::MailqFormatter text(cfg.GetBool("enable_long_queue_ids"));
//   util::Status st = showq_client::ReadListing(s, [&](const showq_client::Message& m) {
//     fputs(text.Format(m).c_str(), stdout); return util::OkStatus(); });
//   fputs(text.Finish().c_str(), stdout);
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "util/attr.h"
#include "util/fd.h"
#include "util/status.h"
#include "util/stream.h"

namespace showq_client {

inline constexpr std::string_view kQueueName = "queue_name";
inline constexpr std::string_view kQueueId = "queue_id";
inline constexpr std::string_view kArrivalTime = "arrival_time";
inline constexpr std::string_view kMessageSize = "message_size";
inline constexpr std::string_view kForcedExpire = "forced_expire";
inline constexpr std::string_view kSender = "sender";
inline constexpr std::string_view kRecipientCount = "recipient_count";
inline constexpr std::string_view kRecipientPrefix = "recipient_";
inline constexpr std::string_view kDelayReasonPrefix = "delay_reason_";

struct Recipient {
  std::string address;
  std::string delay_reason;  // empty: unknown
  bool operator==(const Recipient& other) const = default;
};

struct Message {
  std::string queue_name;
  std::string queue_id;
  long long arrival_time = 0;
  long long message_size = 0;
  bool forced_expire = false;
  std::string sender;
  std::vector<Recipient> recipients;
  bool operator==(const Message& other) const = default;
};

// One message's attribute list, and back (kInvalidArgument "missing
// attribute: X", "bad numerical attribute X=V", "unknown attribute: X").
util::AttrList Encode(const Message& m);
util::StatusOr<Message> Decode(const util::AttrList& list);

// Decoder limits for a listing: messages may have very many recipients.
util::AttrLimits ListingLimits();

// $queue_directory/public/$showq_service_name
std::string ServicePath(const config::Config& cfg);

// Connects to the showq socket. On failure the status message is just the
// system's text ("Connection refused", "Permission denied", "No such file
// or directory"), the code as util::ErrnoStatus maps the errno
// (kFailedPrecondition for a permission problem).
util::StatusOr<util::Fd> Connect(const std::string& path, std::chrono::milliseconds timeout);

// Reads a whole listing from `s`, calling `each` per message (an error
// from `each` stops the reading and is returned). A malformed or truncated
// listing is kInvalidArgument "malformed showq server response".
util::Status ReadListing(util::Stream& s, const std::function<util::Status(const Message&)>& each);

// postqueue -p output, message by message.
class MailqFormatter {
 public:
  explicit MailqFormatter(bool long_ids) : long_ids_(long_ids) {}
  // The heading (first message) or a blank line, then the message.
  std::string Format(const Message& m);
  // The trailer: "\n-- N Kbytes in M Requests.\n" or "Mail queue is empty\n".
  std::string Finish() const;

 private:
  bool long_ids_;
  unsigned long long count_ = 0;
  unsigned long long bytes_ = 0;
};

// postqueue -j output for one message: a JSON object and "\n".
std::string FormatJson(const Message& m);

// Text for a terminal: valid UTF-8 kept, control characters and bytes
// that are not UTF-8 replaced by '?'.
std::string PrintableUtf8(std::string_view s);
// A JSON string literal, with the quotes.
std::string JsonQuote(std::string_view s);

}  // namespace showq_client

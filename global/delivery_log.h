// delivery_log: the per-message logs of delivery outcomes in the queues
// defer/, bounce/ and trace/ (Postfix's "bounce logs"), one file per
// message, named after its queue ID and hashed like the message queues
// (mail_queue::Layout: defer/ is in hash_queue_names by default).
//
// FORMAT. A log file is a sequence of util/attr.h attribute lists, one per
// recipient and delivery attempt, appended in the order the outcomes are
// known. Attributes (names in the k* constants below):
//   recipient           the recipient, internal (unquoted) form   required
//   status              the enhanced status code, "4.4.1"          required
//   action              DSN action: delayed failed delivered relayed expanded
//                                                                 required
//   reason              the text shown by mailq and in DSNs        required
//   original_recipient  the recipient as first received (queue_file O)
//   dsn_orcpt           RCPT ORCPT= (queue_file o)
//   dsn_notify          RCPT NOTIFY= bits (queue_file::DsnNotify), decimal
//   offset              the queue file offset of the recipient's R record
//   diag_type diag_text the remote server's reply: "smtp", "550 5.1.1 ..."
//   mta_type mta_name   the reporting MTA: "dns", "mx.example.com"
// Unknown attributes are ignored when reading (later versions may add
// some); a missing required one makes the file corrupt.
//
// WRITERS. The bounce daemon (services bounce, defer, trace) appends an
// entry for each recipient a delivery agent reports as deferred (defer/),
// bounced (bounce/) or, for DSN SUCCESS / sendmail -v, delivered (trace/).
// Append() writes each entry with a single write(2) on an O_APPEND
// descriptor, then fsync(2)s: concurrent appenders never interleave, and a
// crash can leave at most one truncated entry at the end, which Read()
// ignores (the delivery is then simply tried again).
//
// LIFETIME (for qmgr): the defer log describes the last delivery attempt.
// qmgr removes it (Remove) when it moves the message into active/ for a new
// attempt, and removes all three logs when it removes the message. The
// bounce log is consumed by the bounce daemon when it sends the
// non-delivery notice. postsuper -d removes them with the message.
//
// READERS. showq shows the reason of each deferred recipient (mailq's
// "(reason)" lines and postqueue -j's delay_reason); the bounce daemon
// turns logs into DSN messages.
//
//   delivery_log::Entry e;
//   e.recipient = "bob@example.net"; e.status = "4.4.1"; e.action = "delayed";
//   e.reason = "connect to mx.example.net[192.0.2.1]:25: Connection refused";
//   util::Status st = delivery_log::Append(layout, mail_queue::kDefer, id, e);
//   auto entries = delivery_log::Read(delivery_log::Path(layout, mail_queue::kDefer, id));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "global/mail_queue.h"
#include "util/attr.h"
#include "util/status.h"

namespace delivery_log {

inline constexpr std::string_view kRecipient = "recipient";
inline constexpr std::string_view kStatus = "status";
inline constexpr std::string_view kAction = "action";
inline constexpr std::string_view kReason = "reason";
inline constexpr std::string_view kOriginalRecipient = "original_recipient";
inline constexpr std::string_view kDsnOrcpt = "dsn_orcpt";
inline constexpr std::string_view kDsnNotify = "dsn_notify";
inline constexpr std::string_view kOffset = "offset";
inline constexpr std::string_view kDiagType = "diag_type";
inline constexpr std::string_view kDiagText = "diag_text";
inline constexpr std::string_view kMtaType = "mta_type";
inline constexpr std::string_view kMtaName = "mta_name";

struct Entry {
  std::string recipient;
  std::string status;
  std::string action;
  std::string reason;
  std::string original_recipient;
  std::string dsn_orcpt;
  int dsn_notify = 0;
  long long offset = -1;  // -1: unknown
  std::string diag_type;
  std::string diag_text;
  std::string mta_type;
  std::string mta_name;

  bool operator==(const Entry& other) const = default;
};

// The attribute list of an entry (empty optional fields are left out) and
// back. FromAttrs: kInvalidArgument "missing attribute: X" or "bad
// numerical attribute X=V".
util::AttrList ToAttrs(const Entry& e);
util::StatusOr<Entry> FromAttrs(const util::AttrList& attrs);

// queue_directory/LOG_QUEUE[/hash]/ID
std::string Path(const mail_queue::Layout& layout, std::string_view log_queue, std::string_view id);

// Appends one entry (creating the file, mode 0600, and hash directories as
// needed) and syncs it. Errors are ErrnoStatus values ("append PATH: ...").
util::Status Append(const mail_queue::Layout& layout, std::string_view log_queue,
                    std::string_view id, const Entry& e);

// Every complete entry of a log, in file order. A missing file is kNotFound;
// a malformed entry before the end is kInvalidArgument "corrupt delivery log
// PATH: ...". A truncated last entry (a crash during Append) is ignored.
util::StatusOr<std::vector<Entry>> Read(const std::string& path);

// Removes the message's log in `log_queue`; a missing file is not an error.
util::Status Remove(const mail_queue::Layout& layout, std::string_view log_queue,
                    std::string_view id);

}  // namespace delivery_log

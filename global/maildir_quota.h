// maildir_quota: Maildir++ quota bookkeeping, the "maildirsize" file that
// the VDA quota patch for Postfix's virtual(8), Courier and Dovecot share.
//
//   MaildirSize q = ReadOrRecalculate(maildir, limit, now);   // usage so far
//   if (q.bytes + msg_size > limit) ... over quota ...
//   AppendDelivery(maildir, msg_size);                       // after delivery
//
// FILE FORMAT (Maildir++): the first line is the quota definition,
// "<bytes>S" (plus ",<count>C" for a message count limit, which we keep
// when a file has one); every further line is "<bytes> <count>" for one
// change (deliveries add, clients add negative lines when they expunge).
// The usage is the sum of those lines.
//
// RECALCULATION. The file is rewritten from a scan of the Maildir when it
// is missing, unreadable or corrupt (ParseMaildirSize), when it has grown to 5120 bytes or more,
// when its quota definition differs from the limit in effect, or when the usage it gives is over
// quota and the file is older than 15 minutes (Maildir++'s rule, so that deletions by clients that
// do not update the file are seen). The scan counts new/ and cur/ of the Maildir and of each
// Maildir++ folder (".name" subdirectories); a file's size is its ",S=N"
// name attribute when present, else its size on disk. The new file is
// written to a temporary name and renamed into place.
//
// The caller runs with the mailbox owner's identity (files it creates are
// the user's), see identity.h.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

#include "util/status.h"

namespace mailbox {

struct MaildirSize {
  int64_t bytes = 0;  // usage
  int64_t count = 0;
  std::optional<int64_t> limit_bytes;  // from the definition line
  std::optional<int64_t> limit_count;
  bool recalculated = false;
};

// Parses maildirsize contents; nullopt (corrupt: recalculate) when the
// first line is not a quota definition, a later line is not "<bytes>
// <count>", a sum overflows, or the usage comes out negative.
std::optional<MaildirSize> ParseMaildirSize(std::string_view text);

// The quota definition line for a byte limit (and count limit > 0).
std::string QuotaDefinition(int64_t bytes, int64_t count = 0);

// The ",S=N" size in a Maildir file name ("123.M1P2Q3.host,S=4051:2,S"),
// or nullopt.
std::optional<int64_t> SizeFromName(std::string_view name);

// Scans `maildir` (with trailing '/' or not) as described above.
MaildirSize ScanMaildir(const std::string& maildir);

// Reads `maildir`/maildirsize, recalculating and rewriting it when the
// rules above say so. Errors only when the recalculated file cannot be
// written.
util::StatusOr<MaildirSize> ReadOrRecalculate(const std::string& maildir, int64_t limit,
                                              std::time_t now);

// Appends "<bytes> 1" for one delivered message (O_APPEND, one write).
util::Status AppendDelivery(const std::string& maildir, int64_t bytes);

}  // namespace mailbox

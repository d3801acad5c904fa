// pickup: moves locally submitted mail from maildrop/ to cleanup.
//
// ScanMaildrop() looks at every file in maildrop/ (mail_queue::ListQueue)
// and, for each one postdrop has finished (the ready bit,
// queue_file::Reader::IsReady; half-written files are left alone), reads
// it with queue_file::Reader, checks it again as untrusted input
// (maildrop::CheckEnvelope: only the attributes a local user may set), and
// copies it to cleanup through cleanup_client::CleanupClient with
// kFlagLocal | kFlagBounce, plus kFlagExtract when sendmail -t asked
// (attribute extract_recipients, which is not passed on). It logs, as
// Postfix does, "ID: uid=N from=<sender>" with the new queue ID and the
// file owner's uid.
//
// What happens to the maildrop file (mail is never lost):
//   cleanup replied 0 (queued)          removed
//   cleanup replied 4, or is not there  kept; retried at the next trigger
//                                       (a new submission or master's
//                                       wakeup timer). An unreachable
//                                       cleanup ends the scan.
//   cleanup replied 5 (rejected)        moved to corrupt/ with a warning
//                                       naming the reason: nobody is there
//                                       to tell, and retrying cannot help
//   unreadable or invalid file          moved to corrupt/ with a warning
//
// `content_filter` (main.cf content_filter; empty: none) goes to cleanup
// as the filter attribute of every message, right after its arrival time:
// qmgr then delivers it through that transport:destination (FILTER_README).
//
// `open` is the seam for tests and tools: it makes the cleanup connection.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "global/cleanup_client.h"
#include "global/config.h"
#include "global/mail_queue.h"

namespace pickup {

using OpenCleanup =
    std::function<util::StatusOr<std::unique_ptr<cleanup_client::CleanupClient>>(unsigned flags)>;

struct ScanStats {
  int queued = 0;
  int kept = 0;
  int corrupt = 0;
};
ScanStats ScanMaildrop(const mail_queue::Layout& layout, const OpenCleanup& open,
                       const std::string& content_filter = "");

}  // namespace pickup

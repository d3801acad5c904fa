// queue_scan: showq's reading of the queue, one showq_client::Message per
// queue file (protocol and order: global/showq_client.h).
//
// Files that are not ready (queue_file.h: still being written), that
// vanish while the scan runs (delivered, moved by qmgr or postsuper) or
// that are not regular files are skipped silently; unreadable or corrupt
// files are skipped with a warning. Recipients marked done are not shown.
// Delay reasons come from the message's defer log (global/delivery_log.h):
// the last entry per live recipient wins; log entries for recipients that
// are no longer live are not shown.
#pragma once

#include <functional>

#include "global/config.h"
#include "global/mail_queue.h"
#include "global/showq_client.h"
#include "util/status.h"

namespace showq {
// Calls `each` for every listed message; stops at (and returns) its first
// error.
util::Status ScanQueue(const config::Config& cfg,
                       const std::function<util::Status(const showq_client::Message&)>& each);

}  // namespace showq

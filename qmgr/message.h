// message: one message qmgr holds in memory (taken into active/, locked),
// shared by the feeder that loads it, the QueueManager that delivers it and
// the finisher that decides its fate; plus the delivery request for some of
// its recipients and the deferral or bounce qmgr itself writes for them.
//
//   deliver_request::Request req = BuildRequest(m, {0, 2}, "example.com");
//   ReportRecipients(*deps.notices, now, m, {1}, "4.3.0", "why", false);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "global/deliver_request.h"
#include "global/delivery_log.h"
#include "global/queue_file.h"
#include "qmgr/deps.h"

namespace qmgr {

// A recipient's reason from the message's previous attempt (its defer
// log, removed when the message was taken): only what an expiry bounce
// needs, since every message in memory carries these.
struct PrevReason {
  std::string recipient;
  std::string status;
  std::string reason;
};

struct Message {
  uint64_t key = 0;  // the QueueManager's; the scheduler's Job::message
  std::string id;
  std::unique_ptr<QueueStore::File> file;  // holds the lock
  queue_file::Envelope env;
  double arrival = 0;
  double active_time = 0;
  std::vector<std::string> resolved;   // per envelope recipient: the address to deliver to
  std::vector<std::string> nexthop;    // per envelope recipient: the nexthop as resolved
  size_t pending = 0;                  // recipients queued or in delivery
  size_t counted = 0;                  // recipients counted against the in-memory limit
  std::vector<PrevReason> prev_defer;  // last attempt's reasons
  double prev_attempt = 0;             // when the previous attempt ended (defer log mtime)
  // Every delivery so far answered "all finished" and nothing was deferred
  // or bounced by qmgr itself: no recipient is left and no defer log was
  // written, so the finisher need not read the file again.
  bool all_finished = true;
  bool removed = false;  // the file was unlinked: closing it frees the inode
  // A delivery went out with kFlagLastDelivery: its done marks may not be
  // on disk yet, so the file is synced before it is kept.
  bool unsynced_marks = false;
  // Taken from deferred/ by a flush: defer_transports do deliver it.
  bool flushed = false;
  // postsuper -e/-f asked for forced expiration: not delivered, returned
  // to the sender by the finisher.
  bool force_expired = false;
};

// The request for recipients `rcpts` (envelope indices) of `m` to `nexthop`.
deliver_request::Request BuildRequest(const Message& m, const std::vector<size_t>& rcpts,
                                      const std::string& nexthop);

// Defers (or bounces) recipients `rcpts` of `m` with `dsn` and `reason`
// (Notices::Report; a failure is logged and the recipients stay live).
void ReportRecipients(Notices& notices, double now, Message& m, const std::vector<size_t>& rcpts,
                      const std::string& dsn, const std::string& reason, bool bounce);

// Syncs the file when an agent left its done marks to us (the message's
// last delivery, deliver_request::kFlagLastDelivery) and it is kept.
void SyncMarks(QueueStore& store, Message& m);

}  // namespace qmgr

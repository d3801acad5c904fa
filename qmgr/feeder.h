// feeder: brings messages from the queue directory into qmgr's memory.
//
// Scans only list a queue's files, oldest first (queue IDs begin with the
// time); deferred/ a hash subdirectory at a time, the next once the
// previous has been taken, and a regular scan only the files whose retry
// time has come (a flush every file), so a queue of 100,000 deferred
// messages is never listed in memory at once. The files are taken a few
// at a time on later turns of the event loop (kFeedBatch from incoming/,
// one from active/ and deferred/), so delivery replies are never held up
// by a long listing. A taken file is locked, renamed into active/
// (QueueStore::Take), its previous attempt's defer/ log read and removed,
// and the file read; a corrupt file goes to corrupt/. The live recipients
// of a turn's batch are resolved in one round trip and grouped per transport and destination
// (DestinationKey); a resolver failure defers a recipient (4.3.0), a syntax error bounces it
// (5.1.3), and a transport in defer_transports defers it (4.3.2) unless the
// message came from deferred/ by a flush. The result, one Loaded per
// message, goes to the sink (the QueueManager), which schedules it.
//
// In memory are at most qmgr_message_active_limit messages (fewer when
// the open-file limit would not let each hold its queue file open:
// Deps::max_open_files, with a warning at start) and, roughly,
// qmgr_message_recipient_limit recipients (checked before each file is
// taken, not counting the recipients of the turn's batch so far, so one
// turn may go past it): taking stops at a limit and goes on when
// Released() frees room.
//
// Triggers: Wake() for cleanup's 'W' and master's wake-up (incoming/ is
// read at most once per kScanInterval, the wake-ups in between merged),
// Wake(true) for 'F' (every deferred file now, and incoming/). Start()
// takes back what a crash left in active/, scans incoming/ and deferred/,
// and scans both every queue_run_delay.
//
//   Feeder feeder(cfg, deps, &transports, [&](std::vector<Loaded> batch) { ... });
//   feeder.Start();
//   feeder.Wake(false);
//   feeder.Released(id);   // a message left memory
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "qmgr/deps.h"
#include "qmgr/message.h"
#include "qmgr/transports.h"

namespace qmgr {

// Recipients (envelope indices) of a message for one scheduler queue.
struct Group {
  std::string transport;
  std::string destination;
  std::vector<size_t> rcpts;
};
// Recipients qmgr defers or bounces itself, without a delivery.
struct Deferral {
  std::vector<size_t> rcpts;
  std::string dsn;
  std::string reason;
  bool bounce = false;
};
// A message just taken, its recipients sorted out.
struct Loaded {
  std::unique_ptr<Message> message;
  std::vector<Deferral> deferrals;
  std::vector<Group> groups;
};

class Feeder {
 public:
  using Sink = std::function<void(std::vector<Loaded> batch)>;
  Feeder(const config::Config& cfg, const Deps& deps, Transports* transports, Sink sink);
  Feeder(const Feeder&) = delete;
  Feeder& operator=(const Feeder&) = delete;

  void Start();
  // A trigger: `flush` takes every deferred file now.
  void Wake(bool flush);
  // Takes no more files (the process is about to go).
  void Stop();
  // The message `id` left memory.
  void Released(const std::string& id);
  // Called after each turn of taking files and each incoming/ scan with
  // the number of files taken from incoming/ and whether incoming/ has
  // nothing left to take (qmgr's in_flow_delay tokens, global/mail_flow.h).
  using FlowHook = std::function<void(size_t taken_from_incoming, bool incoming_idle)>;
  void OnTurn(FlowHook hook) { flow_ = std::move(hook); }

  // The in-memory limits are reached (counting `taking` messages about to
  // be loaded).
  bool Full(size_t taking = 0) const;
  // qmgr_message_active_limit, or fewer when the open-file limit allows
  // no more (Deps::max_open_files).
  size_t active_limit() const { return active_limit_; }
  size_t messages_in_memory() const { return in_memory_.size(); }
  size_t recipients_in_memory() const { return recipients_in_memory_; }
  size_t listed() const { return listed_.size(); }

  // Wake-ups from cleanup come with every new message; incoming/ is read at
  // most once per kScanInterval, the wake-ups in between are merged.
  static constexpr double kScanInterval = 0.05;
  // Per turn: at most kFeedBatch files from incoming/ and one from the
  // other queues, trying at most kFeedTries listed files of each.
  static constexpr int kFeedTries = 64;
  static constexpr size_t kFeedBatch = 8;

 private:
  // A file a scan found, waiting to be taken.
  struct Candidate {
    std::string_view queue;
    std::string id;
    bool all;  // also when its retry time has not come (flush, active/ at start)
  };
  void ScanActive();
  void ScanIncoming();
  void ScanDeferred(bool all);
  // Appends the files of `queue` that are neither in memory nor listed.
  void List(std::string_view queue, bool all, std::deque<Candidate>* to);
  void Append(std::string_view queue, util::StatusOr<std::vector<std::string>> ids, bool all,
              std::deque<Candidate>* to);
  // deferred/ is listed a part (hash subdirectory) at a time, the next when
  // the previous has been taken: only what is due (a regular scan) or
  // everything (a flush).
  void ListDeferredParts();
  void RetryActiveLater();
  void ArmFeed();
  void Feed();
  // Takes one file into active/ and reads it; null when it was not taken.
  std::unique_ptr<Message> Take(std::string_view queue, const std::string& id, bool all);
  // Sorts out the recipients of a taken message; `resolved`: one result
  // per live recipient, in order.
  Loaded Load(std::unique_ptr<Message> m, util::StatusOr<resolve_client::ResolveResult>* resolved);

  const config::Config& cfg_;
  Deps deps_;
  Transports* transports_;
  Sink sink_;
  FlowHook flow_;
  std::set<std::string> defer_transports_;
  size_t active_limit_ = 0;
  std::map<std::string, size_t> in_memory_;  // ID -> recipients counted
  size_t recipients_in_memory_ = 0;
  double last_incoming_scan_ = 0;
  std::deque<Candidate> feed_incoming_;
  std::deque<Candidate> feed_other_;        // active/ (at start) and deferred/
  std::set<std::string> listed_;            // IDs in the two lists
  std::deque<std::string> deferred_parts_;  // parts of deferred/ still to list
  bool deferred_parts_all_ = false;         // ... for a flush (every file)
  bool rescan_incoming_ = false;            // a scan came while feed_incoming_ was not empty
  bool flush_deferred_ = false;             // a flush came: every listed deferred file is due
  bool stopped_ = false;
  Clock::Handle scan_timer_ = Clock::kNoHandle;
  Clock::Handle feed_timer_ = Clock::kNoHandle;
  // active/ is listed again when a file there was still being delivered.
  Clock::Handle active_retry_timer_ = Clock::kNoHandle;
};

}  // namespace qmgr

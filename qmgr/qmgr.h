// qmgr: the queue manager (Postfix's qmgr(8)) on the trigger server's event
// loop. main.cpp creates one QueueManager in post_init and hands it the
// triggers.
//
// QUEUES. At start, messages left in active/ by a crash are taken back
// (never lost), then incoming/ and deferred/ are scanned. incoming/ is
// scanned on every trigger ('W' from cleanup or master's wake-up timer,
// merged to one scan per 50 ms) and with each deferred/ scan; deferred/
// every queue_run_delay, taking only files whose retry time (the file's
// mtime, set when it was deferred) has come; 'F' (postqueue -f, postfix
// flush) takes every deferred file at once. hold/ is never looked at. A
// scan only lists the files, oldest first; they are taken one from
// incoming/ and one from the other queues per turn of the event loop, so
// delivery replies are never held up by a long listing (Postfix's qmgr
// feeds its active queue the same way); an incoming/ scan that comes
// while its last listing is still being taken is done when that ends. A
// file is taken by locking it (flock LOCK_EX|LOCK_NB: postsuper/
// operations.h's contract; the lock is held while the message is in
// memory) and renaming it into active/ without replacing anything; files
// that are not ready (still being written) are left alone: postsuper -p
// removes old leftovers. At most qmgr_message_active_limit messages and
// about qmgr_message_recipient_limit recipients are in memory; the rest
// waits in its queue. A corrupt file is moved to corrupt/ with a warning.
//
// RECIPIENTS. Each live recipient is resolved with trivial-rewrite
// (global/resolve_client.h). A resolver failure defers that recipient
// (4.3.0, logged and in the defer/ log: it is retried later, never
// lost); a syntax error bounces it (5.1.3). Recipients are grouped per
// transport and destination: the nexthop, folded to lower case, except for
// transports that do not talk to remote hosts (anything but the smtp and
// lmtp programs) with a recipient limit of 1, where each recipient is its
// own destination (as Postfix: one mailbox is protected, and
// TRANSPORT_destination_concurrency_limit counts per recipient). For smtp
// and lmtp the limit always counts per nexthop, whatever the recipient
// limit: docomo-smtp with limit 1 and recipient limit 1 opens one
// connection at a time to the docomo host.
//
// SCHEDULING (qmgr/scheduler.h) uses, per transport T, T_PARAM with the
// `-o` overrides of T's master.cf line applied (-o T_PARAM, or -o
// COMMAND_PARAM such as smtp_destination_concurrency_limit on a line whose
// command is smtp), falling back to default_PARAM:
//   destination_concurrency_limit, destination_recipient_limit,
//   destination_rate_delay, destination_concurrency_positive_feedback,
//   destination_concurrency_negative_feedback,
//   destination_concurrency_failed_cohort_limit; initial_destination_
//   concurrency; the line's maxproc (default_process_limit for "-").
// Unlike Postfix, where -o only reaches the delivery processes, these
// overrides do change the scheduling.
//
// DELIVERY. A delivery is one global/deliver_request.h request on
// private/T, sent and answered without blocking the loop (several in
// flight at once). An agent that cannot be reached or dies without a reply
// counts as a destination failure; the recipients it left are deferred
// ("4.3.0 T service is not available..." / "...crashed"). A dead
// destination's waiting recipients are deferred with its last reason.
//
// AFTER THE LAST DELIVERY of a message, the queue file is read again:
//   - live recipients left and the message older than
//     maximal_queue_lifetime (bounce_queue_lifetime for the null sender):
//     each is bounced with its last defer reason;
//   - a bounce/ log exists: bounce_client::Request(kNonDelivery) first; if
//     that fails the message is kept (deferred, retried later);
//   - nothing live: the file and its logs are removed ("ID: removed");
//   - else it moves to deferred/ with mtime = next attempt time
//     (NextRetryTime: minimal_backoff_time .. maximal_backoff_time).
// A file renamed or removed meanwhile (postsuper) is forgotten.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "global/config.h"
#include "global/deliver_request.h"
#include "global/mail_queue.h"
#include "global/queue_file.h"
#include "global/resolve_client.h"
#include "qmgr/scheduler.h"
#include "util/attr.h"
#include "util/event_loop.h"
#include "util/fd.h"

namespace qmgr {

// The scheduling limits of transport `name` as described above (the
// master.cf line's -o overrides applied); *remote tells whether its program
// is smtp or lmtp.
TransportLimits LoadTransportLimits(const config::Config& cfg, const std::string& name,
                                    bool* remote);

class QueueManager {
 public:
  QueueManager(const config::Config& cfg, util::EventLoop* loop);
  ~QueueManager();

  // Recovers active/, scans the queues, arms the timers.
  void Start();
  // One trigger's bytes (master_proto.h).
  void Trigger(std::string_view bytes);
  // The process is about to go (reload, stop): take no more files, start no
  // more deliveries; Busy() while deliveries are still in flight. Messages
  // held but not in delivery are released when the process exits, and the
  // next qmgr takes them from active/.
  void Drain();
  bool Busy() const { return !in_flight_.empty(); }

 private:
  struct Message;
  struct InFlight;
  class Closer;
  struct TransportInfo {
    TransportLimits limits;
    bool remote = false;  // smtp or lmtp program
  };

  const TransportInfo& Transport(const std::string& name);
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
  void ArmFeed();
  void Feed();
  // The in-memory limits are reached (counting `taking` messages about to
  // be loaded).
  bool Full(size_t taking = 0) const;
  // Takes one file into active/ and reads it; null when it was not taken.
  std::unique_ptr<Message> Take(std::string_view queue, const std::string& id, bool all);
  // Resolves the live recipients of the taken messages (one round trip)
  // and loads each.
  void LoadAll(std::vector<std::unique_ptr<Message>> batch);
  // `resolved`: one result per live recipient, in order.
  void Load(std::unique_ptr<Message> m, util::StatusOr<resolve_client::ResolveResult>* resolved);
  deliver_request::Request BuildRequest(const Message& m, const std::vector<size_t>& rcpts,
                                        const std::string& nexthop) const;
  void DeferRecipients(Message& m, const std::vector<size_t>& rcpts, const std::string& dsn,
                       const std::string& reason, bool bounce);
  void Pump();
  void StartDelivery(Delivery d);
  void OnReadable(uint64_t delivery_id);
  void EndDelivery(uint64_t delivery_id, bool got_reply, const deliver_request::Reply& reply,
                   const std::string& failure);
  void JobDone(Message& m);
  void Finish(Message& m);
  void Forget(uint64_t key);
  bool MoveTo(Message& m, std::string_view queue);
  // Syncs the file when an agent left its done marks to us (the message's
  // last delivery, deliver_request::kFlagLastDelivery) and it is kept.
  void SyncMarks(Message& m);
  double Now() const;

  const config::Config& cfg_;
  util::EventLoop* loop_;
  mail_queue::Layout layout_;
  resolve_client::ResolveClient resolver_;
  Scheduler scheduler_;
  std::map<std::string, TransportInfo> transports_;
  std::map<uint64_t, std::unique_ptr<Message>> messages_;
  std::set<std::string> ids_in_memory_;
  std::map<uint64_t, std::unique_ptr<InFlight>> in_flight_;
  uint64_t next_message_ = 1;
  size_t recipients_in_memory_ = 0;
  util::EventLoop::Handle wakeup_timer_ = util::EventLoop::kNoHandle;
  double wakeup_at_ = 0;
  bool pumping_ = false;
  // Wake-ups from cleanup come with every new message; incoming/ is read at
  // most once per kScanInterval, the wake-ups in between are merged.
  static constexpr double kScanInterval = 0.05;
  double last_incoming_scan_ = 0;
  util::EventLoop::Handle scan_timer_ = util::EventLoop::kNoHandle;
  // Scans only list; Feed takes the files one per event-loop turn.
  static constexpr int kFeedTries = 64;
  static constexpr size_t kFeedBatch = 8;
  std::deque<Candidate> feed_incoming_;
  std::deque<Candidate> feed_other_;  // active/ (at start) and deferred/
  std::set<std::string> listed_;      // IDs in the two lists
  bool rescan_incoming_ = false;      // a scan came while feed_incoming_ was not empty
  bool flush_deferred_ = false;       // a flush came: every listed deferred file is due
  // defer_transports: mail for these transports waits until a flush
  // (postqueue -f, sendmail -q) takes it from deferred/.
  std::set<std::string> defer_transports_;
  util::EventLoop::Handle feed_timer_ = util::EventLoop::kNoHandle;
  // active/ is listed again when a file there was still being delivered.
  util::EventLoop::Handle active_retry_timer_ = util::EventLoop::kNoHandle;
  void RetryActiveLater();
  bool draining_ = false;
  std::unique_ptr<Closer> closer_;
};

}  // namespace qmgr

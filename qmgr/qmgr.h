// qmgr: the queue manager (Postfix's qmgr(8)) on the trigger server's event
// loop. main.cpp creates one QueueManager in post_init, with the production
// Deps (qmgr/deps.h), and hands it the triggers; tests give it fakes.
//
//   auto prod = ProductionDeps::Create(cfg, loop);
//   QueueManager manager(cfg, prod->deps());
//   manager.Start();
//   manager.Trigger("W");
//
// PARTS. Feeding (qmgr/feeder.h: scans, taking files, in-memory limits,
// resolving and grouping recipients, defer_transports, flush), scheduling
// (qmgr/scheduler.h: pure logic with the time passed in), finishing
// (qmgr/finisher.h: removal, deferral, expiry, notices). QueueManager
// itself holds the messages and runs the deliveries the scheduler hands
// out, through Deps::agents; everything outside memory goes through Deps.
//
// QUEUES (qmgr/feeder.h). At start, messages left in active/ by a crash are taken back
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
// private/T (Deps::agents), sent and answered without blocking the loop
// (several in flight at once). An agent that cannot be reached or dies without a reply
// counts as a destination failure; the recipients it left are deferred
// ("4.3.0 T service is not available..." / "...crashed"). A dead
// destination's waiting recipients are deferred with its last reason.
//
// AFTER THE LAST DELIVERY of a message (qmgr/finisher.h), the queue file
// is read again:
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

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "qmgr/deps.h"
#include "qmgr/feeder.h"
#include "qmgr/finisher.h"
#include "qmgr/message.h"
#include "qmgr/scheduler.h"
#include "qmgr/transports.h"

namespace qmgr {

class QueueManager {
 public:
  // `deps` must outlive the QueueManager. Its timers are not cancelled when
  // it goes (in production the event loop is gone by then, at exit): do
  // not run the clock after destroying it.
  QueueManager(const config::Config& cfg, const Deps& deps);
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
  bool Busy() const { return in_flight_ > 0; }

  // Inspection (tests).
  const Scheduler& scheduler() const { return scheduler_; }
  const Feeder& feeder() const { return feeder_; }
  size_t messages() const { return messages_.size(); }

 private:
  // The feeder's batch: each message is scheduled (or finished at once).
  void Schedule(std::vector<Loaded> batch);
  void Pump();
  void StartDelivery(Delivery d);
  // `result`: the agent's reply, or what went wrong.
  void EndDelivery(const Delivery& d, const util::StatusOr<deliver_request::Reply>& result);
  void Finish(Message& m);

  const config::Config& cfg_;
  Deps deps_;
  Transports transports_;
  Scheduler scheduler_;
  Feeder feeder_;
  Finisher finisher_;
  std::map<uint64_t, std::unique_ptr<Message>> messages_;
  uint64_t next_message_ = 1;
  size_t in_flight_ = 0;
  Clock::Handle wakeup_timer_ = Clock::kNoHandle;
  double wakeup_at_ = 0;
  bool pumping_ = false;
  bool draining_ = false;
};

}  // namespace qmgr

// scheduler: qmgr's delivery scheduling, pure logic with the time passed in
// (seconds, any epoch), so that tests drive it with a simulated clock.
//
// Recipients are queued per transport and destination ("queue"), in jobs of
// at most the transport's recipient limit (one message, one destination).
// Next() hands out the next job that may start, going round-robin over the
// queues so that one slow destination does not starve the others:
//   - a queue runs at most `window` deliveries at once; the window starts
//     at initial_destination_concurrency (never above the limit), grows by
//     the positive feedback on each success up to
//     TRANSPORT_destination_concurrency_limit, and shrinks by the negative
//     feedback (not below 1) on each failure of the destination as a whole
//     (the agent's site_failure, or an agent that died);
//   - each failure adds 1/window to the queue's failed pseudo-cohorts
//     (reset by a success); reaching destination_concurrency_failed_cohort_
//     limit (0 = never) declares the destination dead: its waiting jobs are
//     handed back by TakeDeadJobs() for qmgr to defer, jobs added while it
//     is dead go the same way, and it comes back (window 1) after
//     `dead_time` seconds or with the next success of a delivery still in
//     flight;
//   - with a rate delay, at most one delivery at a time runs and the next
//     one starts `rate_delay` seconds after the previous one ended;
//   - a transport runs at most `maxproc` deliveries at once (0 = no limit).
// Concurrency counts per destination, whatever the recipient limit; qmgr
// chooses what a "destination" is (the nexthop, or the recipient for
// mailbox transports with a recipient limit of 1; see qmgr.h).
//
// Feedback values are Postfix's: "1", "0.5", "1/4" or "1/concurrency"
// (ParseFeedback).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace qmgr {

struct Feedback {
  double value = 1;
  bool per_concurrency = false;  // value / window
  double For(double window) const { return per_concurrency ? value / window : value; }
};
// "1", "0.5", "1/8", "2/concurrency". Errors: kInvalidArgument.
util::StatusOr<Feedback> ParseFeedback(std::string_view text);

struct TransportLimits {
  int initial_concurrency = 5;
  int concurrency_limit = 20;  // 0 = no limit
  int recipient_limit = 50;    // 0 = no limit
  double rate_delay = 0;
  int maxproc = 100;  // 0 = no limit
  Feedback positive;
  Feedback negative;
  int failed_cohort_limit = 1;  // 0 = never dead
  double dead_time = 300;       // how long a dead destination stays dead
};

struct Job {
  uint64_t message = 0;
  std::vector<size_t> recipients;  // the caller's recipient indices
};

struct Delivery {
  uint64_t id = 0;
  std::string transport;
  std::string destination;
  Job job;
  // Connection reuse on demand (deliver_request::kFlagConnLoad, _Store):
  // a destination turns it on when one of its deliveries starts within a
  // second of the previous one's end (back to back), and stops storing
  // connections when a delivery starts with none in flight and none ended
  // in the last second; once on, it keeps looking for cached connections
  // while the destination has a queue.
  bool conn_load = false;
  bool conn_store = false;
};

struct DeadJob {
  std::string transport;
  std::string destination;
  std::string reason;
  Job job;
};

class Scheduler {
 public:
  // Limits of a transport (before its first Add; later calls apply to new
  // decisions).
  void SetTransport(const std::string& transport, const TransportLimits& limits);
  bool HasTransport(const std::string& transport) const { return transports_.count(transport); }

  // Queues recipients of one message for a destination, split into jobs of
  // at most the recipient limit.
  void Add(const std::string& transport, const std::string& destination, uint64_t message,
           const std::vector<size_t>& recipients, double now);

  // The next delivery that may start at `now`, or nothing.
  std::optional<Delivery> Next(double now);
  // When a queue held back only by its rate delay or dead time can move
  // again (the earliest), to arm a timer.
  std::optional<double> NextWakeup(double now) const;

  // A delivery ended. `site_failure`: the destination failed as a whole.
  void Done(uint64_t delivery_id, bool site_failure, const std::string& reason, double now);

  // Jobs of dead destinations, for the caller to defer.
  std::vector<DeadJob> TakeDeadJobs();

  // Every dead destination comes back now (window 1): postqueue -f, and
  // the flush service delivering a site (Postfix's "flush dead" request).
  void ReviveAll();

  // Inspection (tests, logging).
  double Window(const std::string& transport, const std::string& destination) const;
  int Active(const std::string& transport, const std::string& destination) const;
  bool Dead(const std::string& transport, const std::string& destination) const;
  size_t Waiting() const;
  size_t InFlight() const { return in_flight_.size(); }

 private:
  struct Queue {
    std::string transport;
    std::string destination;
    double window = 1;
    double success = 0;  // accumulated positive feedback
    double fail_cohorts = 0;
    int active = 0;
    bool dead = false;
    double dead_until = 0;
    double last_end = -1e18;
    bool conn_load = false, conn_store = false;
    std::string dead_reason;
    std::deque<Job> jobs;
  };
  struct TransportState {
    TransportLimits limits;
    int active = 0;
  };
  using Key = std::pair<std::string, std::string>;

  Queue& GetQueue(const std::string& transport, const std::string& destination);
  void Revive(Queue& q, const TransportLimits& l);
  void Kill(Queue& q, const std::string& reason, double now);
  bool CanStart(const Queue& q, const TransportState& t, double now) const;

  std::map<std::string, TransportState> transports_;
  std::map<Key, Queue> queues_;
  std::vector<Key> order_;  // round-robin order
  size_t cursor_ = 0;
  std::map<uint64_t, Key> in_flight_;
  uint64_t next_id_ = 1;
  std::vector<DeadJob> dead_jobs_;
};

// The destination (scheduler queue) of a recipient: the nexthop, folded to
// lower case; but for transports that do not talk to remote hosts (remote:
// the smtp and lmtp programs) with a recipient limit of 1, the recipient
// itself, so the concurrency limit protects each mailbox. For smtp and lmtp
// it is always the nexthop, whatever the recipient limit: one docomo host
// gets at most TRANSPORT_destination_concurrency_limit connections.
std::string DestinationKey(bool remote, int recipient_limit, std::string_view nexthop,
                           std::string_view recipient);

// When a deferred message is tried next: `now` + its age in the queue,
// bounded by minimal_backoff_time and maximal_backoff_time (the interval
// roughly doubles with each attempt, as in Postfix).
double NextRetryTime(double now, double arrival, double min_backoff, double max_backoff);

// Whether a message that still has live recipients has been queued too
// long: maximal_queue_lifetime, or bounce_queue_lifetime for mail from the
// null sender (0 = deliver once only).
bool Expired(double now, double arrival, bool null_sender, double max_lifetime,
             double bounce_lifetime);

}  // namespace qmgr

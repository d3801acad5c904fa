#include "qmgr/scheduler.h"

#include <algorithm>
#include <cstdlib>

#include "util/strings.h"

namespace qmgr {
namespace {

util::StatusOr<double> ParseNumber(std::string_view s) {
  std::string t(util::Trim(s));
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (t.empty() || *end != '\0' || d < 0) return util::InvalidArgument("bad number: " + t);
  return d;
}

}  // namespace

util::StatusOr<Feedback> ParseFeedback(std::string_view text) {
  std::string_view t = util::Trim(text);
  Feedback f;
  size_t slash = t.find('/');
  auto bad = [&] { return util::InvalidArgument("bad concurrency feedback: " + std::string(t)); };
  auto num = ParseNumber(t.substr(0, slash));
  if (!num.ok()) return bad();
  f.value = *num;
  if (slash != std::string_view::npos) {
    std::string_view den = util::Trim(t.substr(slash + 1));
    if (den == "concurrency") {
      f.per_concurrency = true;
    } else {
      auto d = ParseNumber(den);
      if (!d.ok() || *d == 0) return bad();
      f.value /= *d;
    }
  }
  if (f.value <= 0 || f.value > 1) return bad();
  return f;
}

void Scheduler::SetTransport(const std::string& transport, const TransportLimits& limits) {
  transports_[transport].limits = limits;
}

Scheduler::Queue& Scheduler::GetQueue(const std::string& transport,
                                      const std::string& destination) {
  Key key(transport, destination);
  auto it = queues_.find(key);
  if (it != queues_.end()) return it->second;
  Queue& q = queues_[key];
  q.transport = transport;
  q.destination = destination;
  const TransportLimits& l = transports_[transport].limits;
  Revive(q, l);
  q.window =
      std::max(1, l.concurrency_limit > 0 ? std::min(l.initial_concurrency, l.concurrency_limit)
                                          : l.initial_concurrency);
  order_.push_back(key);
  return q;
}

void Scheduler::Revive(Queue& q, const TransportLimits&) {
  q.dead = false;
  q.fail_cohorts = 0;
  q.success = 0;
  q.window = 1;
  q.dead_reason.clear();
}

void Scheduler::ReviveAll() {
  for (auto& [key, q] : queues_)
    if (q.dead) Revive(q, transports_[q.transport].limits);
}

void Scheduler::Kill(Queue& q, const std::string& reason, double now) {
  q.dead = true;
  q.dead_until = now + transports_[q.transport].limits.dead_time;
  q.dead_reason = reason;
  while (!q.jobs.empty()) {
    dead_jobs_.push_back({q.transport, q.destination, reason, std::move(q.jobs.front())});
    q.jobs.pop_front();
  }
}

void Scheduler::Add(const std::string& transport, const std::string& destination, uint64_t message,
                    const std::vector<size_t>& recipients, double now) {
  Queue& q = GetQueue(transport, destination);
  const TransportLimits& l = transports_[transport].limits;
  if (q.dead && now >= q.dead_until) Revive(q, l);
  size_t limit = l.recipient_limit > 0 ? static_cast<size_t>(l.recipient_limit) : SIZE_MAX;
  for (size_t i = 0; i < recipients.size(); i += limit) {
    Job job;
    job.message = message;
    job.recipients.assign(recipients.begin() + i,
                          recipients.begin() + std::min(recipients.size(), i + limit));
    if (q.dead)
      dead_jobs_.push_back({transport, destination, q.dead_reason, std::move(job)});
    else
      q.jobs.push_back(std::move(job));
  }
}

bool Scheduler::CanStart(const Queue& q, const TransportState& t, double now) const {
  const TransportLimits& l = t.limits;
  if (q.jobs.empty() || q.dead) return false;
  if (l.maxproc > 0 && t.active >= l.maxproc) return false;
  int window = static_cast<int>(q.window);
  if (l.concurrency_limit > 0) window = std::min(window, l.concurrency_limit);
  if (l.rate_delay > 0) {
    window = 1;
    if (now < q.last_end + l.rate_delay) return false;
  }
  return q.active < std::max(window, 1);
}

std::optional<Delivery> Scheduler::Next(double now) {
  // Dead destinations whose time is up come back.
  for (auto& [key, q] : queues_)
    if (q.dead && q.active == 0 && now >= q.dead_until) Revive(q, transports_[q.transport].limits);
  size_t n = order_.size();
  for (size_t k = 0; k < n; k++) {
    size_t idx = (cursor_ + k) % n;
    Queue& q = queues_[order_[idx]];
    TransportState& t = transports_[q.transport];
    if (!CanStart(q, t, now)) continue;
    cursor_ = (idx + 1) % n;
    Delivery d;
    d.id = next_id_++;
    d.transport = q.transport;
    d.destination = q.destination;
    d.job = std::move(q.jobs.front());
    q.jobs.pop_front();
    bool back_to_back = now - q.last_end <= 1;
    if (!q.conn_store && back_to_back) {
      q.conn_load = q.conn_store = true;
    } else if (q.conn_store && q.active == 0 && !back_to_back) {
      q.conn_store = false;
    }
    d.conn_load = q.conn_load;
    d.conn_store = q.conn_store;
    q.active++;
    t.active++;
    in_flight_[d.id] = order_[idx];
    return d;
  }
  // Drop idle queues so the round-robin list does not grow forever.
  std::vector<Key> keep;
  for (const Key& key : order_) {
    const Queue& q = queues_[key];
    if (q.jobs.empty() && q.active == 0 && !q.dead && q.last_end + 3600 < now &&
        transports_[key.first].limits.rate_delay <= 0)
      queues_.erase(key);
    else
      keep.push_back(key);
  }
  if (keep.size() != order_.size()) {
    order_ = std::move(keep);
    cursor_ = order_.empty() ? 0 : cursor_ % order_.size();
  }
  return std::nullopt;
}

std::optional<double> Scheduler::NextWakeup(double now) const {
  std::optional<double> best;
  auto consider = [&](double t) {
    if (t > now && (!best || t < *best)) best = t;
  };
  for (const auto& [key, q] : queues_) {
    const TransportLimits& l = transports_.at(q.transport).limits;
    if (q.dead && q.active == 0) {
      if (!q.jobs.empty()) consider(q.dead_until);
      continue;
    }
    if (!q.jobs.empty() && l.rate_delay > 0 && q.active == 0) consider(q.last_end + l.rate_delay);
  }
  return best;
}

void Scheduler::Done(uint64_t delivery_id, bool site_failure, const std::string& reason,
                     double now) {
  auto it = in_flight_.find(delivery_id);
  if (it == in_flight_.end()) return;
  Key key = it->second;
  in_flight_.erase(it);
  Queue& q = queues_[key];
  TransportState& t = transports_[key.first];
  const TransportLimits& l = t.limits;
  q.active--;
  t.active--;
  q.last_end = now;
  if (!site_failure) {
    if (q.dead) Revive(q, l);
    q.fail_cohorts = 0;
    if (l.concurrency_limit <= 0 || q.window < l.concurrency_limit) {
      q.success += l.positive.For(q.window);
      while (q.success >= 1 - 1e-9) {
        q.window += 1;
        q.success -= 1;
      }
      if (l.concurrency_limit > 0) q.window = std::min<double>(q.window, l.concurrency_limit);
    }
    return;
  }
  if (q.dead) return;
  q.success = 0;
  q.fail_cohorts += 1.0 / q.window;
  q.window = std::max(1.0, q.window - l.negative.For(q.window));
  if (l.failed_cohort_limit > 0 && q.fail_cohorts >= l.failed_cohort_limit - 1e-9)
    Kill(q, reason, now);
}

std::vector<DeadJob> Scheduler::TakeDeadJobs() {
  std::vector<DeadJob> out;
  out.swap(dead_jobs_);
  return out;
}

double Scheduler::Window(const std::string& transport, const std::string& destination) const {
  auto it = queues_.find(Key(transport, destination));
  return it == queues_.end() ? 0 : it->second.window;
}
int Scheduler::Active(const std::string& transport, const std::string& destination) const {
  auto it = queues_.find(Key(transport, destination));
  return it == queues_.end() ? 0 : it->second.active;
}
bool Scheduler::Dead(const std::string& transport, const std::string& destination) const {
  auto it = queues_.find(Key(transport, destination));
  return it != queues_.end() && it->second.dead;
}
size_t Scheduler::Waiting() const {
  size_t n = 0;
  for (const auto& [key, q] : queues_) n += q.jobs.size();
  return n;
}

std::string DestinationKey(bool remote, int recipient_limit, std::string_view nexthop,
                           std::string_view recipient) {
  return util::Lowercase(!remote && recipient_limit == 1 ? recipient : nexthop);
}

double NextRetryTime(double now, double arrival, double min_backoff, double max_backoff) {
  double age = now - arrival;
  double delay = std::min(std::max(age, min_backoff), max_backoff);
  if (delay < min_backoff) delay = min_backoff;  // max < min: min wins
  return now + delay;
}

bool Expired(double now, double arrival, bool null_sender, double max_lifetime,
             double bounce_lifetime) {
  double lifetime = null_sender ? std::min(bounce_lifetime, max_lifetime) : max_lifetime;
  return now - arrival >= lifetime;
}

}  // namespace qmgr

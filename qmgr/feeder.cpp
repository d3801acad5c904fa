#include "qmgr/feeder.h"

#include "global/cleanup_client.h"

#include <algorithm>

#include "global/mail_queue.h"
#include "qmgr/scheduler.h"
#include "util/msg.h"
#include "util/strings.h"

namespace qmgr {

Feeder::Feeder(const config::Config& cfg, const Deps& deps, Transports* transports, Sink sink)
    : cfg_(cfg), deps_(deps), transports_(transports), sink_(std::move(sink)) {
  for (const std::string& t : cfg_.GetList("defer_transports"))
    defer_transports_.insert(util::Lowercase(t));
  long long configured = std::max<long long>(1, cfg_.GetInt("qmgr_message_active_limit"));
  active_limit_ = static_cast<size_t>(configured);
  if (deps_.max_open_files > 0 && deps_.max_open_files < active_limit_) {
    active_limit_ = deps_.max_open_files;
    msg::Warn(
        "the open file limit allows %zu messages in memory, not qmgr_message_active_limit = "
        "%lld; raise the limit (ulimit -n, LimitNOFILE=) for more",
        active_limit_, configured);
  }
}

void Feeder::Start() {
  ScanActive();
  ScanIncoming();
  ScanDeferred(false);
  long long delay = std::max<long long>(1, cfg_.GetTime("queue_run_delay"));
  deps_.clock->Every(std::chrono::seconds(delay), [this] {
    ScanDeferred(false);
    ScanIncoming();
  });
}

void Feeder::Wake(bool flush) {
  if (stopped_) return;
  if (flush) ScanDeferred(true);
  double wait = last_incoming_scan_ + kScanInterval - deps_.clock->Now();
  if (flush || wait <= 0) {
    ScanIncoming();
  } else if (scan_timer_ == Clock::kNoHandle) {
    scan_timer_ = deps_.clock->After(
        std::chrono::milliseconds(static_cast<long long>(wait * 1000) + 1), [this] {
          scan_timer_ = Clock::kNoHandle;
          ScanIncoming();
        });
  }
}

void Feeder::Stop() { stopped_ = true; }

bool Feeder::Full(size_t taking) const {
  return in_memory_.size() + taking >= active_limit_ ||
         recipients_in_memory_ >= static_cast<size_t>(cfg_.GetInt("qmgr_message_recipient_limit"));
}

void Feeder::Released(const std::string& id) {
  auto it = in_memory_.find(id);
  if (it == in_memory_.end()) return;
  bool was_full = Full();
  recipients_in_memory_ -= std::min(recipients_in_memory_, it->second);
  in_memory_.erase(it);
  if (was_full && !Full()) ArmFeed();
}

void Feeder::List(std::string_view queue, bool all, std::deque<Candidate>* to) {
  Append(queue, deps_.store->List(queue), all, to);
}

void Feeder::Append(std::string_view queue, util::StatusOr<std::vector<std::string>> ids, bool all,
                    std::deque<Candidate>* to) {
  if (!ids.ok()) {
    msg::Warn("scan %s: %s", std::string(queue).c_str(), ids.status().message().c_str());
    return;
  }
  std::sort(ids->begin(), ids->end());  // oldest first (queue IDs begin with the time)
  for (std::string& id : *ids)
    if (!in_memory_.count(id) && listed_.insert(id).second)
      to->push_back({queue, std::move(id), all});
  ArmFeed();
}

void Feeder::ScanActive() { List(mail_queue::kActive, true, &feed_other_); }

void Feeder::RetryActiveLater() {
  if (active_retry_timer_ != Clock::kNoHandle) return;
  active_retry_timer_ = deps_.clock->After(std::chrono::seconds(1), [this] {
    active_retry_timer_ = Clock::kNoHandle;
    ScanActive();
    ArmFeed();
  });
}

void Feeder::ScanIncoming() {
  last_incoming_scan_ = deps_.clock->Now();
  if (!feed_incoming_.empty()) {
    rescan_incoming_ = true;  // when the current listing has been taken
    return;
  }
  rescan_incoming_ = false;
  List(mail_queue::kIncoming, true, &feed_incoming_);
  if (flow_) flow_(0, feed_incoming_.empty());
}

void Feeder::ScanDeferred(bool all) {
  if (all) flush_deferred_ = true;  // also for files listed before and not yet taken
  // A flush's listing still under way lists every file anyway.
  if (!all && deferred_parts_all_ && !deferred_parts_.empty()) return;
  // Otherwise the scan starts over (files listed already are not listed
  // twice).
  std::vector<std::string> parts = deps_.store->Parts(mail_queue::kDeferred);
  deferred_parts_.assign(parts.begin(), parts.end());
  deferred_parts_all_ = all;
  ListDeferredParts();
}

void Feeder::ListDeferredParts() {
  // A regular scan lists only what is due: a large deferred queue would
  // otherwise sit in memory (and be opened file by file) at every scan.
  // One part at a time, until one gives something to take.
  while (feed_other_.empty() && !deferred_parts_.empty()) {
    std::string part = std::move(deferred_parts_.front());
    deferred_parts_.pop_front();
    Append(mail_queue::kDeferred,
           deps_.store->ListPart(mail_queue::kDeferred, part, !deferred_parts_all_,
                                 deps_.clock->Now()),
           deferred_parts_all_, &feed_other_);
  }
}

void Feeder::ArmFeed() {
  if (stopped_ || feed_timer_ != Clock::kNoHandle || Full()) return;
  if (feed_incoming_.empty() && feed_other_.empty() && deferred_parts_.empty()) return;
  feed_timer_ = deps_.clock->After(std::chrono::milliseconds(0), [this] {
    feed_timer_ = Clock::kNoHandle;
    Feed();
  });
}

void Feeder::Feed() {
  if (stopped_) return;  // a turn armed before Stop()
  // A few messages from incoming/ (kFeedBatch) and one from the other
  // queues per turn of the event loop: delivery replies that arrived
  // meanwhile are handled first, so a large listing never holds up the
  // deliveries already in memory (Postfix's qmgr feeds its active queue the
  // same way, one message at a time), and the batch's recipients are
  // resolved in one round trip to trivial-rewrite instead of one each.
  // Files that are not taken (not due yet, not ready, gone) are cheap, so a
  // turn goes on past a bounded number of them.
  std::vector<std::unique_ptr<Message>> batch;
  size_t from_incoming = 0;
  ListDeferredParts();  // the next part once the previous has been taken
  for (std::deque<Candidate>* q : {&feed_incoming_, &feed_other_}) {
    if (q == &feed_other_) from_incoming = batch.size();
    size_t want = batch.size() + (q == &feed_incoming_ ? kFeedBatch : 1);
    for (int tries = 0; tries < kFeedTries && !q->empty() && batch.size() < want; tries++) {
      if (Full(batch.size())) break;
      Candidate c = std::move(q->front());
      q->pop_front();
      listed_.erase(c.id);
      bool flushed = c.queue == mail_queue::kDeferred && (c.all || flush_deferred_);
      bool all = c.all || flushed;
      if (auto m = Take(c.queue, c.id, all)) {
        m->flushed = flushed;
        batch.push_back(std::move(m));
      }
    }
  }
  // Every live recipient of the batch is resolved in one round trip.
  std::vector<resolve_client::ResolveClient::Query> queries;
  for (const auto& m : batch)
    for (const queue_file::Recipient& rc : m->env.recipients)
      if (!rc.done) queries.push_back({m->env.sender, rc.address});
  std::vector<util::StatusOr<resolve_client::ResolveResult>> results;
  if (!queries.empty()) results = deps_.resolve(queries);
  results.resize(queries.size(), util::Unavailable("no answer"));
  std::vector<Loaded> loaded;
  size_t next = 0;
  for (auto& m : batch) {
    size_t live = m->env.LiveRecipients();
    loaded.push_back(Load(std::move(m), results.data() + next));
    next += live;
  }
  if (feed_other_.empty() && deferred_parts_.empty()) flush_deferred_ = false;
  if (feed_incoming_.empty() && rescan_incoming_) ScanIncoming();
  if (flow_) flow_(from_incoming, feed_incoming_.empty() && !rescan_incoming_);
  sink_(std::move(loaded));
  ArmFeed();
}

std::unique_ptr<Message> Feeder::Take(std::string_view queue, const std::string& id, bool all) {
  if (in_memory_.count(id)) return nullptr;
  double now = deps_.clock->Now();
  std::unique_ptr<QueueStore::File> file;
  switch (deps_.store->Take(queue, id, all, now, &file)) {
    case QueueStore::TakeResult::kTaken:
      break;
    case QueueStore::TakeResult::kBusy:
      RetryActiveLater();
      return nullptr;
    case QueueStore::TakeResult::kSkipped:
      return nullptr;
  }
  auto m = std::make_unique<Message>();
  m->id = id;
  m->file = std::move(file);
  m->active_time = now;
  auto env = deps_.store->ReadTaken(id, *m->file);
  if (!env.ok()) {
    if (env.status().code() == util::Code::kInvalidArgument) {
      deps_.store->RemoveLog(mail_queue::kDefer, id);
      if (util::Status st = deps_.store->MoveToCorrupt(id); st.ok())
        msg::Warn("%s: %s; moved to corrupt/%s", id.c_str(), env.status().message().c_str(),
                  id.c_str());
      else
        msg::Warn("%s: %s; cannot move to corrupt/: %s", id.c_str(), env.status().message().c_str(),
                  st.message().c_str());
    } else {
      // Left in active/ (out of descriptors, say), with its defer log:
      // looked at again soon, not only when qmgr restarts.
      msg::Warn("%s: %s", id.c_str(), env.status().message().c_str());
      RetryActiveLater();
    }
    deps_.store->Release(std::move(m->file), false);
    return nullptr;
  }
  m->env = std::move(*env);
  // The defer log described the previous attempt; keep its reasons in
  // memory (for bounces at expiry) and start afresh. Mail in incoming/ may
  // have had attempts too: the flush service (ETRN) moves deferred mail
  // there.
  if (std::optional<double> when = deps_.store->LogTime(mail_queue::kDefer, id)) {
    m->prev_attempt = *when;
    if (auto entries = deps_.store->ReadLog(mail_queue::kDefer, id); entries.ok())
      for (delivery_log::Entry& e : *entries)
        m->prev_defer.push_back({std::move(e.recipient), std::move(e.status), std::move(e.reason)});
    deps_.store->RemoveLog(mail_queue::kDefer, id);
  }
  m->force_expired = deps_.store->ExpireRequested(*m->file);
  m->arrival = m->env.arrival_sec + m->env.arrival_usec / 1e6;
  if (m->prev_attempt < m->arrival) m->prev_attempt = m->arrival;
  return m;
}

Loaded Feeder::Load(std::unique_ptr<Message> owned,
                    util::StatusOr<resolve_client::ResolveResult>* resolved) {
  Loaded out;
  Message& m = *owned;
  out.message = std::move(owned);
  const queue_file::Envelope& env = m.env;
  msg::Info("%s: from=<%s>, size=%llu, nrcpt=%zu (queue active)", m.id.c_str(), env.sender.c_str(),
            static_cast<unsigned long long>(env.content_size), env.recipients.size());
  m.resolved.resize(env.recipients.size());
  m.nexthop.resize(env.recipients.size());
  std::vector<Group> groups;
  std::map<std::pair<std::string, std::string>, size_t> group_index;
  std::vector<size_t> resolve_failed, bad_syntax;
  std::string resolve_reason;
  std::optional<std::string_view> filter = env.Attr(cleanup_client::kAttrContentFilter);
  if (filter && filter->find(':') == 0) filter.reset();  // no transport: ignored
  for (size_t i = 0; i < env.recipients.size(); i++) {
    const queue_file::Recipient& rc = env.recipients[i];
    if (rc.done) continue;
    m.counted++;
    util::StatusOr<resolve_client::ResolveResult>& r = *resolved++;
    if (!r.ok()) {
      resolve_failed.push_back(i);
      resolve_reason = r.status().message();
      continue;
    }
    if (r->error()) {
      bad_syntax.push_back(i);
      continue;
    }
    m.resolved[i] = r->recipient.empty() ? rc.address : r->recipient;
    std::string transport = r->transport;
    m.nexthop[i] = r->nexthop;
    // A content check's FILTER transport:destination (cleanup): every
    // recipient goes there (the resolved next hop when no destination).
    if (filter) {
      size_t colon = filter->find(':');
      transport = std::string(filter->substr(0, colon));
      if (colon != std::string_view::npos && colon + 1 < filter->size())
        m.nexthop[i] = std::string(filter->substr(colon + 1));
    }
    const Transports::Info& t = transports_->Get(transport);
    std::string dest =
        DestinationKey(t.remote, t.limits.recipient_limit, m.nexthop[i], m.resolved[i]);
    auto gk = std::make_pair(transport, dest);
    auto it = group_index.find(gk);
    if (it == group_index.end()) {
      it = group_index.emplace(gk, groups.size()).first;
      groups.push_back({transport, dest, {}});
    }
    groups[it->second].rcpts.push_back(i);
  }
  in_memory_[m.id] = m.counted;
  recipients_in_memory_ += m.counted;
  if (!resolve_failed.empty()) {
    // The service's own failures say so already; a connection problem not.
    std::string_view prefix = "address resolver failure";
    if (resolve_reason.compare(0, prefix.size(), prefix) != 0)
      resolve_reason = std::string(prefix) + ": " + resolve_reason;
    out.deferrals.push_back({resolve_failed, "4.3.0", resolve_reason, false});
  }
  if (m.force_expired) {  // no attempt: the finisher returns it to the sender
    m.all_finished = false;
    return out;
  }
  if (!bad_syntax.empty())
    out.deferrals.push_back({bad_syntax, "5.1.3", "bad address syntax", true});
  for (Group& g : groups) {
    if (!m.flushed && defer_transports_.count(util::Lowercase(g.transport))) {
      // Postfix's defer_transports: not delivered until a flush.
      out.deferrals.push_back({std::move(g.rcpts), "4.3.2", "deferred transport", false});
      continue;
    }
    out.groups.push_back(std::move(g));
  }
  return out;
}

}  // namespace qmgr

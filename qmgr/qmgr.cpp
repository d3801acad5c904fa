#include "qmgr/qmgr.h"

#include <algorithm>
#include <optional>

#include "global/deliver_status.h"
#include "global/mail_flow.h"
#include "global/master_proto.h"
#include "util/msg.h"

namespace qmgr {

QueueManager::QueueManager(const config::Config& cfg, const Deps& deps)
    : cfg_(cfg),
      deps_(deps),
      transports_(cfg),
      feeder_(cfg, deps, &transports_, [this](std::vector<Loaded> b) { Schedule(std::move(b)); }),
      finisher_(cfg, deps) {
  // in_flow_delay: tokens for cleanup and pickup as mail is taken in.
  if (cfg.GetTime("in_flow_delay") > 0) {
    size_t limit = static_cast<size_t>(std::max(1LL, cfg.GetInt("default_process_limit")));
    feeder_.OnTurn([limit](size_t taken, bool idle) { mail_flow::Regulate(taken, idle, limit); });
  }
}

QueueManager::~QueueManager() = default;

void QueueManager::Start() {
  feeder_.Start();
  Pump();
}

void QueueManager::Drain() {
  if (draining_) return;
  draining_ = true;
  feeder_.Stop();
  msg::Info("draining: %zu deliveries in flight", in_flight_);
}

void QueueManager::Trigger(std::string_view bytes) {
  if (draining_) return;
  const bool flush = bytes.find(master_proto::kTriggerFlush) != std::string_view::npos;
  if (flush || bytes.find(master_proto::kTriggerReviveDead) != std::string_view::npos) {
    scheduler_.ReviveAll();
    Pump();
  }
  feeder_.Wake(flush);
}

void QueueManager::Schedule(std::vector<Loaded> batch) {
  for (Loaded& l : batch) {
    uint64_t key = next_message_++;
    l.message->key = key;
    Message& m = *l.message;
    messages_[key] = std::move(l.message);
    double now = deps_.clock->Now();
    for (const Deferral& d : l.deferrals)
      ReportRecipients(*deps_.notices, now, m, d.rcpts, d.dsn, d.reason, d.bounce);
    for (const Group& g : l.groups) {
      if (!scheduler_.HasTransport(g.transport))
        scheduler_.SetTransport(g.transport, transports_.Get(g.transport).limits);
      m.pending += g.rcpts.size();
      scheduler_.Add(g.transport, g.destination, key, g.rcpts, now);
    }
    if (m.pending == 0) Finish(m);
  }
  Pump();
}

void QueueManager::Pump() {
  if (pumping_ || draining_) return;
  pumping_ = true;
  for (;;) {
    std::vector<DeadJob> dead = scheduler_.TakeDeadJobs();
    for (DeadJob& dj : dead) {
      auto it = messages_.find(dj.job.message);
      if (it == messages_.end()) continue;
      Message& m = *it->second;
      std::string text = dj.reason.empty() ? "destination is not responding" : dj.reason;
      std::string dsn, rest;
      deliver_status::SplitDsn(text, "4.4.1", '4', &dsn, &rest);
      ReportRecipients(*deps_.notices, deps_.clock->Now(), m, dj.job.recipients, dsn,
                       "delivery temporarily suspended: " + rest, false);
      m.pending -= std::min(m.pending, dj.job.recipients.size());
      if (m.pending == 0) Finish(m);
    }
    std::optional<Delivery> d = scheduler_.Next(deps_.clock->Now());
    if (d) {
      StartDelivery(std::move(*d));
      continue;
    }
    if (dead.empty()) break;
  }
  double now = deps_.clock->Now();
  std::optional<double> wake = scheduler_.NextWakeup(now);
  if (wake && (wakeup_timer_ == Clock::kNoHandle || *wake < wakeup_at_)) {
    if (wakeup_timer_ != Clock::kNoHandle) deps_.clock->Cancel(wakeup_timer_);
    wakeup_at_ = *wake;
    auto ms = std::chrono::milliseconds(static_cast<long long>((*wake - now) * 1000) + 1);
    wakeup_timer_ = deps_.clock->After(ms, [this] {
      wakeup_timer_ = Clock::kNoHandle;
      Pump();
    });
  }
  pumping_ = false;
}

void QueueManager::StartDelivery(Delivery d) {
  auto mit = messages_.find(d.job.message);
  if (mit == messages_.end()) {
    scheduler_.Done(d.id, false, "", deps_.clock->Now());
    return;
  }
  Message& m = *mit->second;
  std::string nexthop = m.nexthop[d.job.recipients.front()];
  deliver_request::Request req = BuildRequest(m, d.job.recipients, nexthop);
  if (d.conn_load) req.flags |= deliver_request::kFlagConnLoad;
  if (d.conn_store) req.flags |= deliver_request::kFlagConnStore;
  if (d.job.recipients.size() >= m.pending) {
    // Nothing else of this message is queued or in delivery: Finish comes
    // next, which removes the file or syncs it.
    req.flags |= deliver_request::kFlagLastDelivery;
    m.unsynced_marks = true;
  }
  in_flight_++;
  std::string transport = d.transport;
  util::Status sent = deps_.agents->Send(
      transport, req,
      [this, d](util::StatusOr<deliver_request::Reply> result) { EndDelivery(d, result); });
  if (!sent.ok()) EndDelivery(d, sent);
}

void QueueManager::EndDelivery(const Delivery& d,
                               const util::StatusOr<deliver_request::Reply>& result) {
  in_flight_--;
  bool got_reply = result.ok();
  bool site_failure = !got_reply || result->site_failure;
  std::string reason = got_reply ? result->reason : result.status().message();
  if (!got_reply) msg::Warn("%s: %s", d.transport.c_str(), reason.c_str());
  scheduler_.Done(d.id, site_failure, reason, deps_.clock->Now());
  auto mit = messages_.find(d.job.message);
  if (mit != messages_.end()) {
    Message& m = *mit->second;
    if (!got_reply || result->status != 0) m.all_finished = false;
    if (!got_reply) {
      // Whatever the agent finished is marked in the file; defer the rest.
      auto env = deps_.store->Read(m.id);
      if (env.ok()) {
        std::vector<size_t> left;
        for (size_t i : d.job.recipients)
          for (const queue_file::Recipient& rc : env->recipients)
            if (rc.offset == m.env.recipients[i].offset && !rc.done) left.push_back(i);
        if (!left.empty())
          ReportRecipients(*deps_.notices, deps_.clock->Now(), m, left, "4.3.0", reason, false);
      }
    }
    m.pending -= std::min(m.pending, d.job.recipients.size());
    if (m.pending == 0) Finish(m);
  }
  Pump();
}

void QueueManager::Finish(Message& m) {
  finisher_.Finish(m);
  auto it = messages_.find(m.key);
  if (it == messages_.end()) return;
  std::unique_ptr<Message> gone = std::move(it->second);
  messages_.erase(it);
  // Closes the file (if still here): the lock goes with it.
  deps_.store->Release(std::move(gone->file), gone->removed);
  feeder_.Released(gone->id);
}

}  // namespace qmgr

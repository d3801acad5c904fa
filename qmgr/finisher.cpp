#include "qmgr/finisher.h"

#include "global/mail_queue.h"
#include "qmgr/scheduler.h"
#include "util/msg.h"

namespace qmgr {

Finisher::Outcome Finisher::Remove(Message& m, bool defer_log, bool bounce_log) {
  util::Status st = deps_.store->Remove(m.id);
  if (!st.ok()) {
    if (st.code() == util::Code::kNotFound) return Outcome::kGone;
    msg::Warn("%s: %s", m.id.c_str(), st.message().c_str());
    return Outcome::kKept;
  }
  m.removed = true;
  if (defer_log) deps_.store->RemoveLog(mail_queue::kDefer, m.id);
  if (bounce_log) deps_.store->RemoveLog(mail_queue::kBounce, m.id);
  deps_.store->RemoveLog(mail_queue::kTrace, m.id);
  msg::Info("%s: removed", m.id.c_str());
  return Outcome::kRemoved;
}

Finisher::Outcome Finisher::Finish(Message& m) {
  QueueStore& store = *deps_.store;
  Notices& notices = *deps_.notices;
  if (m.all_finished && m.counted > 0) {
    // The common case: every recipient was sent (or bounced by the agent).
    bool bounced = store.LogTime(mail_queue::kBounce, m.id).has_value();
    if (!bounced || notices.Notify(bounce_client::Notice::kNonDelivery, m.id).ok()) {
      Outcome o = Remove(m, false, bounced);
      if (o == Outcome::kKept) SyncMarks(store, m);
      return o;
    }
    // The notice could not be sent: the general path below keeps the file.
  }
  SyncMarks(store, m);
  auto env = store.Read(m.id);
  if (!env.ok()) {
    if (env.status().code() != util::Code::kNotFound)
      msg::Warn("%s: %s", m.id.c_str(), env.status().message().c_str());
    return Outcome::kGone;  // moved or removed by postsuper, or left for a restart
  }
  auto live = [&](const queue_file::Envelope& e) {
    std::vector<size_t> out;
    const auto& now_rcpts = e.recipients;
    for (size_t i = 0; i < now_rcpts.size() && i < m.env.recipients.size(); i++)
      if (!now_rcpts[i].done) out.push_back(i);
    return out;
  };
  std::vector<size_t> left = live(*env);
  double now = deps_.clock->Now();
  // postsuper -e/-f, also when it came while the message was being delivered.
  bool forced = m.force_expired || deps_.store->ExpireRequested(*m.file);
  if (!left.empty() &&
      (forced || Expired(now, m.arrival, m.env.sender.empty(),
                         static_cast<double>(cfg_.GetTime("maximal_queue_lifetime")),
                         static_cast<double>(cfg_.GetTime("bounce_queue_lifetime"))))) {
    // Per recipient: this attempt's reason, else the previous one.
    std::map<std::string, PrevReason> reasons;
    for (const PrevReason& p : m.prev_defer) reasons[p.recipient] = p;
    if (auto entries = store.ReadLog(mail_queue::kDefer, m.id); entries.ok())
      for (const delivery_log::Entry& e : *entries)
        reasons[e.recipient] = {e.recipient, e.status, e.reason};
    msg::Info("%s: from=<%s>, status=%s, returned to sender", m.id.c_str(), m.env.sender.c_str(),
              forced ? "force-expired" : "expired");
    for (size_t i : left) {
      std::string addr = m.resolved[i].empty() ? m.env.recipients[i].address : m.resolved[i];
      auto it = reasons.find(addr);
      std::string dsn = it != reasons.end() ? it->second.status : forced ? "4.7.0" : "4.4.7";
      std::string why = it != reasons.end() ? it->second.reason
                        : forced            ? "message is administratively expired"
                                            : "delivery time expired";
      ReportRecipients(notices, now, m, {i}, dsn, why, true);
    }
    env = store.Read(m.id);
    if (!env.ok()) return Outcome::kGone;
    left = live(*env);
  }
  bool bounce_ok = true;
  if (store.LogTime(mail_queue::kBounce, m.id)) {
    util::Status bs = notices.Notify(bounce_client::Notice::kNonDelivery, m.id);
    if (!bs.ok()) {
      msg::Warn("%s: cannot send the non-delivery notice: %s; message kept", m.id.c_str(),
                bs.message().c_str());
      bounce_ok = false;
    }
  }
  if (left.empty() && bounce_ok) return Remove(m, true, true);
  double warn = static_cast<double>(cfg_.GetTime("delay_warning_time"));
  // The first attempt to end past delay_warning_time sends the notice. An
  // attempt's end is when its last defer reason was written (the defer
  // log's mtime), the same clock the next attempt reads as prev_attempt: so
  // exactly one attempt is the first, however close to the limit it ends.
  std::optional<double> ended;
  if (!left.empty() && warn > 0) ended = store.LogTime(mail_queue::kDefer, m.id).value_or(now);
  if (ended && *ended - m.arrival >= warn && m.prev_attempt - m.arrival < warn) {
    util::Status ws = notices.Notify(bounce_client::Notice::kDelay, m.id);
    if (!ws.ok())
      msg::Warn("%s: cannot send the delay notice: %s", m.id.c_str(), ws.message().c_str());
  }
  double next =
      NextRetryTime(now, m.arrival, static_cast<double>(cfg_.GetTime("minimal_backoff_time")),
                    static_cast<double>(cfg_.GetTime("maximal_backoff_time")));
  util::Status st = store.Defer(m.id, *m.file, next);
  if (st.ok()) return Outcome::kDeferred;
  if (st.code() == util::Code::kNotFound) return Outcome::kGone;
  msg::Warn("%s: %s", m.id.c_str(), st.message().c_str());
  return Outcome::kKept;
}

}  // namespace qmgr

#include "qmgr/qmgr.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "global/bounce_client.h"
#include "global/deliver_status.h"
#include "global/delivery_log.h"
#include "global/master_proto.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/sockets.h"
#include "util/strings.h"

namespace qmgr {

struct QueueManager::Message {
  uint64_t key = 0;
  std::string id;
  util::Fd lock;
  queue_file::Envelope env;
  double arrival = 0;
  double active_time = 0;
  std::vector<std::string> resolved;  // per envelope recipient: the address to deliver to
  std::vector<std::string> nexthop;   // per envelope recipient: the nexthop as resolved
  size_t pending = 0;                 // recipients queued or in delivery
  size_t counted = 0;                 // recipients counted in recipients_in_memory_
  std::map<std::string, delivery_log::Entry> prev_defer;  // last attempt's reasons
  double prev_attempt = 0;  // when the previous attempt ended (defer log mtime)
  // Every delivery so far answered "all finished" and nothing was deferred
  // or bounced by qmgr itself: no recipient is left and no defer log was
  // written, so Finish need not read the file again.
  bool all_finished = true;
  bool removed = false;  // the file was unlinked: closing it frees the inode
  // A delivery went out with kFlagLastDelivery: its done marks may not be
  // on disk yet, so the file is synced before it is kept.
  bool unsynced_marks = false;
  // Taken from deferred/ by a flush: defer_transports do deliver it.
  bool flushed = false;
};

// Closes the descriptors of removed queue files on a thread of its own.
// The last close of an unlinked file frees its inode and blocks (with
// online discard, the freed blocks are discarded synchronously): in the
// one qmgr process that would hold up every delivery; Postfix has the
// delivery agent, which still holds the file, pay for it. The lock goes
// with the close, which is harmless: the file has no name any more.
class QueueManager::Closer {
 public:
  Closer() : thread_([this] { Run(); }) {}
  ~Closer() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Close(util::Fd fd) {
    int raw = fd.release();
    if (raw < 0) return;
    bool was_idle;
    {
      std::lock_guard<std::mutex> l(mu_);
      was_idle = fds_.empty();
      fds_.push_back(raw);
    }
    if (was_idle) cv_.notify_one();
  }

 private:
  // Woken by the first descriptor, the thread collects for kBatch more
  // before closing them all: one wake-up per batch instead of a context
  // switch away from qmgr's loop per message.
  static constexpr std::chrono::milliseconds kBatch{10};
  void Run() {
    for (;;) {
      std::vector<int> batch;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [this] { return stop_ || !fds_.empty(); });
        if (!stop_) cv_.wait_for(l, kBatch, [this] { return stop_; });
        if (fds_.empty()) return;  // stopped, nothing left
        batch.swap(fds_);
      }
      for (int fd : batch) close(fd);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> fds_;
  bool stop_ = false;
  std::thread thread_;
};

struct QueueManager::InFlight {
  Delivery d;
  util::Fd fd;
  util::EventLoop::Handle watch = util::EventLoop::kNoHandle;
  util::AttrDecoder dec;
};

namespace {

// A file's modification time in seconds, nullopt when it is not there.
std::optional<double> Mtime(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
}

}  // namespace

QueueManager::QueueManager(const config::Config& cfg, util::EventLoop* loop)
    : cfg_(cfg),
      loop_(loop),
      layout_(mail_queue::Layout::FromConfig(cfg)),
      resolver_(cfg),
      closer_(std::make_unique<Closer>()) {
  for (const std::string& t : cfg_.GetList("defer_transports"))
    defer_transports_.insert(util::Lowercase(t));
}

QueueManager::~QueueManager() = default;

double QueueManager::Now() const {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return tv.tv_sec + tv.tv_usec / 1e6;
}

TransportLimits LoadTransportLimits(const config::Config& cfg, const std::string& name,
                                    bool* remote) {
  config::Config c = cfg;
  const config::MasterEntry* e = cfg.master_cf().Find(name, "unix");
  std::string command = e ? e->command : name;
  std::set<std::string> overridden;
  if (e)
    for (const auto& [k, v] : e->overrides) {
      c.Set(k, v);
      overridden.insert(k);
    }
  auto param = [&](const std::string& suffix) {
    std::string t = name + suffix;
    if (overridden.count(t)) return t;
    std::string cmd = command + suffix;
    if (overridden.count(cmd)) return cmd;
    if (c.Raw(t)) return t;
    return "default" + suffix;
  };
  auto feedback = [&](const std::string& suffix) {
    std::string p = param(suffix);
    auto f = ParseFeedback(c.Get(config::AnyParam::Dynamic(p)));
    if (!f.ok()) {
      msg::Warn("%s: %s; using 1", p.c_str(), f.status().message().c_str());
      return Feedback();
    }
    return *f;
  };
  TransportLimits l;
  l.initial_concurrency = static_cast<int>(c.GetInt("initial_destination_concurrency"));
  l.concurrency_limit = static_cast<int>(
      c.GetInt(config::IntParam::Dynamic(param("_destination_concurrency_limit"))));
  l.recipient_limit =
      static_cast<int>(c.GetInt(config::IntParam::Dynamic(param("_destination_recipient_limit"))));
  l.rate_delay =
      static_cast<double>(c.GetTime(config::TimeParam::Dynamic(param("_destination_rate_delay"))));
  l.positive = feedback("_destination_concurrency_positive_feedback");
  l.negative = feedback("_destination_concurrency_negative_feedback");
  l.failed_cohort_limit = static_cast<int>(
      c.GetInt(config::IntParam::Dynamic(param("_destination_concurrency_failed_cohort_limit"))));
  l.dead_time = static_cast<double>(c.GetTime("minimal_backoff_time"));
  int maxproc = e ? e->maxproc() : -1;
  l.maxproc = maxproc < 0 ? static_cast<int>(c.GetInt("default_process_limit")) : maxproc;
  *remote = command == "smtp" || command == "lmtp";
  return l;
}

const QueueManager::TransportInfo& QueueManager::Transport(const std::string& name) {
  auto it = transports_.find(name);
  if (it != transports_.end()) return it->second;
  TransportInfo info;
  info.limits = LoadTransportLimits(cfg_, name, &info.remote);
  const TransportLimits& l = info.limits;
  if (msg::Verbose())
    msg::Info("transport %s: concurrency %d..%d, recipients %d, rate delay %g, maxproc %d",
              name.c_str(), l.initial_concurrency, l.concurrency_limit, l.recipient_limit,
              l.rate_delay, l.maxproc);
  scheduler_.SetTransport(name, l);
  return transports_[name] = info;
}

void QueueManager::Start() {
  ScanActive();
  ScanIncoming();
  ScanDeferred(false);
  long long delay = std::max<long long>(1, cfg_.GetTime("queue_run_delay"));
  loop_->AddPeriodic(std::chrono::seconds(delay), [this] {
    ScanDeferred(false);
    ScanIncoming();
  });
  Pump();
}

void QueueManager::Drain() {
  if (draining_) return;
  draining_ = true;
  msg::Info("draining: %zu deliveries in flight", in_flight_.size());
}

void QueueManager::Trigger(std::string_view bytes) {
  if (draining_) return;
  bool flush = bytes.find(master_proto::kTriggerFlush) != std::string_view::npos;
  if (flush) ScanDeferred(true);
  double wait = last_incoming_scan_ + kScanInterval - Now();
  if (flush || wait <= 0) {
    ScanIncoming();
  } else if (scan_timer_ == util::EventLoop::kNoHandle) {
    scan_timer_ =
        loop_->AddTimer(std::chrono::milliseconds(static_cast<long long>(wait * 1000) + 1), [this] {
          scan_timer_ = util::EventLoop::kNoHandle;
          ScanIncoming();
        });
  }
}

bool QueueManager::Full(size_t taking) const {
  return messages_.size() + taking >=
             static_cast<size_t>(cfg_.GetInt("qmgr_message_active_limit")) ||
         recipients_in_memory_ >= static_cast<size_t>(cfg_.GetInt("qmgr_message_recipient_limit"));
}

void QueueManager::List(std::string_view queue, bool all, std::deque<Candidate>* to) {
  auto ids = mail_queue::ListQueue(layout_, queue);
  if (!ids.ok()) {
    msg::Warn("scan %s: %s", std::string(queue).c_str(), ids.status().message().c_str());
    return;
  }
  std::sort(ids->begin(), ids->end());  // oldest first (queue IDs begin with the time)
  for (std::string& id : *ids)
    if (!ids_in_memory_.count(id) && listed_.insert(id).second)
      to->push_back({queue, std::move(id), all});
  ArmFeed();
}

void QueueManager::ScanActive() { List(mail_queue::kActive, true, &feed_other_); }

void QueueManager::RetryActiveLater() {
  if (active_retry_timer_ != util::EventLoop::kNoHandle) return;
  active_retry_timer_ = loop_->AddTimer(std::chrono::seconds(1), [this] {
    active_retry_timer_ = util::EventLoop::kNoHandle;
    ScanActive();
    ArmFeed();
  });
}

void QueueManager::ScanIncoming() {
  last_incoming_scan_ = Now();
  if (!feed_incoming_.empty()) {
    rescan_incoming_ = true;  // when the current listing has been taken
    return;
  }
  rescan_incoming_ = false;
  List(mail_queue::kIncoming, true, &feed_incoming_);
}

void QueueManager::ScanDeferred(bool all) {
  if (all) flush_deferred_ = true;  // also for files listed before and not yet taken
  List(mail_queue::kDeferred, all, &feed_other_);
}

void QueueManager::ArmFeed() {
  if (draining_ || feed_timer_ != util::EventLoop::kNoHandle || Full()) return;
  if (feed_incoming_.empty() && feed_other_.empty()) return;
  feed_timer_ = loop_->AddTimer(std::chrono::milliseconds(0), [this] {
    feed_timer_ = util::EventLoop::kNoHandle;
    Feed();
  });
}

void QueueManager::Feed() {
  // A few messages from incoming/ (kFeedBatch) and one from the other
  // queues per turn of the event loop: delivery replies that arrived
  // meanwhile are handled first, so a large listing never holds up the
  // deliveries already in memory (Postfix's qmgr feeds its active queue the
  // same way, one message at a time), and the batch's recipients are
  // resolved in one round trip to trivial-rewrite instead of one each.
  // Files that are not taken (not due yet, not ready, gone) are cheap, so a
  // turn goes on past a bounded number of them.
  std::vector<std::unique_ptr<Message>> batch;
  for (std::deque<Candidate>* q : {&feed_incoming_, &feed_other_}) {
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
  LoadAll(std::move(batch));
  if (feed_other_.empty()) flush_deferred_ = false;
  if (feed_incoming_.empty() && rescan_incoming_) ScanIncoming();
  Pump();
  ArmFeed();
}

std::unique_ptr<QueueManager::Message> QueueManager::Take(std::string_view queue,
                                                          const std::string& id, bool all) {
  if (ids_in_memory_.count(id)) return nullptr;
  std::string path = layout_.Path(queue, id);
  int raw = open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) return nullptr;
  util::Fd fd(raw);
  struct stat st;
  if (fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode)) return nullptr;
  if (!all && st.st_mtime > static_cast<time_t>(Now())) return nullptr;  // not yet
  if (!(st.st_mode & S_IXUSR)) return nullptr;  // still being written (queue_file.h's ready bit)
  if (flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
    // postsuper has it, or the qmgr before us (draining after a reload)
    // still holds it: an active/ file is looked at again soon.
    if (queue == mail_queue::kActive) RetryActiveLater();
    return nullptr;
  }
  if (queue_file::DeliveryInProgress(fd.get())) {
    // An agent of an earlier qmgr (before a reload or a crash) is still
    // delivering it: taking it now would deliver it twice. Look again soon.
    msg::Info("%s: skipped, still being delivered", id.c_str());
    RetryActiveLater();
    return nullptr;
  }
  std::string active = layout_.Path(mail_queue::kActive, id);
  if (queue != mail_queue::kActive) {
    if (util::RenameNoReplace(path, active) < 0) {
      if (errno != ENOENT)
        msg::Warn("%s: move %s to active: %s", id.c_str(), std::string(queue).c_str(),
                  strerror(errno));
      return nullptr;
    }
  }
  auto m = std::make_unique<Message>();
  m->id = id;
  m->lock = std::move(fd);
  m->active_time = Now();
  // The defer log described the previous attempt; keep its reasons in
  // memory (for bounces at expiry) and start afresh. New mail (incoming)
  // has had no attempt, so there is no log to look for.
  std::string defer_path = delivery_log::Path(layout_, mail_queue::kDefer, id);
  std::optional<double> when = queue == mail_queue::kIncoming ? std::nullopt : Mtime(defer_path);
  if (when) {
    m->prev_attempt = *when;
    if (auto entries = delivery_log::Read(defer_path); entries.ok())
      for (const delivery_log::Entry& e : *entries) m->prev_defer[e.recipient] = e;
    (void)delivery_log::Remove(layout_, mail_queue::kDefer, id);
  }
  // Read through the descriptor we hold (no second path lookup).
  util::Fd copy(dup(m->lock.get()));
  auto reader =
      copy ? queue_file::Reader::FromFd(std::move(copy), active) : queue_file::Reader::Open(active);
  if (!reader.ok()) {
    if (reader.status().code() == util::Code::kInvalidArgument) {
      std::string corrupt = layout_.Path(mail_queue::kCorrupt, id);
      util::MakeDirs(util::Dirname(corrupt), 0700);
      if (util::RenameNoReplace(active, corrupt) == 0)
        msg::Warn("%s: %s; moved to corrupt/%s", id.c_str(), reader.status().message().c_str(),
                  id.c_str());
      else
        msg::Warn("%s: %s; cannot move to corrupt/: %s", id.c_str(),
                  reader.status().message().c_str(), strerror(errno));
    } else {
      msg::Warn("%s: %s", id.c_str(), reader.status().message().c_str());
    }
    return nullptr;
  }
  m->env = reader->envelope();
  m->arrival = m->env.arrival_sec + m->env.arrival_usec / 1e6;
  if (m->prev_attempt < m->arrival) m->prev_attempt = m->arrival;
  return m;
}

void QueueManager::LoadAll(std::vector<std::unique_ptr<Message>> batch) {
  // Every live recipient of the batch is resolved in one round trip.
  std::vector<resolve_client::ResolveClient::Query> queries;
  for (const auto& m : batch)
    for (const queue_file::Recipient& rc : m->env.recipients)
      if (!rc.done) queries.push_back({m->env.sender, rc.address});
  std::vector<util::StatusOr<resolve_client::ResolveResult>> results =
      resolver_.ResolveMany(queries);
  size_t next = 0;
  for (auto& m : batch) {
    size_t live = m->env.LiveRecipients();
    Load(std::move(m), results.data() + next);
    next += live;
  }
}

void QueueManager::Load(std::unique_ptr<Message> owned,
                        util::StatusOr<resolve_client::ResolveResult>* resolved) {
  uint64_t key = next_message_++;
  owned->key = key;
  Message& m = *owned;
  messages_[key] = std::move(owned);
  ids_in_memory_.insert(m.id);
  const queue_file::Envelope& env = m.env;
  msg::Info("%s: from=<%s>, size=%llu, nrcpt=%zu (queue active)", m.id.c_str(), env.sender.c_str(),
            static_cast<unsigned long long>(env.content_size), env.recipients.size());
  m.resolved.resize(env.recipients.size());
  m.nexthop.resize(env.recipients.size());
  struct Group {
    std::string transport;
    std::string destination;
    std::vector<size_t> rcpts;
  };
  std::vector<Group> groups;
  std::map<std::pair<std::string, std::string>, size_t> group_index;
  std::vector<size_t> resolve_failed, bad_syntax;
  std::string resolve_reason;
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
    m.nexthop[i] = r->nexthop;
    const TransportInfo& t = Transport(r->transport);
    std::string dest =
        DestinationKey(t.remote, t.limits.recipient_limit, r->nexthop, m.resolved[i]);
    auto gk = std::make_pair(r->transport, dest);
    auto it = group_index.find(gk);
    if (it == group_index.end()) {
      it = group_index.emplace(gk, groups.size()).first;
      groups.push_back({r->transport, dest, {}});
    }
    groups[it->second].rcpts.push_back(i);
  }
  recipients_in_memory_ += m.counted;
  if (!resolve_failed.empty()) {
    // The service's own failures say so already; a connection problem not.
    std::string_view prefix = "address resolver failure";
    if (resolve_reason.compare(0, prefix.size(), prefix) != 0)
      resolve_reason = std::string(prefix) + ": " + resolve_reason;
    DeferRecipients(m, resolve_failed, "4.3.0", resolve_reason, false);
  }
  if (!bad_syntax.empty()) DeferRecipients(m, bad_syntax, "5.1.3", "bad address syntax", true);
  double now = Now();
  for (const Group& g : groups) {
    if (!m.flushed && defer_transports_.count(util::Lowercase(g.transport))) {
      // Postfix's defer_transports: not delivered until a flush.
      DeferRecipients(m, g.rcpts, "4.3.2", "deferred transport", false);
      continue;
    }
    m.pending += g.rcpts.size();
    scheduler_.Add(g.transport, g.destination, key, g.rcpts, now);
  }
  if (m.pending == 0) Finish(m);
}

deliver_request::Request QueueManager::BuildRequest(const Message& m,
                                                    const std::vector<size_t>& rcpts,
                                                    const std::string& nexthop) const {
  deliver_request::Request req;
  req.queue_name = std::string(mail_queue::kActive);
  req.queue_id = m.id;
  req.sender = m.env.sender;
  req.nexthop = nexthop;
  req.arrival_time = m.arrival;
  req.active_time = m.active_time;
  auto attr = [&](std::string_view name) {
    auto v = m.env.Attr(name);
    return v ? std::string(*v) : std::string();
  };
  req.dsn_envid = attr("dsn_envid");
  req.dsn_ret = deliver_request::ParseDsnRet(attr("dsn_ret"));
  req.client_name = attr("client_name");
  req.client_address = attr("client_address");
  req.protocol = attr("protocol");
  req.helo_name = attr("helo_name");
  req.sasl_username = attr("sasl_username");
  req.log_ident = attr("log_ident");
  for (size_t i : rcpts) {
    const queue_file::Recipient& rc = m.env.recipients[i];
    deliver_request::Recipient r;
    r.address = m.resolved[i].empty() ? rc.address : m.resolved[i];
    r.original = rc.original.empty() ? (r.address != rc.address ? rc.address : "") : rc.original;
    r.dsn_orcpt = rc.dsn_orcpt;
    r.dsn_notify = rc.dsn_notify;
    r.offset = static_cast<long long>(rc.offset);
    req.recipients.push_back(std::move(r));
  }
  return req;
}

void QueueManager::DeferRecipients(Message& m, const std::vector<size_t>& rcpts,
                                   const std::string& dsn, const std::string& reason, bool bounce) {
  m.all_finished = false;
  deliver_request::Request req = BuildRequest(m, rcpts, "");
  // qmgr is mail_owner, as the bounce daemon: it appends the logs itself
  // rather than wait on the bounce service inside its event loop.
  auto rep = deliver_status::Reporter::Open(
      layout_, req, Now(),
      [this](std::string_view q, const std::string& id, const delivery_log::Entry& e) {
        return delivery_log::Append(layout_, q, id, e);
      });
  if (!rep.ok()) {
    msg::Warn("%s: %s", m.id.c_str(), rep.status().message().c_str());
    return;  // the recipients stay live: they are tried again
  }
  for (size_t i = 0; i < rcpts.size(); i++) {
    if (bounce)
      rep->Bounced(i, "none", dsn, reason);
    else
      rep->Deferred(i, "none", dsn, reason);
  }
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
      DeferRecipients(m, dj.job.recipients, dsn, "delivery temporarily suspended: " + rest, false);
      m.pending -= std::min(m.pending, dj.job.recipients.size());
      if (m.pending == 0) Finish(m);
    }
    std::optional<Delivery> d = scheduler_.Next(Now());
    if (d) {
      StartDelivery(std::move(*d));
      continue;
    }
    if (dead.empty()) break;
  }
  double now = Now();
  std::optional<double> wake = scheduler_.NextWakeup(now);
  if (wake && (wakeup_timer_ == util::EventLoop::kNoHandle || *wake < wakeup_at_)) {
    if (wakeup_timer_ != util::EventLoop::kNoHandle) loop_->Cancel(wakeup_timer_);
    wakeup_at_ = *wake;
    auto ms = std::chrono::milliseconds(static_cast<long long>((*wake - now) * 1000) + 1);
    wakeup_timer_ = loop_->AddTimer(ms, [this] {
      wakeup_timer_ = util::EventLoop::kNoHandle;
      Pump();
    });
  }
  pumping_ = false;
}

void QueueManager::StartDelivery(Delivery d) {
  auto mit = messages_.find(d.job.message);
  if (mit == messages_.end()) {
    scheduler_.Done(d.id, false, "", Now());
    return;
  }
  Message& m = *mit->second;
  std::string nexthop = m.nexthop[d.job.recipients.front()];
  deliver_request::Request req = BuildRequest(m, d.job.recipients, nexthop);
  if (d.job.recipients.size() >= m.pending) {
    // Nothing else of this message is queued or in delivery: Finish comes
    // next, which removes the file or syncs it.
    req.flags |= deliver_request::kFlagLastDelivery;
    m.unsynced_marks = true;
  }
  auto flight = std::make_unique<InFlight>();
  flight->d = std::move(d);
  uint64_t id = flight->d.id;
  std::string transport = flight->d.transport;
  in_flight_[id] = std::move(flight);
  std::string path = layout_.queue_directory + "/private/" + transport;
  auto fd = util::ConnectUnix(path, std::chrono::seconds(5));
  if (!fd.ok()) {
    EndDelivery(id, false, {}, transport + " service is not available: " + fd.status().message());
    return;
  }
  if (util::Status st = util::WriteAll(fd->get(), deliver_request::Encode(req), path); !st.ok()) {
    EndDelivery(id, false, {}, transport + " service is not available: " + st.message());
    return;
  }
  InFlight& f = *in_flight_[id];
  f.fd = std::move(*fd);
  f.watch = loop_->WatchRead(f.fd.get(), [this, id] { OnReadable(id); });
}

void QueueManager::OnReadable(uint64_t delivery_id) {
  auto it = in_flight_.find(delivery_id);
  if (it == in_flight_.end()) return;
  InFlight& f = *it->second;
  char buf[4096];
  ssize_t n = read(f.fd.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    EndDelivery(delivery_id, false, {},
                "lost connection with " + f.d.transport + " service (it crashed?)");
    return;
  }
  f.dec.Feed(std::string_view(buf, static_cast<size_t>(n)));
  util::AttrList l;
  util::StatusOr<bool> got = f.dec.Next(&l);
  if (got.ok() && !*got) return;
  if (!got.ok()) {
    EndDelivery(delivery_id, false, {},
                "malformed reply from " + f.d.transport + " service: " + got.status().message());
    return;
  }
  auto reply = deliver_request::ParseReply(l);
  if (!reply.ok()) {
    EndDelivery(delivery_id, false, {},
                "malformed reply from " + f.d.transport + " service: " + reply.status().message());
    return;
  }
  EndDelivery(delivery_id, true, *reply, "");
}

void QueueManager::EndDelivery(uint64_t delivery_id, bool got_reply,
                               const deliver_request::Reply& reply, const std::string& failure) {
  auto it = in_flight_.find(delivery_id);
  if (it == in_flight_.end()) return;
  std::unique_ptr<InFlight> f = std::move(it->second);
  in_flight_.erase(it);
  if (f->watch != util::EventLoop::kNoHandle) loop_->Cancel(f->watch);
  f->fd = util::Fd();
  bool site_failure = !got_reply || reply.site_failure;
  std::string reason = got_reply ? reply.reason : failure;
  if (!got_reply) msg::Warn("%s: %s", f->d.transport.c_str(), failure.c_str());
  scheduler_.Done(delivery_id, site_failure, reason, Now());
  auto mit = messages_.find(f->d.job.message);
  if (mit != messages_.end()) {
    Message& m = *mit->second;
    if (!got_reply || reply.status != 0) m.all_finished = false;
    if (!got_reply) {
      // Whatever the agent finished is marked in the file; defer the rest.
      auto r = queue_file::Reader::Open(layout_.Path(mail_queue::kActive, m.id));
      if (r.ok()) {
        std::vector<size_t> left;
        for (size_t i : f->d.job.recipients)
          for (const queue_file::Recipient& rc : r->envelope().recipients)
            if (rc.offset == m.env.recipients[i].offset && !rc.done) left.push_back(i);
        if (!left.empty()) DeferRecipients(m, left, "4.3.0", failure, false);
      }
    }
    m.pending -= std::min(m.pending, f->d.job.recipients.size());
    if (m.pending == 0) Finish(m);
  }
  Pump();
}

void QueueManager::Finish(Message& m) {
  std::string path = layout_.Path(mail_queue::kActive, m.id);
  if (m.all_finished && m.counted > 0) {
    // The common case: every recipient was sent (or bounced by the agent).
    struct stat st;
    bool bounced = stat(delivery_log::Path(layout_, mail_queue::kBounce, m.id).c_str(), &st) == 0;
    if (!bounced ||
        bounce_client::Request(cfg_, bounce_client::Notice::kNonDelivery, mail_queue::kActive, m.id)
            .ok()) {
      if (unlink(path.c_str()) == 0) {
        m.removed = true;
        if (bounced) (void)delivery_log::Remove(layout_, mail_queue::kBounce, m.id);
        (void)delivery_log::Remove(layout_, mail_queue::kTrace, m.id);
        msg::Info("%s: removed", m.id.c_str());
      } else if (errno != ENOENT) {
        msg::Warn("%s: remove %s: %s", m.id.c_str(), path.c_str(), strerror(errno));
        SyncMarks(m);
      }
      Forget(m.key);
      return;
    }
    // The notice could not be sent: the general path below keeps the file.
  }
  SyncMarks(m);
  auto reader = queue_file::Reader::Open(path);
  if (!reader.ok()) {
    if (reader.status().code() != util::Code::kNotFound)
      msg::Warn("%s: %s", m.id.c_str(), reader.status().message().c_str());
    Forget(m.key);  // moved or removed by postsuper, or left for a restart
    return;
  }
  auto live = [&](const queue_file::Reader& r) {
    std::vector<size_t> out;
    const auto& now_rcpts = r.envelope().recipients;
    for (size_t i = 0; i < now_rcpts.size() && i < m.env.recipients.size(); i++)
      if (!now_rcpts[i].done) out.push_back(i);
    return out;
  };
  std::vector<size_t> left = live(*reader);
  double now = Now();
  if (!left.empty() && Expired(now, m.arrival, m.env.sender.empty(),
                               static_cast<double>(cfg_.GetTime("maximal_queue_lifetime")),
                               static_cast<double>(cfg_.GetTime("bounce_queue_lifetime")))) {
    std::map<std::string, delivery_log::Entry> reasons = m.prev_defer;
    if (auto entries = delivery_log::Read(delivery_log::Path(layout_, mail_queue::kDefer, m.id));
        entries.ok())
      for (const delivery_log::Entry& e : *entries) reasons[e.recipient] = e;
    msg::Info("%s: from=<%s>, status=expired, returned to sender", m.id.c_str(),
              m.env.sender.c_str());
    for (size_t i : left) {
      std::string addr = m.resolved[i].empty() ? m.env.recipients[i].address : m.resolved[i];
      auto it = reasons.find(addr);
      std::string dsn = it != reasons.end() ? it->second.status : "4.4.7";
      std::string why = it != reasons.end() ? it->second.reason : "delivery time expired";
      DeferRecipients(m, {i}, dsn, why, true);
    }
    reader = queue_file::Reader::Open(path);
    if (!reader.ok()) {
      Forget(m.key);
      return;
    }
    left = live(*reader);
  }
  bool bounce_ok = true;
  struct stat st;
  if (stat(delivery_log::Path(layout_, mail_queue::kBounce, m.id).c_str(), &st) == 0) {
    util::Status bs = bounce_client::Request(cfg_, bounce_client::Notice::kNonDelivery,
                                             mail_queue::kActive, m.id);
    if (!bs.ok()) {
      msg::Warn("%s: cannot send the non-delivery notice: %s; message kept", m.id.c_str(),
                bs.message().c_str());
      bounce_ok = false;
    }
  }
  if (left.empty() && bounce_ok) {
    if (unlink(path.c_str()) < 0) {
      if (errno != ENOENT)
        msg::Warn("%s: remove %s: %s", m.id.c_str(), path.c_str(), strerror(errno));
    } else {
      m.removed = true;
      for (std::string_view q : {mail_queue::kDefer, mail_queue::kBounce, mail_queue::kTrace})
        (void)delivery_log::Remove(layout_, q, m.id);
      msg::Info("%s: removed", m.id.c_str());
    }
    Forget(m.key);
    return;
  }
  double warn = static_cast<double>(cfg_.GetTime("delay_warning_time"));
  // The first attempt to end past delay_warning_time sends the notice. An
  // attempt's end is when its last defer reason was written (the defer
  // log's mtime), the same clock the next attempt reads as prev_attempt: so
  // exactly one attempt is the first, however close to the limit it ends.
  std::optional<double> ended;
  if (!left.empty() && warn > 0)
    ended = Mtime(delivery_log::Path(layout_, mail_queue::kDefer, m.id)).value_or(now);
  if (ended && *ended - m.arrival >= warn && m.prev_attempt - m.arrival < warn) {
    util::Status ws =
        bounce_client::Request(cfg_, bounce_client::Notice::kDelay, mail_queue::kActive, m.id);
    if (!ws.ok())
      msg::Warn("%s: cannot send the delay notice: %s", m.id.c_str(), ws.message().c_str());
  }
  double next =
      NextRetryTime(now, m.arrival, static_cast<double>(cfg_.GetTime("minimal_backoff_time")),
                    static_cast<double>(cfg_.GetTime("maximal_backoff_time")));
  struct timespec times[2];
  times[0].tv_sec = static_cast<time_t>(next);
  times[0].tv_nsec = 0;
  times[1] = times[0];
  if (futimens(m.lock.get(), times) < 0)
    msg::Warn("%s: set the retry time: %s", m.id.c_str(), strerror(errno));
  MoveTo(m, mail_queue::kDeferred);
  Forget(m.key);
}

void QueueManager::SyncMarks(Message& m) {
  if (!m.unsynced_marks) return;
  if (util::Status st = util::FsyncFile(m.lock.get()); !st.ok())
    msg::Warn("%s: sync the done marks: %s", m.id.c_str(), st.message().c_str());
  m.unsynced_marks = false;
}

bool QueueManager::MoveTo(Message& m, std::string_view queue) {
  std::string from = layout_.Path(mail_queue::kActive, m.id);
  std::string to = layout_.Path(queue, m.id);
  std::string dir = util::Dirname(to);
  if (dir != layout_.QueueDir(queue)) util::MakeDirs(dir, 0700);
  if (util::RenameNoReplace(from, to) < 0) {
    if (errno != ENOENT)
      msg::Warn("%s: move to %s: %s", m.id.c_str(), std::string(queue).c_str(), strerror(errno));
    return false;
  }
  return true;
}

void QueueManager::Forget(uint64_t key) {
  auto it = messages_.find(key);
  if (it == messages_.end()) return;
  bool was_full = Full();
  recipients_in_memory_ -= std::min(recipients_in_memory_, it->second->counted);
  ids_in_memory_.erase(it->second->id);
  if (it->second->removed) closer_->Close(std::move(it->second->lock));
  messages_.erase(it);  // closes the file (if still here): the lock goes with it
  if (was_full && !Full()) ArmFeed();
}

}  // namespace qmgr

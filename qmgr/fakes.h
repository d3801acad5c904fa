// fakes: in-memory stand-ins for qmgr's Deps (qmgr/deps.h), for the unit
// tests only (qmgr/*_test.cpp). Deterministic: no files, no sockets, no
// threads, and a clock that moves only when the test says so.
//
//   Fakes f;                                   // store, clock, notices, agents, resolver
//   f.store.Add("incoming", "A1", "alice@x", {"bob@example.com"}, f.clock.now);
//   QueueManager qm(cfg, f.deps());
//   qm.Start();
//   f.clock.RunDue();                          // the feeder takes A1
//   ASSERT_EQ(f.agents.sent.size(), 1u);
//   f.Answer(0, {Fakes::kSent});               // the agent marks it done, replies 0
//   EXPECT_FALSE(f.store.Has("active", "A1"));
//
// FakeResolver: user@DOMAIN goes to transport `transports[DOMAIN]` (smtp by
// default) with nexthop DOMAIN; an address without '@' is bad syntax; one
// whose domain is "fail.test" gets a resolver failure.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "global/mail_queue.h"
#include "qmgr/deps.h"

namespace qmgr::testing {

class FakeClock : public Clock {
 public:
  double now = 1'700'000'000;

  double Now() override { return now; }
  Handle After(std::chrono::milliseconds delay, std::function<void()> cb) override {
    return Add(delay, 0, std::move(cb));
  }
  Handle Every(std::chrono::milliseconds interval, std::function<void()> cb) override {
    return Add(interval, interval.count() / 1000.0, std::move(cb));
  }
  void Cancel(Handle handle) override { timers_.erase(handle); }

  // Runs the timers due by now (those they add, too, when due).
  void RunDue() { RunUntil(now); }
  // Moves the time on by `seconds`, running each timer at its time.
  void Advance(double seconds) { RunUntil(now + seconds); }
  size_t timers() const { return timers_.size(); }

 private:
  struct Timer {
    double due;
    double interval;  // 0: once
    std::function<void()> cb;
  };
  Handle Add(std::chrono::milliseconds delay, double interval, std::function<void()> cb) {
    Handle h = next_++;
    timers_[h] = {now + delay.count() / 1000.0, interval, std::move(cb)};
    return h;
  }
  void RunUntil(double until) {
    for (int guard = 0; guard < 100000; guard++) {
      auto next = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it)
        if (it->second.due <= until && (next == timers_.end() || it->second.due < next->second.due))
          next = it;
      if (next == timers_.end()) break;
      now = std::max(now, next->second.due);
      std::function<void()> cb = next->second.cb;
      if (next->second.interval > 0)
        next->second.due += next->second.interval;
      else
        timers_.erase(next);
      cb();
    }
    now = std::max(now, until);
  }
  Handle next_ = 1;
  std::map<Handle, Timer> timers_;
};

class FakeStore : public QueueStore {
 public:
  struct FakeFile {
    queue_file::Envelope env;
    double mtime = 0;
    bool ready = true;
    bool busy = false;  // locked by someone else
    bool corrupt = false;
    int read_failures = 0;  // reads that fail (out of descriptors, say) before one works
  };
  struct Log {
    double mtime = 0;
    std::vector<delivery_log::Entry> entries;
  };
  class Held : public File {
   public:
    explicit Held(std::string id) : id(std::move(id)) {}
    std::string id;
  };

  explicit FakeStore(Clock* clock) : clock_(clock) {}

  // A message in `queue` from `sender` to `rcpts`, arrived at `arrival`,
  // with mtime `mtime` (its retry time in deferred/; arrival when 0).
  void Add(const std::string& queue, const std::string& id, const std::string& sender,
           const std::vector<std::string>& rcpts, double arrival, double mtime = 0) {
    FakeFile f;
    f.env.sender = sender;
    f.env.arrival_sec = static_cast<long>(arrival);
    f.env.content_size = 100;
    for (size_t i = 0; i < rcpts.size(); i++) {
      queue_file::Recipient r;
      r.address = rcpts[i];
      r.offset = 100 + 10 * i;
      f.env.recipients.push_back(r);
    }
    f.mtime = mtime ? mtime : arrival;
    queues[queue][id] = f;
  }
  bool Has(std::string_view queue, const std::string& id) const {
    auto q = queues.find(std::string(queue));
    return q != queues.end() && q->second.count(id);
  }
  FakeFile& Get(std::string_view queue, const std::string& id) {
    return queues[std::string(queue)].at(id);
  }
  size_t Count(std::string_view queue) const {
    auto q = queues.find(std::string(queue));
    return q == queues.end() ? 0 : q->second.size();
  }
  // Marks the recipient at `offset` of active/`id` done, as an agent does.
  void MarkDone(const std::string& id, long long offset) {
    for (queue_file::Recipient& r : Get(mail_queue::kActive, id).env.recipients)
      if (static_cast<long long>(r.offset) == offset) r.done = true;
  }
  void AppendLog(std::string_view log_queue, const std::string& id, const delivery_log::Entry& e) {
    Log& l = logs[{std::string(log_queue), id}];
    l.entries.push_back(e);
    l.mtime = clock_->Now();
  }

  // QueueStore.
  util::StatusOr<std::vector<std::string>> List(std::string_view queue) override {
    lists[std::string(queue)]++;
    std::vector<std::string> ids;
    for (const auto& [id, f] : queues[std::string(queue)]) ids.push_back(id);
    std::reverse(ids.begin(), ids.end());  // any order: the feeder sorts
    return ids;
  }
  // With `parted`, a queue's parts are the first characters of its IDs;
  // else one part, "" (the whole queue).
  std::vector<std::string> Parts(std::string_view queue) override {
    if (!parted) return {""};
    std::set<std::string> parts;
    for (const auto& [id, f] : queues[std::string(queue)]) parts.insert(id.substr(0, 1));
    return {parts.begin(), parts.end()};
  }
  util::StatusOr<std::vector<std::string>> ListPart(std::string_view queue, const std::string& part,
                                                    bool due, double now) override {
    lists[std::string(queue)]++;
    std::vector<std::string> ids;
    for (const auto& [id, f] : queues[std::string(queue)])
      if (id.compare(0, part.size(), part) == 0 && (!due || f.mtime <= now)) ids.push_back(id);
    return ids;
  }
  TakeResult Take(std::string_view queue, const std::string& id, bool all, double now,
                  std::unique_ptr<File>* file) override {
    takes++;
    auto& q = queues[std::string(queue)];
    auto it = q.find(id);
    if (it == q.end() || (!all && it->second.mtime > now) || !it->second.ready)
      return TakeResult::kSkipped;
    if (it->second.busy) return TakeResult::kBusy;
    FakeFile f = it->second;
    q.erase(it);
    queues[std::string(mail_queue::kActive)][id] = f;
    held.insert(id);
    *file = std::make_unique<Held>(id);
    return TakeResult::kTaken;
  }
  util::StatusOr<queue_file::Envelope> ReadTaken(const std::string& id, File&) override {
    return Read(id);
  }
  util::StatusOr<queue_file::Envelope> Read(const std::string& id) override {
    if (!Has(mail_queue::kActive, id)) return util::NotFound("no file " + id);
    FakeFile& f = Get(mail_queue::kActive, id);
    if (f.corrupt) return util::InvalidArgument("corrupt queue file");
    if (f.read_failures > 0) {
      f.read_failures--;
      return util::Unavailable("open queue file: Too many open files");
    }
    return f.env;
  }
  util::Status MoveToCorrupt(const std::string& id) override {
    return Move(id, mail_queue::kCorrupt);
  }
  util::Status Sync(const std::string&, File&) override {
    syncs++;
    return util::OkStatus();
  }
  util::Status Defer(const std::string& id, File&, double retry_time) override {
    if (Has(mail_queue::kActive, id)) Get(mail_queue::kActive, id).mtime = retry_time;
    return Move(id, mail_queue::kDeferred);
  }
  util::Status Remove(const std::string& id) override {
    if (!queues[std::string(mail_queue::kActive)].erase(id)) return util::NotFound("gone");
    return util::OkStatus();
  }
  void Release(std::unique_ptr<File> file, bool removed) override {
    if (!file) return;
    held.erase(static_cast<Held&>(*file).id);
    if (removed) released_removed++;
  }
  std::optional<double> LogTime(std::string_view log_queue, const std::string& id) override {
    auto it = logs.find({std::string(log_queue), id});
    if (it == logs.end()) return std::nullopt;
    return it->second.mtime;
  }
  util::StatusOr<std::vector<delivery_log::Entry>> ReadLog(std::string_view log_queue,
                                                           const std::string& id) override {
    auto it = logs.find({std::string(log_queue), id});
    if (it == logs.end()) return util::NotFound("no log");
    return it->second.entries;
  }
  void RemoveLog(std::string_view log_queue, const std::string& id) override {
    logs.erase({std::string(log_queue), id});
  }

  std::map<std::string, std::map<std::string, FakeFile>> queues;
  std::map<std::pair<std::string, std::string>, Log> logs;
  std::set<std::string> held;        // IDs whose lock is held
  std::map<std::string, int> lists;  // List calls per queue
  bool parted = false;
  int takes = 0;
  int syncs = 0;
  int released_removed = 0;

 private:
  util::Status Move(const std::string& id, std::string_view to) {
    auto& active = queues[std::string(mail_queue::kActive)];
    auto it = active.find(id);
    if (it == active.end()) return util::NotFound("gone");
    queues[std::string(to)][id] = it->second;
    active.erase(it);
    return util::OkStatus();
  }
  Clock* clock_;
};

class FakeNotices : public Notices {
 public:
  FakeNotices(FakeStore* store) : store_(store) {}
  util::Status Notify(bounce_client::Notice kind, const std::string& id) override {
    notified.push_back({kind, id});
    if (kind == bounce_client::Notice::kNonDelivery) {
      if (fail_nondelivery) return util::Unavailable("bounce service is down");
      store_->RemoveLog(mail_queue::kBounce, id);  // bounce consumes the log
    }
    return util::OkStatus();
  }
  util::Status Report(const deliver_request::Request& req, double, bool bounce,
                      const std::string& dsn, const std::string& reason) override {
    if (!store_->Has(mail_queue::kActive, req.queue_id))
      return util::NotFound("no file " + req.queue_id);
    for (const deliver_request::Recipient& r : req.recipients) {
      delivery_log::Entry e;
      e.recipient = r.address;
      e.status = dsn;
      e.action = bounce ? "failed" : "delayed";
      e.reason = reason;
      e.offset = r.offset;
      store_->AppendLog(bounce ? mail_queue::kBounce : mail_queue::kDefer, req.queue_id, e);
      if (bounce) store_->MarkDone(req.queue_id, r.offset);
      reports.push_back({req.queue_id, r.address, dsn, reason, bounce});
    }
    return util::OkStatus();
  }

  struct Reported {
    std::string id, recipient, dsn, reason;
    bool bounce;
  };
  std::vector<std::pair<bounce_client::Notice, std::string>> notified;
  std::vector<Reported> reports;
  bool fail_nondelivery = false;

 private:
  FakeStore* store_;
};

class FakeAgents : public Agents {
 public:
  struct Sent {
    std::string transport;
    deliver_request::Request req;
    Done done;
    bool answered = false;
  };
  util::Status Send(const std::string& transport, const deliver_request::Request& req,
                    Done done) override {
    if (unreachable.count(transport))
      return util::Unavailable(transport + " service is not available: connect: no such file");
    sent.push_back({transport, req, std::move(done)});
    return util::OkStatus();
  }
  // Deliveries sent and not answered yet.
  size_t Open() const {
    return std::count_if(sent.begin(), sent.end(), [](const Sent& s) { return !s.answered; });
  }
  std::vector<Sent> sent;
  std::set<std::string> unreachable;
};

// user@DOMAIN -> (transports[DOMAIN] or smtp, DOMAIN, user@DOMAIN).
struct FakeResolver {
  std::map<std::string, std::string> transports;
  int calls = 0;
  std::vector<util::StatusOr<resolve_client::ResolveResult>> operator()(
      const std::vector<resolve_client::ResolveClient::Query>& queries) {
    calls++;
    std::vector<util::StatusOr<resolve_client::ResolveResult>> out;
    for (const auto& q : queries) {
      std::string addr(q.address);
      size_t at = addr.find('@');
      resolve_client::ResolveResult r;
      if (at == std::string::npos) {
        r.transport = "error";
        r.flags = rewrite_proto::kFlagError;
        out.push_back(r);
        continue;
      }
      std::string domain = addr.substr(at + 1);
      if (domain == "fail.test") {
        out.push_back(util::Unavailable("connect to private/rewrite: no such file"));
        continue;
      }
      auto it = transports.find(domain);
      r.transport = it != transports.end() ? it->second : "smtp";
      r.nexthop = domain;
      r.recipient = addr;
      out.push_back(r);
    }
    return out;
  }
};

// A configuration with round numbers for the tests: backoff 300..4000 s,
// queue_run_delay 300 s, lifetimes 5 days (1 day for bounces), no delay
// notices.
inline config::Config TestConfig() {
  config::Config cfg;
  for (const auto& [name, value] : std::vector<std::pair<const char*, const char*>>{
           {"minimal_backoff_time", "300s"},
           {"maximal_backoff_time", "4000s"},
           {"queue_run_delay", "300s"},
           {"maximal_queue_lifetime", "5d"},
           {"bounce_queue_lifetime", "1d"},
           {"delay_warning_time", "0h"},
       })
    cfg.Set(name, value);
  return cfg;
}

// All of the above, wired.
struct Fakes {
  FakeClock clock;
  FakeStore store{&clock};
  FakeNotices notices{&store};
  FakeAgents agents;
  FakeResolver resolver;

  Deps deps() {
    Deps d;
    d.store = &store;
    d.clock = &clock;
    d.notices = &notices;
    d.resolve = [this](const std::vector<resolve_client::ResolveClient::Query>& q) {
      return resolver(q);
    };
    d.agents = &agents;
    return d;
  }

  // What the agent does with each recipient of a request.
  enum Outcome { kSent, kDeferred, kBounced };
  // Answers delivery `i` as an agent would: done marks for sent and
  // bounced recipients, defer/ and bounce/ log entries, then the reply
  // (status 4 when something was deferred).
  void Answer(size_t i, const std::vector<Outcome>& outcomes, bool site_failure = false,
              const std::string& reason = "4.4.1 connect to host: Connection refused") {
    FakeAgents::Sent& s = agents.sent.at(i);
    ASSERT_FALSE(s.answered);
    s.answered = true;
    deliver_request::Reply reply;
    for (size_t r = 0; r < s.req.recipients.size(); r++) {
      Outcome o = r < outcomes.size() ? outcomes[r] : outcomes.back();
      const deliver_request::Recipient& rc = s.req.recipients[r];
      if (o != kSent) {
        delivery_log::Entry e;
        e.recipient = rc.address;
        e.status = reason.substr(0, reason.find(' '));
        e.reason = reason.substr(reason.find(' ') + 1);
        e.offset = rc.offset;
        store.AppendLog(o == kBounced ? mail_queue::kBounce : mail_queue::kDefer, s.req.queue_id,
                        e);
      }
      if (o != kDeferred) store.MarkDone(s.req.queue_id, rc.offset);
      if (o == kDeferred) {
        reply.status = 4;
        reply.reason = reason;
      }
    }
    reply.site_failure = site_failure;
    s.done(reply);
  }
  // Delivery `i`'s agent dies without a reply (after marking `done_first`
  // of its recipients done).
  void Crash(size_t i, size_t done_first = 0) {
    FakeAgents::Sent& s = agents.sent.at(i);
    s.answered = true;
    for (size_t r = 0; r < done_first && r < s.req.recipients.size(); r++)
      store.MarkDone(s.req.queue_id, s.req.recipients[r].offset);
    s.done(util::Unavailable("lost connection with " + s.transport + " service (it crashed?)"));
  }
};

}  // namespace qmgr::testing

#include "qmgr/scheduler.h"

#include <gtest/gtest.h>

#include "util/strings.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace qmgr {
namespace {

TransportLimits Limits(int initial, int limit, int rcpt_limit) {
  TransportLimits l;
  l.initial_concurrency = initial;
  l.concurrency_limit = limit;
  l.recipient_limit = rcpt_limit;
  l.maxproc = 0;
  return l;
}

// Limits of a transport whose destinations die after `cohorts` failed
// cohorts, for 60 seconds.
TransportLimits Fragile(int initial, int cohorts) {
  TransportLimits l = Limits(initial, 10, 1);
  l.failed_cohort_limit = cohorts;
  l.dead_time = 60;
  return l;
}

// Limits with a rate delay of `delay` seconds.
TransportLimits Spaced(double delay) {
  TransportLimits l = Limits(5, 10, 1);
  l.rate_delay = delay;
  return l;
}

std::vector<size_t> Range(size_t n) {
  std::vector<size_t> v(n);
  for (size_t i = 0; i < n; i++) v[i] = i;
  return v;
}

TEST(ParseFeedback, Table) {
  struct {
    const char* in;
    bool ok;
    double value;
    bool per;
  } rows[] = {
      {"1", true, 1, false},
      {"0.5", true, 0.5, false},
      {"1/4", true, 0.25, false},
      {"1/concurrency", true, 1, true},
      {" 1 / concurrency ", true, 1, true},
      {"2", false, 0, false},
      {"x", false, 0, false},
      {"1/0", false, 0, false},
  };
  for (const auto& r : rows) {
    auto f = ParseFeedback(r.in);
    ASSERT_EQ(f.ok(), r.ok) << r.in;
    if (!r.ok) {
      EXPECT_EQ(f.status().message(),
                std::string("bad concurrency feedback: ") + std::string(util::Trim(r.in)));
      continue;
    }
    EXPECT_DOUBLE_EQ(f->value, r.value) << r.in;
    EXPECT_EQ(f->per_concurrency, r.per) << r.in;
  }
}

TEST(Scheduler, RecipientBatching) {
  struct {
    int limit;
    size_t rcpts;
    std::vector<size_t> want_sizes;
  } rows[] = {
      {50, 3, {3}},
      {2, 5, {2, 2, 1}},
      {1, 3, {1, 1, 1}},
      {0, 7, {7}},
  };
  for (const auto& r : rows) {
    Scheduler s;
    s.SetTransport("smtp", Limits(100, 100, r.limit));
    s.Add("smtp", "example.com", 1, Range(r.rcpts), 0);
    std::vector<size_t> sizes;
    while (auto d = s.Next(0)) sizes.push_back(d->job.recipients.size());
    EXPECT_EQ(sizes, r.want_sizes) << "limit " << r.limit;
  }
}

TEST(Scheduler, ConcurrencyNeverExceedsLimitAndGrowsOnSuccess) {
  Scheduler s;
  s.SetTransport("smtp", Limits(2, 4, 1));
  s.Add("smtp", "d", 1, Range(100), 0);
  double now = 0;
  int peak = 0;
  std::vector<uint64_t> running;
  std::vector<int> per_round;
  while (s.Waiting() > 0 || !running.empty()) {
    while (auto d = s.Next(now)) running.push_back(d->id);
    peak = std::max<int>(peak, static_cast<int>(running.size()));
    per_round.push_back(static_cast<int>(running.size()));
    EXPECT_LE(s.Active("smtp", "d"), 4);
    for (uint64_t id : running) s.Done(id, false, "", now);
    running.clear();
    now += 1;
  }
  EXPECT_EQ(peak, 4);
  EXPECT_EQ(per_round.front(), 2);  // slow start at the initial concurrency
}

TEST(Scheduler, BackOffOnFailureAndDeadAfterCohorts) {
  Scheduler s;
  s.SetTransport("smtp", Fragile(4, 2));
  s.Add("smtp", "d", 1, Range(10), 0);
  auto a = s.Next(0);
  auto b = s.Next(0);
  ASSERT_TRUE(a && b);
  s.Done(a->id, true, "4.4.1 connection refused", 1);
  EXPECT_DOUBLE_EQ(s.Window("smtp", "d"), 3);  // negative feedback 1
  EXPECT_FALSE(s.Dead("smtp", "d"));
  s.Done(b->id, true, "4.4.1 connection refused", 1);  // cohorts 1/4 + 1/3
  EXPECT_DOUBLE_EQ(s.Window("smtp", "d"), 2);
  // Keep failing until dead: cohorts add up 1/window each.
  while (!s.Dead("smtp", "d")) {
    auto d = s.Next(2);
    ASSERT_TRUE(d);
    s.Done(d->id, true, "4.4.1 connection refused", 2);
  }
  EXPECT_EQ(s.Waiting(), 0u);  // waiting jobs handed back
  std::vector<DeadJob> dead = s.TakeDeadJobs();
  EXPECT_FALSE(dead.empty());
  EXPECT_EQ(dead[0].reason, "4.4.1 connection refused");
  // New mail for a dead destination goes straight back; after the dead time
  // the destination is tried again at concurrency 1.
  s.Add("smtp", "d", 2, {0}, 3);
  EXPECT_EQ(s.TakeDeadJobs().size(), 1u);
  EXPECT_FALSE(s.Next(3));
  s.Add("smtp", "d", 3, {0, 1}, 100);
  EXPECT_FALSE(s.Dead("smtp", "d"));
  EXPECT_DOUBLE_EQ(s.Window("smtp", "d"), 1);
  auto d = s.Next(100);
  ASSERT_TRUE(d);
  EXPECT_FALSE(s.Next(100));
  s.Done(d->id, false, "", 101);
  EXPECT_DOUBLE_EQ(s.Window("smtp", "d"), 2);
}

TEST(Scheduler, RateDelaySpacing) {
  Scheduler s;
  s.SetTransport("smtp", Spaced(10));
  s.Add("smtp", "d", 1, Range(3), 0);
  std::vector<double> starts;
  double now = 0;
  while (starts.size() < 3 && now < 100) {
    if (auto d = s.Next(now)) {
      starts.push_back(now);
      EXPECT_FALSE(s.Next(now));  // one at a time
      s.Done(d->id, false, "", now + 2);
      now += 2;
      auto w = s.NextWakeup(now);
      ASSERT_TRUE(w.has_value() || starts.size() == 3);
      if (w) {
        EXPECT_DOUBLE_EQ(*w, now + 10);
      }
      continue;
    }
    now += 1;
  }
  EXPECT_EQ(starts, (std::vector<double>{0, 12, 24}));
}

TEST(Scheduler, FairnessBetweenSlowAndFastDestinations) {
  Scheduler s;
  s.SetTransport("smtp", Limits(1, 1, 1));
  s.Add("smtp", "slow", 1, Range(10), 0);
  s.Add("smtp", "fast", 2, Range(10), 0);
  auto slow = s.Next(0);  // the slow one never finishes in this test
  ASSERT_TRUE(slow);
  int fast = 0;
  for (int i = 0; i < 10; i++) {
    auto d = s.Next(i);
    ASSERT_TRUE(d) << i;
    EXPECT_EQ(d->destination, "fast");
    fast++;
    s.Done(d->id, false, "", i);
  }
  EXPECT_EQ(fast, 10);
}

TEST(Scheduler, MaxprocLimitsTheTransport) {
  TransportLimits l = Limits(10, 10, 1);
  l.maxproc = 3;
  Scheduler s;
  s.SetTransport("smtp", l);
  s.Add("smtp", "a", 1, Range(5), 0);
  s.Add("smtp", "b", 1, Range(5), 0);
  int n = 0;
  while (s.Next(0)) n++;
  EXPECT_EQ(n, 3);
}

TEST(Scheduler, ConcurrencyCountsPerDestination) {
  Scheduler s;
  s.SetTransport("smtp", Limits(2, 2, 1));
  for (const char* d : {"a", "b", "c"}) s.Add("smtp", d, 1, Range(10), 0);
  std::map<std::string, std::vector<uint64_t>> running;
  while (auto d = s.Next(0)) running[d->destination].push_back(d->id);
  for (const char* d : {"a", "b", "c"}) {
    EXPECT_EQ(running[d].size(), 2u) << d;  // one busy destination does not stop the others
    EXPECT_EQ(s.Active("smtp", d), 2) << d;
  }
  // A delivery to "b" ends: the next one is for "b" again.
  s.Done(running["b"].front(), false, "", 1);
  auto d = s.Next(1);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->destination, "b");
  EXPECT_FALSE(s.Next(1));
}

TEST(Scheduler, RateDelayCountsPerDestination) {
  Scheduler s;
  s.SetTransport("smtp", Spaced(10));
  s.Add("smtp", "a", 1, Range(2), 0);
  s.Add("smtp", "b", 2, Range(2), 0);
  auto a = s.Next(0);
  auto b = s.Next(0);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->destination, b->destination);
  EXPECT_FALSE(s.Next(0));
  s.Done(a->id, false, "", 3);
  s.Done(b->id, false, "", 5);
  EXPECT_EQ(s.NextWakeup(5), std::optional<double>(13));  // a's turn comes first
  EXPECT_FALSE(s.Next(12.9));
  auto a2 = s.Next(13);
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->destination, a->destination);
  EXPECT_FALSE(s.Next(13));
  EXPECT_EQ(s.NextWakeup(13), std::optional<double>(15));
}

TEST(Scheduler, ADeadDestinationWakesUpAfterTheDeadTime) {
  Scheduler s;
  s.SetTransport("smtp", Fragile(1, 1));
  s.Add("smtp", "d", 1, Range(1), 0);
  auto d = s.Next(0);
  ASSERT_TRUE(d);
  s.Done(d->id, true, "4.4.1 refused", 10);
  EXPECT_TRUE(s.Dead("smtp", "d"));
  EXPECT_EQ(s.TakeDeadJobs().size(), 0u);  // nothing was waiting
  EXPECT_FALSE(s.NextWakeup(10));          // nothing waits: no wake-up needed
  s.Add("smtp", "d", 2, Range(1), 20);     // goes straight back while dead
  EXPECT_EQ(s.TakeDeadJobs().size(), 1u);
  s.Add("smtp", "d", 3, Range(1), 70);  // after the dead time: tried again
  EXPECT_FALSE(s.Dead("smtp", "d"));
  EXPECT_TRUE(s.Next(70));
}

TEST(Scheduler, ReviveAllBringsDeadDestinationsBackAtOnce) {
  Scheduler s;
  s.SetTransport("smtp", Fragile(1, 1));
  s.Add("smtp", "d", 1, Range(1), 0);
  auto d = s.Next(0);
  ASSERT_TRUE(d);
  s.Done(d->id, true, "4.4.1 refused", 10);
  EXPECT_TRUE(s.Dead("smtp", "d"));
  s.ReviveAll();  // ETRN, postqueue -f: long before the dead time ends
  EXPECT_FALSE(s.Dead("smtp", "d"));
  s.Add("smtp", "d", 2, Range(1), 11);
  EXPECT_EQ(s.TakeDeadJobs().size(), 0u);
  EXPECT_TRUE(s.Next(11));
}

TEST(DestinationKey, PerNexthopForRemoteTransports) {
  struct {
    bool remote;
    int limit;
    const char* want;
  } rows[] = {
      {true, 1, "docomo.ne.jp"},      // docomo-smtp: one connection per host
      {true, 50, "docomo.ne.jp"},     //
      {false, 1, "bob@example.com"},  // virtual: per mailbox
      {false, 50, "docomo.ne.jp"},
  };
  for (const auto& r : rows)
    EXPECT_EQ(DestinationKey(r.remote, r.limit, "Docomo.NE.jp", "Bob@Example.com"), r.want);
}

TEST(Backoff, GrowsAndCaps) {
  struct {
    double age;
    double want_delay;
  } rows[] = {{0, 300},     {100, 300},   {300, 300},   {600, 600},
              {1200, 1200}, {2400, 2400}, {5000, 4000}, {1e6, 4000}};
  for (const auto& r : rows)
    EXPECT_DOUBLE_EQ(NextRetryTime(10000 + r.age, 10000, 300, 4000) - (10000 + r.age), r.want_delay)
        << r.age;
}

TEST(Lifetime, ExpiresIntoBounces) {
  struct {
    double age;
    bool null_sender;
    bool want;
  } rows[] = {
      {100, false, false}, {5 * 86400, false, true}, {86400, true, true}, {3600, true, false}};
  for (const auto& r : rows)
    EXPECT_EQ(Expired(r.age, 0, r.null_sender, 5 * 86400, 86400), r.want) << r.age;
  EXPECT_TRUE(Expired(0, 0, false, 0, 0));  // lifetime 0: one attempt only
}

TEST(Scheduler, ConnectionReuseOnDemand) {
  Scheduler s;
  s.SetTransport("smtp", Limits(1, 1, 1));  // one delivery at a time
  s.Add("smtp", "relay.example", 1, Range(6), 0);
  // The first delivery: nothing came before it.
  auto d = s.Next(10);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->conn_load);
  EXPECT_FALSE(d->conn_store);
  s.Done(d->id, false, "", 10.2);
  // The next one starts within a second of its end: back to back.
  d = s.Next(10.5);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->conn_load);
  EXPECT_TRUE(d->conn_store);
  s.Done(d->id, false, "", 10.6);
  d = s.Next(11.4);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->conn_store);
  s.Done(d->id, false, "", 11.5);
  // A pause with nothing in flight: no more storing, but still looking
  // for what is cached.
  d = s.Next(20);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->conn_load);
  EXPECT_FALSE(d->conn_store);
  s.Done(d->id, false, "", 20.1);
  // Back to back again: storing again.
  d = s.Next(20.3);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->conn_load);
  EXPECT_TRUE(d->conn_store);
}

TEST(Scheduler, ConnectionReuseStaysOnWhileDeliveriesOverlap) {
  Scheduler s;
  s.SetTransport("smtp", Limits(2, 2, 1));
  s.Add("smtp", "relay.example", 1, Range(4), 0);
  auto a = s.Next(0);
  auto b = s.Next(0);
  ASSERT_TRUE(a && b);
  s.Done(a->id, false, "", 0.5);
  auto c = s.Next(0.6);  // back to back: on
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->conn_store);
  // Long after any end, but another delivery (b) is still in flight.
  s.Done(c->id, false, "", 0.7);
  auto d = s.Next(5);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->conn_store);
}

}  // namespace
}  // namespace qmgr

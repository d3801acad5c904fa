#include "qmgr/finisher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "qmgr/fakes.h"
#include "qmgr/scheduler.h"

namespace qmgr {
namespace {

using bounce_client::Notice;
using testing::Fakes;

class FinisherTest : public ::testing::Test {
 protected:
  // A message in memory, as the feeder leaves it: in active/, locked,
  // `age` seconds old; `all_finished`: no delivery reported a deferral.
  Message& Hold(const std::string& sender, const std::vector<std::string>& rcpts, double age,
                bool all_finished) {
    f_.store.Add("active", "A1", sender, rcpts, f_.clock.now - age);
    m_.id = "A1";
    m_.file = std::make_unique<testing::FakeStore::Held>("A1");
    m_.env = f_.store.Get("active", "A1").env;
    m_.arrival = f_.clock.now - age;
    m_.prev_attempt = m_.arrival;
    m_.resolved.assign(rcpts.size(), "");
    m_.nexthop.assign(rcpts.size(), "example.com");
    m_.counted = rcpts.size();
    m_.all_finished = all_finished;
    return m_;
  }
  // What an agent does for a recipient it could not deliver.
  void AgentDefers(const std::string& rcpt, const std::string& reason) {
    delivery_log::Entry e;
    e.recipient = rcpt;
    e.status = "4.4.1";
    e.reason = reason;
    f_.store.AppendLog("defer", "A1", e);
  }
  void AgentBounces(size_t i) {
    delivery_log::Entry e;
    e.recipient = m_.env.recipients[i].address;
    e.status = "5.1.1";
    e.reason = "user unknown";
    f_.store.AppendLog("bounce", "A1", e);
    f_.store.MarkDone("A1", static_cast<long long>(m_.env.recipients[i].offset));
  }
  Finisher::Outcome Finish() { return Finisher(cfg_, f_.deps()).Finish(m_); }

  config::Config cfg_ = testing::TestConfig();
  Fakes f_;
  Message m_;
};

TEST_F(FinisherTest, AllFinishedRemovesTheFileAtOnce) {
  Hold("a@example.org", {"x@example.com"}, 10, true);
  f_.store.MarkDone("A1", 100);
  f_.store.AppendLog("trace", "A1", {});
  EXPECT_EQ(Finish(), Finisher::Outcome::kRemoved);
  EXPECT_TRUE(m_.removed);
  EXPECT_EQ(f_.store.Count("active"), 0u);
  EXPECT_FALSE(f_.store.LogTime("trace", "A1"));
  EXPECT_TRUE(f_.notices.notified.empty());
}

TEST_F(FinisherTest, AnAgentsBounceIsNotifiedBeforeRemoval) {
  Hold("a@example.org", {"x@example.com"}, 10, true);
  AgentBounces(0);
  EXPECT_EQ(Finish(), Finisher::Outcome::kRemoved);
  ASSERT_EQ(f_.notices.notified.size(), 1u);
  EXPECT_EQ(f_.notices.notified[0].first, Notice::kNonDelivery);
}

TEST_F(FinisherTest, AFailingBounceRequestKeepsTheMessage) {
  Hold("a@example.org", {"x@example.com"}, 10, true);
  AgentBounces(0);
  f_.notices.fail_nondelivery = true;
  m_.unsynced_marks = true;
  EXPECT_EQ(Finish(), Finisher::Outcome::kDeferred);
  EXPECT_FALSE(m_.removed);
  EXPECT_TRUE(f_.store.Has("deferred", "A1"));
  EXPECT_TRUE(f_.store.LogTime("bounce", "A1"));  // kept for the next attempt
  EXPECT_EQ(f_.store.syncs, 1);                   // the agent's marks are made durable
  // Tried again on the next attempt (the general path, once more).
  EXPECT_EQ(f_.notices.notified.size(), 2u);
}

TEST_F(FinisherTest, LiveRecipientsDeferWithTheBackoffAsRetryTime) {
  struct {
    double age;
    double want_delay;
  } rows[] = {{10, 300}, {1000, 1000}, {86400, 4000}};
  for (const auto& r : rows) {
    f_.store.queues.clear();
    Hold("a@example.org", {"x@example.com", "y@example.com"}, r.age, false);
    f_.store.MarkDone("A1", 100);
    AgentDefers("y@example.com", "connection refused");
    EXPECT_EQ(Finish(), Finisher::Outcome::kDeferred) << r.age;
    ASSERT_TRUE(f_.store.Has("deferred", "A1"));
    EXPECT_DOUBLE_EQ(f_.store.Get("deferred", "A1").mtime, f_.clock.now + r.want_delay) << r.age;
    EXPECT_DOUBLE_EQ(f_.store.Get("deferred", "A1").mtime,
                     NextRetryTime(f_.clock.now, m_.arrival, 300, 4000));
    EXPECT_TRUE(f_.store.LogTime("defer", "A1"));  // describes this attempt
  }
}

TEST_F(FinisherTest, NothingLiveAfterDeferralsRemovesFileAndLogs) {
  Hold("a@example.org", {"x@example.com"}, 10, false);
  f_.store.MarkDone("A1", 100);
  AgentDefers("z@example.com", "stale");
  EXPECT_EQ(Finish(), Finisher::Outcome::kRemoved);
  EXPECT_FALSE(f_.store.LogTime("defer", "A1"));
}

TEST_F(FinisherTest, AnExpiredMessageBouncesWithItsLastReasons) {
  Hold("a@example.org", {"x@example.com", "y@example.com"}, 6 * 86400, false);
  AgentDefers("x@example.com", "connection refused");
  m_.prev_defer.push_back({"y@example.com", "4.7.1", "greylisted"});
  EXPECT_EQ(Finish(), Finisher::Outcome::kRemoved);
  ASSERT_EQ(f_.notices.reports.size(), 2u);
  EXPECT_TRUE(f_.notices.reports[0].bounce);
  EXPECT_EQ(f_.notices.reports[0].dsn, "4.4.1");
  EXPECT_EQ(f_.notices.reports[0].reason, "connection refused");
  EXPECT_EQ(f_.notices.reports[1].dsn, "4.7.1");
  EXPECT_EQ(f_.notices.reports[1].reason, "greylisted");
  ASSERT_EQ(f_.notices.notified.size(), 1u);
  EXPECT_EQ(f_.notices.notified[0].first, Notice::kNonDelivery);
  EXPECT_TRUE(m_.removed);
}

TEST_F(FinisherTest, ExpiryWithoutAReasonSaysDeliveryTimeExpired) {
  Hold("a@example.org", {"x@example.com"}, 6 * 86400, false);
  EXPECT_EQ(Finish(), Finisher::Outcome::kRemoved);
  ASSERT_EQ(f_.notices.reports.size(), 1u);
  EXPECT_EQ(f_.notices.reports[0].dsn, "4.4.7");
  EXPECT_EQ(f_.notices.reports[0].reason, "delivery time expired");
}

TEST_F(FinisherTest, TheNullSenderExpiresAfterBounceQueueLifetime) {
  Hold("", {"x@example.com"}, 2 * 86400, false);
  EXPECT_EQ(Finish(), Finisher::Outcome::kRemoved);
  EXPECT_EQ(f_.notices.reports.size(), 1u);
  f_.notices.reports.clear();
  f_.store.queues.clear();
  Hold("a@example.org", {"x@example.com"}, 2 * 86400, false);
  EXPECT_EQ(Finish(), Finisher::Outcome::kDeferred);  // an ordinary sender has 5 days
  EXPECT_TRUE(f_.notices.reports.empty());
}

TEST_F(FinisherTest, AnExpiredMessageWhoseBounceFailsIsKept) {
  Hold("a@example.org", {"x@example.com"}, 6 * 86400, false);
  f_.notices.fail_nondelivery = true;
  EXPECT_EQ(Finish(), Finisher::Outcome::kDeferred);
  EXPECT_TRUE(f_.store.Has("deferred", "A1"));
  EXPECT_TRUE(f_.store.LogTime("bounce", "A1"));
}

TEST_F(FinisherTest, AFileMovedAwayMeanwhileIsForgotten) {
  Hold("a@example.org", {"x@example.com"}, 10, false);
  f_.store.queues["active"].clear();  // postsuper -d
  EXPECT_EQ(Finish(), Finisher::Outcome::kGone);
  EXPECT_FALSE(m_.removed);
}

TEST_F(FinisherTest, TheDelayNoticeGoesOutOnceAfterDelayWarningTime) {
  cfg_.Set("delay_warning_time", "4h");
  Hold("a@example.org", {"x@example.com"}, 5 * 3600, false);
  m_.prev_attempt = m_.arrival + 3 * 3600;  // the previous attempt ended before 4h
  AgentDefers("x@example.com", "connection refused");
  EXPECT_EQ(Finish(), Finisher::Outcome::kDeferred);
  ASSERT_EQ(f_.notices.notified.size(), 1u);
  EXPECT_EQ(f_.notices.notified[0].first, Notice::kDelay);
  // The next attempt: the previous one ended past 4h already.
  f_.notices.notified.clear();
  f_.store.queues.clear();
  Hold("a@example.org", {"x@example.com"}, 6 * 3600, false);
  m_.prev_attempt = m_.arrival + 5 * 3600;
  AgentDefers("x@example.com", "connection refused");
  EXPECT_EQ(Finish(), Finisher::Outcome::kDeferred);
  EXPECT_TRUE(f_.notices.notified.empty());
}

}  // namespace
}  // namespace qmgr

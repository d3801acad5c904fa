#include "qmgr/qmgr.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "qmgr/fakes.h"

namespace qmgr {
namespace {

using bounce_client::Notice;
using testing::Fakes;

class QueueManagerTest : public ::testing::Test {
 protected:
  QueueManager& Start() {
    qm_ = std::make_unique<QueueManager>(cfg_, f_.deps());
    qm_->Start();
    f_.clock.RunDue();
    return *qm_;
  }
  void Incoming(const std::string& id, const std::vector<std::string>& rcpts, double age = 0) {
    f_.store.Add("incoming", id, "alice@example.org", rcpts, f_.clock.now - age);
  }
  // The deliveries sent to `destination` and not answered yet.
  std::vector<size_t> OpenTo(const std::string& nexthop) const {
    std::vector<size_t> out;
    for (size_t i = 0; i < f_.agents.sent.size(); i++)
      if (!f_.agents.sent[i].answered && f_.agents.sent[i].req.nexthop == nexthop) out.push_back(i);
    return out;
  }

  config::Config cfg_ = testing::TestConfig();
  Fakes f_;
  std::unique_ptr<QueueManager> qm_;
};

TEST_F(QueueManagerTest, AMessageFromIncomingIsDeliveredAndRemoved) {
  Incoming("A1", {"bob@example.com", "carol@example.com"});
  QueueManager& qm = Start();
  ASSERT_EQ(f_.agents.sent.size(), 1u);
  const deliver_request::Request& req = f_.agents.sent[0].req;
  EXPECT_EQ(f_.agents.sent[0].transport, "smtp");
  EXPECT_EQ(req.queue_id, "A1");
  EXPECT_EQ(req.queue_name, "active");
  EXPECT_EQ(req.nexthop, "example.com");
  EXPECT_EQ(req.sender, "alice@example.org");
  ASSERT_EQ(req.recipients.size(), 2u);
  EXPECT_TRUE(req.flags & deliver_request::kFlagLastDelivery);
  EXPECT_TRUE(qm.Busy());
  f_.Answer(0, {Fakes::kSent});
  EXPECT_FALSE(qm.Busy());
  EXPECT_EQ(f_.store.Count("active"), 0u);
  EXPECT_EQ(f_.store.Count("deferred"), 0u);
  EXPECT_EQ(qm.messages(), 0u);
  EXPECT_EQ(f_.store.released_removed, 1);  // its descriptor goes to the closer
  EXPECT_TRUE(f_.store.held.empty());
}

TEST_F(QueueManagerTest, ADeferredReplyMovesTheMessageToDeferredWithItsRetryTime) {
  Incoming("A1", {"bob@example.com", "carol@example.com"}, 1000);
  Start();
  ASSERT_EQ(f_.agents.sent.size(), 1u);
  f_.Answer(0, {Fakes::kSent, Fakes::kDeferred});
  ASSERT_TRUE(f_.store.Has("deferred", "A1"));
  // Age 1000 s: between minimal_backoff_time and maximal_backoff_time.
  EXPECT_DOUBLE_EQ(f_.store.Get("deferred", "A1").mtime, f_.clock.now + 1000);
  EXPECT_EQ(f_.store.syncs, 1);  // the agent left its done marks to qmgr
  EXPECT_EQ(qm_->messages(), 0u);
  EXPECT_TRUE(f_.store.held.empty());
  // The next deferred/ scan after the retry time takes it again, for the
  // live recipient only.
  f_.clock.Advance(900);
  EXPECT_EQ(f_.agents.sent.size(), 1u);
  f_.clock.Advance(300);
  ASSERT_EQ(f_.agents.sent.size(), 2u);
  ASSERT_EQ(f_.agents.sent[1].req.recipients.size(), 1u);
  EXPECT_EQ(f_.agents.sent[1].req.recipients[0].address, "carol@example.com");
  f_.Answer(1, {Fakes::kSent});
  EXPECT_EQ(f_.store.Count("deferred") + f_.store.Count("active"), 0u);
}

TEST_F(QueueManagerTest, AnExpiredMessageBounces) {
  f_.store.Add("deferred", "D1", "alice@example.org", {"bob@example.com"}, f_.clock.now - 6 * 86400,
               f_.clock.now - 10);
  Start();
  ASSERT_EQ(f_.agents.sent.size(), 1u);
  f_.Answer(0, {Fakes::kDeferred}, false, "4.4.1 connect to example.com: Connection refused");
  ASSERT_EQ(f_.notices.reports.size(), 1u);
  EXPECT_TRUE(f_.notices.reports[0].bounce);
  EXPECT_EQ(f_.notices.reports[0].dsn, "4.4.1");
  EXPECT_EQ(f_.notices.reports[0].reason, "connect to example.com: Connection refused");
  ASSERT_EQ(f_.notices.notified.size(), 1u);
  EXPECT_EQ(f_.notices.notified[0].first, Notice::kNonDelivery);
  EXPECT_EQ(f_.store.Count("active") + f_.store.Count("deferred"), 0u);
}

TEST_F(QueueManagerTest, AFailingBounceRequestKeepsTheMessage) {
  Incoming("A1", {"bob@example.com"});
  f_.notices.fail_nondelivery = true;
  Start();
  f_.Answer(0, {Fakes::kBounced}, false, "5.1.1 user unknown");
  EXPECT_TRUE(f_.store.Has("deferred", "A1"));
  EXPECT_TRUE(f_.store.LogTime("bounce", "A1"));
  // Once the bounce service is back, the next attempt sends the notice and
  // removes the message.
  f_.notices.fail_nondelivery = false;
  qm_->Trigger("F");
  f_.clock.RunDue();
  EXPECT_EQ(f_.store.Count("active") + f_.store.Count("deferred"), 0u);
  EXPECT_EQ(f_.agents.sent.size(), 1u);  // nothing left to deliver
}

TEST_F(QueueManagerTest, AnUnreachableAgentDefersWithServiceNotAvailable) {
  Incoming("A1", {"bob@example.com"});
  f_.agents.unreachable.insert("smtp");
  QueueManager& qm = Start();
  ASSERT_EQ(f_.notices.reports.size(), 1u);
  EXPECT_FALSE(f_.notices.reports[0].bounce);
  EXPECT_EQ(f_.notices.reports[0].dsn, "4.3.0");
  EXPECT_EQ(f_.notices.reports[0].reason.rfind("smtp service is not available", 0), 0u)
      << f_.notices.reports[0].reason;
  EXPECT_TRUE(f_.store.Has("deferred", "A1"));
  EXPECT_FALSE(qm.Busy());
}

TEST_F(QueueManagerTest, ACrashedAgentsUnfinishedRecipientsAreDeferred) {
  Incoming("A1", {"bob@example.com", "carol@example.com"});
  Start();
  f_.Crash(0, 1);  // bob was delivered, then the agent died
  ASSERT_EQ(f_.notices.reports.size(), 1u);
  EXPECT_EQ(f_.notices.reports[0].recipient, "carol@example.com");
  EXPECT_EQ(f_.notices.reports[0].dsn, "4.3.0");
  EXPECT_EQ(f_.notices.reports[0].reason, "lost connection with smtp service (it crashed?)");
  EXPECT_TRUE(f_.store.Has("deferred", "A1"));
}

TEST_F(QueueManagerTest, ResolverFailuresAndDeferTransportsDeferWithoutADelivery) {
  cfg_.Set("defer_transports", "smtp");
  Incoming("A1", {"bob@example.com", "x@fail.test"});
  Start();
  EXPECT_TRUE(f_.agents.sent.empty());
  ASSERT_EQ(f_.notices.reports.size(), 2u);
  EXPECT_EQ(f_.notices.reports[0].dsn, "4.3.0");
  EXPECT_EQ(f_.notices.reports[1].dsn, "4.3.2");
  EXPECT_TRUE(f_.store.Has("deferred", "A1"));
}

TEST_F(QueueManagerTest, ConcurrencyLimitIsRespectedPerDestination) {
  cfg_.Set("initial_destination_concurrency", "2");
  cfg_.Set("default_destination_concurrency_limit", "2");
  for (int i = 0; i < 5; i++) {
    Incoming("A" + std::to_string(i), {"bob@example.com"});
    Incoming("B" + std::to_string(i), {"bob@other.net"});
  }
  Start();
  EXPECT_EQ(qm_->messages(), 10u);
  EXPECT_EQ(OpenTo("example.com").size(), 2u);
  EXPECT_EQ(OpenTo("other.net").size(), 2u);
  EXPECT_EQ(qm_->scheduler().Active("smtp", "example.com"), 2);
  // Each answer lets one more go to that destination, never more.
  for (int round = 0; round < 4; round++) {
    f_.Answer(OpenTo("example.com").front(), {Fakes::kSent});
    EXPECT_EQ(OpenTo("example.com").size(), round < 3 ? 2u : 1u) << round;
    EXPECT_EQ(OpenTo("other.net").size(), 2u);
  }
}

TEST_F(QueueManagerTest, RateDelaySpacingIsHonoured) {
  cfg_.Set("default_destination_rate_delay", "10s");
  for (int i = 0; i < 3; i++) Incoming("A" + std::to_string(i), {"bob@example.com"});
  Start();
  ASSERT_EQ(f_.agents.sent.size(), 1u);  // one at a time
  f_.clock.Advance(2);
  f_.Answer(0, {Fakes::kSent});
  double ended = f_.clock.now;
  f_.clock.Advance(9.9);
  EXPECT_EQ(f_.agents.sent.size(), 1u);
  f_.clock.Advance(0.2);  // the wake-up timer fires 10 s after the end
  ASSERT_EQ(f_.agents.sent.size(), 2u);
  EXPECT_GE(f_.clock.now - ended, 10);
  f_.Answer(1, {Fakes::kSent});
  f_.clock.Advance(10.1);
  EXPECT_EQ(f_.agents.sent.size(), 3u);
}

TEST_F(QueueManagerTest, TheActiveLimitCapsMessagesInMemory) {
  cfg_.Set("qmgr_message_active_limit", "2");
  for (int i = 0; i < 5; i++) Incoming("A" + std::to_string(i), {"bob@example.com"});
  Start();
  EXPECT_EQ(qm_->messages(), 2u);
  EXPECT_EQ(f_.store.Count("incoming"), 3u);
  EXPECT_EQ(f_.agents.sent.size(), 2u);
  f_.Answer(0, {Fakes::kSent});
  f_.clock.RunDue();  // room for one more
  EXPECT_EQ(qm_->messages(), 2u);
  EXPECT_EQ(f_.store.Count("incoming"), 2u);
  EXPECT_EQ(f_.agents.sent.size(), 3u);
}

TEST_F(QueueManagerTest, ADeadDestinationsWaitingMailIsDeferred) {
  cfg_.Set("initial_destination_concurrency", "1");
  cfg_.Set("default_destination_concurrency_failed_cohort_limit", "1");
  for (int i = 0; i < 3; i++) Incoming("A" + std::to_string(i), {"bob@example.com"});
  Start();
  ASSERT_EQ(f_.agents.sent.size(), 1u);
  f_.Answer(0, {Fakes::kDeferred}, true, "4.4.1 connect to example.com: Connection refused");
  EXPECT_TRUE(qm_->scheduler().Dead("smtp", "example.com"));
  EXPECT_EQ(f_.agents.sent.size(), 1u);
  EXPECT_EQ(f_.store.Count("deferred"), 3u);
  ASSERT_EQ(f_.notices.reports.size(), 2u);
  EXPECT_EQ(f_.notices.reports[0].reason,
            "delivery temporarily suspended: connect to example.com: Connection refused");
}

TEST_F(QueueManagerTest, DrainStartsNothingNewAndIsBusyUntilRepliesCome) {
  cfg_.Set("initial_destination_concurrency", "1");
  Incoming("A1", {"bob@example.com"});
  Incoming("A2", {"bob@example.com"});
  QueueManager& qm = Start();
  ASSERT_EQ(f_.agents.sent.size(), 1u);
  qm.Drain();
  EXPECT_TRUE(qm.Busy());
  Incoming("A3", {"bob@example.com"});
  qm.Trigger("W");
  f_.clock.Advance(1);
  f_.Answer(0, {Fakes::kSent});
  EXPECT_FALSE(qm.Busy());
  EXPECT_EQ(f_.agents.sent.size(), 1u);
  EXPECT_TRUE(f_.store.Has("active", "A2"));  // the next qmgr takes it back
  EXPECT_TRUE(f_.store.Has("incoming", "A3"));
}

TEST_F(QueueManagerTest, AFlushTriggerTakesDeferredMailNow) {
  f_.store.Add("deferred", "D1", "alice@example.org", {"bob@example.com"}, f_.clock.now - 100,
               f_.clock.now + 3000);
  QueueManager& qm = Start();
  EXPECT_TRUE(f_.agents.sent.empty());
  qm.Trigger("F");
  f_.clock.RunDue();
  ASSERT_EQ(f_.agents.sent.size(), 1u);
}

}  // namespace
}  // namespace qmgr

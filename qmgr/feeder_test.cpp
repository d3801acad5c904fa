#include "qmgr/feeder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "qmgr/fakes.h"
#include "tables/table_testing.h"

namespace qmgr {
namespace {

using testing::Fakes;

class FeederTest : public ::testing::Test {
 protected:
  // A feeder on the fakes; each turn's batch is kept in batches_ and its
  // messages stay in memory until Release().
  Feeder& Make() {
    transports_ = std::make_unique<Transports>(cfg_);
    Deps deps = f_.deps();
    deps.max_open_files = max_open_files_;
    feeder_ =
        std::make_unique<Feeder>(cfg_, deps, transports_.get(), [this](std::vector<Loaded> b) {
          std::vector<std::string> ids;
          for (Loaded& l : b) {
            ids.push_back(l.message->id);
            loaded_.push_back(std::move(l));
          }
          batches_.push_back(ids);
        });
    return *feeder_;
  }
  const Loaded& Find(const std::string& id) {
    for (const Loaded& l : loaded_)
      if (l.message->id == id) return l;
    ADD_FAILURE() << id << " not loaded";
    return loaded_.front();
  }
  void Release(const std::string& id) {
    for (auto it = loaded_.begin(); it != loaded_.end(); ++it)
      if (it->message->id == id) {
        f_.store.Release(std::move(it->message->file), false);
        loaded_.erase(it);
        break;
      }
    feeder_->Released(id);
  }
  void AddIncoming(int n, size_t rcpts = 1) {
    for (int i = 0; i < n; i++) {
      char id[16];
      snprintf(id, sizeof id, "I%03d", i);
      f_.store.Add("incoming", id, "alice@example.org",
                   std::vector<std::string>(rcpts, "bob@example.com"), f_.clock.now);
    }
  }

  config::Config cfg_ = testing::TestConfig();
  size_t max_open_files_ = 0;
  Fakes f_;
  std::unique_ptr<Transports> transports_;
  std::unique_ptr<Feeder> feeder_;
  std::vector<Loaded> loaded_;
  std::vector<std::vector<std::string>> batches_;
};

TEST_F(FeederTest, IncomingIsTakenOldestFirstAndResolvedInOneRoundTrip) {
  f_.store.Add("incoming", "C3", "a@example.org", {"x@example.com"}, f_.clock.now);
  f_.store.Add("incoming", "A1", "a@example.org", {"y@example.com", "z@other.net"}, f_.clock.now);
  f_.store.Add("incoming", "B2", "", {"w@example.com"}, f_.clock.now);
  Feeder& feeder = Make();
  feeder.Start();
  EXPECT_TRUE(batches_.empty());  // a scan only lists
  f_.clock.RunDue();
  ASSERT_EQ(batches_.size(), 1u);
  EXPECT_EQ(batches_[0], (std::vector<std::string>{"A1", "B2", "C3"}));
  EXPECT_EQ(f_.resolver.calls, 1);
  EXPECT_EQ(f_.store.Count("incoming"), 0u);
  EXPECT_EQ(f_.store.Count("active"), 3u);
  EXPECT_EQ(f_.store.held.size(), 3u);  // locked while in memory
  const Loaded& a = Find("A1");
  ASSERT_EQ(a.groups.size(), 2u);
  EXPECT_EQ(a.groups[0].transport, "smtp");
  EXPECT_EQ(a.groups[0].destination, "example.com");
  EXPECT_EQ(a.groups[0].rcpts, std::vector<size_t>{0});
  EXPECT_EQ(a.groups[1].destination, "other.net");
  EXPECT_TRUE(a.deferrals.empty());
  EXPECT_EQ(a.message->active_time, f_.clock.now);
  EXPECT_EQ(feeder.messages_in_memory(), 3u);
  EXPECT_EQ(feeder.recipients_in_memory(), 4u);
}

TEST_F(FeederTest, TakesAFewIncomingAndOneOtherFilePerTurn) {
  AddIncoming(10);
  f_.store.Add("deferred", "D1", "a@example.org", {"x@example.com"}, f_.clock.now - 600);
  f_.store.Add("deferred", "D2", "a@example.org", {"x@example.com"}, f_.clock.now - 600);
  Make().Start();
  f_.clock.RunDue();
  ASSERT_EQ(batches_.size(), 2u);
  EXPECT_EQ(batches_[0].size(), Feeder::kFeedBatch + 1);  // 8 incoming + D1
  EXPECT_EQ(batches_[0].back(), "D1");
  EXPECT_EQ(batches_[1], (std::vector<std::string>{"I008", "I009", "D2"}));
  EXPECT_EQ(f_.resolver.calls, 2);
}

TEST_F(FeederTest, DeferredWaitsForItsRetryTimeOrAFlush) {
  f_.store.Add("deferred", "D1", "a@example.org", {"x@example.com"}, f_.clock.now - 600,
               f_.clock.now + 1000);
  Feeder& feeder = Make();
  feeder.Start();
  f_.clock.RunDue();
  EXPECT_TRUE(loaded_.empty());
  f_.clock.Advance(300);  // the queue_run_delay scan: not due yet
  EXPECT_TRUE(loaded_.empty());
  EXPECT_EQ(f_.store.lists["deferred"], 2);
  // A file whose time has not come is not even listed (a large deferred
  // queue stays out of memory) nor opened.
  EXPECT_EQ(feeder.listed(), 0u);
  EXPECT_EQ(f_.store.takes, 0);
  EXPECT_TRUE(f_.store.Has("deferred", "D1"));
  feeder.Wake(true);  // postqueue -f
  f_.clock.RunDue();
  ASSERT_EQ(loaded_.size(), 1u);
  EXPECT_TRUE(loaded_[0].message->flushed);
  // Due by itself on a later scan.
  Release("D1");
  f_.store.Add("deferred", "D2", "a@example.org", {"x@example.com"}, f_.clock.now - 600,
               f_.clock.now + 500);
  f_.clock.Advance(300);
  EXPECT_EQ(loaded_.size(), 0u);
  f_.clock.Advance(300);
  ASSERT_EQ(loaded_.size(), 1u);
  EXPECT_FALSE(loaded_[0].message->flushed);
}

TEST_F(FeederTest, DeferredIsListedAPartAtATime) {
  f_.store.parted = true;  // parts: the IDs' first characters, as hash subdirectories
  for (const char* id : {"C1", "A2", "B1", "A1"})
    f_.store.Add("deferred", id, "a@example.org", {"x@example.com"}, f_.clock.now - 600,
                 f_.clock.now + 1000);
  Feeder& feeder = Make();
  feeder.Start();
  f_.clock.RunDue();
  EXPECT_TRUE(loaded_.empty());
  EXPECT_EQ(f_.store.takes, 0);
  feeder.Wake(true);               // postqueue -f
  EXPECT_EQ(feeder.listed(), 2u);  // A1, A2 only, until they are taken
  f_.clock.RunDue();
  ASSERT_EQ(loaded_.size(), 4u);
  std::vector<std::string> order;
  for (const Loaded& l : loaded_) order.push_back(l.message->id);
  EXPECT_EQ(order, (std::vector<std::string>{"A1", "A2", "B1", "C1"}));
  EXPECT_TRUE(loaded_[3].message->flushed);
  EXPECT_EQ(f_.store.Count("deferred"), 0u);
  // A regular scan while a flush is being listed adds nothing.
  for (const char* id : {"E1", "D1"})
    f_.store.Add("deferred", id, "a@example.org", {"x@example.com"}, f_.clock.now - 600,
                 f_.clock.now + 1000);
  for (const char* id : {"A1", "A2", "B1", "C1"}) Release(id);
  feeder.Wake(true);
  EXPECT_EQ(feeder.listed(), 1u);  // D1
  f_.clock.Advance(300);           // the queue_run_delay scan
  f_.clock.RunDue();
  ASSERT_EQ(loaded_.size(), 2u);
  EXPECT_TRUE(loaded_[0].message->flushed);
  EXPECT_TRUE(loaded_[1].message->flushed);
}

TEST_F(FeederTest, ActiveLimitCapsMessagesInMemory) {
  cfg_.Set("qmgr_message_active_limit", "3");
  AddIncoming(10);
  Feeder& feeder = Make();
  feeder.Start();
  f_.clock.RunDue();
  EXPECT_EQ(loaded_.size(), 3u);
  EXPECT_TRUE(feeder.Full());
  EXPECT_EQ(f_.store.Count("incoming"), 7u);  // the rest waits in its queue
  EXPECT_EQ(feeder.listed(), 7u);
  Release("I000");
  f_.clock.RunDue();
  EXPECT_EQ(loaded_.size(), 3u);
  EXPECT_EQ(loaded_.back().message->id, "I003");
  EXPECT_EQ(feeder.messages_in_memory(), 3u);
}

TEST_F(FeederTest, OpenFileLimitCapsMessagesInMemoryWithAWarning) {
  // Each message in memory holds its queue file open: with room for 3,
  // qmgr_message_active_limit = 20000 cannot be reached (the files it
  // could not open stayed stuck in active/ until qmgr restarted).
  tables::testing::WarningCapture warnings;
  max_open_files_ = 3;
  AddIncoming(10);
  Feeder& feeder = Make();
  EXPECT_EQ(feeder.active_limit(), 3u);
  EXPECT_EQ(warnings.texts(),
            (std::vector<std::string>{"the open file limit allows 3 messages in memory, not "
                                      "qmgr_message_active_limit = 20000; raise the limit (ulimit "
                                      "-n, LimitNOFILE=) for more"}));
  feeder.Start();
  f_.clock.RunDue();
  EXPECT_EQ(loaded_.size(), 3u);
  EXPECT_TRUE(feeder.Full());
  EXPECT_EQ(f_.store.held.size(), 3u);
  Release("I000");
  f_.clock.RunDue();
  EXPECT_EQ(feeder.messages_in_memory(), 3u);
  EXPECT_EQ(f_.store.Count("incoming"), 6u);
}

TEST_F(FeederTest, FileThatCannotBeReadNowIsTakenAgainSoon) {
  tables::testing::WarningCapture warnings;
  AddIncoming(1);
  f_.store.Get("incoming", "I000").read_failures = 1;
  delivery_log::Entry e;
  e.recipient = "bob@example.com";
  e.status = "4.4.1";
  e.reason = "connection refused";
  f_.store.AppendLog("defer", "I000", e);
  Feeder& feeder = Make();
  feeder.Start();
  f_.clock.RunDue();
  EXPECT_TRUE(loaded_.empty());
  EXPECT_EQ(warnings.texts(),
            (std::vector<std::string>{"I000: open queue file: Too many open files"}));
  EXPECT_EQ(f_.store.Count("active"), 1u);         // left there, not in memory
  EXPECT_TRUE(f_.store.LogTime("defer", "I000"));  // with its previous attempt
  f_.clock.Advance(1.1);                           // not only when qmgr restarts
  f_.clock.RunDue();
  ASSERT_EQ(loaded_.size(), 1u);
  EXPECT_EQ(feeder.messages_in_memory(), 1u);
  const Message& m = *loaded_[0].message;
  ASSERT_EQ(m.prev_defer.size(), 1u);
  EXPECT_EQ(m.prev_defer[0].reason, "connection refused");
  EXPECT_FALSE(f_.store.LogTime("defer", "I000"));
}

TEST_F(FeederTest, AboveTheConfiguredLimitTheOpenFileLimitIsSilent) {
  tables::testing::WarningCapture warnings;
  cfg_.Set("qmgr_message_active_limit", "5");
  max_open_files_ = 100;
  Feeder& feeder = Make();
  EXPECT_EQ(feeder.active_limit(), 5u);
  EXPECT_TRUE(warnings.texts().empty());
}

TEST_F(FeederTest, RecipientLimitIsCheckedBeforeEachTurn) {
  cfg_.Set("qmgr_message_recipient_limit", "5");
  AddIncoming(12, 3);
  Feeder& feeder = Make();
  feeder.Start();
  f_.clock.RunDue();
  // One turn's batch is taken whole (it may go past the limit); then the
  // feeder waits.
  EXPECT_EQ(loaded_.size(), Feeder::kFeedBatch);
  EXPECT_EQ(feeder.recipients_in_memory(), 24u);
  EXPECT_TRUE(feeder.Full());
  for (int i = 0; i < 6; i++) Release("I00" + std::to_string(i));
  f_.clock.RunDue();
  EXPECT_EQ(feeder.recipients_in_memory(), 6u);  // still at the limit: nothing taken
  EXPECT_EQ(f_.store.Count("incoming"), 4u);
  Release("I006");
  f_.clock.RunDue();
  EXPECT_EQ(f_.store.Count("incoming"), 0u);
  EXPECT_EQ(feeder.recipients_in_memory(), 15u);
}

TEST_F(FeederTest, DeferTransportsWaitForAFlush) {
  cfg_.Set("defer_transports", "SMTP");
  f_.resolver.transports["local.test"] = "virtual";
  f_.store.Add("incoming", "A1", "a@example.org", {"x@example.com", "u@local.test"}, f_.clock.now);
  f_.store.Add("deferred", "D1", "a@example.org", {"y@example.com"}, f_.clock.now - 600);
  Feeder& feeder = Make();
  feeder.Start();
  f_.clock.RunDue();
  const Loaded& a = Find("A1");
  ASSERT_EQ(a.deferrals.size(), 1u);
  EXPECT_EQ(a.deferrals[0].rcpts, std::vector<size_t>{0});
  EXPECT_EQ(a.deferrals[0].dsn, "4.3.2");
  EXPECT_EQ(a.deferrals[0].reason, "deferred transport");
  EXPECT_FALSE(a.deferrals[0].bounce);
  ASSERT_EQ(a.groups.size(), 1u);
  EXPECT_EQ(a.groups[0].transport, "virtual");
  EXPECT_EQ(Find("D1").deferrals.size(), 1u);  // due by time, not flushed
  Release("D1");
  f_.store.Add("deferred", "D2", "a@example.org", {"y@example.com"}, f_.clock.now - 600,
               f_.clock.now + 1000);
  feeder.Wake(true);
  f_.clock.RunDue();
  const Loaded& d = Find("D2");
  EXPECT_TRUE(d.deferrals.empty());
  ASSERT_EQ(d.groups.size(), 1u);
  EXPECT_EQ(d.groups[0].transport, "smtp");
}

TEST_F(FeederTest, ResolverFailuresDeferAndBadSyntaxBounces) {
  f_.store.Add("incoming", "A1", "a@example.org", {"x@fail.test", "nonsense", "ok@example.com"},
               f_.clock.now);
  Make().Start();
  f_.clock.RunDue();
  const Loaded& a = Find("A1");
  ASSERT_EQ(a.deferrals.size(), 2u);
  EXPECT_EQ(a.deferrals[0].rcpts, std::vector<size_t>{0});
  EXPECT_EQ(a.deferrals[0].dsn, "4.3.0");
  EXPECT_EQ(a.deferrals[0].reason,
            "address resolver failure: connect to private/rewrite: no such file");
  EXPECT_EQ(a.deferrals[1].rcpts, std::vector<size_t>{1});
  EXPECT_EQ(a.deferrals[1].dsn, "5.1.3");
  EXPECT_TRUE(a.deferrals[1].bounce);
  ASSERT_EQ(a.groups.size(), 1u);
  EXPECT_EQ(a.groups[0].rcpts, std::vector<size_t>{2});
  EXPECT_EQ(a.message->counted, 3u);
}

TEST_F(FeederTest, DoneRecipientsAreNotResolvedOrCounted) {
  f_.store.Add("active", "A1", "a@example.org", {"x@example.com", "y@example.com"},
               f_.clock.now - 60);
  f_.store.Get("active", "A1").env.recipients[0].done = true;
  Feeder& feeder = Make();
  feeder.Start();  // a crash left A1 in active/: taken back
  f_.clock.RunDue();
  const Loaded& a = Find("A1");
  ASSERT_EQ(a.groups.size(), 1u);
  EXPECT_EQ(a.groups[0].rcpts, std::vector<size_t>{1});
  EXPECT_EQ(feeder.recipients_in_memory(), 1u);
}

TEST_F(FeederTest, CorruptFilesGoToCorruptAndUnreadyFilesAreLeftAlone) {
  f_.store.Add("incoming", "A1", "a@example.org", {"x@example.com"}, f_.clock.now);
  f_.store.Get("incoming", "A1").corrupt = true;
  f_.store.Add("incoming", "B2", "a@example.org", {"x@example.com"}, f_.clock.now);
  f_.store.Get("incoming", "B2").ready = false;
  Make().Start();
  f_.clock.RunDue();
  EXPECT_TRUE(loaded_.empty());
  EXPECT_TRUE(f_.store.Has("corrupt", "A1"));
  EXPECT_TRUE(f_.store.held.empty());  // the lock went with the file
  EXPECT_TRUE(f_.store.Has("incoming", "B2"));
}

TEST_F(FeederTest, BusyActiveFilesAreLookedAtAgainASecondLater) {
  f_.store.Add("active", "A1", "a@example.org", {"x@example.com"}, f_.clock.now - 60);
  f_.store.Get("active", "A1").busy = true;  // the previous qmgr's agent still has it
  Make().Start();
  f_.clock.RunDue();
  EXPECT_TRUE(loaded_.empty());
  f_.clock.Advance(0.5);
  EXPECT_TRUE(loaded_.empty());
  f_.store.Get("active", "A1").busy = false;
  f_.clock.Advance(0.5);
  ASSERT_EQ(loaded_.size(), 1u);
  EXPECT_EQ(loaded_[0].message->id, "A1");
}

TEST_F(FeederTest, ThePreviousAttemptsDeferLogIsReadAndRemoved) {
  double arrival = f_.clock.now - 3600;
  f_.store.Add("deferred", "D1", "a@example.org", {"x@example.com"}, arrival);
  delivery_log::Entry e;
  e.recipient = "x@example.com";
  e.status = "4.4.1";
  e.reason = "connection refused";
  f_.clock.now -= 1800;
  f_.store.AppendLog("defer", "D1", e);
  f_.clock.now += 1800;
  Make().Start();
  f_.clock.RunDue();
  const Message& m = *Find("D1").message;
  EXPECT_DOUBLE_EQ(m.prev_attempt, f_.clock.now - 1800);
  EXPECT_DOUBLE_EQ(m.arrival, arrival);
  ASSERT_EQ(m.prev_defer.size(), 1u);
  EXPECT_EQ(m.prev_defer[0].recipient, "x@example.com");
  EXPECT_EQ(m.prev_defer[0].status, "4.4.1");
  EXPECT_EQ(m.prev_defer[0].reason, "connection refused");
  EXPECT_FALSE(f_.store.LogTime("defer", "D1"));
}

TEST_F(FeederTest, WakeUpsWithinTheScanIntervalAreMerged) {
  Feeder& feeder = Make();
  feeder.Start();
  f_.clock.RunDue();
  EXPECT_EQ(f_.store.lists["incoming"], 1);
  for (int i = 0; i < 5; i++) feeder.Wake(false);
  EXPECT_EQ(f_.store.lists["incoming"], 1);
  f_.clock.Advance(Feeder::kScanInterval + 0.01);
  EXPECT_EQ(f_.store.lists["incoming"], 2);  // one scan for the five
  f_.clock.Advance(1);
  feeder.Wake(false);  // long after the last scan: at once
  EXPECT_EQ(f_.store.lists["incoming"], 3);
}

TEST_F(FeederTest, StopTakesNoMoreFiles) {
  AddIncoming(3);
  Feeder& feeder = Make();
  feeder.Start();
  feeder.Stop();
  f_.clock.RunDue();
  EXPECT_EQ(f_.store.Count("incoming"), 3u);
  feeder.Wake(true);
  f_.clock.RunDue();
  EXPECT_TRUE(loaded_.empty());
}

}  // namespace
}  // namespace qmgr

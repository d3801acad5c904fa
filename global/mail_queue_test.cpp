#include "global/mail_queue.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "util/files.h"

namespace mail_queue {
namespace {

class QueueDirTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mail-queue-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    layout_.queue_directory = tmpl;
    layout_.hashed = {"deferred", "defer"};
    for (auto q : MessageQueues()) ASSERT_TRUE(util::MakeDirs(layout_.QueueDir(q), 0700).ok());
  }
  void TearDown() override { std::filesystem::remove_all(layout_.queue_directory); }
  Layout layout_;
};

TEST(MailQueueTest, ShortIds) {
  EXPECT_EQ(ShortId(0x3F2A1, 0xB2C), "3F2A1B2C");
  EXPECT_EQ(ShortId(5, 0x10), "0000510");
  EXPECT_TRUE(IsValidId("3F2A1B2C"));
}

TEST(MailQueueTest, LongIds) {
  std::string id = LongId(1763719963, 123456, 987654);
  EXPECT_EQ(id.size() > 11, true);
  EXPECT_EQ(id[10], 'z');
  EXPECT_TRUE(IsValidId(id)) << id;
  EXPECT_EQ(id.find_first_of("AEIOUaeiou"), std::string::npos) << id;
  // Later times sort later (fixed-width time part).
  EXPECT_LT(LongId(1000, 0, 1), LongId(1001, 0, 1));
}

TEST(MailQueueTest, InvalidIds) {
  for (const char* bad : {"", "abc", "3F2A", "../etc", "3F2A1B2C.tmp", ".tmp.1.2", "3f2a1b2c"})
    EXPECT_FALSE(IsValidId(bad)) << bad;
}

TEST(MailQueueTest, Paths) {
  Layout l{"/q", 2, {"deferred", "defer"}, false};
  EXPECT_EQ(l.Path("incoming", "3F2A1B2C"), "/q/incoming/3F2A1B2C");
  EXPECT_EQ(l.Path("deferred", "3F2A1B2C"), "/q/deferred/3/F/3F2A1B2C");
  l.hash_depth = 1;
  EXPECT_EQ(l.Path("defer", "3F2A1B2C"), "/q/defer/3/3F2A1B2C");
  l.hash_depth = 0;
  EXPECT_EQ(l.Path("deferred", "3F2A1B2C"), "/q/deferred/3F2A1B2C");
}

TEST_F(QueueDirTest, CreateGivesUniqueIdsNamedAfterTheInode) {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    auto f = CreateQueueFile(layout_, kIncoming);
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_TRUE(IsValidId(f->id));
    struct stat st;
    ASSERT_EQ(stat(f->path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);  // not ready
    EXPECT_TRUE(ids.insert(f->id).second);
  }
  auto listed = ListQueue(layout_, kIncoming);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(std::set<std::string>(listed->begin(), listed->end()), ids);
}

TEST_F(QueueDirTest, HashedQueueCreatesSubdirectories) {
  auto f = CreateQueueFile(layout_, kDeferred);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->path, layout_.queue_directory + "/deferred/" + f->id.substr(0, 1) + "/" + f->id);
  auto listed = ListQueue(layout_, kDeferred);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, std::vector<std::string>{f->id});
}

TEST_F(QueueDirTest, LongIdsWhenEnabled) {
  layout_.long_ids = true;
  auto f = CreateQueueFile(layout_, kIncoming);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id[10], 'z');
}

TEST_F(QueueDirTest, MissingQueueIsAnError) {
  auto f = CreateQueueFile(layout_, "nosuchqueue");
  EXPECT_FALSE(f.ok());
  EXPECT_FALSE(ListQueue(layout_, "nosuchqueue").ok());
}

}  // namespace
}  // namespace mail_queue

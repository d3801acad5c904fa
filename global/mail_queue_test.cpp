#include "global/mail_queue.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "util/files.h"
#include "util/scratch_dir.h"

namespace mail_queue {
namespace {

class QueueDirTest : public testing::Test {
 protected:
  void SetUp() override {
    layout_.queue_directory = dir_.path();
    layout_.hashed = {"deferred", "defer"};
    for (auto q : MessageQueues()) ASSERT_TRUE(util::MakeDirs(layout_.QueueDir(q), 0700).ok());
  }
  util::testing::ScratchDir dir_;
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

// Gives an unnamed new file its name (what queue_file::Writer::Finish does).
void Name(const NewFile& f) {
  if (f.unnamed) {
    ASSERT_TRUE(LinkUnnamed(f.fd.get(), f.path).ok());
  }
}

TEST_F(QueueDirTest, CreateGivesUniqueIdsNamedAfterTheInode) {
  for (bool unnamed : {true, false}) {
    SCOPED_TRACE(unnamed ? "unnamed" : "temporary name");
    layout_.unnamed_files = unnamed;
    std::set<std::string> ids;
    for (int i = 0; i < 50; ++i) {
      auto f = CreateQueueFile(layout_, kIncoming);
      ASSERT_TRUE(f.ok()) << f.status().message();
      EXPECT_EQ(f->unnamed, unnamed);  // this test's file system has O_TMPFILE
      EXPECT_TRUE(IsValidId(f->id));
      Name(*f);
      struct stat by_fd, by_name;
      ASSERT_EQ(fstat(f->fd.get(), &by_fd), 0);
      ASSERT_EQ(stat(f->path.c_str(), &by_name), 0);
      EXPECT_EQ(by_fd.st_ino, by_name.st_ino);
      EXPECT_EQ(by_name.st_nlink, 1u);           // no temporary name left beside the ID
      EXPECT_EQ(by_name.st_mode & 0777, 0600u);  // not ready
      EXPECT_TRUE(ids.insert(f->id).second);
    }
    std::set<std::string> names;
    DIR* d = opendir(layout_.QueueDir(kIncoming).c_str());
    ASSERT_NE(d, nullptr);
    while (struct dirent* e = readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") names.insert(e->d_name);
    closedir(d);
    EXPECT_EQ(names, ids);
    for (const std::string& id : ids) unlink(layout_.Path(kIncoming, id).c_str());
  }
}

TEST_F(QueueDirTest, UnnamedFileIsInvisibleUntilLinkedAndNeverReplaces) {
  auto f = CreateQueueFile(layout_, kIncoming);
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_TRUE(f->unnamed);
  auto listed = ListQueue(layout_, kIncoming);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  ASSERT_TRUE(LinkUnnamed(f->fd.get(), f->path).ok());
  listed = ListQueue(layout_, kIncoming);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, std::vector<std::string>{f->id});
  util::Status again = LinkUnnamed(f->fd.get(), f->path);
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find("exists"), std::string::npos) << again.message();
}

TEST_F(QueueDirTest, HashedQueueCreatesSubdirectories) {
  auto f = CreateQueueFile(layout_, kDeferred);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->path, layout_.queue_directory + "/deferred/" + f->id.substr(0, 1) + "/" + f->id);
  Name(*f);
  auto listed = ListQueue(layout_, kDeferred);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, std::vector<std::string>{f->id});
}

TEST_F(QueueDirTest, ListPartDueLeavesOutFilesWhoseTimeHasNotCome) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto f = CreateQueueFile(layout_, kDeferred);
    ASSERT_TRUE(f.ok()) << f.status().message();
    Name(*f);
    // Retry times: past, now, future (a deferred file's mtime).
    struct timespec times[2] = {{1000, 0}, {1000 + 100 * i, 0}};
    ASSERT_EQ(futimens(f->fd.get(), times), 0);
    ids.push_back(f->id);
  }
  auto due = ListPart(layout_, kDeferred, "", 1100);  // "": the whole queue
  ASSERT_TRUE(due.ok()) << due.status().message();
  std::sort(due->begin(), due->end());
  std::vector<std::string> want = {ids[0], ids[1]};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(*due, want);
  auto all = ListQueue(layout_, kDeferred);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  EXPECT_FALSE(ListPart(layout_, "nosuchqueue", "", 1100).ok());
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

#include "util/scratch_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "util/files.h"

namespace util::testing {
namespace {

ino_t Inode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

TEST(ScratchDirTest, FreshDirectoryWithWriteAndEntries) {
  ScratchDir a, b;
  EXPECT_NE(a.path(), b.path());
  EXPECT_TRUE(IsDirectory(a.path()));
  EXPECT_TRUE(a.Entries().empty());
  EXPECT_EQ(a.Path("x"), a.path() + "/x");

  std::string f = a.Write("f", "one", 0600);
  EXPECT_EQ(f, a.Path("f"));
  ino_t first = Inode(f);
  a.Write("f", "two");
  EXPECT_NE(Inode(f), first);  // replaced by rename: readers see a new file
  EXPECT_EQ(*ReadFile(f, 100), "two");
  a.Write("e", "");
  EXPECT_EQ(a.Entries(), (std::vector<std::string>{"e", "f"}));
}

TEST(ScratchDirTest, RemovesEverythingEvenReadOnly) {
  ScratchDir outside;
  std::string kept = outside.Write("kept", "x");
  std::string path;
  {
    ScratchDir dir;
    path = dir.path();
    ASSERT_EQ(mkdir(dir.Path("ro").c_str(), 0700), 0);
    dir.Write("ro/f", "x", 0400);
    ASSERT_EQ(mkdir(dir.Path("ro/closed").c_str(), 0), 0);
    ASSERT_EQ(chmod(dir.Path("ro").c_str(), 0500), 0);
    ASSERT_EQ(symlink(outside.path().c_str(), dir.Path("link").c_str()), 0);
  }
  EXPECT_FALSE(FileExists(path)) << path;
  EXPECT_TRUE(FileExists(kept));  // a link is removed, not followed
}

}  // namespace
}  // namespace util::testing

#include "util/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace util {
namespace {

// Restores permissions a test may have taken away, so that cleanup succeeds.
int MakeWritable(const char* path, const struct stat*, int type, struct FTW*) {
  if (type == FTW_D) chmod(path, 0700);
  return 0;
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) { return remove(path); }

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/files_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    nftw(dir_.c_str(), MakeWritable, 16, FTW_PHYS);
    nftw(dir_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
    EXPECT_FALSE(FileExists(dir_)) << dir_;
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  void Write(const std::string& name, const std::string& data, mode_t mode = 0644) {
    int fd = open(Path(name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    close(fd);
  }
  std::string Read(const std::string& name) {
    StatusOr<std::string> s = ReadFile(Path(name), 1 << 20);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? *s : "";
  }
  mode_t Mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  // Number of entries in dir_; fails on any leftover temporary file.
  size_t Entries() {
    size_t n = 0;
    DIR* d = opendir(dir_.c_str());
    EXPECT_NE(d, nullptr);
    if (d == nullptr) return 0;
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      ++n;
      EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
    }
    closedir(d);
    return n;
  }
  std::string dir_;
};

TEST_F(FilesTest, SafeOpenRefusals) {
  Write("plain", "x");
  Write("linked", "x");
  ASSERT_EQ(link(Path("linked").c_str(), Path("linked2").c_str()), 0);
  ASSERT_EQ(symlink(Path("plain").c_str(), Path("sym").c_str()), 0);
  ASSERT_EQ(symlink(Path("nowhere").c_str(), Path("dangling").c_str()), 0);
  ASSERT_EQ(mkdir(Path("subdir").c_str(), 0755), 0);
  ASSERT_EQ(mkfifo(Path("fifo").c_str(), 0644), 0);

  struct {
    const char* name;
    int flags;
    Code code;         // kOk: opens
    const char* want;  // expected message suffix
  } rows[] = {
      {"plain", O_RDONLY, Code::kOk, ""},
      {"plain", O_WRONLY | O_CREAT, Code::kOk, ""},
      {"plain", O_WRONLY | O_CREAT | O_EXCL, Code::kUnavailable, "File exists"},
      {"sym", O_RDONLY, Code::kFailedPrecondition, "file is a symbolic link"},
      {"sym", O_WRONLY | O_CREAT, Code::kFailedPrecondition, "file is a symbolic link"},
      {"dangling", O_WRONLY | O_CREAT, Code::kFailedPrecondition, "file is a symbolic link"},
      {"dangling", O_WRONLY | O_CREAT | O_EXCL, Code::kUnavailable, "File exists"},
      {"linked", O_RDONLY, Code::kFailedPrecondition, "file has 2 hard links"},
      {"linked2", O_WRONLY | O_APPEND | O_CREAT, Code::kFailedPrecondition,
       "file has 2 hard links"},
      {"subdir", O_RDONLY, Code::kFailedPrecondition, "file is not a regular file"},
      {"fifo", O_RDONLY, Code::kFailedPrecondition, "file is not a regular file"},
      {"missing", O_RDONLY, Code::kNotFound, "No such file or directory"},
      {"created", O_WRONLY | O_CREAT, Code::kOk, ""},
      {"created_excl", O_WRONLY | O_CREAT | O_EXCL, Code::kOk, ""},
  };
  for (const auto& r : rows) {
    StatusOr<Fd> fd = SafeOpen(Path(r.name), r.flags, 0600);
    EXPECT_EQ(fd.status().code(), r.code) << r.name << ": " << fd.status().message();
    if (fd.ok()) {
      EXPECT_TRUE(fd->valid()) << r.name;
      continue;
    }
    const std::string& m = fd.status().message();
    std::string want = r.want;
    EXPECT_NE(m.find(Path(r.name)), std::string::npos) << m;
    ASSERT_GE(m.size(), want.size()) << m;
    EXPECT_EQ(m.substr(m.size() - want.size()), want) << m;
  }
  StatusOr<Fd> fd = SafeOpen(Path("sym"), O_RDONLY);
  EXPECT_EQ(fd.status().message(), "open " + Path("sym") + ": file is a symbolic link");
  // Creating through a dangling symlink must not create its target.
  EXPECT_FALSE(FileExists(Path("nowhere")));
  EXPECT_EQ(Mode(Path("created")), 0600u);
}

TEST_F(FilesTest, SafeOpenOwnerAndTruncate) {
  Write("f", "old contents");
  StatusOr<Fd> fd = SafeOpen(Path("f"), O_RDONLY, 0600, geteuid());
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  fd = SafeOpen(Path("f"), O_RDONLY, 0600, geteuid() + 1);
  ASSERT_FALSE(fd.ok());
  EXPECT_NE(fd.status().message().find("is owned by uid"), std::string::npos);
  // A refused file is not truncated; an accepted one is.
  ASSERT_EQ(link(Path("f").c_str(), Path("g").c_str()), 0);
  fd = SafeOpen(Path("f"), O_WRONLY | O_TRUNC);
  EXPECT_FALSE(fd.ok());
  EXPECT_EQ(Read("f"), "old contents");
  ASSERT_EQ(unlink(Path("g").c_str()), 0);
  fd = SafeOpen(Path("f"), O_WRONLY | O_TRUNC | O_CREAT);
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  ASSERT_EQ(write(fd->get(), "new", 3), 3);
  fd->reset();
  EXPECT_EQ(Read("f"), "new");
}

TEST_F(FilesTest, ReadFile) {
  Write("f", std::string("a\0b\nc", 5));
  StatusOr<std::string> s = ReadFile(Path("f"), 5);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, std::string("a\0b\nc", 5));
  s = ReadFile(Path("f"), 4);
  EXPECT_EQ(s.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(s.status().message(), "read " + Path("f") + ": file is larger than 4 bytes");
  s = ReadFile(Path("missing"), 4);
  EXPECT_EQ(s.status().code(), Code::kNotFound);
  Write("empty", "");
  s = ReadFile(Path("empty"), 0);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "");
  s = ReadFile(dir_, 100);
  EXPECT_FALSE(s.ok());
}

TEST_F(FilesTest, AtomicReplaceContentsAndMode) {
  struct {
    const char* name;
    const char* old_contents;  // nullptr: file does not exist
    mode_t old_mode;
    int mode;
    std::string contents;
    mode_t want_mode;
  } rows[] = {
      {"new_default", nullptr, 0, kKeepMode, "hello\n", kDefaultFileMode},
      {"new_explicit", nullptr, 0, 0600, "x", 0600},
      {"keep", "old", 0640, kKeepMode, "new contents", 0640},
      {"explicit", "old", 0640, 0604, "new", 0604},
      {"empty", "old", 0600, kKeepMode, "", 0600},
      {"binary", "old", 0600, kKeepMode, std::string("\0\n\377", 3), 0600},
  };
  mode_t old_umask = umask(077);  // explicit modes are not filtered by the umask
  for (const auto& r : rows) {
    if (r.old_contents != nullptr) {
      Write(r.name, r.old_contents);
      ASSERT_EQ(chmod(Path(r.name).c_str(), r.old_mode), 0);
    }
    Status s = AtomicReplace(Path(r.name), r.contents, r.mode);
    EXPECT_TRUE(s.ok()) << r.name << ": " << s.message();
    EXPECT_EQ(Read(r.name), r.contents) << r.name;
    EXPECT_EQ(Mode(Path(r.name)), r.want_mode) << r.name;
  }
  umask(old_umask);
  // Exactly the targets exist: no temporary files left behind.
  EXPECT_EQ(Entries(), std::size(rows));
}

TEST_F(FilesTest, AtomicReplaceLeavesNoTempFiles) {
  Write("f", "old");
  ASSERT_TRUE(AtomicReplace(Path("f"), "new").ok());
  // The target is a directory: rename fails, the temp file must be gone.
  ASSERT_EQ(mkdir(Path("d").c_str(), 0755), 0);
  Status s = AtomicReplace(Path("d"), "data");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rename"), std::string::npos) << s.message();
  EXPECT_TRUE(IsDirectory(Path("d")));
  EXPECT_EQ(Entries(), 2u);
}

TEST_F(FilesTest, AtomicReplaceKeepsOldOnFailure) {
  ASSERT_EQ(mkdir(Path("ro").c_str(), 0755), 0);
  Write("ro/f", "old");
  // The parent directory is missing: nothing is created anywhere.
  Status s = AtomicReplace(Path("nodir/f"), "new");
  EXPECT_EQ(s.code(), Code::kNotFound) << s.message();
  if (geteuid() == 0) GTEST_SKIP() << "root bypasses directory permissions";
  ASSERT_EQ(chmod(Path("ro").c_str(), 0555), 0);
  s = AtomicReplace(Path("ro/f"), "new");
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.message();
  EXPECT_NE(s.message().find("Permission denied"), std::string::npos) << s.message();
  EXPECT_EQ(Read("ro/f"), "old");
}

TEST_F(FilesTest, AtomicReplaceSymlinkReplacesLink) {
  Write("target", "target contents");
  ASSERT_EQ(symlink("target", Path("link").c_str()), 0);
  ASSERT_TRUE(AtomicReplace(Path("link"), "new", 0644).ok());
  EXPECT_EQ(Read("target"), "target contents");
  struct stat st;
  ASSERT_EQ(lstat(Path("link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(Read("link"), "new");
}

TEST_F(FilesTest, FsyncHelpers) {
  EXPECT_TRUE(FsyncDir(dir_).ok());
  EXPECT_EQ(FsyncDir(Path("missing")).code(), Code::kNotFound);
  Write("f", "x");
  EXPECT_FALSE(FsyncDir(Path("f")).ok());
  int fd = open(Path("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(FsyncFile(fd).ok());
  close(fd);
  EXPECT_FALSE(FsyncFile(-1).ok());
}

TEST_F(FilesTest, RenameNoReplace) {
  Write("a", "first");
  Write("b", "second");
  EXPECT_EQ(RenameNoReplace(Path("a"), Path("b")), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(Read("a"), "first");  // both untouched
  EXPECT_EQ(Read("b"), "second");
  EXPECT_EQ(RenameNoReplace(Path("a"), Path("c")), 0);
  EXPECT_FALSE(FileExists(Path("a")));
  EXPECT_EQ(Read("c"), "first");
  EXPECT_EQ(RenameNoReplace(Path("missing"), Path("d")), -1);
  EXPECT_EQ(errno, ENOENT);
}

TEST_F(FilesTest, MakeDirsNested) {
  mode_t old_umask = umask(077);
  std::string deep = Path("a/b/c");
  ASSERT_TRUE(MakeDirs(deep, 0750).ok());
  umask(old_umask);
  EXPECT_TRUE(IsDirectory(deep));
  EXPECT_EQ(Mode(Path("a")), 0750u);
  EXPECT_EQ(Mode(Path("a/b")), 0750u);
  EXPECT_EQ(Mode(deep), 0750u);
  // Existing: fine, left alone unless asked to fix.
  ASSERT_EQ(chmod(deep.c_str(), 0700), 0);
  EXPECT_TRUE(MakeDirs(deep, 0755).ok());
  EXPECT_EQ(Mode(deep), 0700u);
  EXPECT_TRUE(MakeDirs(deep + "/", 0755, kNoUid, kNoGid, ExistingDir::kFix).ok());
  EXPECT_EQ(Mode(deep), 0755u);
  EXPECT_EQ(Mode(Path("a/b")), 0750u);  // parents untouched
  // Odd spellings.
  EXPECT_TRUE(MakeDirs(Path("x//y///"), 0700).ok());
  EXPECT_TRUE(IsDirectory(Path("x/y")));
  EXPECT_TRUE(MakeDirs("/", 0755).ok());
  // A file in the way.
  Write("file", "x");
  Status s = MakeDirs(Path("file/sub"), 0755);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "mkdir " + Path("file") + ": not a directory");
  s = MakeDirs(Path("file"), 0755);
  EXPECT_EQ(s.message(), "mkdir " + Path("file") + ": not a directory");
  EXPECT_FALSE(MakeDirs("", 0755).ok());
  // A symlinked parent is followed.
  ASSERT_EQ(symlink(Path("a").c_str(), Path("alink").c_str()), 0);
  EXPECT_TRUE(MakeDirs(Path("alink/new"), 0700).ok());
  EXPECT_TRUE(IsDirectory(Path("a/new")));
}

TEST_F(FilesTest, MakeDirsOwner) {
  if (geteuid() != 0) GTEST_SKIP() << "chown needs root";
  ASSERT_TRUE(MakeDirs(Path("o/p"), 0755, 12345, 54321).ok());
  for (const char* name : {"o", "o/p"}) {
    struct stat st;
    ASSERT_EQ(stat(Path(name).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 12345u) << name;
    EXPECT_EQ(st.st_gid, 54321u) << name;
  }
  // SafeOpen's owner check against a file owned by someone else.
  Write("owned", "x");
  ASSERT_EQ(chown(Path("owned").c_str(), 12345, 12345), 0);
  StatusOr<Fd> fd = SafeOpen(Path("owned"), O_RDONLY, 0600, 0);
  EXPECT_EQ(fd.status().message(),
            "open " + Path("owned") + ": file is owned by uid 12345, expected 0");
  // AtomicReplace keeps owner and mode as root.
  ASSERT_EQ(chmod(Path("owned").c_str(), 0640), 0);
  ASSERT_TRUE(AtomicReplace(Path("owned"), "y").ok());
  struct stat st;
  ASSERT_EQ(stat(Path("owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 12345u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST(PathsTest, DirnameBasename) {
  struct {
    const char* in;
    const char* dir;
    const char* base;
  } rows[] = {
      {"/a/b", "/a", "b"}, {"/a/b/", "/a", "b"}, {"a/b", "a", "b"}, {"b", ".", "b"},
      {"/b", "/", "b"},    {"/", "/", "/"},      {"//", "/", "/"},  {"", ".", ""},
      {"a//b", "a", "b"},  {"//a", "/", "a"},    {"./x", ".", "x"}, {"../x/", "..", "x"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(Dirname(r.in), r.dir) << r.in;
    EXPECT_EQ(Basename(r.in), r.base) << r.in;
  }
}

}  // namespace
}  // namespace util

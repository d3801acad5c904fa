#include "util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "util/scratch_dir.h"

namespace util {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  std::string Read(const std::string& name) {
    StatusOr<std::string> s = ReadFile(dir_.Path(name), 1 << 20);
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
    std::vector<std::string> names = dir_.Entries();
    for (const std::string& name : names) EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
    return names.size();
  }
  testing::ScratchDir dir_;
};

TEST_F(FilesTest, SafeOpenRefusals) {
  dir_.Write("plain", "x");
  dir_.Write("linked", "x");
  ASSERT_EQ(link(dir_.Path("linked").c_str(), dir_.Path("linked2").c_str()), 0);
  ASSERT_EQ(symlink(dir_.Path("plain").c_str(), dir_.Path("sym").c_str()), 0);
  ASSERT_EQ(symlink(dir_.Path("nowhere").c_str(), dir_.Path("dangling").c_str()), 0);
  ASSERT_EQ(mkdir(dir_.Path("subdir").c_str(), 0755), 0);
  ASSERT_EQ(mkfifo(dir_.Path("fifo").c_str(), 0644), 0);

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
    StatusOr<Fd> fd = SafeOpen(dir_.Path(r.name), r.flags, 0600);
    EXPECT_EQ(fd.status().code(), r.code) << r.name << ": " << fd.status().message();
    if (fd.ok()) {
      EXPECT_TRUE(fd->valid()) << r.name;
      continue;
    }
    const std::string& m = fd.status().message();
    std::string want = r.want;
    EXPECT_NE(m.find(dir_.Path(r.name)), std::string::npos) << m;
    ASSERT_GE(m.size(), want.size()) << m;
    EXPECT_EQ(m.substr(m.size() - want.size()), want) << m;
  }
  StatusOr<Fd> fd = SafeOpen(dir_.Path("sym"), O_RDONLY);
  EXPECT_EQ(fd.status().message(), "open " + dir_.Path("sym") + ": file is a symbolic link");
  // Creating through a dangling symlink must not create its target.
  EXPECT_FALSE(FileExists(dir_.Path("nowhere")));
  EXPECT_EQ(Mode(dir_.Path("created")), 0600u);
}

TEST_F(FilesTest, SafeOpenOwnerAndTruncate) {
  dir_.Write("f", "old contents");
  StatusOr<Fd> fd = SafeOpen(dir_.Path("f"), O_RDONLY, 0600, geteuid());
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  fd = SafeOpen(dir_.Path("f"), O_RDONLY, 0600, geteuid() + 1);
  ASSERT_FALSE(fd.ok());
  EXPECT_NE(fd.status().message().find("is owned by uid"), std::string::npos);
  // A refused file is not truncated; an accepted one is.
  ASSERT_EQ(link(dir_.Path("f").c_str(), dir_.Path("g").c_str()), 0);
  fd = SafeOpen(dir_.Path("f"), O_WRONLY | O_TRUNC);
  EXPECT_FALSE(fd.ok());
  EXPECT_EQ(Read("f"), "old contents");
  ASSERT_EQ(unlink(dir_.Path("g").c_str()), 0);
  fd = SafeOpen(dir_.Path("f"), O_WRONLY | O_TRUNC | O_CREAT);
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  ASSERT_EQ(write(fd->get(), "new", 3), 3);
  fd->reset();
  EXPECT_EQ(Read("f"), "new");
}

TEST_F(FilesTest, ReadFile) {
  dir_.Write("f", std::string("a\0b\nc", 5));
  StatusOr<std::string> s = ReadFile(dir_.Path("f"), 5);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, std::string("a\0b\nc", 5));
  s = ReadFile(dir_.Path("f"), 4);
  EXPECT_EQ(s.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(s.status().message(), "read " + dir_.Path("f") + ": file is larger than 4 bytes");
  s = ReadFile(dir_.Path("missing"), 4);
  EXPECT_EQ(s.status().code(), Code::kNotFound);
  dir_.Write("empty", "");
  s = ReadFile(dir_.Path("empty"), 0);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "");
  s = ReadFile(dir_.path(), 100);
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
      dir_.Write(r.name, r.old_contents);
      ASSERT_EQ(chmod(dir_.Path(r.name).c_str(), r.old_mode), 0);
    }
    Status s = AtomicReplace(dir_.Path(r.name), r.contents, r.mode);
    EXPECT_TRUE(s.ok()) << r.name << ": " << s.message();
    EXPECT_EQ(Read(r.name), r.contents) << r.name;
    EXPECT_EQ(Mode(dir_.Path(r.name)), r.want_mode) << r.name;
  }
  umask(old_umask);
  // Exactly the targets exist: no temporary files left behind.
  EXPECT_EQ(Entries(), std::size(rows));
}

TEST_F(FilesTest, AtomicReplaceLeavesNoTempFiles) {
  dir_.Write("f", "old");
  ASSERT_TRUE(AtomicReplace(dir_.Path("f"), "new").ok());
  // The target is a directory: rename fails, the temp file must be gone.
  ASSERT_EQ(mkdir(dir_.Path("d").c_str(), 0755), 0);
  Status s = AtomicReplace(dir_.Path("d"), "data");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rename"), std::string::npos) << s.message();
  EXPECT_TRUE(IsDirectory(dir_.Path("d")));
  EXPECT_EQ(Entries(), 2u);
}

TEST_F(FilesTest, AtomicReplaceKeepsOldOnFailure) {
  ASSERT_EQ(mkdir(dir_.Path("ro").c_str(), 0755), 0);
  dir_.Write("ro/f", "old");
  // The parent directory is missing: nothing is created anywhere.
  Status s = AtomicReplace(dir_.Path("nodir/f"), "new");
  EXPECT_EQ(s.code(), Code::kNotFound) << s.message();
  ASSERT_EQ(chmod(dir_.Path("ro").c_str(), 0555), 0);
  if (geteuid() != 0) {
    s = AtomicReplace(dir_.Path("ro/f"), "new");
    EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.message();
    EXPECT_NE(s.message().find("Permission denied"), std::string::npos) << s.message();
  } else {
    // Root bypasses directory permissions: the attempt runs in a child
    // that has become nobody (65534), which may enter the scratch
    // directory but not write in ro/. Exit status: 0 as expected, 1 a
    // wrong code, 2 a wrong message, 3 the identity change failed.
    ASSERT_EQ(chmod(dir_.path().c_str(), 0711), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
      Status c = AtomicReplace(dir_.Path("ro/f"), "new");
      if (c.code() != Code::kFailedPrecondition) _exit(1);
      _exit(c.message().find("Permission denied") == std::string::npos ? 2 : 0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  EXPECT_EQ(Read("ro/f"), "old");
  EXPECT_EQ(Entries(), 1u);  // ro/ only: no temporary file left
}

TEST_F(FilesTest, AtomicReplaceSymlinkReplacesLink) {
  dir_.Write("target", "target contents");
  ASSERT_EQ(symlink("target", dir_.Path("link").c_str()), 0);
  ASSERT_TRUE(AtomicReplace(dir_.Path("link"), "new", 0644).ok());
  EXPECT_EQ(Read("target"), "target contents");
  struct stat st;
  ASSERT_EQ(lstat(dir_.Path("link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(Read("link"), "new");
}

TEST_F(FilesTest, JournalOrdersNamesOnlyForJournaledFileSystems) {
  // tmpfs and pipes have no journal: their callers sync directories.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_FALSE(JournalOrdersNames(fds[0]));
  close(fds[0]);
  close(fds[1]);
  if (access("/dev/shm", W_OK) == 0) {
    Fd shm(open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(shm);
    EXPECT_FALSE(JournalOrdersNames(shm.get()));
  }
}

// ext4 with and without a journal, each on a loop-mounted image (root only).
TEST_F(FilesTest, JournalOrdersNamesTellsExt4WithAJournalFromOneWithout) {
  if (geteuid() != 0 || access("/sbin/mkfs.ext4", X_OK) != 0)
    GTEST_SKIP() << "needs root and mkfs.ext4 to mount file systems";
  for (bool journal : {true, false}) {
    std::string image = dir_.Path(journal ? "j.img" : "nj.img");
    std::string mnt = dir_.Path(journal ? "j" : "nj");
    ASSERT_EQ(mkdir(mnt.c_str(), 0700), 0);
    std::string make = "truncate -s 8M " + image + " && /sbin/mkfs.ext4 -q -F " +
                       (journal ? "" : "-O ^has_journal ") + image + " >/dev/null 2>&1";
    ASSERT_EQ(system(make.c_str()), 0) << make;
    if (system(("mount -o loop " + image + " " + mnt + " 2>/dev/null").c_str()) != 0)
      GTEST_SKIP() << "cannot loop-mount here";
    Fd d(open(mnt.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    bool ordered = d && JournalOrdersNames(d.get());
    d.reset();
    EXPECT_EQ(system(("umount " + mnt).c_str()), 0);
    EXPECT_EQ(ordered, journal) << (journal ? "with" : "without") << " a journal";
  }
}

TEST_F(FilesTest, FsyncHelpers) {
  EXPECT_TRUE(FsyncDir(dir_.path()).ok());
  EXPECT_EQ(FsyncDir(dir_.Path("missing")).code(), Code::kNotFound);
  dir_.Write("f", "x");
  EXPECT_FALSE(FsyncDir(dir_.Path("f")).ok());
  int fd = open(dir_.Path("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(FsyncFile(fd).ok());
  close(fd);
  EXPECT_FALSE(FsyncFile(-1).ok());
}

TEST_F(FilesTest, RenameNoReplace) {
  dir_.Write("a", "first");
  dir_.Write("b", "second");
  EXPECT_EQ(RenameNoReplace(dir_.Path("a"), dir_.Path("b")), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(Read("a"), "first");  // both untouched
  EXPECT_EQ(Read("b"), "second");
  EXPECT_EQ(RenameNoReplace(dir_.Path("a"), dir_.Path("c")), 0);
  EXPECT_FALSE(FileExists(dir_.Path("a")));
  EXPECT_EQ(Read("c"), "first");
  EXPECT_EQ(RenameNoReplace(dir_.Path("missing"), dir_.Path("d")), -1);
  EXPECT_EQ(errno, ENOENT);
}

TEST_F(FilesTest, MakeDirsNested) {
  mode_t old_umask = umask(077);
  std::string deep = dir_.Path("a/b/c");
  ASSERT_TRUE(MakeDirs(deep, 0750).ok());
  umask(old_umask);
  EXPECT_TRUE(IsDirectory(deep));
  EXPECT_EQ(Mode(dir_.Path("a")), 0750u);
  EXPECT_EQ(Mode(dir_.Path("a/b")), 0750u);
  EXPECT_EQ(Mode(deep), 0750u);
  // Existing: fine, left alone unless asked to fix.
  ASSERT_EQ(chmod(deep.c_str(), 0700), 0);
  EXPECT_TRUE(MakeDirs(deep, 0755).ok());
  EXPECT_EQ(Mode(deep), 0700u);
  EXPECT_TRUE(MakeDirs(deep + "/", 0755, kNoUid, kNoGid, ExistingDir::kFix).ok());
  EXPECT_EQ(Mode(deep), 0755u);
  EXPECT_EQ(Mode(dir_.Path("a/b")), 0750u);  // parents untouched
  // Odd spellings.
  EXPECT_TRUE(MakeDirs(dir_.Path("x//y///"), 0700).ok());
  EXPECT_TRUE(IsDirectory(dir_.Path("x/y")));
  EXPECT_TRUE(MakeDirs("/", 0755).ok());
  // A file in the way.
  dir_.Write("file", "x");
  Status s = MakeDirs(dir_.Path("file/sub"), 0755);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "mkdir " + dir_.Path("file") + ": not a directory");
  s = MakeDirs(dir_.Path("file"), 0755);
  EXPECT_EQ(s.message(), "mkdir " + dir_.Path("file") + ": not a directory");
  EXPECT_FALSE(MakeDirs("", 0755).ok());
  // A symlinked parent is followed.
  ASSERT_EQ(symlink(dir_.Path("a").c_str(), dir_.Path("alink").c_str()), 0);
  EXPECT_TRUE(MakeDirs(dir_.Path("alink/new"), 0700).ok());
  EXPECT_TRUE(IsDirectory(dir_.Path("a/new")));
}

TEST_F(FilesTest, MakeDirsOwner) {
  if (geteuid() != 0) GTEST_SKIP() << "chown needs root";
  ASSERT_TRUE(MakeDirs(dir_.Path("o/p"), 0755, 12345, 54321).ok());
  for (const char* name : {"o", "o/p"}) {
    struct stat st;
    ASSERT_EQ(stat(dir_.Path(name).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 12345u) << name;
    EXPECT_EQ(st.st_gid, 54321u) << name;
  }
  // SafeOpen's owner check against a file owned by someone else.
  dir_.Write("owned", "x");
  ASSERT_EQ(chown(dir_.Path("owned").c_str(), 12345, 12345), 0);
  StatusOr<Fd> fd = SafeOpen(dir_.Path("owned"), O_RDONLY, 0600, 0);
  EXPECT_EQ(fd.status().message(),
            "open " + dir_.Path("owned") + ": file is owned by uid 12345, expected 0");
  // AtomicReplace keeps owner and mode as root.
  ASSERT_EQ(chmod(dir_.Path("owned").c_str(), 0640), 0);
  ASSERT_TRUE(AtomicReplace(dir_.Path("owned"), "y").ok());
  struct stat st;
  ASSERT_EQ(stat(dir_.Path("owned").c_str(), &st), 0);
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

// scratch_dir: the one temporary directory helper of the unit tests
// (*_test.cpp and *_testing.h only; not part of any program). A ScratchDir
// is a fresh directory under $TMPDIR (or /tmp); destroying it removes it
// and everything in it, even what a test made read-only.
//
//   util::testing::ScratchDir dir;                 // a member, or a local
//   std::string cf = dir.Write("main.cf", "x = 1\n");   // returns the path
//   Open(dir.Path("t.db"));                         // dir.path() + "/t.db"
//   EXPECT_EQ(dir.Entries(), (std::vector<std::string>{"main.cf", "t.db"}));
//
// Header-only, so that no library carries it.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace util::testing {

class ScratchDir {
 public:
  ScratchDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/mta-test.XXXXXX";
    if (!mkdtemp(tmpl.data())) {
      perror(("mkdtemp " + tmpl).c_str());
      abort();
    }
    path_ = tmpl;
  }
  ~ScratchDir() { RemoveTree(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name; `name` may hold subdirectories ("ro/f").
  std::string Path(std::string_view name) const { return path_ + "/" + std::string(name); }

  // Writes `contents` to Path(name) with `mode` by rename (a new inode each
  // time, so a reader sees a changed file) and returns the path.
  std::string Write(std::string_view name, std::string_view contents, mode_t mode = 0644) const {
    std::string dest = Path(name), tmp = dest + ".scratch-new";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 &&
              write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size());
    ok = fd >= 0 && fchmod(fd, mode) == 0 && ok;
    if (fd >= 0) close(fd);
    ok = ok && rename(tmp.c_str(), dest.c_str()) == 0;
    if (!ok) ADD_FAILURE() << "cannot write " << dest;
    return dest;
  }

  // The sorted names in the directory (not "." and "..").
  std::vector<std::string> Entries() const {
    std::vector<std::string> out = Names(path_);
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  static std::vector<std::string> Names(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
      }
      closedir(d);
    }
    return out;
  }

  // Removes `path` and, when it is a directory (not a link to one), first
  // everything in it, giving each directory back its owner's permissions.
  static void RemoveTree(const std::string& path) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
      chmod(path.c_str(), 0700);
      for (const std::string& n : Names(path)) RemoveTree(path + "/" + n);
      rmdir(path.c_str());
    } else {
      unlink(path.c_str());
    }
  }

  std::string path_;
};

}  // namespace util::testing

// indexed_file_test_util: helpers for the tests of the indexed file tables
// (a temporary directory, building and opening a table in one call).
// Header-only so that it stays out of the mta_tables library.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tables/registry.h"
#include "tables/table.h"

namespace tables {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/mta-tables-XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    if (!path_.empty()) [[maybe_unused]]
      int rc = system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string& path() const { return path_; }
  // The sorted names in the directory.
  std::vector<std::string> Entries() const {
    std::vector<std::string> out;
    if (DIR* d = opendir(path_.c_str())) {
      while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
      }
      closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string path_;
};

// Builds `spec` from scratch with `rows` (postmap's way) and commits.
inline std::unique_ptr<Table> Build(const std::string& spec,
                                    const std::vector<std::pair<std::string, std::string>>& rows,
                                    unsigned flags = kFoldFixed | kDupWarn) {
  OpenOptions o;
  o.open_flags = O_RDWR | O_CREAT | O_TRUNC;
  o.flags = flags;
  auto t = Open(spec, o);
  EXPECT_TRUE(t.ok()) << t.status().message();
  if (!t.ok()) return nullptr;
  for (const auto& [k, v] : rows) {
    util::Status st = (*t)->Update(k, v);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  util::Status st = (*t)->Commit();
  EXPECT_TRUE(st.ok()) << st.message();
  return std::move(t).value();
}

// Opens `spec` read-only; aborts the test on failure.
inline std::unique_ptr<Table> OpenReader(const std::string& spec,
                                         unsigned flags = kDefaultLookupFlags) {
  OpenOptions o;
  o.flags = flags;
  auto t = Open(spec, o);
  if (!t.ok()) {
    ADD_FAILURE() << spec << ": " << t.status().message();
    abort();
  }
  return std::move(t).value();
}

}  // namespace tables

// table_testing: helpers for the unit tests of table types only (not linked
// into programs): a capture of the warnings a table logs at open, and rows
// of one-line table specs. Table files go in a util::testing::ScratchDir
// (util/scratch_dir.h).
//
//   util::testing::ScratchDir dir;
//   std::string path = dir.Write("regexp", "/^a/ b\n");
//   tables::testing::WarningCapture warnings;   // msg::Warn texts, no prefix
//   auto t = tables::Open("regexp:" + path, {});
//   EXPECT_EQ(warnings.texts(), ...);
//   RunRows({{"static:x", "key", kFound, "x"}});
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tables/registry.h"
#include "util/msg.h"

namespace tables::testing {

class WarningCapture {
 public:
  WarningCapture() {
    Current() = this;
    msg::SetHook(&Hook);
    msg::UseStderr(false);
  }
  ~WarningCapture() {
    msg::SetHook(nullptr);
    msg::UseStderr(true);
    Current() = nullptr;
  }
  const std::vector<std::string>& texts() const { return texts_; }
  void Clear() { texts_.clear(); }

 private:
  static WarningCapture*& Current() {
    static WarningCapture* current = nullptr;
    return current;
  }
  static void Hook(msg::Level level, std::string_view line) {
    if (level != msg::Level::kWarning || !Current()) return;
    size_t p = line.find("warning: ");
    if (p != std::string_view::npos) Current()->texts_.emplace_back(line.substr(p + 9));
  }
  std::vector<std::string> texts_;
};

// Rows for one-line table specs: open `spec` with default options, look
// up `key`; when the open fails, `value` is the expected open error.
struct Row {
  const char* spec;
  const char* key;
  LookupResult::Kind kind;
  const char* value;  // value, temp error reason, or open error
};

inline void RunRows(const std::vector<Row>& rows) {
  for (const Row& r : rows) {
    auto t = Open(r.spec, OpenOptions{});
    if (!t.ok()) {
      EXPECT_EQ(t.status().message(), r.value) << r.spec;
      EXPECT_EQ(t.status().code(), util::Code::kFailedPrecondition) << r.spec;
      continue;
    }
    LookupResult got = (*t)->Lookup(r.key);
    EXPECT_EQ(got.kind, r.kind) << r.spec << " " << r.key;
    EXPECT_EQ(got.value, r.value) << r.spec << " " << r.key;
  }
}

inline constexpr auto kFound = LookupResult::Kind::kFound;
inline constexpr auto kNotFound = LookupResult::Kind::kNotFound;
inline constexpr auto kTemp = LookupResult::Kind::kTempError;
inline constexpr auto kOpenError = LookupResult::Kind::kNotFound;  // unused when open fails

}  // namespace tables::testing

// indexed_file_test_util: helpers for the tests of the indexed file tables
// (building and opening a table in one call; table files go in a
// util::testing::ScratchDir, util/scratch_dir.h).
// Header-only so that it stays out of the mta_tables library.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tables/registry.h"
#include "tables/table.h"

namespace tables {

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

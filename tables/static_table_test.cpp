#include <gtest/gtest.h>

#include "tables/registry.h"
#include "tables/table_testing.h"

namespace tables {
namespace {

using namespace tables::testing;

TEST(StaticTableTest, Lookups) {
  RunRows({
      {"static:OK", "anything", kFound, "OK"},
      {"static:OK", "", kFound, "OK"},
      {"static:{ text with spaces }", "x", kFound, "text with spaces"},
      {"static:a b", "x", kFound, "a b"},
      {"static:", "x", kOpenError,
       "open dictionary: expecting \"type:name\" form instead of \"static:\""},
      {"static:{ a b", "x", kOpenError, "bad static:name syntax: missing '}' in \"{ a b\""},
  });
}

TEST(NonWritableTest, UpdateRefused) {
  for (const char* spec : {"static:x", "inline:{a=b}", "fail:x"}) {
    auto t = Open(spec, OpenOptions{});
    ASSERT_TRUE(t.ok()) << spec;
    EXPECT_FALSE((*t)->Update("a", "b").ok()) << spec;
    EXPECT_FALSE(IsWritableType((*t)->type())) << spec;
  }
}

}  // namespace
}  // namespace tables

#include <gtest/gtest.h>

#include "tables/registry.h"
#include "tables/table_testing.h"

namespace tables {
namespace {

using namespace tables::testing;

TEST(FailTableTest, AlwaysTemporaryError) {
  RunRows({
      {"fail:oops", "x", kTemp, "fail:oops"},
      {"fail:", "x", kOpenError,
       "open dictionary: expecting \"type:name\" form instead of \"fail:\""},
  });
}

}  // namespace
}  // namespace tables

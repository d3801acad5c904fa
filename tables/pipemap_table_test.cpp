#include <gtest/gtest.h>

#include "tables/registry.h"
#include "tables/table_testing.h"

namespace tables {
namespace {

using namespace tables::testing;

TEST(PipemapTableTest, Lookups) {
  RunRows({
      {"pipemap:{inline:{a=b}, inline:{b=c}}", "a", kFound, "c"},
      {"pipemap:{inline:{a=B}, inline:{b=c}}", "A", kFound, "c"},  // each stage folds
      {"pipemap:{inline:{a=b}, inline:{x=c}}", "a", kNotFound, ""},
      {"pipemap:{inline:{a=b}, inline:{b=c}}", "q", kNotFound, ""},
      {"pipemap:{inline:{a=b}}", "a", kFound, "b"},
      {"pipemap:{inline:{a=b}, fail:t, inline:{b=c}}", "a", kTemp, "fail:t"},
      {"pipemap:{inline:{a=b}, fail:t}", "q", kNotFound, ""},
      {"pipemap:{static:{x}, inline:{{x = y z}}}", "q", kFound, "y z"},
      {"pipemap:a", "a", kOpenError, "bad syntax: \"pipemap:a\"; need \"pipemap:{type:name...}\""},
  });
}

}  // namespace
}  // namespace tables

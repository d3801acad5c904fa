#include <gtest/gtest.h>

#include "tables/registry.h"
#include "tables/table_testing.h"

namespace tables {
namespace {

using namespace tables::testing;

TEST(UnionmapTableTest, Lookups) {
  RunRows({
      {"unionmap:{inline:{a=1}, inline:{a=2}, inline:{b=3}}", "a", kFound, "1,2"},
      {"unionmap:{inline:{a=1}, inline:{a=2}, inline:{b=3}}", "b", kFound, "3"},
      {"unionmap:{inline:{a=1}, inline:{a=2}}", "c", kNotFound, ""},
      {"unionmap:{inline:{a=1}, fail:x}", "a", kTemp, "fail:x"},
      {"unionmap:{fail:x, inline:{a=1}}", "zz", kTemp, "fail:x"},
      {"unionmap:{ static:{a b}, inline:{{k = v w}} }", "k", kFound, "a b,v w"},
      {"unionmap:inline:{a=b}", "a", kOpenError,
       "bad syntax: \"unionmap:inline:{a=b}\"; need \"unionmap:{type:name...}\""},
      {"unionmap:{}", "a", kOpenError,
       "bad syntax: \"unionmap:{}\"; need \"unionmap:{type:name...}\""},
      {"unionmap:{inline:{a=b}, nosuch:x}", "a", kOpenError, "unsupported dictionary type: nosuch"},
  });
}

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

#include <gtest/gtest.h>

#include "tables/registry.h"
#include "tables/table_testing.h"

namespace tables {
namespace {

using namespace tables::testing;

TEST(InlineTableTest, Lookups) {
  RunRows({
      {"inline:{a=b, { c = d e }}", "a", kFound, "b"},
      {"inline:{a=b, { c = d e }}", "C", kFound, "d e"},  // folded (kFoldFixed)
      {"inline:{a=b, { c = d e }}", "x", kNotFound, ""},
      {"inline:{ A=1 b=2 }", "a", kFound, "1"},
      {"inline:{ A=1 b=2 }", "b", kFound, "2"},
      {"inline:{a=1,a=2}", "a", kFound, "2"},
      {"inline:{a=}", "a", kFound, ""},
      {"inline:{a=x=y}", "a", kFound, "x=y"},
      {"inline:a=b", "a", kOpenError,
       "bad syntax: \"inline:a=b\"; need \"inline:{name=value...}\""},
      {"inline:{}", "a", kOpenError, "bad syntax: \"inline:{}\"; need \"inline:{name=value...}\""},
      {"inline:{a=b, {c=d}", "a", kOpenError,
       "bad syntax: \"inline:{a=b, {c=d}\"; need \"inline:{name=value...}\""},
      {"inline:{a}", "a", kOpenError,
       "missing '=' after attribute name: \"inline:{a}\"; need \"inline:{name=value...}\""},
      {"inline:{ a = x y }", "a", kOpenError,
       "missing '=' after attribute name: \"inline:{ a = x y }\"; need "
       "\"inline:{name=value...}\""},
      {"inline:{=x}", "a", kOpenError,
       "missing attribute name: \"inline:{=x}\"; need \"inline:{name=value...}\""},
  });
}

TEST(InlineTableTest, NoFoldKeepsCase) {
  OpenOptions opts;
  opts.flags = kNone;
  auto t = Open("inline:{Ab=1}", opts);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE((*t)->Lookup("ab").not_found());
  EXPECT_EQ((*t)->Lookup("Ab").value, "1");
}

TEST(InlineTableTest, Sequence) {
  auto t = Open("inline:{b=1, a=2}", OpenOptions{});
  ASSERT_TRUE(t.ok());
  std::vector<std::string> seen;
  ASSERT_TRUE((*t)->Sequence([&](std::string_view k, std::string_view v) {
                    seen.push_back(std::string(k) + "=" + std::string(v));
                    return true;
                  })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a=2", "b=1"}));
}

}  // namespace
}  // namespace tables

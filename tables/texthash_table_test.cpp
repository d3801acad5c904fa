#include <gtest/gtest.h>

#include "tables/registry.h"
#include "tables/table_testing.h"
#include "util/scratch_dir.h"

namespace tables {
namespace {

using namespace tables::testing;
using util::testing::ScratchDir;

TEST(TexthashTableTest, PostmapFormat) {
  ScratchDir dir;
  std::string path = dir.Write("th",
                               "# comment\n"
                               "Foo  bar baz\n"
                               "\n"
                               "alone\n"
                               "k2 v2\n"
                               "  more\n"
                               "k2 dup\n"
                               "  # indented comment\n"
                               "k3\tv3 # not a comment\n");
  WarningCapture warnings;
  auto t = Open("texthash:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(warnings.texts(),
            (std::vector<std::string>{
                path + ", line 4: expected format: key whitespace value -- ignoring this line",
                path + ", line 7: duplicate entry: \"k2\""}));
  struct Row {
    const char* key;
    const char* want;  // nullptr: not found
  } rows[] = {
      {"foo", "bar baz"},           {"FOO", "bar baz"}, {"k2", "v2  more"},
      {"k3", "v3 # not a comment"}, {"alone", nullptr}, {"comment", nullptr},
  };
  for (const Row& r : rows) {
    LookupResult got = (*t)->Lookup(r.key);
    if (r.want) {
      EXPECT_TRUE(got.found()) << r.key;
      EXPECT_EQ(got.value, r.want) << r.key;
    } else {
      EXPECT_TRUE(got.not_found()) << r.key;
    }
  }
}

TEST(TexthashTableTest, NoFoldAndDupReplace) {
  ScratchDir dir;
  std::string path = dir.Write("th", "Foo 1\nFoo 2\n");
  OpenOptions opts;
  opts.flags = kDupReplace;
  WarningCapture warnings;
  auto t = Open("texthash:" + path, opts);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(warnings.texts().empty());
  EXPECT_TRUE((*t)->Lookup("foo").not_found());
  EXPECT_EQ((*t)->Lookup("Foo").value, "2");
}

TEST(TexthashTableTest, MissingFileAndChanged) {
  ScratchDir dir;
  auto missing = Open("texthash:" + dir.path() + "/nope", OpenOptions{});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "open " + dir.path() + "/nope: No such file or directory");

  std::string path = dir.Write("th", "a 1\n");
  auto t = Open("texthash:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE((*t)->Changed());
  dir.Write("th", "a 22\n");  // a new inode (rename)
  EXPECT_TRUE((*t)->Changed());
  EXPECT_EQ((*t)->Lookup("a").value, "1");  // the open table keeps its data
}

}  // namespace
}  // namespace tables

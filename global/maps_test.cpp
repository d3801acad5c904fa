#include "global/maps.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "tables/table_testing.h"
#include "util/scratch_dir.h"

namespace maps {
namespace {

using tables::LookupResult;
using tables::testing::WarningCapture;
using util::testing::ScratchDir;

class MapsTest : public ::testing::Test {
 protected:
  MapsTest() { SetChangeCheckInterval(std::chrono::milliseconds(0)); }
  ~MapsTest() override {
    ClearTableCache();
    SetChangeCheckInterval(std::chrono::milliseconds(1000));
  }
  Maps MustOpen(std::string_view list) {
    auto m = Maps::Open("test_maps", list, tables::OpenOptions{});
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? *m : Maps();
  }
  ScratchDir dir_;
};

TEST_F(MapsTest, SplittingRespectsBraces) {
  Maps m = MustOpen("inline:{a=b, {c = d e}}, static:{x y}\thash:/nonexistent/x");
  EXPECT_EQ(m.specs(), (std::vector<std::string>{"inline:{a=b, {c = d e}}", "static:{x y}",
                                                 "hash:/nonexistent/x"}));
}

TEST_F(MapsTest, SearchOrder) {
  struct Row {
    const char* name;
    const char* list;
    const char* key;
    LookupResult want;
  };
  const Row rows[] = {
      {"first wins", "inline:{a=1}, inline:{a=2}", "a", LookupResult::Found("1")},
      {"later table", "inline:{a=1}, inline:{b=2}", "b", LookupResult::Found("2")},
      {"nowhere", "inline:{a=1}, inline:{b=2}", "c", LookupResult::NotFound()},
      {"empty list", "", "a", LookupResult::NotFound()},
      {"found before error", "inline:{b=1}, fail:x, inline:{a=2}", "b", LookupResult::Found("1")},
      {"error stops search", "inline:{b=1}, fail:x, inline:{a=2}", "a",
       LookupResult::TempError("fail:x")},
      {"empty value is an error", "inline:{a=}, inline:{a=2}", "a",
       LookupResult::TempError("test_maps lookup of a returned an empty string result")},
      {"spaces in braces", "inline:{{ k = v w }}", "k", LookupResult::Found("v w")},
  };
  WarningCapture warnings;
  for (const Row& r : rows) {
    Maps m = MustOpen(r.list);
    LookupResult got = m.Find(r.key);
    EXPECT_EQ(got.kind, r.want.kind) << r.name;
    EXPECT_EQ(got.value, r.want.value) << r.name;
  }
  EXPECT_EQ(warnings.texts(),
            (std::vector<std::string>{"fail:x lookup error for \"a\": fail:x",
                                      "test_maps lookup of a returned an empty string result"}));
}

TEST_F(MapsTest, FixedOnlySkipsPatternTables) {
  std::string re = dir_.Write("re", "/^a/ from-regexp\n");
  Maps m = MustOpen("regexp:" + re + ", inline:{a=from-inline}");
  EXPECT_EQ(m.Find("a").value, "from-regexp");
  EXPECT_EQ(m.Find("a", Maps::Which::kFixedOnly).value, "from-inline");
}

TEST_F(MapsTest, OpenErrors) {
  struct Row {
    const char* list;
    const char* error;
  };
  const Row rows[] = {
      {"inline:{a=b", "test_maps: bad table list \"inline:{a=b\": missing '}'"},
      {"hash:/a, plain", "test_maps: need dictionary type:name, got \"plain\""},
      {"nosuch:/x", "test_maps: unsupported dictionary type: nosuch"},
  };
  for (const Row& r : rows) {
    auto m = Maps::Open("test_maps", r.list, tables::OpenOptions{});
    ASSERT_FALSE(m.ok()) << r.list;
    EXPECT_EQ(m.status().code(), util::Code::kFailedPrecondition);
    EXPECT_EQ(m.status().message(), r.error);
  }
}

TEST_F(MapsTest, UnavailableTableIsTemporaryThenRecovers) {
  std::string path = dir_.path() + "/th";
  WarningCapture warnings;
  Maps m = MustOpen("inline:{x=1}, texthash:" + path);
  EXPECT_EQ(warnings.texts(),
            (std::vector<std::string>{"texthash:" + path + " is unavailable. open " + path +
                                      ": No such file or directory"}));
  EXPECT_EQ(m.Find("x").value, "1");
  LookupResult got = m.Find("a");
  EXPECT_TRUE(got.temp_error());
  EXPECT_EQ(got.value,
            "texthash:" + path + " is unavailable. open " + path + ": No such file or directory");
  dir_.Write("th", "a from-file\n");
  EXPECT_EQ(m.Find("a").value, "from-file");
}

TEST_F(MapsTest, CacheSharesTablesAndReopensChangedFiles) {
  std::string path = dir_.Write("th", "a 1\n");
  SetChangeCheckInterval(std::chrono::hours(1));
  Maps first = MustOpen("texthash:" + path);
  EXPECT_EQ(first.Find("a").value, "1");
  dir_.Write("th", "a 2\n");
  Maps second = MustOpen("texthash:" + path + ", static:z");  // the cached table: old data
  EXPECT_EQ(second.Find("a").value, "1");
  EXPECT_EQ(first.Find("a").value, "1");
  SetChangeCheckInterval(std::chrono::milliseconds(0));
  EXPECT_EQ(first.Find("a").value, "2");
  // Other flags: another table.
  tables::OpenOptions nofold;
  nofold.flags = tables::kNone;
  auto third = Maps::Open("t", "texthash:" + path, nofold);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->Find("A").not_found());
  EXPECT_EQ(first.Find("A").value, "2");
}

TEST_F(MapsTest, FailedReopenKeepsOldTable) {
  std::string path = dir_.Write("th", "a 1\n");
  Maps m = MustOpen("texthash:" + path);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  WarningCapture warnings;
  EXPECT_EQ(m.Find("a").value, "1");
  ASSERT_EQ(warnings.texts().size(), 1u);
  EXPECT_EQ(warnings.texts()[0], "texthash:" + path + ": reopen failed: open " + path +
                                     ": No such file or directory; still using the old table");
}

TEST_F(MapsTest, FromParameterUsesExpandedConfig) {
  config::Config cfg;
  cfg.Set("my_value", "from-config");
  cfg.Set("virtual_alias_maps", "inline:{a=$my_value}, proxy:hash:/etc/x");
  cfg.Set("queue_directory", dir_.path());
  auto m = Maps::FromParameter(cfg, "virtual_alias_maps");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->title(), "virtual_alias_maps");
  EXPECT_EQ(m->Find("a").value, "from-config");
  WarningCapture warnings;
  LookupResult got = m->Find("b");
  EXPECT_TRUE(got.temp_error());
  EXPECT_EQ(got.value, "proxymap service is not available: connect to " + dir_.path() +
                           "/private/proxymap: No such file or directory");
}

TEST(FixedStringTest, Types) {
  struct Row {
    const char* spec;
    bool fixed;
  } rows[] = {
      {"hash:/a", true},
      {"texthash:/a", true},
      {"inline:{a=b}", true},
      {"static:x", true},
      {"mysql:/a.cf", true},
      {"regexp:/a", false},
      {"pcre:/a", false},
      {"cidr:/a", false},
      {"fail:x", false},
      {"proxy:hash:/a", true},
      {"proxy:pcre:/a", false},
      {"unionmap:{hash:/a, static:x}", true},
      {"unionmap:{hash:/a, regexp:/b}", false},
      {"pipemap:{regexp:/a, hash:/b}", false},
      {"pipemap:{hash:/a, fail:x}", true},
  };
  for (const Row& r : rows) EXPECT_EQ(IsFixedStringSpec(r.spec), r.fixed) << r.spec;
}

}  // namespace
}  // namespace maps

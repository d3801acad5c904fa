#include "global/domain_list.h"

#include <gtest/gtest.h>

#include "tables/table_testing.h"
#include "util/scratch_dir.h"

namespace domain_list {
namespace {

using util::testing::ScratchDir;

class DomainListTest : public ::testing::Test {
 public:
  ~DomainListTest() override { maps::ClearTableCache(); }

 protected:
  ScratchDir dir_;
};

TEST_F(DomainListTest, Matching) {
  std::string file = dir_.Write("list",
                                "# comment\nfile.example, other.example\n"
                                "  continued.example\n");
  std::string table = dir_.Write("table", "table.example x\n.dotted.example x\n");
  struct {
    const char* name;
    std::string list;
    Style style;
    bool parent;
    const char* host;
    bool want;
  } rows[] = {
      {"exact", "a.example, b.example", Style::kString, false, "B.Example", true},
      {"string list: no subdomain", "a.example", Style::kString, false, "x.a.example", false},
      {"string list: dot pattern is literal", ".a.example", Style::kString, false, "x.a.example",
       false},
      {"domain list: no parent style", "a.example", Style::kDomain, false, "x.a.example", false},
      {"domain list: parent style", "a.example", Style::kDomain, true, "x.y.a.example", true},
      {"domain list: parent style needs a dot", "a.example", Style::kDomain, true, "xa.example",
       false},
      {"domain list: .domain", ".a.example", Style::kDomain, false, "x.a.example", true},
      {"domain list: .domain is not the domain", ".a.example", Style::kDomain, false, "a.example",
       false},
      {"negation", "!x.a.example, .a.example", Style::kDomain, false, "x.a.example", false},
      {"negation skipped", "!x.a.example, .a.example", Style::kDomain, false, "y.a.example", true},
      {"file", file, Style::kString, false, "other.example", true},
      {"file, continuation line", file, Style::kString, false, "continued.example", true},
      {"file, comment", file, Style::kString, false, "comment", false},
      {"table", "texthash:" + table, Style::kString, false, "TABLE.example", true},
      {"table: string list, no parent", "texthash:" + table, Style::kString, false,
       "x.table.example", false},
      {"table: .parent key", "texthash:" + table, Style::kDomain, false, "x.dotted.example", true},
      {"table: parent key without dot", "texthash:" + table, Style::kDomain, true,
       "x.table.example", true},
      {"table: parent without dot needs parent style", "texthash:" + table, Style::kDomain, false,
       "x.table.example", false},
      {"inline table in braces", "inline:{ {in.example = x} }", Style::kString, false, "in.example",
       true},
      {"empty list", "", Style::kDomain, true, "a.example", false},
  };
  for (const auto& row : rows) {
    auto list = DomainList::Parse("test_list", row.list, row.style, row.parent, {});
    ASSERT_TRUE(list.ok()) << row.name << ": " << list.status().message();
    util::StatusOr<bool> got = list->Match(row.host);
    ASSERT_TRUE(got.ok()) << row.name << ": " << got.status().message();
    EXPECT_EQ(*got, row.want) << row.name;
  }
}

TEST_F(DomainListTest, Errors) {
  auto bad =
      DomainList::Parse("relay_domains", dir_.path() + "/missing", Style::kDomain, false, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "relay_domains: open " + dir_.path() + "/missing: No such file or directory");
  auto type = DomainList::Parse("relay_domains", "nosuchtype:x", Style::kDomain, false, {});
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.status().message(), "relay_domains: unsupported dictionary type: nosuchtype");

  // A failing table stops the search with its reason, even when a later
  // pattern would match.
  tables::testing::WarningCapture warnings;
  auto fail = DomainList::Parse("relay_domains", "fail:db, a.example", Style::kDomain, false, {});
  ASSERT_TRUE(fail.ok());
  util::StatusOr<bool> m = fail->Match("a.example");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), util::Code::kUnavailable);
  EXPECT_EQ(m.status().message(), "fail:db");
}

}  // namespace
}  // namespace domain_list

#include "tables/table_syntax.h"

#include <gtest/gtest.h>

namespace tables {
namespace {

TEST(LogicalLinesTest, Rules) {
  struct Row {
    const char* name;
    const char* text;
    std::vector<std::pair<int, std::string>> want;
    std::vector<std::string> warnings;
  };
  const Row rows[] = {
      {"plain", "a b\nc d\n", {{1, "a b"}, {2, "c d"}}, {}},
      {"no final newline", "a b", {{1, "a b"}}, {}},
      {"comments and blanks", "# x\n\n  \na b\n  # y\n", {{4, "a b"}}, {}},
      {"continuation keeps white space", "k v\n  more\n", {{1, "k v  more"}}, {}},
      {"continuation across comment and blank", "c d\n#x\n\n e f\n", {{1, "c d e f"}}, {}},
      {"trailing white space dropped", "a b \t\r\n", {{1, "a b"}}, {}},
      {"leading continuation",
       " a b\nc d\n",
       {{2, "c d"}},
       {"F: logical line must not start with whitespace: \" a b\""}},
  };
  for (const Row& r : rows) {
    std::vector<std::string> warnings;
    std::vector<LogicalLine> got = SplitLogicalLines(r.text, "F", &warnings);
    std::vector<std::pair<int, std::string>> pairs;
    for (const auto& l : got) pairs.emplace_back(l.line, l.text);
    EXPECT_EQ(pairs, r.want) << r.name;
    EXPECT_EQ(warnings, r.warnings) << r.name;
  }
}

TEST(LogicalLinesTest, MissingFile) {
  auto got = ReadLogicalLines("/nonexistent/file", nullptr);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), util::Code::kNotFound);
  EXPECT_EQ(got.status().message(), "open /nonexistent/file: No such file or directory");
}

TEST(BracesTest, StripBraces) {
  struct Row {
    const char* in;
    std::optional<std::string> want;
  };
  const Row rows[] = {
      {"{ a b }", "a b"},  {"{a}", "a"},         {" {x {y} z} ", "x {y} z"}, {"{}", ""},
      {"a", std::nullopt}, {"{a", std::nullopt}, {"{a} {b}", std::nullopt},
  };
  for (const Row& r : rows) {
    auto got = StripBraces(r.in);
    EXPECT_EQ(got ? std::optional<std::string>(std::string(*got)) : std::nullopt, r.want) << r.in;
  }
}

TEST(BracesTest, SplitBracedList) {
  struct Row {
    const char* in;
    std::vector<std::string> want;
    const char* error;
  };
  const Row rows[] = {
      {"hash:/a, mysql:/b", {"hash:/a", "mysql:/b"}, nullptr},
      {"inline:{a=b, {c = d e}}, static:x", {"inline:{a=b, {c = d e}}", "static:x"}, nullptr},
      {" a\tb ,,c ", {"a", "b", "c"}, nullptr},
      {"", {}, nullptr},
      {"static:{ x y }z, w", {"static:{ x y }z", "w"}, nullptr},
      {"inline:{a=b", {}, "missing '}'"},
      {"a}", {}, "extra '}'"},
  };
  for (const Row& r : rows) {
    auto got = SplitBracedList(r.in);
    if (r.error) {
      ASSERT_FALSE(got.ok()) << r.in;
      EXPECT_EQ(got.status().message(), r.error) << r.in;
    } else {
      ASSERT_TRUE(got.ok()) << r.in;
      EXPECT_EQ(*got, r.want) << r.in;
    }
  }
}

}  // namespace
}  // namespace tables

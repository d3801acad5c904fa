#include "util/cf_file.h"

#include <gtest/gtest.h>

namespace util {
namespace {

CfFile MustParse(std::string_view text, std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> w;
  auto cf = CfFile::Parse(text, "/cfg/main.cf", warnings ? warnings : &w);
  EXPECT_TRUE(cf.ok()) << cf.status().message();
  return cf.ok() ? std::move(cf).value() : CfFile();
}

TEST(MainCfTest, ParsesValues) {
  struct {
    const char* name;
    const char* text;
    const char* param;
    const char* want;
  } rows[] = {
      {"plain", "a = b\n", "a", "b"},
      {"no spaces", "a=b\n", "a", "b"},
      {"trailing blanks", "a =   b c  \t\n", "a", "b c"},
      {"empty value", "a =\n", "a", ""},
      {"hash inside value", "a = b # not a comment\n", "a", "b # not a comment"},
      {"continuation", "a = b,\n  c,\n\td\n", "a", "b, c, d"},
      {"comment inside continuation", "a = b,\n# note\n  c\n", "a", "b, c"},
      {"blank inside continuation", "a = b,\n\n  c\n", "a", "b, c"},
      {"last wins", "a = 1\na = 2\n", "a", "2"},
      {"crlf", "a = b\r\n", "a", "b"},
      {"no final newline", "a = b", "a", "b"},
      {"indented comment", "  # x\na = b\n", "a", "b"},
  };
  for (const auto& r : rows) {
    CfFile cf = MustParse(r.text);
    const CfEntry* e = cf.Find(r.param);
    ASSERT_NE(e, nullptr) << r.name;
    EXPECT_EQ(e->value, r.want) << r.name;
  }
}

TEST(MainCfTest, LineNumbersAndOrder) {
  CfFile cf = MustParse("# c\nb = 1\n\na = 2\n  x\nb = 3\n");
  ASSERT_EQ(cf.entries().size(), 2u);
  EXPECT_EQ(cf.entries()[0].name, "b");
  EXPECT_EQ(cf.entries()[0].line, 6);  // redefined: last definition's line
  EXPECT_EQ(cf.entries()[1].name, "a");
  EXPECT_EQ(cf.entries()[1].line, 4);
}

TEST(MainCfTest, WarnsAboutOverrideAndLeadingWhitespace) {
  std::vector<std::string> w;
  CfFile cf = MustParse("  lead = 1\na = 1\na = 2\n", &w);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0],
            "/cfg/main.cf, line 1: logical line must not start with whitespace: "
            "\"lead = 1\"");
  EXPECT_EQ(w[1], "/cfg/main.cf, line 3: overriding earlier entry: a=1");
  EXPECT_EQ(cf.Find("lead"), nullptr);
}

TEST(MainCfTest, Errors) {
  struct {
    const char* text;
    const char* want;
  } rows[] = {
      {"noequals\n", "/cfg/main.cf, line 1: missing '=' after attribute name: \"noequals\""},
      {"a = 1\n= x\n", "/cfg/main.cf, line 2: missing attribute name: \"= x\""},
      {"a b = c\n", "/cfg/main.cf, line 1: bad attribute name: \"a b\""},
  };
  for (const auto& r : rows) {
    std::vector<std::string> w;
    auto cf = CfFile::Parse(r.text, "/cfg/main.cf", &w);
    ASSERT_FALSE(cf.ok()) << r.text;
    EXPECT_EQ(cf.status().code(), Code::kFailedPrecondition);
    EXPECT_EQ(cf.status().message(), r.want);
  }
}

TEST(MainCfTest, MissingFile) {
  std::vector<std::string> w;
  auto cf = CfFile::Load("/nonexistent/dir/main.cf", &w);
  ASSERT_FALSE(cf.ok());
  EXPECT_EQ(cf.status().code(), Code::kNotFound);
  EXPECT_EQ(cf.status().message(), "open /nonexistent/dir/main.cf: No such file or directory");
}

TEST(MainCfTest, UnreadableFile) {
  std::vector<std::string> w;
  auto cf = CfFile::Load("/", &w);  // a directory cannot be read as main.cf
  ASSERT_FALSE(cf.ok());
}

TEST(MainCfTest, Edits) {
  using Op = CfFile::EditOp;
  struct {
    const char* name;
    const char* text;
    std::vector<CfFile::Edit> edits;
    const char* want;
  } rows[] = {
      {"replace keeps comments",
       "# top\nmyhostname = a\n  .b\n# mid\nmydomain = c\n",
       {{Op::kSet, "myhostname", "new host"}},
       "# top\nmyhostname = new host\n# mid\nmydomain = c\n"},
      {"append", "a = 1\n", {{Op::kSet, "b", "2"}}, "a = 1\nb = 2\n"},
      {"empty value", "a = 1\n", {{Op::kSet, "a", ""}}, "a = \n"},
      {"duplicates collapse", "a = 1\nx = y\na = 2\n", {{Op::kSet, "a", "3"}}, "x = y\na = 3\n"},
      {"remove", "a = 1\n  2\nb = 3\n", {{Op::kRemove, "a", ""}}, "b = 3\n"},
      {"comment out", "a = 1\n  2\nb = 3\n", {{Op::kCommentOut, "a", ""}}, "#a = 1\n#  2\nb = 3\n"},
      {"remove missing is a no-op", "a = 1\n", {{Op::kRemove, "zz", ""}}, "a = 1\n"},
      {"name alone on its line: remove", "a\n  = 1\nb = 2\n", {{Op::kRemove, "a", ""}}, "b = 2\n"},
      {"name alone on its line: set",
       "a\n  = 1\nb = 2\n",
       {{Op::kSet, "a", "3"}},
       "a = 3\nb = 2\n"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(CfFile::ApplyEdits(r.text, r.edits), r.want) << r.name;
  }
}

TEST(MainCfTest, SplitAssignment) {
  auto kv = SplitAssignment(" a = b c ");
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->first, "a");
  EXPECT_EQ(kv->second, "b c");
  EXPECT_FALSE(SplitAssignment("novalue"));
  EXPECT_FALSE(SplitAssignment("=x"));
  EXPECT_FALSE(SplitAssignment("a b=x"));
}

}  // namespace
}  // namespace util

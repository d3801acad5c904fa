#include "util/strings.h"

#include <gtest/gtest.h>

namespace util {
namespace {

TEST(StringsTest, SplitList) {
  struct {
    const char* in;
    std::vector<std::string> want;
  } rows[] = {
      {"", {}},
      {"a", {"a"}},
      {"a, b\tc\n d,,e", {"a", "b", "c", "d", "e"}},
      {" ,, ", {}},
  };
  for (const auto& r : rows) EXPECT_EQ(SplitList(r.in), r.want) << r.in;
}

TEST(StringsTest, SplitKeepsEmpty) {
  EXPECT_EQ(Split("a::b", ':'), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(Split("", ':'), (std::vector<std::string>{""}));
}

TEST(StringsTest, Trim) {
  EXPECT_EQ(Trim("  a b \t\n"), "a b");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(TrimLeft("  x "), "x ");
  EXPECT_EQ(TrimRight("  x "), "  x");
}

TEST(StringsTest, ParseInt) {
  EXPECT_EQ(ParseInt("0"), 0);
  EXPECT_EQ(ParseInt("-12"), -12);
  EXPECT_EQ(ParseInt("10240000"), 10240000);
  EXPECT_FALSE(ParseInt(""));
  EXPECT_FALSE(ParseInt("12a"));
  EXPECT_FALSE(ParseInt("-"));
  EXPECT_FALSE(ParseInt("99999999999999999999"));
}

TEST(StringsTest, ParseTime) {
  struct {
    const char* in;
    char unit;
    std::optional<long long> want;
  } rows[] = {
      {"300s", 's', 300},  {"5m", 's', 300}, {"1h", 's', 3600},   {"5d", 's', 432000},
      {"1w", 's', 604800}, {"10", 's', 10},  {"10", 'd', 864000}, {"3H", 's', 10800},
      {"x", 's', {}},      {"", 's', {}},    {"5y", 's', {}},     {"-1s", 's', {}},
  };
  for (const auto& r : rows) EXPECT_EQ(ParseTime(r.in, r.unit), r.want) << r.in;
}

TEST(StringsTest, ParseBool) {
  EXPECT_EQ(ParseBool("yes"), true);
  EXPECT_EQ(ParseBool("NO"), false);
  EXPECT_EQ(ParseBool("true"), true);
  EXPECT_FALSE(ParseBool("maybe"));
}

TEST(StringsTest, Printable) {
  EXPECT_EQ(Printable("a\r\nb"), "a\\015\\012b");
  EXPECT_EQ(Printable("\xe3\x81\x82"), "\xe3\x81\x82");  // UTF-8 kept as is
}

TEST(StringsTest, StrFormatLong) {
  std::string big(2000, 'x');
  EXPECT_EQ(StrFormat("%s!", big.c_str()), big + "!");
}

}  // namespace
}  // namespace util

namespace util {
namespace {

TEST(StringsTest, ControlCharacters) {
  EXPECT_FALSE(HasControl("plain text, 8-bit \xe3\x81\x82 too"));
  EXPECT_TRUE(HasControl("a\rb"));
  EXPECT_TRUE(HasControl(std::string("a\0b", 3)));
  EXPECT_TRUE(HasControl("tab\there"));
  EXPECT_TRUE(HasControl("del\x7f"));
  EXPECT_EQ(ReplaceControls("abc\r\n.\r\nMAIL"), "abc??.??MAIL");
  EXPECT_EQ(ReplaceControls("x\ty", ' '), "x y");
  EXPECT_TRUE(AllPrintableAscii("id-123+x ~"));
  EXPECT_FALSE(AllPrintableAscii("a\nb"));
  EXPECT_FALSE(AllPrintableAscii("\xc3\xa9"));
}

}  // namespace
}  // namespace util

namespace util {
namespace {

TEST(StringsTest, Utf8) {
  EXPECT_TRUE(ValidUtf8("ascii"));
  EXPECT_TRUE(ValidUtf8("\xe3\x81\x82\xf0\x9f\x93\xa7"));
  EXPECT_FALSE(ValidUtf8("\xe3\x81"));      // truncated
  EXPECT_FALSE(ValidUtf8("\x80"));          // stray continuation
  EXPECT_FALSE(ValidUtf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(ValidUtf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(ValidUtf8("\xff"));
  EXPECT_EQ(Utf8Length("a\xc3\xa9", 1), 2u);
  EXPECT_EQ(Utf8Length("a\xc3\xa9", 0), 0u);
}

TEST(StringsTest, Unescape) {
  EXPECT_EQ(Unescape("\\t\\40!x\\\\y\\n\\r\\q\\101\\0z"), std::string("\t !x\\y\n\rqA\0z", 12));
  EXPECT_EQ(Unescape("trailing\\"), "trailing\\");
}

}  // namespace
}  // namespace util

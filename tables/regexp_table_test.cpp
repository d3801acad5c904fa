#include <gtest/gtest.h>

#include "tables/registry.h"
#include "tables/table_testing.h"
#include "util/scratch_dir.h"

namespace tables {
namespace {

using namespace tables::testing;
using util::testing::ScratchDir;

struct Lookup {
  const char* key;
  const char* want;  // nullptr: not found
};

void Check(Table& t, const std::vector<Lookup>& rows) {
  for (const Lookup& r : rows) {
    LookupResult got = t.Lookup(r.key);
    if (r.want) {
      EXPECT_TRUE(got.found()) << t.spec() << " key " << r.key;
      EXPECT_EQ(got.value, r.want) << t.spec() << " key " << r.key;
    } else {
      EXPECT_TRUE(got.not_found()) << t.spec() << " key " << r.key << " got " << got.value;
    }
  }
}

// The rules that regexp: and pcre: share (pattern_table.cpp).
const char kRules[] =
    "# comment\n"
    "/^(.*)@example\\.com$/   $1 at ex\n"  // 2
    "/^FOO/  upper-foo\n"                  // 3  case-insensitive by default
    "/^bar/i  case-sens-bar\n"             // 4  i toggles it off
    "!/^[a-z]/ not-a-letter\n"             // 5
    "if /^if/\n"                           // 6
    "if !/^ifz/\n"                         // 7  nested
    "/^ifa/ ifa\n"                         // 8
    "endif\n"                              // 9
    "/^if/ other-if\n"                     // 10
    "ENDIF\n"                              // 11 keywords in any case
    "|^pi(p)e|  pipe ${1}x$(1)$$\n"        // 12 other delimiters, ${n}, $(n), $$
    ",^c(.)$,  comma $1\n"                 // 13
    "/^(o)(p)?t/ <$2>\n"                   // 14 unmatched group: empty
    "/^cont/ multi\n"                      // 15
    " word\n"                              // 16 continuation
    "/^sl\\/ash/ slash\n"                  // 17 escaped delimiter
    "/^nores/\n";                          // 18

const std::vector<Lookup> kSharedRows = {
    {"john@example.com", "john at ex"},
    {"John@EXAMPLE.com", "John at ex"},
    {"foo", "upper-foo"},
    {"bar", "case-sens-bar"},
    {"BAR", nullptr},
    {"1abc", "not-a-letter"},
    {"ifa", "ifa"},
    {"ifzz", "other-if"},
    {"pipe", "pipe pxp$"},
    {"cz", "comma z"},
    {"ot", "<>"},
    {"opt", "<p>"},
    {"continue", "multi word"},
    {"sl/ash", "slash"},
    {"nores", ""},
    {"zzz", nullptr},
};

const char kBadRules[] =
    "/abc/q bad-flag\n"  // 1
    "/abc\n"             // 2
    "/(a)(b)/ $3\n"      // 3
    "!/(a)/ $1\n"        // 4
    "/(a)/ $0\n"         // 5
    "/(a)/ ${1\n"        // 6
    "/(a)/ x$\n"         // 7
    "/(a)(b)/ $2z\n"     // 8
    "abc\n"              // 9
    "endif\n"            // 10
    "if\n"               // 11
    "if /^q/ junk\n"     // 12
    "/^qq/ qq\n"         // 13
    "if /^r/\n"          // 14
    "/^ok/ ok\n"         // 15
    "/(a)/ $((1))\n";    // 16

std::vector<std::string> BadRuleWarnings(const std::string& type, const std::string& path) {
  std::string p = type + " map " + path + ", line ";
  return {
      p + "1: unknown regexp option \"q\": skipping this rule",
      p + "2: no closing regexp delimiter \"/\": skipping this rule",
      p + "3: out of range replacement index \"3\": skipping this rule",
      p + "4: $number found in negative match replacement text: skipping this rule",
      p + "5: out-of-range replacement index \"0\"",
      p + "5: bad replacement syntax: skipping this rule",
      p + "6: truncated macro reference: \"${1\"",
      p + "6: bad replacement syntax: skipping this rule",
      p + "7: empty macro name: \"x$\"",
      p + "7: bad replacement syntax: skipping this rule",
      p + "8: non-numeric replacement index \"2z\"",
      p + "8: bad replacement syntax: skipping this rule",
      p + "9: ignoring unrecognized request",
      p + "10: ignoring ENDIF without matching IF",
      p + "11: no regexp: skipping this rule",
      p + "12: ignoring extra text after IF statement: \"junk\"",
      p + "16: non-numeric replacement index \"(1)\"",
      p + "16: bad replacement syntax: skipping this rule",
      p + "14: IF has no matching ENDIF",
      p + "12: IF has no matching ENDIF",
  };
}

TEST(RegexpTableTest, Rules) {
  ScratchDir dir;
  std::string path = dir.Write("re", kRules);
  WarningCapture warnings;
  auto t = Open("regexp:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(warnings.texts(), (std::vector<std::string>{"regexp map " + path +
                                                        ", line 18: no replacement text: using "
                                                        "empty string"}));
  Check(**t, kSharedRows);
}

TEST(RegexpTableTest, BadRulesAreSkippedWithWarnings) {
  ScratchDir dir;
  std::string path = dir.Write("re", kBadRules);
  WarningCapture warnings;
  auto t = Open("regexp:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(warnings.texts(), BadRuleWarnings("regexp", path));
  Check(**t, {{"qq", "qq"}, {"ok", nullptr}, {"rok", nullptr}, {"abc", nullptr}});
  warnings.Clear();
  std::string bad = dir.Write("bad", "/bad(/ x\n");
  ASSERT_TRUE(Open("regexp:" + bad, OpenOptions{}).ok());
  EXPECT_EQ(warnings.texts(),
            (std::vector<std::string>{"regexp map " + bad + ", line 1: Unmatched ( or \\("}));
}

TEST(RegexpTableTest, FlagsXAndM) {
  ScratchDir dir;
  // Without x (toggled off), the pattern is a basic RE: + and ( are literal.
  std::string path = dir.Write("re", "/^a+b$/x basic\n/^c$/m multi\n/^d$/ single\n");
  auto t = Open("regexp:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok());
  Check(**t, {{"a+b", "basic"}, {"aab", nullptr}, {"x\nc", "multi"}, {"x\nd", nullptr}});
}

TEST(RegexpTableTest, NoRegsubRefusesSubstitution) {
  ScratchDir dir;
  std::string path = dir.Write("re", "/^(a)/ $1\n/^b/ b\n");
  OpenOptions opts;
  opts.flags |= kNoRegsub;
  WarningCapture warnings;
  auto t = Open("regexp:" + path, opts);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(warnings.texts(),
            (std::vector<std::string>{"regexp map " + path +
                                      ", line 1: regular expression substitution is not "
                                      "allowed: skipping this rule"}));
  Check(**t, {{"a", nullptr}, {"b", "b"}});
}

TEST(RegexpTableTest, MissingFileAndChanged) {
  ScratchDir dir;
  auto missing = Open("regexp:" + dir.path() + "/nope", OpenOptions{});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "open " + dir.path() + "/nope: No such file or directory");
  std::string path = dir.Write("re", "/a/ b\n");
  auto t = Open("regexp:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE((*t)->Changed());
  dir.Write("re", "/a/ c\n");
  EXPECT_TRUE((*t)->Changed());
}

TEST(PcreTableTest, Rules) {
  ScratchDir dir;
  std::string path = dir.Write("pcre", kRules);
  WarningCapture warnings;
  auto t = Open("pcre:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(warnings.texts(), (std::vector<std::string>{"pcre map " + path +
                                                        ", line 18: no replacement text: using "
                                                        "empty string"}));
  Check(**t, kSharedRows);
}

TEST(PcreTableTest, BadRulesAreSkippedWithWarnings) {
  ScratchDir dir;
  std::string path = dir.Write("pcre", kBadRules);
  WarningCapture warnings;
  auto t = Open("pcre:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(warnings.texts(), BadRuleWarnings("pcre", path));
  warnings.Clear();
  std::string bad = dir.Write("bad", "/(/ x\n/^aX/X X\n");
  auto t2 = Open("pcre:" + bad, OpenOptions{});
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(
      warnings.texts(),
      (std::vector<std::string>{
          "pcre map " + bad + ", line 1: error in regex at offset 1: missing closing parenthesis",
          "pcre map " + bad + ", line 2: ignoring obsolete regexp option \"X\""}));
  Check(**t2, {{"aX", "X"}});
}

TEST(PcreTableTest, PcreFlagsAndSyntax) {
  ScratchDir dir;
  std::string path = dir.Write("pcre",
                               "/^(\\w+)@(\\w+)\\.com$/ $2:$1\n"
                               "/^a.b$/s dotall\n"
                               "/^(c+?)d/U ungreedy-$1\n"
                               "/^E$/E endonly\n"
                               "/f/A anchored\n"
                               "/^ x y $/x extended\n"
                               "/^m$/m multiline\n"
                               "/^\\x{e9}t\\x{e9}$/u utf8\n");
  auto t = Open("pcre:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok());
  Check(**t, {{"john@ex.com", "ex:john"},
              {"a\nb", "dotall"},
              {"cccd", "ungreedy-ccc"},
              {"E", "endonly"},
              {"E\n", nullptr},
              {"fbc", "anchored"},
              {"bcf", nullptr},
              {"xy", "extended"},
              {"a\nm\nb", "multiline"},
              {"\xc3\xa9t\xc3\xa9", "utf8"}});
}

}  // namespace
}  // namespace tables

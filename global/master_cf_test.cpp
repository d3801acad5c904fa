#include "global/master_cf.h"

#include <gtest/gtest.h>

namespace config {
namespace {

util::StatusOr<MasterCf> Parse(std::string_view text) {
  std::vector<std::string> w;
  return MasterCf::Parse(text, "/cfg/master.cf", &w);
}

TEST(MasterCfTest, ParsesEntries) {
  auto m = Parse(
      "# comment\n"
      "smtp      inet  n       -       n       -       -       smtpd\n"
      "pickup    unix  n       -       n       60      1       pickup\n"
      "qmgr      unix  n       -       n       300?    1       qmgr\n"
      "docomo    unix  -       -       n       -       -       smtp\n"
      "  -o syslog_name=postfix/docomo\n"
      "  -o { smtp_helo_name = foo bar }\n"
      "127.0.0.1:2525 inet n - n - - smtpd -v\n"
      "pipe unix - n n - - pipe flags=R user=vmail argv=/bin/x ${recipient}\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->entries().size(), 6u);
  const MasterEntry& smtp = m->entries()[0];
  EXPECT_EQ(smtp.key(), "smtp/inet");
  EXPECT_FALSE(smtp.is_private());
  EXPECT_TRUE(smtp.unprivileged());
  EXPECT_FALSE(smtp.chroot());
  EXPECT_EQ(smtp.maxproc(), -1);
  EXPECT_EQ(smtp.line, 2);
  bool q = true;
  EXPECT_EQ(m->entries()[1].wakeup(&q), 60);
  EXPECT_FALSE(q);
  EXPECT_EQ(m->entries()[2].wakeup(&q), 300);
  EXPECT_TRUE(q);
  EXPECT_EQ(m->entries()[1].maxproc(), 1);
  const MasterEntry* docomo = m->Find("docomo", "unix");
  ASSERT_NE(docomo, nullptr);
  EXPECT_EQ(docomo->line, 5);
  ASSERT_EQ(docomo->overrides.size(), 2u);
  EXPECT_EQ(docomo->overrides[0],
            (std::pair<std::string, std::string>{"syslog_name", "postfix/docomo"}));
  EXPECT_EQ(docomo->overrides[1],
            (std::pair<std::string, std::string>{"smtp_helo_name", "foo bar"}));
  EXPECT_EQ(m->entries()[4].name, "127.0.0.1:2525");
  EXPECT_EQ(m->entries()[4].args, std::vector<std::string>{"-v"});
  EXPECT_EQ(m->entries()[5].args.size(), 4u);
}

TEST(MasterCfTest, FormatsLikePostconfM) {
  auto m = Parse(
      "smtp      inet  n       -       y       -       -       smtpd\n"
      "docomo unix - - n - 1 smtp -o syslog_name=postfix/docomo -o { smtp_helo_name = foo "
      "bar }\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(FormatMasterEntry(m->entries()[0]),
            "smtp       inet  n       -       y       -       -       smtpd");
  EXPECT_EQ(FormatMasterEntry(m->entries()[1]),
            "docomo     unix  -       -       n       -       1       smtp -o "
            "syslog_name=postfix/docomo -o {smtp_helo_name=foo bar}");
}

// What -M prints parses back to the same override when the value holds
// white space other than space and TAB (found by the master_cf fuzz target).
TEST(MasterCfTest, FormatBracesAnyWhiteSpace) {
  auto m = Parse("x unix - - n - - smtp -o { a = b\fc\rd }\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::string line = FormatMasterEntry(m->entries()[0]);
  EXPECT_EQ(line, "x          unix  -       -       n       -       -       smtp -o {a=b\fc\rd}");
  auto again = Parse(line + "\n");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->entries()[0].overrides, m->entries()[0].overrides);
  EXPECT_TRUE(again->entries()[0].args.empty());
}

TEST(MasterCfTest, Errors) {
  struct {
    const char* name;
    const char* text;
    const char* want;
  } rows[] = {
      {"too few columns", "smtp inet n - n - -\n",
       "/cfg/master.cf, line 1: missing command field in \"smtp inet n - n - -\""},
      {"two columns", "smtp inet\n",
       "/cfg/master.cf, line 1: missing private field in \"smtp inet\""},
      {"unknown type", "# x\nsmtp inet6 n - n - - smtpd\n",
       "/cfg/master.cf, line 2: bad transport type: inet6"},
      {"bad private", "smtp inet x - n - - smtpd\n",
       "/cfg/master.cf, line 1: bad private field: x"},
      {"bad chroot", "smtp inet n - yes - - smtpd\n",
       "/cfg/master.cf, line 1: bad chroot field: yes"},
      {"bad wakeup", "smtp inet n - n abc - smtpd\n",
       "/cfg/master.cf, line 1: bad wakeup time: abc"},
      {"bad maxproc", "smtp inet n - n - -1 smtpd\n",
       "/cfg/master.cf, line 1: bad process limit: -1"},
      {"-o without value", "smtp inet n - n - - smtpd -o\n",
       "/cfg/master.cf, line 1: -o without name=value"},
      {"-o without =", "smtp inet n - n - - smtpd -o foo\n",
       "/cfg/master.cf, line 1: bad -o parameter: \"foo\": need name=value"},
      {"-o empty name", "smtp inet n - n - - smtpd -o {=x}\n",
       "/cfg/master.cf, line 1: bad -o parameter: \"=x\": need name=value"},
      {"unbalanced brace", "smtp inet n - n - - smtpd -o { a = b\n",
       "/cfg/master.cf, line 1: missing '}' in \"{ a = b\""},
      {"duplicate",
       "smtp inet n - n - - smtpd\nsmtp unix - - n - - smtp\nsmtp inet n - n - - "
       "smtpd\n",
       "/cfg/master.cf, line 3: duplicate service name and type: smtp/inet (first defined at "
       "line 1)"},
      {"leading continuation", "  -o a=b\n",
       "/cfg/master.cf, line 1: continuation line without a service line: \"-o a=b\""},
  };
  for (const auto& r : rows) {
    auto m = Parse(r.text);
    ASSERT_FALSE(m.ok()) << r.name;
    EXPECT_EQ(m.status().message(), r.want) << r.name;
  }
}

TEST(MasterCfTest, AllServiceTypes) {
  auto m = Parse(
      "a inet n - n - - x\nb unix n - n - - x\nc unix-dgram n - n - - x\n"
      "d fifo n - n - - x\ne pass n - n - - x\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->entries().size(), 5u);
}

TEST(MasterCfTest, MissingFile) {
  std::vector<std::string> w;
  auto m = MasterCf::Load("/nonexistent/master.cf", &w);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), util::Code::kNotFound);
}

}  // namespace
}  // namespace config

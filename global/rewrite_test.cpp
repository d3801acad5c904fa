#include "global/rewrite.h"

#include <gtest/gtest.h>

namespace rewrite {
namespace {

Rules Defaults() {
  Rules r;
  r.myorigin = "mx.example.com";
  r.mydomain = "example.com";
  return r;
}

TEST(RewriteTest, LocalRules) {
  Rules r = Defaults();
  struct {
    const char* in;
    const char* want;
  } rows[] = {
      {"", ""},
      {"alice", "alice@mx.example.com"},
      {"alice@example.org", "alice@example.org"},
      {"alice@host", "alice@host"},  // append_dot_mydomain = no (level 3.6)
      {"host!alice", "alice@host"},
      {"alice%example.org", "alice@example.org"},
      {"alice%example.org@relay.example", "alice%example.org@relay.example"},
      {"@a.example,@b.example:alice@example.org", "alice@example.org"},
      {"alice@example.org.", "alice@example.org"},
      {"alice@[192.0.2.1]", "alice@[192.0.2.1]"},
      {"\xe3\x81\xbb\xe3\x81\x92", "\xe3\x81\xbb\xe3\x81\x92@mx.example.com"},
  };
  for (const auto& row : rows) EXPECT_EQ(r.Rewrite(Context::kLocal, row.in), row.want) << row.in;
}

TEST(RewriteTest, SwitchesOff) {
  Rules r = Defaults();
  r.append_dot_mydomain = true;
  EXPECT_EQ(r.Rewrite(Context::kLocal, "alice@host"), "alice@host.example.com");
  EXPECT_EQ(r.Rewrite(Context::kLocal, "alice@[10.0.0.1]"), "alice@[10.0.0.1]");
  r.append_at_myorigin = false;
  EXPECT_EQ(r.Rewrite(Context::kLocal, "alice"), "alice");
  r.swap_bangpath = false;
  EXPECT_EQ(r.Rewrite(Context::kLocal, "host!alice"), "host!alice");
  r.allow_percent_hack = false;
  EXPECT_EQ(r.Rewrite(Context::kLocal, "a%b"), "a%b");
}

TEST(RewriteTest, RemoteRulesAppendOnlyTheRemoteDomain) {
  Rules r = Defaults();
  EXPECT_EQ(r.Rewrite(Context::kRemote, "alice"), "alice");
  r.remote_header_rewrite_domain = "domain.invalid";
  EXPECT_EQ(r.Rewrite(Context::kRemote, "alice"), "alice@domain.invalid");
}

TEST(RewriteTest, ParseContext) {
  Context c;
  EXPECT_TRUE(ParseContext("local", &c));
  EXPECT_EQ(c, Context::kLocal);
  EXPECT_TRUE(ParseContext("remote", &c));
  EXPECT_EQ(c, Context::kRemote);
  EXPECT_FALSE(ParseContext("other", &c));
}

TEST(RewriteTest, FromConfigUsesParameters) {
  std::vector<std::string> w;
  auto cf = util::CfFile::Parse("myhostname = mx.example.com\nappend_dot_mydomain = yes\n",
                                "main.cf", &w);
  ASSERT_TRUE(cf.ok());
  config::Config cfg;
  cfg.SetMainCf(std::move(cf).value());
  Rules r = Rules::FromConfig(cfg);
  EXPECT_EQ(r.myorigin, "mx.example.com");
  EXPECT_EQ(r.mydomain, "example.com");
  EXPECT_TRUE(r.append_dot_mydomain);
  EXPECT_EQ(r.Rewrite(Context::kLocal, "bob@host"), "bob@host.example.com");
}

}  // namespace
}  // namespace rewrite

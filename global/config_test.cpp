#include "global/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "global/build_config.h"

namespace config {
namespace {

Config Make(std::string_view main_cf, std::multimap<std::string, std::string> services = {}) {
  std::vector<std::string> w;
  auto cf = util::CfFile::Parse(main_cf, "/cfg/main.cf", &w);
  EXPECT_TRUE(cf.ok()) << cf.status().message();
  Config c;
  c.SetMainCf(std::move(cf).value());
  c.SetServices(std::move(services));
  return c;
}

TEST(ConfigTest, Expansion) {
  Config c = Make(
      "myhostname = mx.example.com\n"
      "mydomain = example.com\n"
      "empty =\n"
      "a = 1\n"
      "b = $a$a\n"
      "c = ${b}-$(a)\n");
  struct {
    const char* in;
    const char* want;
  } rows[] = {
      {"plain", "plain"},
      {"$myhostname", "mx.example.com"},
      {"${mydomain}", "example.com"},
      {"$(mydomain)", "example.com"},
      {"x$a.y", "x1.y"},
      {"$c", "11-1"},
      {"$$a", "$a"},
      {"cost $", "cost $"},
      {"$undefined!", "!"},
      {"${a?yes}", "yes"},
      {"${empty?yes}", ""},
      {"${nothere?yes}", ""},
      {"${a:no}", ""},
      {"${empty:no}", "no"},
      {"${nothere:no $a}", "no 1"},
      {"${a?{set}:{unset}}", "set"},
      {"${empty?{set}:{unset}}", "unset"},
      {"${a?{$b}}", "11"},
      {"${empty:{x y}}", "x y"},
      {"${a?{ {nested} }:{no}}", " {nested} "},
      {"$myorigin", "mx.example.com"},  // default $myhostname
  };
  for (const auto& r : rows) {
    auto got = c.Expand(r.in);
    ASSERT_TRUE(got.ok()) << r.in << ": " << got.status().message();
    EXPECT_EQ(*got, r.want) << r.in;
  }
}

TEST(ConfigTest, ExpansionErrors) {
  Config c = Make(
      "self = x $self\n"
      "a = $b\n"
      "b = ${c}\n"
      "c = $(a)\n"
      "ok = 1\n");
  struct {
    const char* in;
    const char* want;
  } rows[] = {
      {"$self", "parameter reference loop: $self -> $self"},
      {"$a", "parameter reference loop: $a -> $b -> $c -> $a"},
      {"${ok", "truncated macro reference: \"${ok\""},
      {"$(ok", "truncated macro reference: \"$(ok\""},
      {"${}", "bad macro name syntax: \"\""},
      {"${ok!x}", "bad macro syntax: \"ok!x\""},
      {"${ok?{a}:b}", "bad macro syntax: \"ok?{a}:b\""},
      {"${ok?{a}junk}", "bad macro syntax: \"ok?{a}junk\""},
  };
  for (const auto& r : rows) {
    auto got = c.Expand(r.in);
    ASSERT_FALSE(got.ok()) << r.in;
    EXPECT_EQ(got.status().code(), util::Code::kFailedPrecondition);
    EXPECT_EQ(got.status().message(), r.want) << r.in;
  }
}

TEST(ConfigTest, LazyExpansionSeesLaterOverrides) {
  Config c = Make("myhostname = a.example\n");
  EXPECT_EQ(c.Get("myorigin"), "a.example");
  c.Set("myhostname", "b.example");
  EXPECT_EQ(c.Get("myorigin"), "b.example");
}

TEST(ConfigTest, RememberedValuesFollowEverySetter) {
  // Get remembers expansions; each setter forgets them.
  Config c = Make("myhostname = a.example\n");
  EXPECT_EQ(c.Get("myorigin"), "a.example");
  std::vector<std::string> w;
  c.SetMainCf(*util::CfFile::Parse("myhostname = c.example\n", "/cfg/main.cf", &w));
  EXPECT_EQ(c.Get("myorigin"), "c.example");
  // (An undefined name is not remembered; a defined one must be dropped.)
  c.SetServices({{"relay", "smtp"}});
  EXPECT_EQ(c.Get(AnyParam::Dynamic("relay_destination_concurrency_limit")), "20");
  c.SetServices({});
  EXPECT_EQ(c.Get(AnyParam::Dynamic("relay_destination_concurrency_limit")), "");
}

TEST(ConfigTest, DerivedDefaultsFollowTheConfiguration) {
  Config c = Make("myhostname = mx.example.com\n");
  EXPECT_EQ(c.Get("mydomain"), "example.com");
  EXPECT_EQ(c.Get("mydestination"), "mx.example.com, localhost.example.com, localhost");
  Config d = Make("myhostname = mx\n");
  EXPECT_EQ(d.Get("mydomain"), "localdomain");
  Config e = Make("mydomain = other.example\nmyhostname = mx.example.com\n");
  EXPECT_EQ(e.Get("mydomain"), "other.example");
  Config f = Make("mynetworks_style = host\n");
  EXPECT_NE(f.Get("mynetworks").find("127.0.0.1/32"), std::string::npos);
}

TEST(ConfigTest, RawOrder) {
  Config c = Make("relayhost = [mail.isp.example]:587\n");
  EXPECT_EQ(c.Raw("relayhost"), "[mail.isp.example]:587");
  EXPECT_EQ(c.Raw("myorigin"), "$myhostname");
  c.Set("relayhost", "override");
  EXPECT_EQ(c.Raw("relayhost"), "override");
  EXPECT_TRUE(c.IsExplicit("relayhost"));
  EXPECT_FALSE(c.IsExplicit("myorigin"));
  EXPECT_FALSE(c.Raw("no_such_parameter"));
}

TEST(ConfigTest, TypedGetters) {
  Config c = Make(
      "message_size_limit = 20480000\n"
      "maximal_queue_lifetime = 2\n"
      "minimal_backoff_time = 5m\n"
      "smtputf8_enable = no\n"
      "mynetworks = 127.0.0.0/8, [::1]/128 10.0.0.0/8\n");
  EXPECT_EQ(c.GetInt("message_size_limit"), 20480000);
  EXPECT_EQ(c.GetTime("maximal_queue_lifetime"), 2 * 86400);  // default unit: days
  EXPECT_EQ(c.GetTime("minimal_backoff_time"), 300);
  EXPECT_FALSE(c.GetBool("smtputf8_enable"));
  EXPECT_EQ(c.GetList("mynetworks"),
            (std::vector<std::string>{"127.0.0.0/8", "[::1]/128", "10.0.0.0/8"}));
}

TEST(ConfigDeathTest, BadTypedValuesAreFatal) {
  Config c = Make(
      "message_size_limit = lots\n"
      "smtputf8_enable = maybe\n"
      "minimal_backoff_time = 5y\n"
      "loop = $loop\n");
  EXPECT_EXIT(c.GetInt("message_size_limit"), testing::ExitedWithCode(1),
              "message_size_limit = lots");
  EXPECT_EXIT(c.GetBool("smtputf8_enable"), testing::ExitedWithCode(1),
              "bad boolean configuration: smtputf8_enable = maybe");
  EXPECT_EXIT(c.GetTime("minimal_backoff_time"), testing::ExitedWithCode(1),
              "parameter minimal_backoff_time: bad time value or unit: 5y");
  EXPECT_EXIT(c.Get(AnyParam::Dynamic("loop")), testing::ExitedWithCode(1),
              "parameter reference loop");
}

TEST(ConfigTest, PerTransportParameters) {
  Config c = Make("docomo_destination_concurrency_limit = 1\n",
                  {{"docomo", "smtp"}, {"smtp", "smtpd"}, {"smtp", "smtp"}, {"pickup", "pickup"}});
  EXPECT_EQ(c.Raw("docomo_destination_concurrency_limit"), "1");
  EXPECT_EQ(c.Raw("docomo_destination_recipient_limit"), "$default_destination_recipient_limit");
  EXPECT_EQ(c.GetInt(IntParam::Dynamic("docomo_destination_recipient_limit")), 50);
  EXPECT_EQ(c.GetInt(IntParam::Dynamic("smtp_destination_concurrency_limit")), 20);
  // Not a master.cf transport: not a parameter.
  EXPECT_FALSE(c.Raw("nosuch_destination_concurrency_limit"));
  EXPECT_TRUE(c.IsBuiltin("docomo_destination_rate_delay"));
  // Only delivery agents have scheduling parameters, as in Postfix.
  EXPECT_FALSE(c.Raw("pickup_destination_concurrency_limit"));
}

TEST(ConfigTest, UnusedParameters) {
  Config c = Make(
      "myhostname = mx\n"            // built in
      "foo_unknown = bar\n"          // unused
      "x = $(y)\n"                   // unused
      "mua_restrictions = permit\n"  // used via -o value below
      "indirect = 1\n"               // used via $indirect
      "relayhost = [$indirect]\n"
      "virtual_alias_maps = proxy:mysql:valias\n"
      "valias_hosts = 127.0.0.1\n"  // mysql:valias parameter
      "valias_bogus = 1\n"          // not a mysql parameter
      "smtpd_restriction_classes = vip\n"
      "vip = permit\n"                               // restriction class
      "docomo_destination_concurrency_limit = 1\n",  // transport parameter
      {{"docomo", "smtp"}});
  std::vector<std::string> names;
  for (const util::CfEntry* e : c.UnusedParameters({"$mua_restrictions"})) names.push_back(e->name);
  EXPECT_EQ(names, (std::vector<std::string>{"foo_unknown", "x", "valias_bogus"}));
}

TEST(ConfigTest, AllNamesIncludesUsedUserParameters) {
  Config c = Make("a = 1\nrelayhost = $a\nunused = 2\n", {{"docomo", "smtp"}});
  auto names = c.AllNames();
  auto has = [&](const char* n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  EXPECT_TRUE(has("a"));
  EXPECT_TRUE(has("myhostname"));
  EXPECT_TRUE(has("docomo_destination_concurrency_limit"));
  EXPECT_FALSE(has("unused"));
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(ConfigTest, References) {
  EXPECT_EQ(Config::References("$a ${b} $(c) ${d?x} $$e $"),
            (std::set<std::string>{"a", "b", "c", "d"}));
}

TEST(ConfigTest, ConfigDirectory) {
  unsetenv("MAIL_CONFIG");
  EXPECT_EQ(ConfigDirectory(), MTA_CONFIG_DIR);
  setenv("MAIL_CONFIG", "/env/dir", 1);
  EXPECT_EQ(ConfigDirectory(), "/env/dir");
  EXPECT_EQ(ConfigDirectory("/cli/dir"), "/cli/dir");
  unsetenv("MAIL_CONFIG");
}

TEST(ConfigTest, LoadMissingMainCf) {
  auto c = Config::Load("/nonexistent-config-dir");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "open /nonexistent-config-dir/main.cf: No such file or directory");
}

}  // namespace
}  // namespace config

#include "global/param_usage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "global/params.h"

namespace param_usage {
namespace {

config::Config Make(std::string_view main_cf) {
  std::vector<std::string> w;
  auto cf = util::CfFile::Parse(main_cf, "/cfg/main.cf", &w);
  EXPECT_TRUE(cf.ok()) << cf.status().message();
  config::Config c;
  c.SetMainCf(std::move(cf).value());
  return c;
}

// Every declared name is a built-in parameter: a misspelled declaration
// fails here.
TEST(ParamUsageTest, DeclarationsNameBuiltInParameters) {
  for (const Program& p : Programs()) {
    for (std::string_view name : Declared(p.name))
      EXPECT_NE(params::Find(name), nullptr) << p.name << " declares unknown parameter " << name;
  }
}

// Every parameter of the table is implemented (declared by a program),
// unimplemented (and then warned about) or describes only an
// installation; never two of these.
TEST(ParamUsageTest, EveryParameterIsAccountedFor) {
  std::span<const std::string_view> un = Unimplemented();
  EXPECT_TRUE(std::is_sorted(un.begin(), un.end()));
  EXPECT_EQ(std::adjacent_find(un.begin(), un.end()), un.end());
  size_t implemented = 0, unimplemented = 0, installation = 0;
  for (const params::ParamDef& d : params::All()) {
    int kinds = Implemented(d.name) + IsUnimplemented(d.name) + InstallationOnly(d.name);
    EXPECT_EQ(kinds, 1) << d.name << " is implemented: " << Implemented(d.name)
                        << ", unimplemented: " << IsUnimplemented(d.name)
                        << ", installation only: " << InstallationOnly(d.name);
    implemented += Implemented(d.name);
    unimplemented += IsUnimplemented(d.name);
    installation += InstallationOnly(d.name);
  }
  for (std::string_view name : un) EXPECT_NE(params::Find(name), nullptr) << name;
  EXPECT_EQ(implemented + unimplemented + installation, params::All().size());
  std::printf("parameters: %zu implemented, %zu unimplemented, %zu installation only\n",
              implemented, unimplemented, installation);
}

TEST(ParamUsageTest, ProgramsAndAliases) {
  ASSERT_NE(FindProgram("smtpd"), nullptr);
  EXPECT_EQ(FindProgram("mailq"), FindProgram("sendmail"));
  EXPECT_EQ(FindProgram("echo-single"), nullptr);
  std::vector<std::string_view> d = Declared("smtpd");
  EXPECT_TRUE(std::is_sorted(d.begin(), d.end()));
  EXPECT_TRUE(std::binary_search(d.begin(), d.end(), "smtpd_timeout"));
  EXPECT_TRUE(std::binary_search(d.begin(), d.end(), "queue_directory"));  // a module's
}

TEST(ParamUsageTest, UnimplementedSettingsAreNamed) {
  config::Config c = Make(
      "smtpd_milters = inet:127.0.0.1:8891\n"
      "biff = no\n"                             // what this system does anyway
      "readme_directory = no\n"                 // describes an installation only
      "postscreen_greet_wait =\n"               // nothing configured, as by default... no:
      "header_checks =\n"                       // nothing configured, default empty
      "smtp_tls_security_level = none\n"        // honoured
      "smtpd_tls_cert_file = /etc/ssl/x.pem\n"  // implemented
      "smtpd_tls_session_cache_database = btree:/var/lib/postfix/smtpd_scache\n"  // tlsmgr
      "myhostname = mx.example.com\n"                                             // implemented
      "smtp_sasl_mechanisim_filter = plain\n");  // unknown: postconf's "unused"
  std::vector<std::string> w = UnimplementedSettings(c, false);
  std::set<std::string> names;
  for (const std::string& s : w) {
    size_t a = s.find("parameter "), b = s.find(" is not implemented");
    ASSERT_NE(a, std::string::npos) << s;
    names.insert(s.substr(a + 10, b - a - 10));
    EXPECT_NE(s.find("/main.cf: parameter"), std::string::npos) << s;
    EXPECT_NE(s.find("; its setting is ignored"), std::string::npos) << s;
  }
  // postscreen_greet_wait has a non-empty default in Postfix: an empty
  // setting still differs from Postfix's behaviour.
  EXPECT_EQ(names, (std::set<std::string>{"postscreen_greet_wait", "smtpd_milters"}));
}

TEST(ParamUsageTest, RefusalsFailClosed) {
  struct Row {
    const char* main_cf;
    const char* program;
    const char* want;  // "" for none
  } rows[] = {
      {"", "smtpd", ""},
      // TLS is implemented, client certificates included.
      {"smtpd_tls_security_level = may\n", "smtpd", ""},
      {"smtpd_tls_security_level = encrypt\n", "smtpd", ""},
      {"smtpd_use_tls = yes\n", "smtpd", ""},
      {"smtpd_enforce_tls = yes\n", "smtpd", ""},
      {"smtpd_tls_wrappermode = yes\n", "smtpd", ""},
      {"smtpd_tls_req_ccert = yes\n", "smtpd", ""},
      {"smtpd_sasl_auth_enable = yes\n", "smtpd",
       "smtpd_sasl_auth_enable with smtpd_sasl_type = cyrus: SASL authentication other than "
       "Dovecot's"},
      {"smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\n", "smtpd", ""},
      {"smtpd_milters = inet:localhost:8891\n", "smtpd", "smtpd_milters: the milter protocol"},
      {"smtpd_proxy_filter = 127.0.0.1:10025\n", "smtpd", "smtpd_proxy_filter: a before-queue"},
      // After-queue content filters are implemented (smtpd and pickup send
      // content_filter to cleanup; qmgr delivers through it).
      {"content_filter = amavis:[127.0.0.1]:10024\n", "cleanup", ""},
      {"content_filter = amavis:[127.0.0.1]:10024\n", "smtpd", ""},
      {"non_smtpd_milters = inet:localhost:8891\n", "cleanup", "non_smtpd_milters"},
  };
  for (const Row& r : rows) {
    std::optional<std::string> why = Refusal(Make(r.main_cf), r.program);
    if (*r.want == 0) {
      EXPECT_FALSE(why.has_value()) << r.main_cf << *why;
    } else {
      ASSERT_TRUE(why.has_value()) << r.main_cf;
      EXPECT_EQ(why->rfind(r.want, 0), 0u) << *why;
      EXPECT_NE(why->find("is not implemented by this mail system"), std::string::npos);
    }
  }
  struct ClientRow {
    const char* main_cf;
    const char* want;
  } client[] = {
      {"", ""},
      // Implemented by the smtp client (smtp/smtp_tls.h, smtp_sasl.h).
      {"smtp_tls_security_level = encrypt\n", ""},
      {"smtp_tls_policy_maps = hash:/etc/postfix/tls_policy\n", ""},
      {"smtp_sasl_auth_enable = yes\n", ""},
      {"smtp_tls_per_site = hash:/etc/postfix/tls_per_site\n", "smtp_tls_per_site: TLS per-site"},
  };
  for (const ClientRow& r : client) {
    std::optional<std::string> why = ClientRefusal(Make(r.main_cf));
    if (*r.want == 0) {
      EXPECT_FALSE(why.has_value()) << r.main_cf << *why;
    } else {
      ASSERT_TRUE(why.has_value()) << r.main_cf;
      EXPECT_EQ(why->rfind(r.want, 0), 0u) << *why;
    }
  }
  // The lmtp client looks at its own setting only.
  config::Config lmtp = Make("lmtp_tls_per_site = hash:/etc/postfix/tls_per_site\n");
  EXPECT_FALSE(ClientRefusal(lmtp, "smtp").has_value());
  std::optional<std::string> why = ClientRefusal(lmtp, "lmtp");
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->rfind("lmtp_tls_per_site: TLS per-site policy (use lmtp_tls_policy_maps)", 0), 0u)
      << *why;
  EXPECT_FALSE(ClientRefusal(Make("smtp_tls_per_site = hash:/etc/postfix/tls_per_site\n"), "lmtp")
                   .has_value());
}

TEST(ParamUsageTest, DeclareChecksValuesOnceNamingTheFile) {
  config::Config c = Make("smtpd_timeout = 5x\n");
  util::Status st = c.Declare({"smtpd_timeout"}, "smtpd");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "/main.cf: parameter smtpd_timeout: bad time value or unit: 5x");
  c = Make("smtpd_hard_error_limit = 2o\n");
  st = c.Declare({"smtpd_hard_error_limit"}, "smtpd");
  EXPECT_EQ(st.message(), "/main.cf: bad numerical configuration: smtpd_hard_error_limit = 2o");
  c = Make("");
  c.Set("smtpd_helo_required", "maybe");
  st = c.Declare({"smtpd_helo_required"}, "smtpd");
  EXPECT_EQ(st.message(),
            "-o smtpd_helo_required: bad boolean configuration: smtpd_helo_required = maybe");
  // Values that are not read by this program are not its business.
  c = Make("smtpd_timeout = 5x\n");
  EXPECT_TRUE(c.Declare({"myhostname"}, "cleanup").ok());
  EXPECT_FALSE(Make("").Declare({"no_such_parameter"}, "x").ok());
}

}  // namespace
}  // namespace param_usage

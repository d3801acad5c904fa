#include "global/params.h"

#include <gtest/gtest.h>

#include <string>

#include "global/build_config.h"

namespace params {
namespace {

TEST(ParamsTest, TableIsSortedAndUnique) {
  std::span<const ParamDef> all = All();
  ASSERT_GT(all.size(), 800u);
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_LT(all[i - 1].name, all[i].name) << "at " << all[i].name;
  }
}

TEST(ParamsTest, FindHitsEveryEntryAndMisses) {
  for (const ParamDef& d : All()) {
    const ParamDef* found = Find(d.name);
    ASSERT_NE(found, nullptr) << d.name;
    EXPECT_EQ(found, &d);
  }
  const char* misses[] = {"",        "a",       "zzz",      "myorigin_",
                          "myorigi", "2bounce", "MYORIGIN", "docomo_destination_concurrency_limit"};
  for (const char* m : misses) EXPECT_EQ(Find(m), nullptr) << m;
}

TEST(ParamsTest, KnownDefaults) {
  struct {
    const char* name;
    const char* want;
  } rows[] = {
      {"myorigin", "$myhostname"},
      {"mydestination", "$myhostname, localhost.$mydomain, localhost"},
      {"default_destination_concurrency_limit", "20"},
      {"local_destination_concurrency_limit", "2"},
      {"message_size_limit", "10240000"},
      {"maximal_queue_lifetime", "5d"},
      {"bounce_queue_lifetime", "5d"},
      {"smtpd_banner", "$myhostname ESMTP $mail_name"},
      {"relay_domains", ""},
      {"mail_owner", "postfix"},
      {"hash_queue_depth", "1"},
      {"compatibility_level", "3.6"},
      {"mynetworks_style", "host"},
      {"smtputf8_enable", "yes"},
      {"append_dot_mydomain", "no"},
      {"smtpd_relay_restrictions",
       "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"},
      {"inet_interfaces", "all"},
      {"smtpd_timeout", "${stress?{10}:{300}}s"},
      {"config_directory", MTA_CONFIG_DIR},
      {"queue_directory", MTA_QUEUE_DIR},
      {"data_directory", MTA_DATA_DIR},
      {"command_directory", MTA_COMMAND_DIR},
      {"daemon_directory", MTA_DAEMON_DIR},
      {"mail_version", MTA_MAIL_VERSION},
      {"always_bcc", ""},
  };
  for (const auto& r : rows) {
    std::optional<std::string> got = Default(r.name);
    ASSERT_TRUE(got.has_value()) << r.name;
    EXPECT_EQ(*got, r.want) << r.name;
  }
  EXPECT_FALSE(Default("no_such_parameter").has_value());
}

TEST(ParamsTest, Types) {
  struct {
    const char* name;
    Type type;
    char unit;
  } rows[] = {
      {"myorigin", Type::kString, 's'},
      {"biff", Type::kBool, 's'},
      {"smtpd_per_request_deadline", Type::kBool, 's'},
      {"default_destination_concurrency_limit", Type::kInt, 's'},
      {"message_size_limit", Type::kLong, 's'},
      {"mailbox_size_limit", Type::kLong, 's'},
      {"virtual_mailbox_limit", Type::kLong, 's'},
      {"maximal_queue_lifetime", Type::kTime, 'd'},
      {"bounce_queue_lifetime", Type::kTime, 'd'},
      {"delay_warning_time", Type::kTime, 'h'},
      {"minimal_backoff_time", Type::kTime, 's'},
      {"smtpd_timeout", Type::kTime, 's'},
      {"compatibility_level", Type::kString, 's'},
      {"default_destination_concurrency_positive_feedback", Type::kString, 's'},
  };
  for (const auto& r : rows) {
    const ParamDef* d = Find(r.name);
    ASSERT_NE(d, nullptr) << r.name;
    EXPECT_EQ(d->type, r.type) << r.name;
    if (r.type == Type::kTime) {
      EXPECT_EQ(d->time_unit, r.unit) << r.name;
    }
  }
}

TEST(ParamsTest, DynamicDefaults) {
  for (const char* name :
       {"myhostname", "mydomain", "mynetworks", "mail_version", "process_id", "process_name"}) {
    const ParamDef* d = Find(name);
    ASSERT_NE(d, nullptr) << name;
    EXPECT_TRUE(d->flags & kDynamic) << name;
    EXPECT_EQ(*Default(name), DynamicDefault(name)) << name;
  }
  std::string host = *Default("myhostname");
  ASSERT_NE(host.find('.'), std::string::npos) << host;
  EXPECT_EQ(*Default("mydomain"), host.substr(host.find('.') + 1));
  EXPECT_EQ(*Default("process_id"), std::to_string(getpid()));
  EXPECT_FALSE(Default("process_name")->empty());
  EXPECT_NE(Default("mynetworks")->find("[::1]/128"), std::string::npos);
  // Static parameters come back unchanged.
  EXPECT_EQ(DynamicDefault("myorigin"), "$myhostname");
  EXPECT_EQ(DynamicDefault("no_such_parameter"), "");
}

TEST(ParamsTest, HostnameDerivation) {
  struct {
    const char* host;
    const char* mydomain;
    const char* want_hostname;
    const char* want_domain;
  } rows[] = {
      {"vm", "localdomain", "vm.localdomain", "localdomain"},
      {"mail", "example.org", "mail.example.org", "example.org"},
      {"mail.example.com", "localdomain", "mail.example.com", "example.com"},
      {"example.com", "localdomain", "example.com", "com"},
  };
  for (const auto& r : rows) {
    std::string h = QualifyHostname(r.host, r.mydomain);
    EXPECT_EQ(h, r.want_hostname) << r.host;
    EXPECT_EQ(DomainOfHostname(h), r.want_domain) << r.host;
  }
  EXPECT_EQ(DomainOfHostname("nodots"), "localdomain");
}

TEST(ParamsTest, Mynetworks) {
  std::optional<std::string> host = MynetworksForStyle("host");
  ASSERT_TRUE(host.has_value());
  EXPECT_NE(host->find("127.0.0.1/32"), std::string::npos) << *host;
  std::optional<std::string> subnet = MynetworksForStyle("Subnet");
  ASSERT_TRUE(subnet.has_value());
  EXPECT_NE(subnet->find("127.0.0.0/8"), std::string::npos) << *subnet;
  std::optional<std::string> klass = MynetworksForStyle("class");
  ASSERT_TRUE(klass.has_value());
  EXPECT_NE(klass->find("127.0.0.0/8"), std::string::npos) << *klass;
  EXPECT_FALSE(MynetworksForStyle("bogus").has_value());
  EXPECT_FALSE(MynetworksForStyle("host subnet").has_value());
  EXPECT_EQ(*Default("mynetworks"), *host);
}

TEST(ParamsTest, TransportParamDefault) {
  struct {
    const char* name;
    const char* want_transport;
    const char* want;
  } rows[] = {
      {"docomo_destination_concurrency_limit", "docomo", "$default_destination_concurrency_limit"},
      {"my-relay_destination_rate_delay", "my-relay", "$default_destination_rate_delay"},
      {"foo_bar_destination_recipient_limit", "foo_bar", "$default_destination_recipient_limit"},
      {"foo_bar_recipient_limit", "foo_bar", "$default_recipient_limit"},
      {"docomo_extra_recipient_limit", "docomo", "$default_extra_recipient_limit"},
      {"docomo_initial_destination_concurrency", "docomo", "$initial_destination_concurrency"},
      {"docomo_transport_rate_delay", "docomo", "$default_transport_rate_delay"},
      {"docomo_delivery_slot_loan", "docomo", "$default_delivery_slot_loan"},
      {"maildrop_time_limit", "maildrop", "$command_time_limit"},
      // Built-in parameters keep their own default.
      {"local_destination_concurrency_limit", "local", "2"},
      {"local_destination_recipient_limit", "local", "1"},
  };
  for (const auto& r : rows) {
    std::string transport;
    std::optional<std::string> got = TransportParamDefault(r.name, &transport);
    ASSERT_TRUE(got.has_value()) << r.name;
    EXPECT_EQ(*got, r.want) << r.name;
    EXPECT_EQ(transport, r.want_transport) << r.name;
  }
  const char* misses[] = {"",
                          "myorigin",
                          "_destination_concurrency_limit",
                          "docomo_destination_concurrency",
                          "docomo_concurrency_limit",
                          "docomo"};
  for (const char* m : misses) EXPECT_FALSE(TransportParamDefault(m).has_value()) << m;
}

TEST(ParamsTest, ServiceSuffixes) {
  EXPECT_EQ(TransportParamSuffixes().size(), 16u);
  EXPECT_EQ(ServiceParamSuffixes("smtp").size(), 16u);
  EXPECT_EQ(ServiceParamSuffixes("pipe").size(), 17u);
  ASSERT_EQ(ServiceParamSuffixes("spawn").size(), 1u);
  EXPECT_EQ(ServiceParamSuffixes("spawn")[0], "_time_limit");
  EXPECT_TRUE(ServiceParamSuffixes("smtpd").empty());
  for (std::string_view s : TransportParamSuffixes()) {
    EXPECT_TRUE(TransportParamDefault("x" + std::string(s)).has_value()) << s;
    // The default names a built-in parameter.
    std::string def = *TransportParamDefault("x" + std::string(s));
    ASSERT_EQ(def[0], '$');
    EXPECT_NE(Find(def.substr(1)), nullptr) << def;
  }
}

TEST(ParamsTest, CheckValue) {
  struct {
    const char* name;
    const char* value;
    const char* want_error;  // nullptr: accepted
  } rows[] = {
      {"biff", "yes", nullptr},
      {"biff", "NO", nullptr},
      {"biff", "true", "bad boolean configuration: biff = true"},
      {"biff", "", "bad boolean configuration: biff = "},
      {"default_destination_concurrency_limit", "1", nullptr},
      {"default_destination_concurrency_limit", "0", nullptr},
      {"default_destination_concurrency_limit", "abc",
       "bad numerical configuration: default_destination_concurrency_limit = abc"},
      {"default_destination_concurrency_limit", "",
       "bad numerical configuration: default_destination_concurrency_limit = "},
      {"default_destination_concurrency_limit", "99999999999",
       "bad numerical configuration: default_destination_concurrency_limit = 99999999999"},
      {"hash_queue_depth", "0", "invalid hash_queue_depth parameter value 0 < 1"},
      {"line_length_limit", "100", "invalid line_length_limit parameter value 100 < 512"},
      {"delay_logging_resolution_limit", "7",
       "invalid delay_logging_resolution_limit parameter value 7 > 6"},
      {"message_size_limit", "99999999999", nullptr},
      {"message_size_limit", "10M", "bad numerical configuration: message_size_limit = 10M"},
      {"message_size_limit", "-1", "invalid message_size_limit parameter value -1 < 0"},
      {"postscreen_dnsbl_allowlist_threshold", "-5", nullptr},
      {"maximal_queue_lifetime", "5d", nullptr},
      {"maximal_queue_lifetime", "5", nullptr},
      {"maximal_queue_lifetime", "0", nullptr},
      {"maximal_queue_lifetime", "5x",
       "parameter maximal_queue_lifetime: bad time value or unit: 5x"},
      {"maximal_queue_lifetime", "d",
       "parameter maximal_queue_lifetime: bad time value or unit: d"},
      {"smtp_helo_timeout", "300s", nullptr},
      {"smtp_helo_timeout", "0s", "invalid smtp_helo_timeout: 0 (min 1)"},
      {"in_flow_delay", "11s", "invalid in_flow_delay: 11 (max 10)"},
      {"myorigin", "anything at all", nullptr},
  };
  for (const auto& r : rows) {
    const ParamDef* d = Find(r.name);
    ASSERT_NE(d, nullptr) << r.name;
    std::optional<std::string> err = CheckValue(*d, r.value);
    if (r.want_error == nullptr) {
      EXPECT_FALSE(err.has_value()) << r.name << " = " << r.value << ": " << *err;
    } else {
      EXPECT_EQ(err.value_or("(accepted)"), r.want_error) << r.name << " = " << r.value;
    }
  }
}

// Every static default must pass its own type check (after the obvious
// expansions), so postconf -d never shows a value the daemons would reject.
TEST(ParamsTest, DefaultsPassTheirOwnCheck) {
  for (const ParamDef& d : All()) {
    std::string v = *Default(d.name);
    if (v.find('$') != std::string::npos) continue;  // needs expansion
    EXPECT_FALSE(CheckValue(d, v).has_value()) << d.name << " = " << v;
  }
}

}  // namespace
}  // namespace params

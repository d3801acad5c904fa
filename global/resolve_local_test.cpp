#include "global/resolve_local.h"

#include <gtest/gtest.h>

namespace resolve_local {
namespace {

TEST(ResolveLocalTest, IsLocal) {
  auto mydest = domain_list::DomainList::Parse("mydestination", "mx.example.com, localhost",
                                               domain_list::Style::kString, false, {});
  ASSERT_TRUE(mydest.ok());
  LocalDomains local(std::move(*mydest), {"127.0.0.1", "2001:DB8::1", "198.51.100.7"});
  struct {
    const char* domain;
    bool want;
  } rows[] = {
      {"mx.example.com", true},
      {"MX.Example.Com.", true},
      {"localhost", true},
      {"sub.mx.example.com", false},
      {"example.com", false},
      {"[127.0.0.1]", true},
      {"[198.51.100.7]", true},
      {"[192.0.2.1]", false},
      {"[IPv6:2001:db8::1]", true},
      {"[ipv6:2001:db8:0::1]", true},
      {"[2001:db8::1]", true},  // Postfix accepts the bare form too
      {"127.0.0.1", false},     // without brackets: resolve_numeric_domain's business
      {"[]", false},
      {"", false},
  };
  for (const auto& row : rows) {
    util::StatusOr<bool> got = local.IsLocal(row.domain);
    ASSERT_TRUE(got.ok()) << row.domain;
    EXPECT_EQ(*got, row.want) << row.domain;
  }
}

TEST(ResolveLocalTest, FromConfig) {
  config::Config cfg;
  cfg.Set("myhostname", "mx.example.com");
  cfg.Set("mydomain", "example.com");
  cfg.Set("inet_interfaces", "loopback-only");
  cfg.Set("proxy_interfaces", "[198.51.100.7], 203.0.113.9");
  auto local = LocalDomains::FromConfig(cfg);
  ASSERT_TRUE(local.ok()) << local.status().message();
  EXPECT_EQ(local->addresses(),
            (std::vector<std::string>{"127.0.0.1", "::1", "198.51.100.7", "203.0.113.9"}));
  EXPECT_TRUE(*local->IsLocal("localhost.example.com"));  // default mydestination
  EXPECT_TRUE(*local->IsLocal("[203.0.113.9]"));
  EXPECT_TRUE(*local->IsLocal("[IPv6:::1]"));

  cfg.Set("inet_interfaces", "all");
  local = LocalDomains::FromConfig(cfg);
  ASSERT_TRUE(local.ok());
  EXPECT_TRUE(*local->IsLocal("[127.0.0.1]"));  // every interface that is up
}

TEST(ResolveLocalTest, NormalizeAddress) {
  EXPECT_EQ(NormalizeAddress("2001:DB8:0::1"), "2001:db8::1");
  EXPECT_EQ(NormalizeAddress("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(NormalizeAddress("example.com"), "");
}

}  // namespace
}  // namespace resolve_local

#include "smtp/lmtp_params.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "global/config_testing.h"
#include "global/param_usage.h"

namespace smtp {
namespace {

TEST(LmtpParamsTest, ProgramName) {
  EXPECT_TRUE(IsLmtpProgram("lmtp"));
  EXPECT_FALSE(IsLmtpProgram("smtp"));
  EXPECT_FALSE(IsLmtpProgram("relay"));
}

TEST(LmtpParamsTest, TwinsOfTheSmtpParameters) {
  const auto& map = LmtpParameterMap();
  auto has = [&](const std::string& lmtp, const std::string& smtp) {
    return std::find(map.begin(), map.end(), std::pair{lmtp, smtp}) != map.end();
  };
  EXPECT_TRUE(has("lmtp_lhlo_name", "smtp_helo_name"));
  EXPECT_TRUE(has("lmtp_lhlo_timeout", "smtp_helo_timeout"));
  EXPECT_TRUE(has("lmtp_tcp_port", "smtp_tcp_port"));
  EXPECT_TRUE(has("lmtp_tls_security_level", "smtp_tls_security_level"));
  EXPECT_TRUE(has("lmtp_header_checks", "smtp_header_checks"));
  for (const auto& [lmtp, smtp] : map) EXPECT_NE(smtp, "smtp_never_send_ehlo");

  // The lmtp program declares exactly the twins (global/param_usage.cpp
  // lists them by hand; this keeps the two in step).
  std::vector<std::string> declared, twins;
  for (std::string_view n : param_usage::Declared("lmtp"))
    if (n.starts_with("lmtp_")) declared.emplace_back(n);
  for (const auto& [lmtp, smtp] : map) twins.push_back(lmtp);
  std::sort(twins.begin(), twins.end());
  EXPECT_EQ(declared, twins);
  for (const std::string& n : twins) EXPECT_FALSE(param_usage::IsUnimplemented(n)) << n;
}

TEST(LmtpParamsTest, ValuesGoIntoTheSmtpSlots) {
  config::Config cfg = config::testing::FromText(
      "myhostname = mx.example\n"
      "smtp_tcp_port = 2525\n"
      "lmtp_connect_timeout = 7s\n"
      "lmtp_tls_CAfile = /etc/ca$$dollar\n"
      "smtp_tls_CApath = /etc/smtp-ca\n"
      "lmtp_tls_CApath = $smtp_tls_CApath/lmtp\n");
  UseLmtpParameters(cfg);
  EXPECT_EQ(cfg.Get("smtp_tcp_port"), "24");  // lmtp's default
  EXPECT_EQ(cfg.Get("smtp_helo_name"), "mx.example");
  EXPECT_EQ(cfg.GetTime("smtp_connect_timeout"), 7);
  EXPECT_EQ(cfg.GetBool("smtp_skip_quit_response"), false);
  EXPECT_EQ(cfg.Get("smtp_tls_CAfile"), "/etc/ca$dollar");
  // A reference to the smtp parameter is its value, not a loop.
  EXPECT_EQ(cfg.Get("smtp_tls_CApath"), "/etc/smtp-ca/lmtp");
}

}  // namespace
}  // namespace smtp

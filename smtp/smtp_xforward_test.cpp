#include "smtp/smtp_xforward.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtp_xforward {
namespace {

std::vector<std::string> Lines(const Attrs& a, const std::set<std::string>& offered) {
  std::vector<std::string> out;
  for (const Command& c : Commands(a, offered)) out.push_back(c.line + " / " + c.what);
  return out;
}

const std::set<std::string> kAll = {"NAME", "ADDR", "PROTO", "HELO", "SOURCE", "PORT", "IDENT"};

TEST(SmtpXforwardTest, ForwardedClientWins) {
  queue_file::Envelope env;
  env.attrs = {{"rewrite_context", "remote"},
               {"log_client_name", "mail.example.org"},
               {"log_client_address", "198.51.100.7"},
               {"log_client_port", "4711"},
               {"log_protocol_name", "ESMTP"},
               {"client_name", "localhost"},
               {"client_address", "127.0.0.1"},
               {"client_port", "40000"},
               {"helo_name", "filter.example"},
               {"protocol", "SMTP"},
               {"log_ident", "ABCDEF"}};
  Attrs a = FromEnvelope(env, "QID");
  EXPECT_EQ(Lines(a, kAll),
            (std::vector<std::string>{
                "XFORWARD NAME=mail.example.org ADDR=198.51.100.7 PORT=4711 / XFORWARD "
                "name/address",
                "XFORWARD PROTO=ESMTP HELO=[UNAVAILABLE] IDENT=ABCDEF SOURCE=REMOTE / XFORWARD "
                "protocol/helo_name"}));
}

TEST(SmtpXforwardTest, RealClientOnlyWhatIsOffered) {
  queue_file::Envelope env;
  env.attrs = {{"rewrite_context", "local"},    {"client_name", "unknown"},
               {"client_address", "192.0.2.1"}, {"helo_name", "a b=c"},
               {"protocol", "ESMTP"},           {"log_ident", "1234"}};
  Attrs a = FromEnvelope(env, "QID");
  EXPECT_EQ(Lines(a, kAll),
            (std::vector<std::string>{
                "XFORWARD NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=[UNAVAILABLE] / XFORWARD "
                "name/address",
                "XFORWARD PROTO=ESMTP HELO=a+20b+3Dc IDENT=1234 SOURCE=LOCAL / XFORWARD "
                "protocol/helo_name"}));
  EXPECT_EQ(Lines(a, {"ADDR", "HELO"}),
            (std::vector<std::string>{"XFORWARD ADDR=192.0.2.1 / XFORWARD name/address",
                                      "XFORWARD HELO=a+20b+3Dc / XFORWARD protocol/helo_name"}));
  EXPECT_TRUE(Commands(a, {}).empty());
  EXPECT_TRUE(Commands(a, {"XCLIENT"}).empty());
}

// Local submissions and bounces have no client at all (IDENT: the queue ID).
TEST(SmtpXforwardTest, NoClient) {
  queue_file::Envelope env;
  EXPECT_EQ(Lines(FromEnvelope(env, "5A6B7C"), kAll),
            (std::vector<std::string>{
                "XFORWARD NAME=[UNAVAILABLE] ADDR=[UNAVAILABLE] PORT=[UNAVAILABLE] / XFORWARD "
                "name/address",
                "XFORWARD PROTO=[UNAVAILABLE] HELO=[UNAVAILABLE] IDENT=5A6B7C "
                "SOURCE=LOCAL / XFORWARD protocol/helo_name"}));
}

}  // namespace
}  // namespace smtp_xforward

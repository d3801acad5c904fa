#include "global/smtp_reply.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace smtp_reply {
namespace {

// A stream reading `input` (written to one end of a socket pair).
util::Stream StreamOf(const std::string& input) {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  EXPECT_EQ(write(sv[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  close(sv[1]);
  util::Stream s(sv[0], util::Stream::Ownership::kOwned);
  s.set_timeout(5);
  return s;
}

TEST(SmtpReplyTest, Read) {
  struct Case {
    const char* name;
    std::string input;
    util::Code want_code;
    int code;
    std::string dsn;
    std::string text;
  } cases[] = {
      {"simple", "250 2.0.0 Ok: queued as ABC\r\n", util::Code::kOk, 250, "2.0.0",
       "250 2.0.0 Ok: queued as ABC"},
      {"no dsn", "220 mx.example ESMTP\r\n", util::Code::kOk, 220, "", "220 mx.example ESMTP"},
      {"bare code", "354\r\n", util::Code::kOk, 354, "", "354"},
      {"multi", "550-5.1.1 first\r\n550-5.1.1 second\r\n550 5.1.1 third\r\n", util::Code::kOk, 550,
       "5.1.1", "550-5.1.1 first 550-5.1.1 second 550 5.1.1 third"},
      {"dsn class mismatch ignored", "450 5.1.1 odd\r\n", util::Code::kOk, 450, "",
       "450 5.1.1 odd"},
      {"bare lf", "250 ok\n", util::Code::kOk, 250, "", "250 ok"},
      {"garbage", "hello\r\n", util::Code::kInvalidArgument, 0, "", ""},
      {"code change", "250-a\r\n251 b\r\n", util::Code::kInvalidArgument, 0, "", ""},
      {"eof", "", util::Code::kNotFound, 0, "", ""},
      {"eof mid reply", "250-a\r\n", util::Code::kNotFound, 0, "", ""},
  };
  for (const Case& c : cases) {
    util::Stream s = StreamOf(c.input);
    Reply r;
    util::Status st = Read(s, &r);
    EXPECT_EQ(st.code(), c.want_code) << c.name << ": " << st.message();
    if (!st.ok()) continue;
    EXPECT_EQ(r.code, c.code) << c.name;
    EXPECT_EQ(r.dsn, c.dsn) << c.name;
    EXPECT_EQ(r.Text(), c.text) << c.name;
  }
}

TEST(SmtpReplyTest, DsnOr) {
  Reply r;
  r.code = 451;
  EXPECT_EQ(r.DsnOr("5.0.0"), "4.0.0");
  r.dsn = "4.7.1";
  EXPECT_EQ(r.DsnOr("5.0.0"), "4.7.1");
}

TEST(SmtpReplyTest, Ehlo) {
  Reply r;
  r.code = 250;
  r.lines = {"250-mx.example",         "250-PIPELINING",    "250-SIZE 10240000", "250-8bitmime",
             "250-AUTH PLAIN LOGIN",   "250-AUTH=CRAM-MD5", "250-DSN",           "250-STARTTLS",
             "250-XFORWARD NAME addr", "250 SMTPUTF8"};
  Ehlo e = ParseEhlo(r);
  EXPECT_TRUE(e.pipelining);
  EXPECT_TRUE(e.size);
  EXPECT_EQ(e.size_limit, 10240000);
  EXPECT_TRUE(e.eight_bit_mime);
  EXPECT_TRUE(e.dsn);
  EXPECT_TRUE(e.starttls);
  EXPECT_TRUE(e.smtputf8);
  EXPECT_EQ(e.auth_mechanisms, (std::vector<std::string>{"PLAIN", "LOGIN", "CRAM-MD5"}));
  EXPECT_EQ(e.keywords.count("8BITMIME"), 1u);
  EXPECT_EQ(e.xforward, (std::set<std::string>{"ADDR", "NAME"}));

  Reply plain;
  plain.code = 250;
  plain.lines = {"250-mx", "250 SIZE"};
  Ehlo p = ParseEhlo(plain);
  EXPECT_FALSE(p.pipelining);
  EXPECT_FALSE(p.smtputf8);
  EXPECT_TRUE(p.size);
  EXPECT_EQ(p.size_limit, 0);
  EXPECT_TRUE(p.xforward.empty());
}

TEST(SmtpReplyTest, XTextDecode) {
  struct {
    const char* in;
    std::optional<std::string> want;
  } rows[] = {
      {"abc", "abc"},         {"a+2Bb", "a+b"},       {"+3D+20", "= "}, {"a+2", std::nullopt},
      {"a+zz", std::nullopt}, {"a+2b", std::nullopt},  // lower-case hex is not xtext
      {"a=b", std::nullopt},  {"a b", std::nullopt},  {"", ""},
  };
  for (const auto& r : rows) EXPECT_EQ(XTextDecode(r.in), r.want) << r.in;
  EXPECT_EQ(XTextDecode(XText("x+y=\xff")), "x+y=\xff");
}

TEST(SmtpReplyTest, XText) {
  EXPECT_EQ(XText("rfc822;bob@example.com"), "rfc822;bob@example.com");
  EXPECT_EQ(XText("a+b=c d"), "a+2Bb+3Dc+20d");
  EXPECT_EQ(XText("\xc3\xa9"), "+C3+A9");
}

}  // namespace
}  // namespace smtp_reply

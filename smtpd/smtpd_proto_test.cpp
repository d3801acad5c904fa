#include "smtpd/smtpd_proto.h"

#include <gtest/gtest.h>

#include "global/queue_file.h"

namespace smtpd_proto {
namespace {

TEST(SmtpdProtoTest, SplitCommand) {
  struct {
    const char* in;
    const char* verb;
    const char* args;
  } rows[] = {
      {"mail FROM:<a@b> SIZE=10", "MAIL", "FROM:<a@b> SIZE=10"},
      {"  QUIT  ", "QUIT", ""},
      {"ehlo\tclient.example ", "EHLO", "client.example"},
      {"", "", ""},
  };
  for (const auto& r : rows) {
    Command c = SplitCommand(r.in);
    EXPECT_EQ(c.verb, r.verb) << r.in;
    EXPECT_EQ(c.args, r.args) << r.in;
  }
}

TEST(SmtpdProtoTest, ParsePath) {
  struct {
    const char* args;
    const char* keyword;
    PathStatus want;
    const char* address;
    std::vector<std::string> params;
  } rows[] = {
      {"FROM:<a@b>", "FROM:", PathStatus::kOk, "a@b", {}},
      {"from:<a@b> SIZE=10 BODY=8BITMIME",
       "FROM:",
       PathStatus::kOk,
       "a@b",
       {"SIZE=10", "BODY=8BITMIME"}},
      {"FROM: <a@b>", "FROM:", PathStatus::kOk, "a@b", {}},
      {"FROM:a@b SIZE=1", "FROM:", PathStatus::kOk, "a@b", {"SIZE=1"}},
      {"FROM:<>", "FROM:", PathStatus::kOk, "", {}},
      {"TO:<\"john smith\"@example.com>", "TO:", PathStatus::kOk, "john smith@example.com", {}},
      {"TO:<\"a>b\"@example.com>", "TO:", PathStatus::kOk, "a>b@example.com", {}},
      {"TO:<@r1.example,@r2.example:user@example.com>",
       "TO:",
       PathStatus::kOk,
       "user@example.com",
       {}},
      {"TO:<postmaster> NOTIFY=NEVER", "TO:", PathStatus::kOk, "postmaster", {"NOTIFY=NEVER"}},
      {"TO:<\xe3\x81\xbb@example.jp>", "TO:", PathStatus::kOk, "\xe3\x81\xbb@example.jp", {}},
      {"FROM", "FROM:", PathStatus::kSyntax, "", {}},
      {"FROM:", "FROM:", PathStatus::kSyntax, "", {}},
      {"TO:<a@b>", "FROM:", PathStatus::kSyntax, "", {}},
      {"FROM:<a@b", "FROM:", PathStatus::kBadAddress, "", {}},
      {"FROM:<a b@c>", "FROM:", PathStatus::kBadAddress, "", {}},
      {"FROM:<\"a@b>", "FROM:", PathStatus::kBadAddress, "", {}},
      {"FROM:<a@b>x", "FROM:", PathStatus::kBadAddress, "", {}},
      {"FROM:<@relay>", "FROM:", PathStatus::kBadAddress, "", {}},
      {"FROM:<a\x01@b>", "FROM:", PathStatus::kBadAddress, "", {}},
      {"FROM:<a\\\x01@b>", "FROM:", PathStatus::kBadAddress, "", {}},
      {"TO:<\"a\\\r\"@b>", "TO:", PathStatus::kBadAddress, "", {}},
      {"TO:a\\\x7f@b", "TO:", PathStatus::kBadAddress, "", {}},
      {"FROM:a<b@c", "FROM:", PathStatus::kBadAddress, "", {}},
  };
  for (const auto& r : rows) {
    PathArg p;
    EXPECT_EQ(ParsePath(r.args, r.keyword, &p), r.want) << r.args;
    if (r.want == PathStatus::kOk) {
      EXPECT_EQ(p.address, r.address) << r.args;
      EXPECT_EQ(p.params, r.params) << r.args;
    }
  }
}

TEST(SmtpdProtoTest, NotifyAndOrcpt) {
  EXPECT_EQ(ParseNotify("NEVER"), queue_file::kNotifyNever);
  EXPECT_EQ(ParseNotify("success,FAILURE"),
            queue_file::kNotifySuccess | queue_file::kNotifyFailure);
  EXPECT_EQ(ParseNotify("DELAY"), queue_file::kNotifyDelay);
  EXPECT_EQ(ParseNotify("NEVER,SUCCESS"), 0);
  EXPECT_EQ(ParseNotify("SOMETIMES"), 0);
  EXPECT_EQ(ParseNotify(""), 0);
  EXPECT_EQ(ParseOrcpt("rfc822;bob+2Bx@example.com"), "rfc822;bob+x@example.com");
  EXPECT_EQ(ParseOrcpt("RFC822;a@b"), "rfc822;a@b");
  EXPECT_EQ(ParseOrcpt("a@b"), std::nullopt);
  EXPECT_EQ(ParseOrcpt("rfc822;"), std::nullopt);
  EXPECT_EQ(ParseOrcpt(";a@b"), std::nullopt);
  EXPECT_EQ(ParseOrcpt("rfc822;a@b+0D+0A.+0D+0AQUIT"), std::nullopt);
  EXPECT_EQ(ParseOrcpt("rfc822;a+09b@c"), std::nullopt);
}

TEST(SmtpdProtoTest, EhloKeywords) {
  EhloOptions o;
  std::vector<std::string> all = {
      "PIPELINING", "SIZE 10240000", "VRFY",     "ETRN",    "ENHANCEDSTATUSCODES",
      "8BITMIME",   "DSN",           "SMTPUTF8", "CHUNKING"};
  EXPECT_EQ(EhloKeywords(o), all);
  o.message_size_limit = 0;
  o.vrfy = false;
  o.discard = {"chunking", "dsn", "silent-discard", "etrn"};
  EXPECT_EQ(EhloKeywords(o), (std::vector<std::string>{"PIPELINING", "SIZE", "ENHANCEDSTATUSCODES",
                                                       "8BITMIME", "SMTPUTF8"}));
  o.discard = {"size"};
  EXPECT_EQ(EhloKeywords(o)[1], "ETRN");  // no SIZE, no VRFY
}

TEST(SmtpdProtoTest, ReceivedHeader) {
  ReceivedInfo in;
  in.helo_name = "client.example";
  in.client_name = "mail.client.example";
  in.client_addr = "192.0.2.1";
  in.myhostname = "mx.example.com";
  in.mail_name = "Postfix";
  in.protocol = "ESMTP";
  in.queue_id = "3F2A1B2C";
  in.single_recipient = "john smith@example.com";
  in.date = "Sat, 21 Nov 2026 10:00:00 +0900 (JST)";
  EXPECT_EQ(ReceivedHeader(in),
            (std::vector<std::string>{
                "Received: from client.example (mail.client.example [192.0.2.1])",
                "\tby mx.example.com (Postfix) with ESMTP id 3F2A1B2C",
                "\tfor <\"john smith\"@example.com>; Sat, 21 Nov 2026 10:00:00 +0900 (JST)"}));
  in.single_recipient.clear();
  in.helo_name.clear();
  in.client_name = "unknown";
  in.client_addr = "2001:db8::1";
  in.mail_name = "MTA";
  in.protocol = "SMTP";
  EXPECT_EQ(ReceivedHeader(in),
            (std::vector<std::string>{"Received: from unknown (unknown [IPv6:2001:db8::1])",
                                      "\tby mx.example.com (MTA) with SMTP id 3F2A1B2C;",
                                      "\tSat, 21 Nov 2026 10:00:00 +0900 (JST)"}));
}

TEST(SmtpdProtoTest, CommandCounts) {
  CommandCounts c;
  EXPECT_EQ(c.Format(), " commands=0");
  c.Count("ehlo", true);
  c.Count("mail", true);
  c.Count("rcpt", true);
  c.Count("data", true);
  c.Count("quit", true);
  EXPECT_EQ(c.Format(), " ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5");
  c.Count("rcpt", false);
  c.Count("unknown", false);
  EXPECT_EQ(c.Format(), " ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 unknown=0/1 commands=5/7");
}

}  // namespace
}  // namespace smtpd_proto

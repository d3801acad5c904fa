#include "bounce/dsn.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "global/queue_file.h"
#include "util/strings.h"

namespace dsn {
namespace {

class DsnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
  static Notice Base() {
    Notice n;
    n.queue_id = "3F2A1B";
    n.new_queue_id = "4C5D6E";
    n.myhostname = "mail.example.com";
    n.to = "alice@example.com";
    n.sender = "alice@example.com";
    n.arrival_sec = 1700000000;  // Tue, 14 Nov 2023 22:13:20 UTC
    n.now = 1700003600;
    n.original = {"Subject: hi", "From: alice@example.com", "", "body line"};
    n.original_size = 50;
    return n;
  }
  static std::string Join(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
  }
};

TEST_F(DsnTest, FailureGolden) {
  Notice n = Base();
  delivery_log::Entry e;
  e.recipient = "bob@example.net";
  e.original_recipient = "bob@example.net";
  e.status = "5.1.1";
  e.action = "failed";
  e.reason =
      "host mx.example.net[192.0.2.1] said: 550 5.1.1 <bob@example.net>: User unknown "
      "(in reply to RCPT TO command)";
  e.mta_type = "dns";
  e.mta_name = "mx.example.net";
  e.diag_type = "smtp";
  e.diag_text = "550 5.1.1 <bob@example.net>: User unknown";
  n.recipients = {e};
  const std::string want =
      "Received: by mail.example.com (Postfix)\n"
      "\tid 4C5D6E; Tue, 14 Nov 2023 23:13:20 +0000 (UTC)\n"
      "Date: Tue, 14 Nov 2023 23:13:20 +0000 (UTC)\n"
      "From: Mail Delivery System <MAILER-DAEMON@mail.example.com>\n"
      "Subject: Undelivered Mail Returned to Sender\n"
      "To: alice@example.com\n"
      "Auto-Submitted: auto-replied\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=delivery-status;\n"
      "\tboundary=\"3F2A1B.1700003600/mail.example.com\"\n"
      "Message-Id: <20231114231320.4C5D6E@mail.example.com>\n"
      "\n"
      "This is a MIME-encapsulated message.\n"
      "\n"
      "--3F2A1B.1700003600/mail.example.com\n"
      "Content-Description: Notification\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "This is the mail system at host mail.example.com.\n"
      "\n"
      "I'm sorry to have to inform you that your message could not\n"
      "be delivered to one or more recipients. It's attached below.\n"
      "\n"
      "For further assistance, please send mail to postmaster.\n"
      "\n"
      "If you do so, please include this problem report. You can\n"
      "delete your own text from the attached returned message.\n"
      "\n"
      "                   The mail system\n"
      "\n"
      "<bob@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1\n"
      "    <bob@example.net>: User unknown (in reply to RCPT TO command)\n"
      "\n"
      "--3F2A1B.1700003600/mail.example.com\n"
      "Content-Description: Delivery report\n"
      "Content-Type: message/delivery-status\n"
      "\n"
      "Reporting-MTA: dns; mail.example.com\n"
      "X-Postfix-Queue-ID: 3F2A1B\n"
      "X-Postfix-Sender: rfc822; alice@example.com\n"
      "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\n"
      "\n"
      "Final-Recipient: rfc822; bob@example.net\n"
      "Original-Recipient: rfc822;bob@example.net\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "Remote-MTA: dns; mx.example.net\n"
      "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: User unknown\n"
      "\n"
      "--3F2A1B.1700003600/mail.example.com\n"
      "Content-Description: Undelivered Message\n"
      "Content-Type: message/rfc822\n"
      "\n"
      "Return-Path: <alice@example.com>\n"
      "Subject: hi\n"
      "From: alice@example.com\n"
      "\n"
      "body line\n"
      "\n"
      "--3F2A1B.1700003600/mail.example.com--\n";
  EXPECT_EQ(Join(Compose(n)), want);
}

TEST_F(DsnTest, DelayGolden) {
  Notice n = Base();
  n.kind = Kind::kDelay;
  n.delay_warning_hours = 4;
  n.dsn_envid = "ENV1";
  delivery_log::Entry e;
  e.recipient = "carol@example.org";
  e.status = "4.4.1";
  e.action = "delayed";
  e.reason = "connect to mx.example.org[192.0.2.2]:25: Connection refused";
  n.recipients = {e};
  std::string got = Join(Compose(n));
  const char* want_parts[] = {
      "Subject: Delayed Mail (still being retried)\n",
      "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n",
      "Your message could not be delivered for more than 4 hour(s).\n"
      "It will be retried until it is 5 day(s) old.\n",
      "<carol@example.org>: connect to mx.example.org[192.0.2.2]:25: Connection\n"
      "    refused\n",
      "X-Postfix-Sender: rfc822; alice@example.com\n"
      "Original-Envelope-Id: ENV1\n"
      "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\n"
      "\n"
      "Final-Recipient: rfc822; carol@example.org\n"
      "Action: delayed\n"
      "Status: 4.4.1\n"
      "Diagnostic-Code: X-Postfix; connect to mx.example.org[192.0.2.2]:25:\n"
      "    Connection refused\n"
      "Will-Retry-Until: Sun, 19 Nov 2023 22:13:20 +0000 (UTC)\n"
      "\n"
      "--3F2A1B.1700003600/mail.example.com\n"
      "Content-Description: Delayed Message Headers\n"
      "Content-Type: text/rfc822-headers\n"
      "\n"
      "Return-Path: <alice@example.com>\n"
      "Subject: hi\n"
      "From: alice@example.com\n"
      "\n"
      "--3F2A1B.1700003600/mail.example.com--\n",
  };
  for (const char* part : want_parts) EXPECT_NE(got.find(part), std::string::npos) << part << got;
  EXPECT_EQ(got.find("body line"), std::string::npos);
}

TEST_F(DsnTest, ReturnedContent) {
  struct Row {
    const char* name;
    bool ret_headers;
    unsigned long long size;
    bool eight_bit;
    bool want_full;
  };
  const Row rows[] = {
      {"full", false, 50, false, true},        {"ret_hdrs", true, 50, false, false},
      {"at_limit", false, 50000, false, true}, {"over_limit", false, 50001, false, false},
      {"eight_bit", false, 50, true, true},
  };
  for (const Row& r : rows) {
    Notice n = Base();
    n.ret_headers = r.ret_headers;
    n.original_size = r.size;
    n.eight_bit = r.eight_bit;
    std::string got = Join(Compose(n));
    EXPECT_EQ(got.find("Content-Type: message/rfc822\n") != std::string::npos, r.want_full)
        << r.name;
    EXPECT_EQ(got.find("Content-Type: text/rfc822-headers\n") != std::string::npos, !r.want_full)
        << r.name;
    EXPECT_EQ(got.find("body line") != std::string::npos, r.want_full) << r.name;
    EXPECT_EQ(got.find("Content-Transfer-Encoding: 8bit") != std::string::npos, r.eight_bit)
        << r.name;
  }
}

// ENVID, ORCPT, addresses and reasons with CR LF (from an older queue file
// or a hostile remote reply) never break a line of the notice.
TEST_F(DsnTest, ControlCharactersNeverReachTheNotice) {
  Notice n = Base();
  n.dsn_envid = "abc\r\n.\r\nMAIL FROM:<evil@example.org>";
  n.sender = "a\rb@example.com";
  delivery_log::Entry e;
  e.recipient = "bob@example.net";
  e.dsn_orcpt = "rfc822;bob@example.net\r\n.\r\nQUIT";
  e.status = "5.1.1";
  e.action = "failed";
  e.reason = "said: 550 no\nsuch\x7fuser";
  n.recipients = {e};
  std::vector<std::string> lines = Compose(n);
  bool in_original = false;
  for (const std::string& l : lines) {
    if (l.find("Content-Type: message/rfc822") == 0) in_original = true;
    if (in_original) continue;
    for (char c : l) EXPECT_TRUE(c == '\t' || !util::IsControl(c)) << l;
  }
  std::string got = Join(lines);
  EXPECT_NE(got.find("Original-Envelope-Id: abc??.??MAIL FROM:<evil@example.org>\n"),
            std::string::npos);
  EXPECT_NE(got.find("Original-Recipient: rfc822;bob@example.net??.??QUIT\n"), std::string::npos);
}

TEST(WantsTest, NotifyBits) {
  using queue_file::DsnNotify;
  struct Row {
    Kind kind;
    int notify;
    bool want;
  };
  const Row rows[] = {
      {Kind::kFailure, 0, true},
      {Kind::kFailure, queue_file::kNotifyFailure, true},
      {Kind::kFailure, queue_file::kNotifyNever, false},
      {Kind::kFailure, queue_file::kNotifySuccess, false},
      {Kind::kFailure, queue_file::kNotifyDelay, false},
      {Kind::kDelay, 0, true},
      {Kind::kDelay, queue_file::kNotifyDelay | queue_file::kNotifyFailure, true},
      {Kind::kDelay, queue_file::kNotifyFailure, false},
      {Kind::kDelay, queue_file::kNotifyNever, false},
      {Kind::kSuccess, 0, false},
      {Kind::kSuccess, queue_file::kNotifySuccess, true},
      {Kind::kSuccess, queue_file::kNotifyNever, false},
  };
  for (const Row& r : rows)
    EXPECT_EQ(Wants(r.kind, r.notify), r.want) << static_cast<int>(r.kind) << " " << r.notify;
}

TEST(WrapTest, Lines) {
  EXPECT_EQ(Wrap("short text", 76, 4), std::vector<std::string>{"short text"});
  EXPECT_EQ(Wrap("aaa bbb ccc", 7, 2), (std::vector<std::string>{"aaa bbb", "  ccc"}));
  EXPECT_EQ(Wrap("averyveryverylongword x", 5, 2),
            (std::vector<std::string>{"averyveryverylongword", "  x"}));
}

}  // namespace
}  // namespace dsn

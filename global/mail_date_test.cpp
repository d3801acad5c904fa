#include "global/mail_date.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace mail_date {
namespace {

TEST(MailDateTest, PostfixFormat) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(MailDate(1700000000), "Tue, 14 Nov 2023 22:13:20 +0000 (UTC)");
  EXPECT_EQ(MailDate(1796593339), "Sun,  6 Dec 2026 21:42:19 +0000 (UTC)");  // %e
  setenv("TZ", "JST-9", 1);
  tzset();
  EXPECT_EQ(MailDate(1700000000), "Wed, 15 Nov 2023 07:13:20 +0900 (JST)");
  setenv("TZ", "NST+3:30", 1);
  tzset();
  EXPECT_EQ(MailDate(1700000000), "Tue, 14 Nov 2023 18:43:20 -0330 (NST)");
  setenv("TZ", "UTC", 1);
  tzset();
}

}  // namespace
}  // namespace mail_date

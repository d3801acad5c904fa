#include "global/content_checks.h"

#include <gtest/gtest.h>

namespace content_checks {
namespace {

TEST(ContentChecksTest, ParseActions) {
  Action a = Action::Parse("  reject   go away ");
  EXPECT_EQ(a.kind, Action::Kind::kReject);
  EXPECT_EQ(a.text, "go away");
  EXPECT_EQ(a.value, "reject   go away");
  EXPECT_EQ(Action::Parse("FILTER smtp:[127.0.0.1]:10025").kind, Action::Kind::kFilter);
  EXPECT_EQ(Action::Parse("DUNNO").kind, Action::Kind::kNone);
  EXPECT_EQ(Action::Parse("OK").kind, Action::Kind::kNone);
  Action bad = Action::Parse("FROBNICATE x");
  EXPECT_EQ(bad.kind, Action::Kind::kNone);
  EXPECT_EQ(bad.unknown, "FROBNICATE x");
  EXPECT_STREQ(Action::LogName(Action::Kind::kWarn), "warning");
}

TEST(ContentChecksTest, RejectReason) {
  std::string dsn, reason;
  RejectReason("", &dsn, &reason);
  EXPECT_EQ(dsn + " " + reason, "5.7.1 message content rejected");
  RejectReason("4.7.0 later", &dsn, &reason);
  EXPECT_EQ(dsn + " " + reason, "4.7.0 later");
  RejectReason("2.0.0 not a success", &dsn, &reason);
  EXPECT_EQ(dsn + " " + reason, "5.0.0 not a success");
  RejectReason("plain words", &dsn, &reason);
  EXPECT_EQ(dsn + " " + reason, "5.7.1 plain words");
}

}  // namespace
}  // namespace content_checks

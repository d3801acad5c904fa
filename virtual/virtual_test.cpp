// Unit tests of the virtual delivery agent's per-recipient decisions
// (lookups, ownership, quota choice), in a temporary directory as the
// current user. The mailbox writers are tested in global/mailbox_test.cpp.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "global/config.h"
#include "global/config_testing.h"
#include "global/mailbox_testing.h"
#include "global/maps.h"
#include "util/files.h"
#include "util/scratch_dir.h"
#include "virtual/recipient.h"

namespace virtual_agent {
namespace {

using util::testing::ScratchDir;

using mailbox::testing::List;
using mailbox::testing::Make;

TEST(AgentTest, LookupsAndOutcomes) {
  ScratchDir t;
  maps::ClearTableCache();
  // As root, deliveries run as an unprivileged uid that owns the base.
  uid_t u = geteuid() == 0 ? 54321 : geteuid();
  gid_t g = geteuid() == 0 ? 54321 : getegid();
  if (geteuid() == 0) {
    ASSERT_EQ(chown(t.path().c_str(), u, g), 0);
  }
  std::string uid = std::to_string(u), gid = std::to_string(g);
  config::Config cfg = config::testing::FromText(
      "virtual_mailbox_base = " + t.path() +
      "\nrecipient_delimiter = +\n"
      "virtual_mailbox_maps = inline:{bob@example.jp=example.jp/bob/, "
      "carol@example.jp=example.jp/carol, @catch.jp=catch/all/}\n"
      "virtual_uid_maps = inline:{low@example.jp=5, x@example.jp=abc}, static:" +
      uid +
      "\n"
      "virtual_gid_maps = static:" +
      gid +
      "\n"
      "virtual_minimum_uid = 1\n"
      "virtual_mailbox_limit_maps = inline:{bob@example.jp=0}\n"
      "virtual_mailbox_limit_override = yes\n");
  auto agent = Agent::Create(cfg);
  ASSERT_TRUE(agent.ok()) << agent.status().message();
  struct {
    const char* rcpt;
    Outcome outcome;
    const char* dsn;
    const char* text;
  } rows[] = {
      {"Bob+ext@Example.JP", Outcome::kSent, "2.0.0", "delivered to maildir"},
      {"carol@example.jp", Outcome::kSent, "2.0.0", "delivered to mailbox"},
      {"anyone@catch.jp", Outcome::kSent, "2.0.0", "delivered to maildir"},
  };
  for (const auto& r : rows) {
    Result got = (*agent)->Deliver(Make({"Subject: x", "", "b"}, r.rcpt));
    EXPECT_EQ(got.outcome, r.outcome) << r.rcpt << ": " << got.text;
    EXPECT_EQ(got.dsn, r.dsn) << r.rcpt;
    EXPECT_EQ(got.text, r.text) << r.rcpt;
  }
  EXPECT_EQ(List(t.path() + "/example.jp/bob/new").size(), 1u);
  EXPECT_EQ(List(t.path() + "/catch/all/new").size(), 1u);
  EXPECT_TRUE(util::FileExists(t.path() + "/example.jp/carol"));
  // Unknown user (no fail: table in this list) and uid problems.
  config::Config cfg2 = config::testing::FromText(
      "virtual_mailbox_base = " + t.path() +
      "\nvirtual_mailbox_maps = inline:{low@example.jp=l/, x@example.jp=x/}\n"
      "virtual_uid_maps = inline:{low@example.jp=5, x@example.jp=abc}\n"
      "virtual_gid_maps = static:" +
      gid + "\nvirtual_minimum_uid = 100\n");
  auto agent2 = Agent::Create(cfg2);
  ASSERT_TRUE(agent2.ok());
  Result got = (*agent2)->Deliver(Make({"", "b"}, "Nobody@Example.JP"));
  EXPECT_EQ(got.outcome, Outcome::kBounced);
  EXPECT_EQ(got.dsn, "5.1.1");
  EXPECT_EQ(got.text, "unknown user: \"nobody@example.jp\"");
  for (const char* rcpt : {"low@example.jp", "x@example.jp"}) {
    got = (*agent2)->Deliver(Make({"", "b"}, rcpt));
    EXPECT_EQ(got.outcome, Outcome::kDeferred) << rcpt;
    EXPECT_EQ(got.dsn, "4.3.5") << rcpt;
  }
  // A table that fails: deferred, never "unknown user".
  config::Config cfg3 = config::testing::FromText(
      "virtual_mailbox_base = /x\nvirtual_mailbox_maps = "
      "inline:{a@example.jp=a/}, fail:broken\n");
  auto agent3 = Agent::Create(cfg3);
  ASSERT_TRUE(agent3.ok());
  got = (*agent3)->Deliver(Make({"", "b"}, "nobody@example.jp"));
  EXPECT_EQ(got.outcome, Outcome::kDeferred);
  EXPECT_EQ(got.dsn, "4.3.0");
  EXPECT_EQ(got.text, "mail system configuration error");
  // Relative base: a configuration error.
  EXPECT_FALSE(Agent::Create(config::testing::FromText("virtual_mailbox_base = relative\n")).ok());
  EXPECT_FALSE(Agent::Create(config::testing::FromText("virtual_mailbox_base = /x\n"
                                                       "virtual_mailbox_lock = bogus\n"))
                   .ok());
}

}  // namespace
}  // namespace virtual_agent

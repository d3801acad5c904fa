// Unit tests of local(8)'s pieces that need no accounts: forward_path
// expansion, running commands with Postfix's exit status mapping, and the
// decisions for names without an account (mailbox_transport,
// fallback_transport, luser_relay's alternatives).
#include <gtest/gtest.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "global/config_testing.h"
#include "local/agent.h"
#include "local/command.h"

namespace local_agent {
namespace {

CommandSpec Spec(std::string command) {
  CommandSpec c;
  c.command = std::move(command);
  c.uid = getuid();
  c.gid = getgid();
  c.env = {"PATH=/usr/bin:/bin", "EXTENSION=ext"};
  c.time_limit = 10;
  return c;
}

mailbox::Result RunIt(const std::string& command, std::string* input = nullptr) {
  return RunCommand(Spec(command), [&](int fd) {
    std::string text = "line one\nline two\n";
    if (input) *input = text;
    return write(fd, text.data(), text.size()) < 0 ? errno : 0;
  });
}

TEST(CommandTest, ExitStatusMapping) {
  mailbox::Result r = RunIt("cat >/dev/null");
  EXPECT_EQ(r.outcome, mailbox::Outcome::kSent);
  EXPECT_EQ(r.text, "delivered to command: cat >/dev/null");
  r = RunIt("echo nope; exit 67");
  EXPECT_EQ(r.outcome, mailbox::Outcome::kBounced);
  EXPECT_EQ(r.dsn, "5.1.1");
  EXPECT_EQ(r.text, "user unknown. Command output: nope ");
  r = RunIt("exit 75");
  EXPECT_EQ(r.outcome, mailbox::Outcome::kDeferred);
  EXPECT_EQ(r.text, "temporary failure");
  r = RunIt("echo $EXTENSION >&2; exit 3");
  EXPECT_EQ(r.outcome, mailbox::Outcome::kBounced);
  EXPECT_EQ(r.text,
            "Command died with status 3: \"echo $EXTENSION >&2; exit 3\". Command "
            "output: ext ");
  CommandSpec slow = Spec("sleep 30");
  slow.time_limit = 1;
  r = RunCommand(slow, [](int) { return 0; });
  EXPECT_EQ(r.outcome, mailbox::Outcome::kBounced);
  EXPECT_EQ(r.text, "Command time limit exceeded: \"sleep 30\"");
}

// The agent for main.cf `extra`, with no alias database unless it sets one.
struct AgentFixture {
  explicit AgentFixture(const std::string& extra)
      : cfg(config::testing::FromText(
            "myhostname = mx.local.test\nmydestination = $myhostname, localhost\n"
            "inet_interfaces = loopback-only\nalias_maps =\nrecipient_delimiter = +\n" +
            extra)) {
    auto a = Agent::Create(cfg);
    EXPECT_TRUE(a.ok()) << a.status().message();
    if (a.ok()) agent = std::move(*a);
  }
  // Delivers `rcpt`; every pass is recorded and answered `answer`.
  std::vector<Target> Deliver(const std::string& rcpt, deliver_pass::Result answer = {
                                                           deliver_pass::Outcome::kDone, "", ""}) {
    Delivery d;
    d.message.sender = "x@example.org";
    d.message.recipient = rcpt;
    d.message.original = rcpt;
    d.message.content = [](const mailbox::LineFn&) { return util::OkStatus(); };
    d.forward = [this](const std::string&, const std::vector<std::string>& rcpts,
                       const std::string&) -> util::StatusOr<std::string> {
      forwarded.insert(forwarded.end(), rcpts.begin(), rcpts.end());
      return std::string("4ABC");
    };
    d.pass = [this, answer](const std::string& service, const std::string& address) {
      passed.emplace_back(service, address);
      return answer;
    };
    return agent->Deliver(d);
  }
  config::Config cfg;
  std::unique_ptr<Agent> agent;
  std::vector<std::pair<std::string, std::string>> passed;
  std::vector<std::string> forwarded;
};

// Names no account on any test machine has.
constexpr char kNobody[] = "nosuch-mt-a";

TEST(AgentTest, FallbackTransportTakesUnknownNamesBeforeLuserRelay) {
  AgentFixture f("fallback_transport = mytrans:nh\nluser_relay = catchall@example.org\n");
  std::vector<Target> out = f.Deliver(std::string(kNobody) + "+ext@localhost");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].reported);
  EXPECT_EQ(out[0].result.outcome, mailbox::Outcome::kSent);
  EXPECT_EQ(out[0].address, std::string(kNobody) + "+ext@localhost");
  ASSERT_EQ(f.passed.size(), 1u);
  EXPECT_EQ(f.passed[0], (std::pair<std::string, std::string>(
                             "mytrans:nh", std::string(kNobody) + "+ext@localhost")));
  EXPECT_TRUE(f.forwarded.empty());
}

TEST(AgentTest, MailboxTransportMapsByUserNameThenFallback) {
  AgentFixture f(std::string("mailbox_transport_maps = inline:{") + kNobody +
                 "=smtp:[127.0.0.1]:2525}\nfallback_transport_maps = inline:{" + kNobody +
                 "-b=relay}\n");
  f.Deliver(std::string(kNobody) + "+x@mx.local.test");
  f.Deliver(std::string(kNobody) + "-b@localhost");
  std::vector<Target> out = f.Deliver(std::string(kNobody) + "-c@localhost");
  ASSERT_EQ(f.passed.size(), 2u);
  EXPECT_EQ(f.passed[0].first, "smtp:[127.0.0.1]:2525");
  EXPECT_EQ(f.passed[1],
            (std::pair<std::string, std::string>("relay", std::string(kNobody) + "-b@localhost")));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].reported);
  EXPECT_EQ(out[0].result.outcome, mailbox::Outcome::kBounced);
  EXPECT_EQ(out[0].result.text, std::string("unknown user: \"") + kNobody + "-c\"");
}

TEST(AgentTest, AliasMembersArePassedOneByOne) {
  AgentFixture f(std::string("alias_maps = inline:{{team=") + kNobody + "-1, " + kNobody +
                 "-2}}\nmailbox_transport = t:\n");
  std::vector<Target> out = f.Deliver("team@localhost", {deliver_pass::Outcome::kDeferred, "", ""});
  ASSERT_EQ(f.passed.size(), 2u);
  EXPECT_EQ(f.passed[0],
            (std::pair<std::string, std::string>("t:", std::string(kNobody) + "-1@mx.local.test")));
  EXPECT_EQ(f.passed[1].second, std::string(kNobody) + "-2@mx.local.test");
  ASSERT_EQ(out.size(), 2u);
  for (const Target& t : out) {
    EXPECT_TRUE(t.reported);
    EXPECT_EQ(t.result.outcome, mailbox::Outcome::kDeferred);
  }
}

TEST(AgentTest, UnreachableTransportDefersWithRelayNone) {
  AgentFixture f("mailbox_transport = gone\n");
  std::vector<Target> out = f.Deliver(
      "root@localhost", {deliver_pass::Outcome::kFailed, "4.3.0", "mail transport unavailable"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].reported);
  EXPECT_EQ(out[0].relay, "none");
  EXPECT_EQ(out[0].result.outcome, mailbox::Outcome::kDeferred);
  EXPECT_EQ(out[0].result.dsn, "4.3.0");
  EXPECT_EQ(out[0].result.text, "mail transport unavailable");
}

TEST(AgentTest, TableLookupFailureDefers) {
  AgentFixture f("mailbox_transport_maps = fail:broken\n");
  std::vector<Target> out = f.Deliver(std::string(kNobody) + "@localhost");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].result.outcome, mailbox::Outcome::kDeferred);
  EXPECT_EQ(out[0].result.text, "table lookup failure");
  EXPECT_TRUE(f.passed.empty());
}

TEST(AgentTest, RequiredAliasesAreDiscardedWhenMissing) {
  AgentFixture f("");
  for (const char* r : {"postmaster@localhost", "MAILER-DAEMON@mx.local.test"}) {
    std::vector<Target> out = f.Deliver(r);
    ASSERT_EQ(out.size(), 1u) << r;
    EXPECT_EQ(out[0].result.outcome, mailbox::Outcome::kSent) << r;
    EXPECT_EQ(out[0].result.text, "discarded") << r;
  }
}

}  // namespace
}  // namespace local_agent

// Unit tests of local(8)'s pieces that need no accounts: forward_path
// expansion and running commands with Postfix's exit status mapping.
#include <gtest/gtest.h>
#include <unistd.h>

#include "local/agent.h"
#include "local/command.h"

namespace local_agent {
namespace {

TEST(ExpandLocalTest, NamesAndConditionals) {
  auto vars = [](std::string_view n) -> std::string {
    if (n == "home") return "/srv/u/bob";
    if (n == "user") return "bob";
    if (n == "extension") return "lists";
    if (n == "recipient_delimiter") return "+";
    return "";
  };
  EXPECT_EQ(ExpandLocal("$home/.forward${recipient_delimiter}${extension}", vars),
            "/srv/u/bob/.forward+lists");
  EXPECT_EQ(ExpandLocal("${extension?x-$user}${domain:none}$(user)", vars), "x-bobnonebob");
  EXPECT_EQ(ExpandLocal("${domain?never}$nosuch.", vars), ".");
}

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

}  // namespace
}  // namespace local_agent

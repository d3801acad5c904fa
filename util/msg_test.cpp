#include "util/msg.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <regex>

#include "util/files.h"
#include "util/scratch_dir.h"

namespace msg {
namespace {

class MsgTest : public testing::Test {
 protected:
  void SetUp() override {
    Init("/usr/libexec/postfix/smtpd");
    SetSyslogName("postfix");
    UseStderr(false);
  }
  void TearDown() override {
    UseFile("");
    UseStderr(true);
  }
  std::string ReadLog() {
    auto text = util::ReadFile(dir_.Path("maillog"), 1 << 20);
    return text.ok() ? *text : std::string();
  }
  util::testing::ScratchDir dir_;
};

TEST_F(MsgTest, FileLinesHavePostfixFormat) {
  ASSERT_TRUE(UseFile(dir_.Path("maillog")));
  Info("connect from localhost[127.0.0.1]");
  Warn("table %s has changed", "hash:/x");
  Error("bad thing");
  std::string log = ReadLog();
  std::string pid = std::to_string(getpid());
  // "Nov 21 10:12:43 host postfix/smtpd[123]: text"
  std::regex line("[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [^ .]+ postfix/smtpd\\[" +
                  pid + "\\]: (.*)\n");
  std::vector<std::string> texts;
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it)
    texts.push_back((*it)[1]);
  EXPECT_EQ(texts,
            (std::vector<std::string>{"connect from localhost[127.0.0.1]",
                                      "warning: table hash:/x has changed", "error: bad thing"}))
      << log;
}

TEST_F(MsgTest, SyslogNameAppliesToFileLines) {
  SetSyslogName("postfix/submission");
  EXPECT_NE(FormatFileLine("x").find(" postfix/submission/smtpd["), std::string::npos);
}

TEST_F(MsgTest, UnopenableFileIsReported) {
  EXPECT_FALSE(UseFile(dir_.Path("no/such/dir/maillog")));
}

TEST_F(MsgTest, VerboseLevel) {
  SetVerbose(0);
  EXPECT_EQ(Verbose(), 0);
  SetVerbose(2);
  EXPECT_EQ(Verbose(), 2);
  SetVerbose(0);
}

TEST(MsgDeathTest, FatalWritesStderrAndExits1) {
  EXPECT_EXIT(
      {
        Init("postconf");
        Fatal("open %s: %s", "/etc/postfix/main.cf", "No such file or directory");
      },
      testing::ExitedWithCode(1),
      "^postconf: fatal: open /etc/postfix/main.cf: No such file or directory\n$");
}

TEST(MsgDeathTest, FatalStatusUsesTheGivenStatusAndRunsTheCleanup) {
  EXPECT_EXIT(
      {
        Init("postqueue");
        SetFatalCleanup([] { fprintf(stderr, "cleanup ran\n"); });
        FatalStatus(69, "Queue report unavailable - mail system is down");
      },
      testing::ExitedWithCode(69),
      "postqueue: fatal: Queue report unavailable - mail system is down\ncleanup ran");
}

TEST(MsgDeathTest, PanicAborts) {
  EXPECT_DEATH(
      {
        Init("qmgr");
        Panic("broken invariant");
      },
      "qmgr: panic: broken invariant");
}

}  // namespace
}  // namespace msg

#include "global/maillog.h"

#include <gtest/gtest.h>

namespace maillog {
namespace {

TEST(MaillogTest, PathAllowed) {
  struct {
    const char* path;
    const char* prefixes;
    bool want;
  } rows[] = {
      {"/var/log/mail.log", "/var, /dev/stdout", true}, {"/dev/stdout", "/var, /dev/stdout", true},
      {"/tmp/mail.log", "/var, /dev/stdout", false},    {"/tmp/mail.log", "", false},
      {"/tmp/x/mail.log", "/var /tmp/x", true},         {"relative.log", "/var", false},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(PathAllowed(row.path, row.prefixes), row.want) << row.path << " in " << row.prefixes;
  }
}

TEST(MaillogTest, CheckMaillogFileAndSocketPath) {
  config::Config cfg;
  cfg.Set("queue_directory", "/q");
  EXPECT_EQ(PostlogSocketPath(cfg), "/q/public/postlog");
  cfg.Set("postlog_service_name", "log2");
  EXPECT_EQ(PostlogSocketPath(cfg), "/q/public/log2");

  EXPECT_TRUE(CheckMaillogFile(cfg).ok());  // empty maillog_file: syslog
  cfg.Set("maillog_file", "/var/log/postfix.log");
  EXPECT_TRUE(CheckMaillogFile(cfg).ok());
  cfg.Set("maillog_file", "/tmp/postfix.log");
  util::Status st = CheckMaillogFile(cfg);
  EXPECT_EQ(st.code(), util::Code::kFailedPrecondition);
  EXPECT_EQ(st.message(),
            "maillog_file value '/tmp/postfix.log' does not match any prefix in "
            "maillog_file_prefixes (/var, /dev/stdout)");
}

}  // namespace
}  // namespace maillog

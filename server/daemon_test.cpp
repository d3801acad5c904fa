#include "server/daemon.h"

#include <gtest/gtest.h>

namespace server {
namespace {

TEST(DaemonTest, ParseArgs) {
  using Overrides = std::vector<std::pair<std::string, std::string>>;
  struct {
    const char* name;
    std::vector<std::string> argv;
    Args want;
  } rows[] = {
      {"defaults",
       {"/usr/libexec/postfix/smtpd"},
       {.program = "smtpd", .service_name = "smtpd", .service_type = "unix"}},
      {"master's line",
       {"smtpd", "-n", "127.0.0.1:2525", "-t", "inet", "-s", "2", "-u", "-c", "-o",
        "syslog_name=postfix/submission", "-o", " smtpd_tls_security_level = encrypt ", "-v"},
       {.program = "smtpd",
        .service_name = "127.0.0.1:2525",
        .service_type = "inet",
        .listen_count = 2,
        .unprivileged = true,
        .chroot = true,
        .verbose = 1,
        .overrides = Overrides{{"syslog_name", "postfix/submission"},
                               {"smtpd_tls_security_level", "encrypt"}}}},
      {"clustered flags and attached values",
       {"qmgr", "-uvv", "-nqmgr", "-tfifo", "-ofoo="},
       {.program = "qmgr",
        .service_name = "qmgr",
        .service_type = "fifo",
        .unprivileged = true,
        .verbose = 2,
        .overrides = Overrides{{"foo", ""}}}},
      {"ignored Postfix flags, stand-alone",
       {"echo", "-d", "-D", "-l", "-V", "-z", "-S"},
       {.program = "echo", .service_name = "echo", .service_type = "unix", .standalone = true}},
      {"arguments after the options",
       {"pipe", "-n", "x", "flags=R", "-v", "argv=/bin/cat"},
       {.program = "pipe",
        .service_name = "x",
        .service_type = "unix",
        .extra = {"flags=R", "-v", "argv=/bin/cat"}}},
      {"double dash",
       {"p", "--", "-v"},
       {.program = "p", .service_name = "p", .service_type = "unix", .extra = {"-v"}}},
      {"value with '='",
       {"p", "-o", "a=b=c"},
       {.program = "p",
        .service_name = "p",
        .service_type = "unix",
        .overrides = Overrides{{"a", "b=c"}}}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    util::StatusOr<Args> got = ParseArgs(row.argv);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(got->program, row.want.program);
    EXPECT_EQ(got->service_name, row.want.service_name);
    EXPECT_EQ(got->service_type, row.want.service_type);
    EXPECT_EQ(got->listen_count, row.want.listen_count);
    EXPECT_EQ(got->unprivileged, row.want.unprivileged);
    EXPECT_EQ(got->chroot, row.want.chroot);
    EXPECT_EQ(got->standalone, row.want.standalone);
    EXPECT_EQ(got->verbose, row.want.verbose);
    EXPECT_EQ(got->overrides, row.want.overrides);
    EXPECT_EQ(got->extra, row.want.extra);
  }
}

TEST(DaemonTest, ParseArgsErrors) {
  struct {
    std::vector<std::string> argv;
    const char* want;
  } rows[] = {
      {{"p", "-x"}, "invalid option -- 'x'"},
      {{"p", "-vq"}, "invalid option -- 'q'"},
      {{"p", "-n"}, "option requires an argument -- 'n'"},
      {{"p", "-t", "inet6"}, "unknown service type: \"inet6\""},
      {{"p", "-s", "0"}, "bad -s argument: \"0\""},
      {{"p", "-s", "two"}, "bad -s argument: \"two\""},
      {{"p", "-o", "name"}, "bad -o argument: \"name\" (want name=value)"},
      {{"p", "-o", "=value"}, "bad -o argument: \"=value\" (want name=value)"},
  };
  for (const auto& row : rows) {
    util::StatusOr<Args> got = ParseArgs(row.argv);
    ASSERT_FALSE(got.ok()) << row.want;
    EXPECT_EQ(got.status().code(), util::Code::kInvalidArgument);
    EXPECT_EQ(got.status().message(), row.want);
  }
}

}  // namespace
}  // namespace server

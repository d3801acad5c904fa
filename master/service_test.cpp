#include "master/service.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>

namespace master {
namespace {

Settings TestSettings() {
  Settings s;
  s.daemon_directory = "/usr/libexec/postfix";
  s.queue_directory = "/q";
  s.default_process_limit = 100;
  s.inet_interfaces = {"all"};
  s.protocols = util::InetProtocols::kIpv4;
  return s;
}

ServiceSpec Build(const std::string& line, const Settings& s = TestSettings()) {
  std::vector<std::string> warnings;
  auto cf = config::MasterCf::Parse(line + "\n", "master.cf", &warnings);
  EXPECT_TRUE(cf.ok()) << cf.status().message();
  auto spec = BuildSpec(cf->entries().at(0), s);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? *spec : ServiceSpec{};
}

std::vector<std::string> Endpoints(const ServiceSpec& spec) {
  std::vector<std::string> out;
  for (const Endpoint& e : spec.endpoints) out.push_back(e.Describe());
  return out;
}

TEST(BuildSpecTest, Endpoints) {
  Settings loopback = TestSettings();
  loopback.inet_interfaces = {"127.0.0.1"};
  Settings both = TestSettings();
  both.protocols = util::InetProtocols::kAll;
  both.inet_interfaces = {"loopback-only"};
  struct Case {
    std::string name, line;
    Settings settings;
    std::vector<std::string> want;
  } cases[] = {
      {"port, all interfaces", "2525 inet n - n - - smtpd", TestSettings(), {"inet 0.0.0.0:2525"}},
      {"service name", "smtp inet n - n - - smtpd", TestSettings(), {"inet 0.0.0.0:25"}},
      {"inet_interfaces list", "submission inet n - n - - smtpd", loopback, {"inet 127.0.0.1:587"}},
      {"loopback-only, both families",
       "2525 inet n - n - - smtpd",
       both,
       {"inet 127.0.0.1:2525", "inet [::1]:2525"}},
      {"host:port ignores inet_interfaces",
       "127.0.0.2:2526 inet n - n - - smtpd",
       loopback,
       {"inet 127.0.0.2:2526"}},
      {"ipv6 host", "[::1]:2527 inet n - n - - smtpd", both, {"inet [::1]:2527"}},
      {"private unix",
       "cleanup unix - - n - 0 cleanup",
       TestSettings(),
       {"unix /q/private/cleanup 0600 1"}},
      {"public unix",
       "pickup unix n - n 60 1 pickup",
       TestSettings(),
       {"unix /q/public/pickup 0666 0"}},
      {"unix-dgram",
       "postlog unix-dgram n - n - 1 postlogd",
       TestSettings(),
       {"unix-dgram /q/public/postlog 0666 0"}},
      {"fifo", "pickup fifo n - n 60 1 pickup", TestSettings(), {"fifo /q/public/pickup 0622 0"}},
      {"pass", "smtpd pass - - n - - smtpd", TestSettings(), {"unix /q/private/smtpd 0600 1"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Endpoints(Build(c.line, c.settings)), c.want) << c.name;
  }
}

TEST(BuildSpecTest, BadInetNames) {
  struct Case {
    std::string line, want;
  } cases[] = {
      {"nosuchservice inet n - n - - smtpd", "master.cf, line 1: service nosuchservice/inet: "},
      {"[::1 inet n - n - - smtpd", "master.cf, line 1: service [::1/inet: "},
  };
  for (const Case& c : cases) {
    std::vector<std::string> warnings;
    auto cf = config::MasterCf::Parse(c.line + "\n", "master.cf", &warnings);
    ASSERT_TRUE(cf.ok());
    auto spec = BuildSpec(cf->entries().at(0), TestSettings());
    ASSERT_FALSE(spec.ok()) << c.line;
    EXPECT_EQ(spec.status().message().rfind(c.want, 0), 0u) << spec.status().message();
  }
}

TEST(BuildSpecTest, CommandLine) {
  Settings verbose = TestSettings();
  verbose.verbose = 1;
  struct Case {
    std::string name, line;
    Settings settings;
    std::string path;
    std::vector<std::string> argv;
    int max_proc;
  } cases[] = {
      {"defaults",
       "rewrite unix - - n - - trivial-rewrite",
       TestSettings(),
       "/usr/libexec/postfix/trivial-rewrite",
       {"trivial-rewrite", "-n", "rewrite", "-t", "unix", "-s", "1", "-u"},
       100},
      {"overrides and args",
       "relay unix - n y - 7 smtp -o a=b -v -o {c = d e}",
       verbose,
       "/usr/libexec/postfix/smtp",
       {"smtp", "-n", "relay", "-t", "unix", "-s", "1", "-c", "-o", "a=b", "-o", "c=d e", "-v",
        "-v"},
       7},
      {"absolute command, unlimited",
       "x unix - - n - 0 /bin/false",
       TestSettings(),
       "/bin/false",
       {"/bin/false", "-n", "x", "-t", "unix", "-s", "1", "-u"},
       0},
  };
  for (const Case& c : cases) {
    ServiceSpec s = Build(c.line, c.settings);
    EXPECT_EQ(s.path, c.path) << c.name;
    EXPECT_EQ(s.argv, c.argv) << c.name;
    EXPECT_EQ(s.max_proc, c.max_proc) << c.name;
  }
}

TEST(BuildSpecTest, Wakeup) {
  EXPECT_EQ(Build("pickup unix n - n 60 1 pickup").wakeup, 60);
  EXPECT_FALSE(Build("pickup unix n - n 60 1 pickup").wakeup_if_used);
  EXPECT_TRUE(Build("flush unix n - n 1000? 0 flush").wakeup_if_used);
  EXPECT_EQ(Build("flush unix n - n - 0 flush").wakeup, 0);
}

TEST(PlanReloadTest, Diff) {
  std::vector<ServiceSpec> before = {Build("a unix - - n - - x"), Build("b unix - - n - - x"),
                                     Build("c unix - - n - - x"), Build("2525 inet n - n - - x")};
  std::vector<ServiceSpec> after = {Build("a unix - - n - - x"), Build("b unix - - n - 5 x"),
                                    Build("d unix - - n - - x"), Build("2525 inet n - n - - x -v")};
  ReloadPlan p = PlanReload(before, after);
  EXPECT_EQ(p.added, std::vector<std::string>{"d/unix"});
  EXPECT_EQ(p.removed, std::vector<std::string>{"c/unix"});
  EXPECT_EQ(p.changed, (std::vector<std::string>{"2525/inet", "b/unix"}));
  EXPECT_EQ(p.unchanged, std::vector<std::string>{"a/unix"});
}

TEST(DecisionTest, ShouldListen) {
  struct Case {
    std::string name;
    int avail, total, inherited, max_proc;
    bool throttled, want;
  } cases[] = {
      {"idle service", 0, 0, 0, 10, false, true},
      {"a child is available", 1, 1, 0, 10, false, false},
      {"all busy, room left", 0, 3, 0, 10, false, true},
      {"at the limit", 0, 10, 0, 10, false, false},
      {"old generation counts", 0, 0, 1, 1, false, false},
      {"unlimited", 0, 5000, 0, 0, false, true},
      {"throttled", 0, 0, 0, 10, true, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ShouldListen(c.avail, c.total, c.inherited, c.max_proc, c.throttled), c.want)
        << c.name;
  }
}

TEST(DecisionTest, ThrottleAndExitMessages) {
  const int exit0 = 0, exit1 = 1 << 8, killed9 = SIGKILL;
  struct Case {
    std::string name;
    int status, use_count;
    bool throttle;
    std::string message;
  } cases[] = {
      {"clean exit", exit0, 0, false, ""},
      {"startup failure", exit1, 0, true, "process /p pid 12 exit status 1"},
      {"failure after serving", exit1, 3, false, "process /p pid 12 exit status 1"},
      {"killed before serving", killed9, 0, true, "process /p pid 12 killed by signal 9"},
      {"killed while serving", killed9, 1, false, "process /p pid 12 killed by signal 9"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ShouldThrottle(c.status, c.use_count), c.throttle) << c.name;
    EXPECT_EQ(DescribeExit("/p", 12, c.status), c.message) << c.name;
  }
}

}  // namespace
}  // namespace master

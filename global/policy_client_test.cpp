#include "global/policy_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "util/msg.h"
#include "util/scratch_dir.h"
#include "util/sockets.h"
#include "util/strings.h"

namespace policy_client {
namespace {

std::vector<std::string>& Logs() {
  static std::vector<std::string> logs;
  return logs;
}
void Hook(msg::Level, std::string_view line) { Logs().emplace_back(line); }

// A policy server on a UNIX socket: answers each request with `reply`
// (closing the connection after each when hang_up), records the requests
// and counts connections.
class Server {
 public:
  Server(const std::string& path, std::string reply, bool hang_up = false)
      : reply_(std::move(reply)), hang_up_(hang_up) {
    auto l = util::ListenUnix(path, 0600);
    EXPECT_TRUE(l.ok()) << l.status().message();
    listener_ = std::move(*l);
    thread_ = std::thread([this] { Run(); });
  }
  ~Server() {
    stop_ = true;
    shutdown(listener_.get(), SHUT_RDWR);
    thread_.join();
  }
  std::vector<std::string> requests;
  std::atomic<int> connections{0};

 private:
  void Run() {
    while (!stop_) {
      auto c = util::Accept(listener_.get());
      if (!c.ok()) return;
      connections++;
      util::Stream s(std::move(*c));
      s.set_timeout(5);
      std::string request, line;
      while (s.ReadLine(&line, 4096).ok()) {
        request += line + "\n";
        if (!line.empty()) continue;
        requests.push_back(request);
        request.clear();
        (void)s.Write(reply_);
        (void)s.Flush();
        if (hang_up_) break;
      }
    }
  }
  util::Fd listener_;
  std::string reply_;
  bool hang_up_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Options Fast() {
  Options o;
  o.timeout = 5;
  o.retry_delay = 0;
  return o;
}

TEST(PolicyClientTest, RequestAndActionOverOneKeptConnection) {
  util::testing::ScratchDir dir;
  Server server(dir.path() + "/policy", "action=DEFER_IF_PERMIT Greylisted,\rsee x\n\n");
  Client c("unix:" + dir.path() + "/policy", Fast());
  for (int i = 0; i < 2; i++) {
    util::StatusOr<std::string> a =
        c.Query({{"request", "smtpd_access_policy"}, {"sender", "a@b\r\nx=y"}});
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_EQ(*a, "DEFER_IF_PERMIT Greylisted,?see x");  // no CR reaches a reply
  }
  EXPECT_EQ(server.connections, 1);
  ASSERT_EQ(server.requests.size(), 2u);
  // A value is one line, whatever it holds.
  EXPECT_EQ(server.requests[0], "request=smtpd_access_policy\nsender=a@b  x=y\n\n");
}

TEST(PolicyClientTest, AServerThatHangsUpIsAskedAgainOnANewConnection) {
  util::testing::ScratchDir dir;
  Server server(dir.path() + "/policy", "action=DUNNO\n\n", /*hang_up=*/true);
  Client c("unix:" + dir.path() + "/policy", Fast());
  for (int i = 0; i < 3; i++) {
    util::StatusOr<std::string> a = c.Query({{"request", "smtpd_access_policy"}});
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_EQ(*a, "DUNNO");
  }
  EXPECT_EQ(server.requests.size(), 3u);
  EXPECT_EQ(server.connections, 3);
}

TEST(PolicyClientTest, RequestLimitOpensANewConnection) {
  util::testing::ScratchDir dir;
  Server server(dir.path() + "/policy", "action=OK\n\n");
  Options o = Fast();
  o.request_limit = 1;
  Client c("unix:" + dir.path() + "/policy", o);
  for (int i = 0; i < 3; i++) ASSERT_TRUE(c.Query({{"request", "smtpd_access_policy"}}).ok());
  EXPECT_EQ(server.connections, 3);
}

TEST(PolicyClientTest, FailuresAfterTryLimitAreLogged) {
  Logs().clear();
  msg::SetHook(&Hook);
  util::testing::ScratchDir dir;
  Client none("unix:" + dir.path() + "/nothing", Fast());
  EXPECT_FALSE(none.Query({{"request", "smtpd_access_policy"}}).ok());
  Server server(dir.path() + "/policy", "status=fine\n\n");
  Client no_action("unix:" + dir.path() + "/policy", Fast());
  util::StatusOr<std::string> a = no_action.Query({{"request", "smtpd_access_policy"}});
  EXPECT_FALSE(a.ok());
  EXPECT_EQ(server.requests.size(), 2u);  // try_limit 2
  msg::SetHook(nullptr);
  std::string all = util::Join(Logs(), "\n");
  EXPECT_NE(all.find("problem talking to server " + dir.path() + "/nothing: "), std::string::npos)
      << all;
  EXPECT_NE(all.find("missing attribute action"), std::string::npos) << all;
}

TEST(PolicyClientTest, ServiceSpecs) {
  Options d;
  auto plain = ParseService("inet:127.0.0.1:10023", d);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->endpoint, "inet:127.0.0.1:10023");
  EXPECT_EQ(plain->options.timeout, 100);
  for (const char* spec : {"{ unix:private/policy, timeout=10s, default_action=DUNNO, "
                           "policy_context=submission, try_limit=1 }",
                           "unix:private/policy, timeout=10s, default_action=DUNNO "
                           "policy_context=submission try_limit=1"}) {
    auto o = ParseService(spec, d);
    ASSERT_TRUE(o.ok()) << spec << ": " << o.status().message();
    EXPECT_EQ(o->endpoint, "unix:private/policy");
    EXPECT_EQ(o->options.timeout, 10);
    EXPECT_EQ(o->options.default_action, "DUNNO");
    EXPECT_EQ(o->options.policy_context, "submission");
    EXPECT_EQ(o->options.try_limit, 1);
    EXPECT_EQ(o->options.max_idle, 300);
  }
  for (const char* bad : {"", "{}", "private/policy", "tcp:127.0.0.1:1", "inet:x:1, timeout=soon",
                          "inet:x:1, nosuch=1", "inet:x:1, try_limit=0", "{ inet:x:1"}) {
    EXPECT_FALSE(ParseService(bad, d).ok()) << bad;
  }
}

}  // namespace
}  // namespace policy_client

#include "tables/mysql_hosts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace tables {
namespace {

using Kind = MysqlHost::Kind;

TEST(ParseMysqlHostsTest, Forms) {
  struct Want {
    Kind kind;
    std::string host, socket;
    int port;
  };
  struct Case {
    std::string name, text;
    std::vector<Want> want;
  };
  const Case cases[] = {
      {"empty means localhost", "", {{Kind::kInet, "localhost", "", 0}}},
      {"unix",
       "unix:/run/mysqld/mysqld.sock",
       {{Kind::kUnix, "localhost", "/run/mysqld/mysqld.sock", 0}}},
      {"inet with port", "inet:db1.example:3307", {{Kind::kInet, "db1.example", "", 3307}}},
      {"inet without port", "inet:db1.example", {{Kind::kInet, "db1.example", "", 0}}},
      {"bare host", "127.0.0.1", {{Kind::kInet, "127.0.0.1", "", 0}}},
      {"bare host:port", "127.0.0.1:3306", {{Kind::kInet, "127.0.0.1", "", 3306}}},
      {"ipv6", "[::1]:3307", {{Kind::kInet, "::1", "", 3307}}},
      {"list",
       "db1, unix:/tmp/s\tinet:db2:4000",
       {{Kind::kInet, "db1", "", 0},
        {Kind::kUnix, "localhost", "/tmp/s", 0},
        {Kind::kInet, "db2", "", 4000}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto hosts = ParseMysqlHosts(c.text);
    ASSERT_TRUE(hosts.ok()) << hosts.status().message();
    ASSERT_EQ(hosts->size(), c.want.size());
    for (size_t i = 0; i < c.want.size(); ++i) {
      EXPECT_EQ((*hosts)[i].kind, c.want[i].kind);
      EXPECT_EQ((*hosts)[i].host, c.want[i].host);
      EXPECT_EQ((*hosts)[i].socket, c.want[i].socket);
      EXPECT_EQ((*hosts)[i].port, c.want[i].port);
    }
  }
}

TEST(ParseMysqlHostsTest, Errors) {
  struct Case {
    std::string text, want_prefix;
  };
  const Case cases[] = {
      {"unix:", "bad mysql host \"unix:\": empty socket path"},
      {"inet:", "bad mysql host \"inet:\": "},
      {"db:99999", "bad mysql host \"db:99999\": "},
      {"ok, :3306", "bad mysql host \":3306\": "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto hosts = ParseMysqlHosts(c.text);
    ASSERT_FALSE(hosts.ok());
    EXPECT_EQ(hosts.status().code(), util::Code::kFailedPrecondition);
    EXPECT_EQ(hosts.status().message().substr(0, c.want_prefix.size()), c.want_prefix)
        << hosts.status().message();
  }
}

class HostRotationTest : public ::testing::Test {
 protected:
  HostRotation Make(const std::string& hosts, uint32_t seed = 1) {
    return HostRotation(
        *ParseMysqlHosts(hosts), {1, 60}, [this] { return now_; }, seed);
  }
  static std::function<bool(size_t)> None() {
    return [](size_t) { return false; };
  }
  double now_ = 1000;
};

TEST_F(HostRotationTest, UnixSocketsFirstThenRandomTcp) {
  std::set<std::vector<size_t>> seen;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    HostRotation rot = Make("a b unix:/s1 c unix:/s2", seed);
    std::vector<size_t> order = rot.Order(None());
    ASSERT_EQ(order.size(), 5u);
    std::set<size_t> first2(order.begin(), order.begin() + 2);
    EXPECT_EQ(first2, (std::set<size_t>{2, 4}));  // the two sockets lead
    seen.insert(order);
  }
  EXPECT_GT(seen.size(), 3u);  // the order is random
}

TEST_F(HostRotationTest, ConnectedHostsPreferred) {
  HostRotation rot = Make("a b c");
  for (int n = 0; n < 10; ++n) {
    std::vector<size_t> order = rot.Order([](size_t i) { return i == 2; });
    ASSERT_EQ(order.size(), 3u);
    EXPECT_EQ(order[0], 2u);
  }
}

TEST_F(HostRotationTest, BackoffDoublesUpToTheMaximumAndResetsOnSuccess) {
  HostRotation rot = Make("a b");
  struct Step {
    std::string name;
    double advance;                          // clock step before the action
    enum { kFail, kSucceed, kNone } action;  // on host 0
    bool want_resting;                       // host 0 after the action
    double want_left;
  };
  const Step steps[] = {
      {"first failure rests 1s", 0, Step::kFail, true, 1},
      {"still resting", 0.5, Step::kNone, true, 0.5},
      {"back after 1s", 0.5, Step::kNone, false, 0},
      {"second failure rests 2s", 0, Step::kFail, true, 2},
      {"third failure rests 4s", 2, Step::kFail, true, 4},
      {"fourth 8s", 4, Step::kFail, true, 8},
      {"fifth 16s", 8, Step::kFail, true, 16},
      {"sixth 32s", 16, Step::kFail, true, 32},
      {"seventh capped at 60s", 32, Step::kFail, true, 60},
      {"eighth still 60s", 60, Step::kFail, true, 60},
      {"success resets", 60, Step::kSucceed, false, 0},
      {"next failure rests 1s again", 0, Step::kFail, true, 1},
  };
  for (const Step& s : steps) {
    SCOPED_TRACE(s.name);
    now_ += s.advance;
    if (s.action == Step::kFail) rot.Failed(0, "gone");
    if (s.action == Step::kSucceed) rot.Succeeded(0);
    EXPECT_EQ(rot.Resting(0), s.want_resting);
    EXPECT_DOUBLE_EQ(rot.RestLeft(0), s.want_left);
    std::vector<size_t> order = rot.Order(None());
    bool listed = std::find(order.begin(), order.end(), 0u) != order.end();
    EXPECT_EQ(listed, !s.want_resting);
    EXPECT_NE(std::find(order.begin(), order.end(), 1u), order.end());
  }
  EXPECT_EQ(rot.last_error(0), "gone");
}

TEST_F(HostRotationTest, AllResting) {
  HostRotation rot = Make("unix:/s a");
  rot.Failed(0, "x");
  rot.Failed(1, "y");
  EXPECT_TRUE(rot.Order(None()).empty());
  now_ += 1;
  EXPECT_EQ(rot.Order(None()), (std::vector<size_t>{0, 1}));
}

}  // namespace
}  // namespace tables

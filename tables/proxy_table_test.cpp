#include "tables/proxy_table.h"

#include <fcntl.h>
#include <poll.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "tables/proxy_protocol.h"
#include "tables/registry.h"
#include "tables/table_testing.h"
#include "util/files.h"
#include "util/scratch_dir.h"
#include "util/sockets.h"
#include "util/stream.h"

namespace tables {
namespace {

using namespace tables::testing;
using util::testing::ScratchDir;

// What the test server does with the n-th request (counted from 0) it reads.
struct Action {
  bool close = false;  // close the connection without replying
  ProxyReply reply;
};
using Behaviour = std::function<Action(const ProxyRequest& req, int n)>;

// A proxymap stand-in on DIR/private/SERVICE speaking proxy_protocol.h.
class TestServer {
 public:
  TestServer(const std::string& path, Behaviour behaviour) : behaviour_(std::move(behaviour)) {
    auto fd = util::ListenUnix(path, 0600);
    EXPECT_TRUE(fd.ok()) << fd.status().message();
    listen_ = std::move(*fd);
    thread_ = std::thread([this] { Run(); });
  }
  ~TestServer() {
    stop_ = true;
    thread_.join();
  }
  int requests() const { return count_; }
  std::vector<ProxyRequest> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  bool WaitReadable(int fd) {
    while (!stop_) {
      struct pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }
  void Run() {
    while (WaitReadable(listen_.get())) {
      auto conn = util::Accept(listen_.get());
      if (!conn.ok()) continue;
      util::Stream s(std::move(*conn));
      util::AttrDecoder dec;
      util::AttrList list;
      for (bool open = true; open;) {
        util::StatusOr<bool> got = dec.Next(&list);
        if (!got.ok()) break;
        if (!*got) {
          if (!WaitReadable(s.fd())) return;
          std::string chunk;
          if (!s.ReadSome(&chunk).ok()) break;
          dec.Feed(chunk);
          continue;
        }
        auto req = DecodeProxyRequest(list);
        ASSERT_TRUE(req.ok()) << req.status().message();
        {
          std::lock_guard<std::mutex> lock(mu_);
          seen_.push_back(*req);
        }
        Action a = behaviour_(*req, count_++);
        if (a.close) break;
        s.Write(util::EncodeAttrList(EncodeProxyReply(a.reply)));
        open = s.Flush().ok();
      }
    }
  }

  Behaviour behaviour_;
  util::Fd listen_;
  std::atomic<bool> stop_{false};
  std::atomic<int> count_{0};
  mutable std::mutex mu_;
  std::vector<ProxyRequest> seen_;
  std::thread thread_;
};

// The found / not found / temporary / denied server: keys name the answer.
Action ByKey(const ProxyRequest& req, int) {
  if (req.key == "found") return {false, {ProxyStatus::kOk, "value of " + req.table, {}}};
  if (req.key == "temp") return {false, {ProxyStatus::kRetry, "database down", {}}};
  if (req.key == "denied") return {false, {ProxyStatus::kDenied, "", {}}};
  if (req.key == "bad") return {false, {ProxyStatus::kBad, "", {}}};
  return {false, {ProxyStatus::kNotFound, "", {}}};
}

class ProxyTableTest : public ::testing::Test {
 protected:
  ProxyTableTest() {
    util::MakeDirs(dir_.path() + "/private", 0700);
    options_.params = [this](std::string_view name) -> std::optional<std::string> {
      if (name == "queue_directory") return dir_.path();
      if (name == "ipc_timeout") return "10s";
      return std::nullopt;
    };
  }
  std::unique_ptr<Table> OpenTable(const std::string& spec) {
    auto t = Open(spec, options_);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? std::move(*t) : nullptr;
  }
  std::string Socket(const std::string& service = "proxymap") {
    return dir_.path() + "/private/" + service;
  }

  ScratchDir dir_;
  OpenOptions options_;
};

TEST_F(ProxyTableTest, LookupOutcomes) {
  TestServer server(Socket(), ByKey);
  WarningCapture warnings;
  auto t = OpenTable("proxy:hash:/etc/postfix/virtual");
  ASSERT_TRUE(t);
  struct Row {
    const char* key;
    LookupResult want;
  } rows[] = {
      {"found", LookupResult::Found("value of hash:/etc/postfix/virtual")},
      {"nothing", LookupResult::NotFound()},
      {"temp", LookupResult::TempError("proxy:hash:/etc/postfix/virtual: table lookup failed: "
                                       "database down")},
      {"denied", LookupResult::TempError("proxymap service is not configured for table "
                                         "\"hash:/etc/postfix/virtual\"")},
      {"bad", LookupResult::TempError("proxymap service rejected the request for "
                                      "proxy:hash:/etc/postfix/virtual")},
      {"found", LookupResult::Found("value of hash:/etc/postfix/virtual")},
  };
  for (const Row& r : rows) {
    LookupResult got = t->Lookup(r.key);
    EXPECT_EQ(got.kind, r.want.kind) << r.key;
    EXPECT_EQ(got.value, r.want.value) << r.key;
  }
  EXPECT_EQ(server.requests(), 6);
  ASSERT_EQ(server.seen().size(), 6u);
  EXPECT_EQ(server.seen()[0], (ProxyRequest{ProxyOp::kLookup, "hash:/etc/postfix/virtual",
                                            kDefaultLookupFlags, "found", ""}));
  EXPECT_EQ(warnings.texts().size(), 2u);  // denied and bad are logged
}

TEST_F(ProxyTableTest, NoServer) {
  auto t = OpenTable("proxy:hash:/etc/postfix/virtual");
  ASSERT_TRUE(t);
  LookupResult got = t->Lookup("k");
  EXPECT_TRUE(got.temp_error());
  EXPECT_EQ(got.value, "proxymap service is not available: connect to " + Socket() +
                           ": No such file or directory");
}

TEST_F(ProxyTableTest, ServerClosesOnceThenAnswers) {
  TestServer server(Socket(), [](const ProxyRequest& req, int n) {
    if (n == 1) return Action{true, {}};  // the second request: connection dropped
    return ByKey(req, n);
  });
  auto t = OpenTable("proxy:hash:/x");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->Lookup("found").found());
  LookupResult again = t->Lookup("found");  // reconnects and resends
  EXPECT_TRUE(again.found()) << again.value;
  EXPECT_EQ(server.requests(), 3);
}

TEST_F(ProxyTableTest, ServerAlwaysCloses) {
  TestServer server(Socket(), [](const ProxyRequest&, int) { return Action{true, {}}; });
  auto t = OpenTable("proxy:hash:/x");
  ASSERT_TRUE(t);
  LookupResult got = t->Lookup("k");
  EXPECT_TRUE(got.temp_error());
  EXPECT_EQ(got.value,
            "proxymap service is not available: read from " + Socket() + ": connection closed");
  EXPECT_EQ(server.requests(), 2);  // one retry, no more
}

TEST_F(ProxyTableTest, ServiceNamesAndWrites) {
  auto base = options_.params;
  options_.params = [base](std::string_view name) -> std::optional<std::string> {
    if (name == "proxymap_service_name") return "pm2";
    if (name == "proxywrite_service_name") return "pw2";
    return base(name);
  };
  EXPECT_EQ(ProxySocketPath(options_), Socket("pm2"));
  options_.open_flags = O_RDWR | O_CREAT;
  EXPECT_EQ(ProxySocketPath(options_), Socket("pw2"));
  TestServer server(Socket("pw2"), [](const ProxyRequest& req, int) {
    if (req.op == ProxyOp::kDelete) return Action{false, {ProxyStatus::kNotFound, "", {}}};
    return Action{false, {ProxyStatus::kOk, "", {}}};
  });
  auto t = OpenTable("proxy:btree:/var/lib/x");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->Update("k", "v").ok());
  EXPECT_EQ(t->Delete("k").code(), util::Code::kNotFound);
  ASSERT_EQ(server.seen().size(), 2u);
  EXPECT_EQ(server.seen()[0].op, ProxyOp::kUpdate);
  EXPECT_EQ(server.seen()[0].value, "v");
}

TEST_F(ProxyTableTest, OpenErrors) {
  struct Row {
    const char* spec;
    unsigned flags;
    const char* error;
  } rows[] = {
      {"proxy:hash", kDefaultLookupFlags, "bad syntax: \"proxy:hash\"; need \"proxy:type:name\""},
      {"proxy:proxy:hash:/x", kDefaultLookupFlags, "proxy:proxy:hash:/x: nested proxy: tables"},
      {"proxy:hash:/x", kDefaultLookupFlags | kNoProxy,
       "proxy:hash:/x: proxy: tables are not allowed here"},
  };
  for (const Row& r : rows) {
    options_.flags = r.flags;
    auto t = Open(r.spec, options_);
    ASSERT_FALSE(t.ok()) << r.spec;
    EXPECT_EQ(t.status().message(), r.error);
  }
}

}  // namespace
}  // namespace tables

// Tests of the trivial-rewrite client stubs (rewrite_client, resolve_client
// and their attr_client) against a scripted server on a UNIX socket.
#include "global/resolve_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>

#include "global/rewrite_client.h"
#include "global/rewrite_proto.h"
#include "util/attr_testing.h"
#include "util/scratch_dir.h"

namespace resolve_client {
namespace {

namespace rp = rewrite_proto;

using FakeServer = util::testing::FakeAttrServer;  // util/attr_testing.h

util::AttrList Resolved(const util::AttrList& req) {
  util::AttrList r;
  r.SetInt(rp::kStatus, rp::kStatusOk);
  r.Set(rp::kTransport, "smtp");
  r.Set(rp::kNexthop, "[relay.example]");
  r.Set(rp::kRecipient, std::string(*req.Get(rp::kAddress)));
  r.SetInt(rp::kFlags, rp::kClassRelay | rp::kFlagRouted);
  return r;
}

TEST(ResolveClientTest, ResolveAndReuseTheConnection) {
  FakeServer server([](const util::AttrList& req) -> std::optional<util::AttrList> {
    EXPECT_TRUE(req.Expect({"request", "sender", "address"}).ok()) << req.DebugString();
    EXPECT_EQ(*req.Get("request"), "resolve");
    return Resolved(req);
  });
  ResolveClient c(server.path(), std::chrono::seconds(5));
  for (int i = 0; i < 3; ++i) {
    util::StatusOr<ResolveResult> r = c.Resolve("s@example.com", "u%x@example.net");
    ASSERT_TRUE(r.ok()) << r.status().message();
    ResolveResult want{"smtp", "[relay.example]", "u%x@example.net", AddressClass::kRelay,
                       rp::kClassRelay | rp::kFlagRouted};
    EXPECT_EQ(*r, want);
    EXPECT_TRUE(r->routed());
    EXPECT_FALSE(r->final());
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(ResolveClientTest, ClassesFromFlags) {
  struct {
    unsigned flags;
    AddressClass want;
  } rows[] = {
      {rp::kClassLocal | rp::kFlagFinal, AddressClass::kLocal},
      {rp::kClassAlias | rp::kFlagFinal, AddressClass::kAlias},
      {rp::kClassVirtual | rp::kFlagFinal, AddressClass::kVirtual},
      {rp::kClassRelay, AddressClass::kRelay},
      {rp::kClassDefault | rp::kFlagError, AddressClass::kDefault},
  };
  unsigned flags = 0;
  FakeServer server([&](const util::AttrList& req) -> std::optional<util::AttrList> {
    util::AttrList r = Resolved(req);
    r.SetInt(rp::kFlags, flags);
    return r;
  });
  ResolveClient c(server.path(), std::chrono::seconds(5));
  int i = 0;
  for (const auto& row : rows) {
    flags = row.flags;
    util::StatusOr<ResolveResult> r = c.Resolve("", "u" + std::to_string(i++) + "@x");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->address_class, row.want) << ClassName(row.want);
  }
}

TEST(ResolveClientTest, TemporaryFailureIsUnavailable) {
  FakeServer server([](const util::AttrList&) -> std::optional<util::AttrList> {
    return util::AttrList{
        {"status", "4"}, {"reason", "transport_maps lookup failure: fail:down"}, {"flags", "8"}};
  });
  ResolveClient c(server.path(), std::chrono::seconds(5));
  util::StatusOr<ResolveResult> r = c.Resolve("", "u@example.net");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), util::Code::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "address resolver failure: transport_maps lookup failure: fail:down");
}

TEST(ResolveClientTest, ReconnectsOnceWhenTheConnectionBreaks) {
  // The server drops every connection after its first request is answered
  // (like a daemon that exits between requests), so each later call finds
  // a dead connection and must reconnect.
  std::atomic<int> n{0};
  FakeServer server([&](const util::AttrList& req) -> std::optional<util::AttrList> {
    if (n++ % 2 == 1) return std::nullopt;  // close without answering
    return Resolved(req);
  });
  ResolveClient c(server.path(), std::chrono::seconds(5));
  for (int i = 0; i < 3; ++i) {
    util::StatusOr<ResolveResult> r = c.Resolve("", "u" + std::to_string(i) + "@example.net");
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST(ResolveClientTest, RemembersTheLastAnswerBriefly) {
  std::atomic<int> requests{0};
  FakeServer server([&](const util::AttrList& req) -> std::optional<util::AttrList> {
    ++requests;
    return Resolved(req);
  });
  ResolveClient c(server.path(), std::chrono::seconds(5));
  ASSERT_TRUE(c.Resolve("s@x", "u@example.net").ok());
  ASSERT_TRUE(c.Resolve("s@x", "u@example.net").ok());  // the remembered answer
  EXPECT_EQ(requests, 1);
  ASSERT_TRUE(c.Resolve("t@x", "u@example.net").ok());  // another sender: asked
  ASSERT_TRUE(c.Resolve("t@x", "v@example.net").ok());  // another address: asked
  EXPECT_EQ(requests, 3);
}

TEST(ResolveClientTest, ResolveManyInOneRoundTrip) {
  FakeServer server([](const util::AttrList& req) -> std::optional<util::AttrList> {
    if (*req.Get(rp::kAddress) == "down@example.net")
      return util::AttrList{
          {"status", "4"}, {"reason", "virtual_alias_maps: down"}, {"flags", "0"}};
    return Resolved(req);
  });
  ResolveClient c(server.path(), std::chrono::seconds(5));
  ASSERT_TRUE(c.Resolve("s@x", "a@example.net").ok());  // remembered: not asked again
  auto r = c.ResolveMany({{"s@x", "a@example.net"},
                          {"s@x", "b@example.net"},
                          {"s@x", "down@example.net"},
                          {"", "c@example.net"}});
  ASSERT_EQ(r.size(), 4u);
  ASSERT_TRUE(r[0].ok() && r[1].ok() && r[3].ok());
  EXPECT_EQ(r[0]->recipient, "a@example.net");
  EXPECT_EQ(r[1]->recipient, "b@example.net");
  EXPECT_EQ(r[3]->recipient, "c@example.net");
  ASSERT_FALSE(r[2].ok());
  EXPECT_EQ(r[2].status().message(), "address resolver failure: virtual_alias_maps: down");
  std::vector<util::AttrList> asked = server.requests();
  ASSERT_EQ(asked.size(), 4u);  // the first Resolve and three of the four
  EXPECT_EQ(*asked[1].Get(rp::kAddress), "b@example.net");
  EXPECT_EQ(*asked[2].Get(rp::kAddress), "down@example.net");
  EXPECT_EQ(*asked[3].Get(rp::kAddress), "c@example.net");
  EXPECT_EQ(*asked[3].Get(rp::kSender), "");
  EXPECT_EQ(server.connections(), 1);
  EXPECT_TRUE(c.ResolveMany({}).empty());
}

TEST(ResolveClientTest, ResolveManyRetriesTheBatchOnANewConnection) {
  // The first connection dies after one answer: the whole batch is asked
  // again on a second one (lookups are idempotent).
  std::atomic<int> n{0};
  FakeServer server([&](const util::AttrList& req) -> std::optional<util::AttrList> {
    if (n++ == 1) return std::nullopt;
    return Resolved(req);
  });
  ResolveClient c(server.path(), std::chrono::seconds(5));
  auto r = c.ResolveMany({{"", "a@example.net"}, {"", "b@example.net"}, {"", "c@example.net"}});
  for (size_t i = 0; i < r.size(); i++)
    ASSERT_TRUE(r[i].ok()) << i << ": " << r[i].status().message();
  EXPECT_EQ(r[2]->recipient, "c@example.net");
  EXPECT_EQ(server.connections(), 2);
}

TEST(ResolveClientTest, ResolveManyLargeBatchInChunks) {
  FakeServer server(
      [](const util::AttrList& req) -> std::optional<util::AttrList> { return Resolved(req); });
  ResolveClient c(server.path(), std::chrono::seconds(5));
  std::vector<std::string> addrs;
  for (int i = 0; i < 1000; i++) addrs.push_back("u" + std::to_string(i) + "@example.net");
  std::vector<ResolveClient::Query> queries;
  for (const std::string& a : addrs) queries.push_back({"", a});
  auto r = c.ResolveMany(queries);
  ASSERT_EQ(r.size(), addrs.size());
  for (size_t i = 0; i < r.size(); i++) {
    ASSERT_TRUE(r[i].ok()) << i;
    EXPECT_EQ(r[i]->recipient, addrs[i]);
  }
  EXPECT_EQ(server.requests().size(), addrs.size());
  EXPECT_EQ(server.connections(), 1);
}

TEST(ResolveClientTest, ResolveManyServiceDownFailsEveryQuery) {
  ResolveClient c("/nonexistent/private/rewrite", std::chrono::seconds(1));
  auto r = c.ResolveMany({{"", "a@example.net"}, {"", "b@example.net"}});
  ASSERT_EQ(r.size(), 2u);
  for (const auto& x : r) {
    ASSERT_FALSE(x.ok());
    EXPECT_EQ(x.status().code(), util::Code::kUnavailable);
  }
}

TEST(ResolveClientTest, GivesUpAfterOneRetry) {
  FakeServer server(
      [](const util::AttrList&) -> std::optional<util::AttrList> { return std::nullopt; });
  ResolveClient c(server.path(), std::chrono::seconds(5));
  util::StatusOr<ResolveResult> r = c.Resolve("", "u@example.net");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), util::Code::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "resolve service is not available: read from " + server.path() + ": connection closed");
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(ResolveClientTest, Timeout) {
  FakeServer server([](const util::AttrList& req) -> std::optional<util::AttrList> {
    usleep(500 * 1000);
    return Resolved(req);
  });
  ResolveClient c(server.path(), std::chrono::milliseconds(100));
  util::StatusOr<ResolveResult> r = c.Resolve("", "u@example.net");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), util::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("resolve service is not available: read from"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(server.requests().size(), 1u) << "a timeout is not retried";
}

TEST(ResolveClientTest, ServiceDown) {
  util::testing::ScratchDir dir;
  ResolveClient c(dir.path() + "/private/rewrite", std::chrono::seconds(1));
  util::StatusOr<ResolveResult> r = c.Resolve("", "u@example.net");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), util::Code::kUnavailable);
  EXPECT_EQ(r.status().message(), "resolve service is not available: connect to " + dir.path() +
                                      "/private/rewrite: No such file or directory");
}

TEST(ResolveClientTest, MalformedReply) {
  FakeServer server([](const util::AttrList&) -> std::optional<util::AttrList> {
    return util::AttrList{{"status", "0"}, {"transport", "smtp"}};
  });
  ResolveClient c(server.path(), std::chrono::seconds(5));
  util::StatusOr<ResolveResult> r = c.Resolve("", "u@example.net");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "address resolver failure: malformed reply");
}

TEST(RewriteClientTest, Rewrite) {
  FakeServer server([](const util::AttrList& req) -> std::optional<util::AttrList> {
    EXPECT_TRUE(req.Expect({"request", "rule", "address"}).ok()) << req.DebugString();
    return util::AttrList{
        {"status", "0"},
        {"address", std::string(*req.Get("rule")) + ":" + std::string(*req.Get("address"))}};
  });
  rewrite_client::RewriteClient c(server.path(), std::chrono::seconds(5));
  util::StatusOr<std::string> a = c.Rewrite(rewrite::Context::kLocal, "alice");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "local:alice");
  a = c.Rewrite(rewrite::Context::kRemote, "bob");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "remote:bob");
  EXPECT_EQ(server.connections(), 1);
}

TEST(RewriteClientTest, SocketPathFromConfig) {
  config::Config cfg;
  cfg.Set("queue_directory", "/q");
  EXPECT_EQ(rewrite_client::RewriteSocketPath(cfg), "/q/private/rewrite");
  cfg.Set("rewrite_service_name", "rw2");
  EXPECT_EQ(rewrite_client::RewriteSocketPath(cfg), "/q/private/rw2");
}

}  // namespace
}  // namespace resolve_client

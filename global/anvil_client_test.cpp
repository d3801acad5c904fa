// Tests of the anvil client stub (anvil_client.h) against a scripted server
// on a UNIX socket: request names and attributes, reply decoding, errors.
#include "global/anvil_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "util/attr_testing.h"
#include "util/scratch_dir.h"

namespace anvil_client {
namespace {

using Handler = util::testing::FakeAttrServer::Handler;

using FakeAnvil = util::testing::FakeAttrServer;  // util/attr_testing.h

// Answers like anvil would, with fixed numbers.
std::optional<util::AttrList> Canned(const util::AttrList& req) {
  std::string_view r = *req.Get("request");
  if (r == "connect") return util::AttrList{{"status", "0"}, {"count", "2"}, {"rate", "5"}};
  if (r == "disconnect") return util::AttrList{{"status", "0"}};
  if (r == "lookup")
    return util::AttrList{{"status", "0"},    {"count", "1"},  {"rate", "2"}, {"message", "3"},
                          {"recipient", "4"}, {"newtls", "5"}, {"auth", "6"}};
  if (r == "message") return util::AttrList{{"status", "0"}, {"rate", "7"}};
  if (r == "recipient") return util::AttrList{{"status", "0"}, {"rate", "8"}};
  if (r == "newtls") return util::AttrList{{"status", "0"}, {"rate", "9"}};
  if (r == "newtls_report") return util::AttrList{{"status", "0"}, {"rate", "10"}};
  if (r == "auth") return util::AttrList{{"status", "0"}, {"rate", "11"}};
  return util::AttrList{{"status", "1"}};
}

TEST(AnvilClientTest, Ident) { EXPECT_EQ(Ident("smtp", "192.0.2.1"), "smtp:192.0.2.1"); }

TEST(AnvilClientTest, EveryRequest) {
  FakeAnvil server(Canned);
  AnvilClient c(server.path(), std::chrono::seconds(5));
  const std::string id = "smtp:192.0.2.1";
  util::StatusOr<Counts> conn = c.Connect(id);
  ASSERT_TRUE(conn.ok()) << conn.status().message();
  EXPECT_EQ(conn->count, 2);
  EXPECT_EQ(conn->rate, 5);
  struct {
    std::function<util::StatusOr<int>()> call;
    int want;
  } rates[] = {
      {[&] { return c.Message(id); }, 7}, {[&] { return c.Recipient(id); }, 8},
      {[&] { return c.NewTls(id); }, 9},  {[&] { return c.NewTlsReport(id); }, 10},
      {[&] { return c.Auth(id); }, 11},
  };
  for (const auto& row : rates) {
    util::StatusOr<int> r = row.call();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(*r, row.want);
  }
  util::StatusOr<Counts> look = c.Lookup(id);
  ASSERT_TRUE(look.ok());
  EXPECT_EQ(look->count, 1);
  EXPECT_EQ(look->rate, 2);
  EXPECT_EQ(look->message, 3);
  EXPECT_EQ(look->recipient, 4);
  EXPECT_EQ(look->newtls, 5);
  EXPECT_EQ(look->auth, 6);
  EXPECT_TRUE(c.Disconnect(id).ok());

  std::vector<std::string> names;
  for (const util::AttrList& req : server.requests()) {
    EXPECT_TRUE(req.Expect({"request", "ident"}).ok()) << req.DebugString();
    EXPECT_EQ(req.Get("ident"), id);
    names.emplace_back(*req.Get("request"));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"connect", "message", "recipient", "newtls",
                                             "newtls_report", "auth", "lookup", "disconnect"}));
}

TEST(AnvilClientTest, Errors) {
  struct {
    const char* name;
    Handler handler;
    util::Code want;
  } rows[] = {
      {"refused",
       [](const util::AttrList&) {
         return util::AttrList{{"status", "1"}};
       },
       util::Code::kFailedPrecondition},
      {"no count",
       [](const util::AttrList&) {
         return util::AttrList{{"status", "0"}};
       },
       util::Code::kUnavailable},
      {"no status",
       [](const util::AttrList&) {
         return util::AttrList{{"count", "1"}};
       },
       util::Code::kUnavailable},
      {"dropped", [](const util::AttrList&) { return std::optional<util::AttrList>(); },
       util::Code::kUnavailable},
  };
  for (auto& row : rows) {
    FakeAnvil server(row.handler);
    AnvilClient c(server.path(), std::chrono::seconds(5));
    util::StatusOr<Counts> r = c.Connect("smtp:x");
    ASSERT_FALSE(r.ok()) << row.name;
    EXPECT_EQ(r.status().code(), row.want) << row.name << ": " << r.status().message();
  }
}

TEST(AnvilClientTest, NoServerIsUnavailable) {
  util::testing::ScratchDir dir;
  AnvilClient c(dir.path() + "/anvil", std::chrono::seconds(1));
  util::StatusOr<Counts> r = c.Connect("smtp:x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), util::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("anvil service is not available"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace anvil_client

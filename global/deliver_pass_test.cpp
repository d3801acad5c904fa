#include "global/deliver_pass.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <optional>
#include <thread>

#include "util/scratch_dir.h"
#include "util/sockets.h"
#include "util/stream.h"

namespace deliver_pass {
namespace {

TEST(DeliverPass, ParseService) {
  std::string t, n;
  EXPECT_TRUE(ParseService("smtp:[10.0.0.1]:2525", "mx.example", &t, &n));
  EXPECT_EQ(t, "smtp");
  EXPECT_EQ(n, "[10.0.0.1]:2525");
  EXPECT_TRUE(ParseService("lmtp:unix:private/dovecot-lmtp", "mx.example", &t, &n));
  EXPECT_EQ(t, "lmtp");
  EXPECT_EQ(n, "unix:private/dovecot-lmtp");
  EXPECT_TRUE(ParseService("relay", "mx.example", &t, &n));
  EXPECT_EQ(n, "mx.example");
  EXPECT_TRUE(ParseService("relay:", "mx.example", &t, &n));
  EXPECT_EQ(t, "relay");
  EXPECT_EQ(n, "mx.example");
  EXPECT_FALSE(ParseService(":host", "mx.example", &t, &n));
  EXPECT_FALSE(ParseService("../x:host", "mx.example", &t, &n));
  EXPECT_FALSE(ParseService("..", "mx.example", &t, &n));
}

deliver_request::Request Req() {
  deliver_request::Request req;
  req.queue_name = "active";
  req.queue_id = "3F2A1B2C";
  req.sender = "alice@example.com";
  req.nexthop = "mx.local.test";
  req.flags = deliver_request::kFlagLastDelivery;
  req.arrival_time = 1700000000.5;
  deliver_request::Recipient a, b;
  a.address = "ann@mx.local.test";
  a.offset = 120;
  b.address = "ben@mx.local.test";
  b.offset = 180;
  req.recipients = {a, b};
  return req;
}

// An agent on QUEUE/private/NAME that takes one request and answers
// `reply` (nullopt: closes without answering).
class FakeAgent {
 public:
  FakeAgent(const std::string& queue, const std::string& name,
            std::optional<deliver_request::Reply> reply) {
    mkdir((queue + "/private").c_str(), 0700);
    auto fd = util::ListenUnix(queue + "/private/" + name, 0600);
    EXPECT_TRUE(fd.ok()) << fd.status().message();
    if (!fd.ok()) return;
    thread_ = std::thread([this, l = std::move(*fd), reply] {
      auto conn = util::Accept(l.get());
      if (!conn.ok()) return;
      util::Stream s(std::move(*conn));
      s.set_timeout(10);
      auto req = deliver_request::Read(s);
      if (req.ok()) got_ = *req;
      if (reply) (void)deliver_request::WriteReply(s, *reply);
    });
  }
  ~FakeAgent() {
    if (thread_.joinable()) thread_.join();
  }
  // The request received (once the exchange is over).
  const std::optional<deliver_request::Request>& got() {
    if (thread_.joinable()) thread_.join();
    return got_;
  }

 private:
  std::thread thread_;
  std::optional<deliver_request::Request> got_;
};

TEST(DeliverPass, PassesOneRecipientWithoutOffsetAndTheNexthop) {
  util::testing::ScratchDir dir;
  FakeAgent agent(dir.path(), "smtp", deliver_request::Reply{});
  deliver_request::Request req = Req();
  Result r =
      Pass(dir.path(), "smtp:[127.0.0.1]:2525", req, req.recipients[1], std::chrono::seconds(10));
  EXPECT_EQ(r.outcome, Outcome::kDone);
  const auto& got = agent.got();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->nexthop, "[127.0.0.1]:2525");
  EXPECT_EQ(got->queue_id, req.queue_id);
  EXPECT_EQ(got->queue_name, req.queue_name);
  EXPECT_EQ(got->sender, req.sender);
  EXPECT_EQ(got->flags, req.flags);
  ASSERT_EQ(got->recipients.size(), 1u);
  EXPECT_EQ(got->recipients[0].address, "ben@mx.local.test");
  EXPECT_EQ(got->recipients[0].offset, -1);
}

TEST(DeliverPass, DeferredDefaultNexthopAndFailures) {
  util::testing::ScratchDir dir;
  deliver_request::Request req = Req();
  {
    deliver_request::Reply defer;
    defer.status = 4;
    FakeAgent agent(dir.path(), "relay", defer);
    Result r = Pass(dir.path(), "relay", req, req.recipients[0], std::chrono::seconds(10));
    EXPECT_EQ(r.outcome, Outcome::kDeferred);
    ASSERT_TRUE(agent.got().has_value());
    EXPECT_EQ(agent.got()->nexthop, "mx.local.test");
  }
  Result r = Pass(dir.path(), "nosuch:x", req, req.recipients[0], std::chrono::seconds(10));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.dsn, "4.3.0");
  EXPECT_EQ(r.text, "mail transport unavailable");
  {
    FakeAgent agent(dir.path(), "crash", std::nullopt);
    r = Pass(dir.path(), "crash", req, req.recipients[0], std::chrono::seconds(10));
    EXPECT_EQ(r.outcome, Outcome::kFailed);
    EXPECT_EQ(r.text, "unknown mail transport error");
  }
  r = Pass(dir.path(), ":x", req, req.recipients[0], std::chrono::seconds(10));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.text, "mail system configuration error");
}

}  // namespace
}  // namespace deliver_pass

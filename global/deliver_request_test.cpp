#include "global/deliver_request.h"

#include <gtest/gtest.h>

#include "global/deliver_status.h"

namespace deliver_request {
namespace {

TEST(DeliverRequest, RoundTrip) {
  Request req;
  req.queue_name = "active";
  req.queue_id = "3F2A1B2C";
  req.sender = "alice@example.com";
  req.nexthop = "[mx.example.net]:25";
  req.arrival_time = 1700000000.25;
  req.active_time = 1700000001.5;
  req.dsn_envid = "env1";
  req.dsn_ret = 2;
  req.client_address = "192.0.2.1";
  Recipient a;
  a.address = "bob@example.net";
  a.original = "Bob@Example.net";
  a.dsn_notify = 6;
  a.offset = 123;
  Recipient b;
  b.address = "carol@example.net";
  b.offset = 456;
  req.recipients = {a, b};
  std::string wire = Encode(req);
  util::AttrDecoder dec;
  dec.Feed(wire);
  std::vector<util::AttrList> lists;
  util::AttrList l;
  while (*dec.Next(&l)) lists.push_back(l);
  ASSERT_EQ(lists.size(), 3u);
  auto back = Decode(lists[0], {lists[1], lists[2]});
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, req);
}

TEST(DeliverRequest, DecodeErrors) {
  struct {
    const char* name;
    util::AttrList header;
    size_t rcpts;
    const char* want;
  } rows[] = {
      {"missing id",
       {{"queue_name", "active"}, {"sender", ""}, {"nexthop", "x"}, {"rcpt_count", "0"}},
       0,
       "missing attribute: queue_id"},
      {"count mismatch",
       {{"queue_name", "active"},
        {"queue_id", "A"},
        {"sender", ""},
        {"nexthop", "x"},
        {"rcpt_count", "2"}},
       1,
       "bad rcpt_count: 2"},
      {"unknown",
       {{"queue_name", "active"},
        {"queue_id", "A"},
        {"sender", ""},
        {"nexthop", "x"},
        {"rcpt_count", "0"},
        {"bogus", "1"}},
       0,
       "unknown attribute: bogus"},
  };
  for (const auto& r : rows) {
    std::vector<util::AttrList> rc(r.rcpts, util::AttrList{{"address", "a@b"}});
    auto got = Decode(r.header, rc);
    ASSERT_FALSE(got.ok()) << r.name;
    EXPECT_EQ(got.status().message(), r.want) << r.name;
  }
}

TEST(DeliverRequest, Reply) {
  struct {
    util::AttrList in;
    bool ok;
    Reply want;
  } rows[] = {
      {{{"status", "0"}}, true, {0, false, ""}},
      {{{"status", "4"}, {"site_failure", "1"}, {"reason", "refused"}}, true, {4, true, "refused"}},
      {{{"status", "9"}}, false, {}},
      {{}, false, {}},
  };
  for (const auto& r : rows) {
    auto got = ParseReply(r.in);
    ASSERT_EQ(got.ok(), r.ok) << r.in.DebugString();
    if (r.ok) {
      EXPECT_EQ(*got, r.want);
      EXPECT_EQ(EncodeReply(*got), r.in);
    }
  }
}

TEST(DeliverStatus, FormatDelay) {
  struct {
    double in;
    const char* want;
  } rows[] = {{0, "0"},     {0.004, "0"},  {0.05, "0.05"}, {0.42, "0.42"},
              {0.3, "0.3"}, {1.12, "1.1"}, {9.99, "10"},   {293.4, "293"}};
  for (const auto& r : rows) EXPECT_EQ(deliver_status::FormatDelay(r.in), r.want) << r.in;
}

TEST(DeliverStatus, LogLine) {
  deliver_status::LogFields f;
  f.recipient = "bob@example.net";
  f.original = "bob@alias.example";
  f.relay = "none";
  f.delay = 1.1;
  f.delays[0] = 0.11;
  f.delays[2] = 0.5;
  f.dsn = "5.1.1";
  f.status = "bounced";
  f.reason = "User unknown";
  EXPECT_EQ(deliver_status::FormatLogLine(f),
            "to=<bob@example.net>, orig_to=<bob@alias.example>, relay=none, delay=1.1, "
            "delays=0.11/0/0.5/0, dsn=5.1.1, status=bounced (User unknown)");
  f.original = f.recipient;
  EXPECT_EQ(deliver_status::FormatLogLine(f).find("orig_to"), std::string::npos);
  // A cached connection's second and later deliveries (Postfix's conn_use).
  f.conn_use = 1;
  EXPECT_EQ(deliver_status::FormatLogLine(f).find("conn_use"), std::string::npos);
  f.conn_use = 3;
  EXPECT_EQ(deliver_status::FormatLogLine(f),
            "to=<bob@example.net>, relay=none, conn_use=3, delay=1.1, "
            "delays=0.11/0/0.5/0, dsn=5.1.1, status=bounced (User unknown)");
}

TEST(DeliverStatus, SplitDsn) {
  struct {
    const char* text;
    const char* dflt;
    char cls;
    const char* dsn;
    const char* rest;
  } rows[] = {
      {"5.1.1 User unknown", "5.0.0", '5', "5.1.1", "User unknown"},
      {"User unknown", "5.0.0", '5', "5.0.0", "User unknown"},
      {"4.4.1 try later", "4.0.0", '4', "4.4.1", "try later"},
      {"5.7.1 no", "4.0.0", '4', "4.7.1", "no"},
      {"5.1.1", "5.0.0", '5', "5.1.1", ""},
      {"5.1 x", "5.0.0", 0, "5.0.0", "5.1 x"},
  };
  for (const auto& r : rows) {
    std::string dsn, rest;
    deliver_status::SplitDsn(r.text, r.dflt, r.cls, &dsn, &rest);
    EXPECT_EQ(dsn, r.dsn) << r.text;
    EXPECT_EQ(rest, r.rest) << r.text;
  }
}

}  // namespace
}  // namespace deliver_request

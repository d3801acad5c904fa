// Tests of anvil's counters (anvil.h) with an injected clock, and of the
// request handler (service.h).
#include "anvil/anvil.h"
#include "util/msg.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "anvil/service.h"
#include "tables/table_testing.h"

namespace anvil {
namespace {

constexpr char kA[] = "smtp:192.0.2.1";
constexpr char kB[] = "smtp:192.0.2.2";

struct Fixture {
  time_t now = 1000;
  Anvil anvil{60, [this] { return now; }};
};

// One step of a scripted session: at time `t`, `op` on client connection
// `conn` for `ident`, and what it should answer.
struct Step {
  time_t t;
  const char* op;  // connect disconnect message recipient newtls newtls_report auth closed
  uint64_t conn;
  const char* ident;
  int want_count;  // connect only
  int want_rate;   // connect and rate events; disconnect: 1 = true, 0 = false
};

void RunSteps(const std::vector<Step>& steps) {
  Fixture f;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    f.now = s.t;
    std::string op = s.op;
    SCOPED_TRACE("step " + std::to_string(i) + ": " + op + " " + s.ident);
    if (op == "connect") {
      Counts c = f.anvil.Connect(s.conn, s.ident);
      EXPECT_EQ(c.count, s.want_count);
      EXPECT_EQ(c.rate, s.want_rate);
    } else if (op == "disconnect") {
      EXPECT_EQ(f.anvil.Disconnect(s.conn, s.ident), s.want_rate == 1);
    } else if (op == "message") {
      EXPECT_EQ(f.anvil.Message(s.ident), s.want_rate);
    } else if (op == "recipient") {
      EXPECT_EQ(f.anvil.Recipient(s.ident), s.want_rate);
    } else if (op == "newtls") {
      EXPECT_EQ(f.anvil.NewTls(s.ident), s.want_rate);
    } else if (op == "newtls_report") {
      EXPECT_EQ(f.anvil.NewTlsReport(s.ident), s.want_rate);
    } else if (op == "auth") {
      EXPECT_EQ(f.anvil.Auth(s.ident), s.want_rate);
    } else if (op == "closed") {
      f.anvil.ConnectionClosed(s.conn);
    } else if (op == "count") {
      EXPECT_EQ(f.anvil.Lookup(s.ident).count, s.want_count);
      EXPECT_EQ(f.anvil.Lookup(s.ident).rate, s.want_rate);
    } else {
      FAIL() << "bad op";
    }
  }
}

TEST(AnvilTest, Scripts) {
  struct {
    const char* name;
    std::vector<Step> steps;
  } rows[] = {
      {"count and rate grow, disconnect lowers the count only",
       {{1000, "connect", 1, kA, 1, 1},
        {1001, "connect", 2, kA, 2, 2},
        {1002, "disconnect", 1, kA, 0, 1},
        {1003, "count", 0, kA, 1, 2},
        {1004, "connect", 1, kA, 2, 3}}},
      {"idents are counted apart",
       {{1000, "connect", 1, kA, 1, 1},
        {1000, "connect", 1, kB, 1, 1},
        {1000, "connect", 2, kB, 2, 2},
        {1000, "count", 0, kA, 1, 1}}},
      {"the window lasts the time unit, then rates start over",
       {{1000, "connect", 1, kA, 1, 1},
        {1060, "connect", 1, kA, 2, 2},  // start + 60 is still inside
        {1061, "connect", 1, kA, 3, 1},  // a new window; the count stays
        {1061, "message", 0, kA, 0, 1},
        {1121, "message", 0, kA, 0, 2},
        {1122, "count", 0, kA, 3, 0},  // lookup after the window: no rate
        {1122, "message", 0, kA, 0, 1}}},
      {"disconnect from another client connection changes nothing",
       {{1000, "connect", 1, kA, 1, 1},
        {1000, "disconnect", 2, kA, 0, 0},
        {1000, "disconnect", 1, kB, 0, 0},
        {1000, "count", 0, kA, 1, 1},
        {1000, "disconnect", 1, kA, 0, 1},
        {1000, "disconnect", 1, kA, 0, 0},
        {1000, "count", 0, kA, 0, 1}}},
      {"a closed client connection forgets its connections",
       {{1000, "connect", 1, kA, 1, 1},
        {1000, "connect", 1, kA, 2, 2},
        {1000, "connect", 2, kA, 3, 3},
        {1000, "connect", 1, kB, 1, 1},
        {1001, "closed", 1, kA, 0, 0},
        {1001, "count", 0, kA, 1, 3},
        {1001, "count", 0, kB, 0, 1},
        {1001, "disconnect", 1, kA, 0, 0},
        {1001, "disconnect", 2, kA, 0, 1},
        {1001, "count", 0, kA, 0, 3}}},
      {"each rate kind counts on its own",
       {{1000, "message", 0, kA, 0, 1},
        {1000, "message", 0, kA, 0, 2},
        {1000, "recipient", 0, kA, 0, 1},
        {1000, "newtls", 0, kA, 0, 1},
        {1000, "newtls_report", 0, kA, 0, 1},
        {1000, "newtls_report", 0, kA, 0, 1},
        {1000, "newtls", 0, kA, 0, 2},
        {1000, "auth", 0, kA, 0, 1},
        {1000, "newtls_report", 0, kB, 0, 0},
        {1000, "count", 0, kA, 0, 0}}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    RunSteps(row.steps);
  }
}

TEST(AnvilTest, LookupReportsEveryCounter) {
  Fixture f;
  f.anvil.Connect(7, kA);
  f.anvil.Message(kA);
  f.anvil.Recipient(kA);
  f.anvil.Recipient(kA);
  f.anvil.NewTls(kA);
  f.anvil.Auth(kA);
  f.anvil.Auth(kA);
  f.anvil.Auth(kA);
  EXPECT_EQ(f.anvil.Lookup(kA), (Counts{1, 1, 1, 2, 1, 3}));
  EXPECT_EQ(f.anvil.Lookup(kB), Counts{});
}

TEST(AnvilTest, ExpireDropsIdleRecordsOnly) {
  Fixture f;
  f.anvil.Connect(1, kA);  // stays connected
  f.anvil.Connect(1, kB);
  f.anvil.Disconnect(1, kB);
  f.anvil.Message("smtp:192.0.2.3");
  EXPECT_EQ(f.anvil.size(), 3u);
  f.now += 59;
  f.anvil.Expire();
  EXPECT_EQ(f.anvil.size(), 3u);
  f.now += 1;
  f.anvil.Expire();
  EXPECT_EQ(f.anvil.size(), 1u);
  EXPECT_EQ(f.anvil.Lookup(kA).count, 1);
}

TEST(AnvilTest, EachRequestDropsStaleRecords) {
  Fixture f;
  for (int i = 0; i < 10; ++i) f.anvil.Message("smtp:10.0.0." + std::to_string(i));
  f.now += 60;  // the windows end with this second: nothing is stale yet
  f.anvil.Message(kA);
  EXPECT_EQ(f.anvil.size(), 11u);
  f.now += 1;
  f.anvil.Message(kB);  // drops kExpirePerRequest records, adds one
  EXPECT_EQ(f.anvil.size(), 12u - Anvil::kExpirePerRequest);
  f.anvil.Disconnect(1, kB);  // nothing to undo, but a request all the same
  EXPECT_EQ(f.anvil.size(), 12u - 2 * Anvil::kExpirePerRequest);
  for (int i = 0; i < 10; ++i) f.anvil.Lookup(kA), f.anvil.Message(kB);
  EXPECT_EQ(f.anvil.size(), 2u);  // kA (window began at 1060) and kB
  EXPECT_EQ(f.anvil.Lookup(kA).message, 1);
  EXPECT_EQ(f.anvil.Lookup(kB).message, 11);
}

TEST(AnvilTest, FloodOfDistinctClientsStaysBounded) {
  // 100 new clients a second for ten time units, no Expire() calls: the
  // cache holds about one time unit's worth, as Postfix's.
  Fixture f;
  size_t most = 0;
  for (int second = 0; second < 600; ++second, ++f.now) {
    for (int i = 0; i < 100; ++i) {
      std::string ident = "smtp:10." + std::to_string(second) + "." + std::to_string(i);
      EXPECT_EQ(f.anvil.Connect(1, ident), (Counts{1, 1}));
      EXPECT_EQ(f.anvil.Message(ident), 1);
      EXPECT_TRUE(f.anvil.Disconnect(1, ident));
      most = std::max(most, f.anvil.size());
    }
  }
  EXPECT_LE(most, 100u * 62);
  EXPECT_GE(most, 100u * 61);
  std::vector<std::string> stats = f.anvil.Statistics();
  ASSERT_FALSE(stats.empty());
  EXPECT_EQ(stats.back().rfind("statistics: max cache size " + std::to_string(most) + " at ", 0),
            0u)
      << stats.back();
}

TEST(AnvilTest, ConnectedRecordsOutliveTheirWindow) {
  Fixture f;
  f.anvil.Connect(1, kA);
  f.anvil.Message(kB);
  f.now += 61;
  for (int i = 0; i < 5; ++i) f.anvil.Lookup("smtp:192.0.2.9"), f.anvil.Message(kB);
  EXPECT_EQ(f.anvil.size(), 2u);  // kA is still connected
  EXPECT_EQ(f.anvil.Lookup(kA), (Counts{1, 0}));
  EXPECT_TRUE(f.anvil.Disconnect(1, kA));
  EXPECT_EQ(f.anvil.Lookup(kA), Counts{});
  f.now += 61;
  f.anvil.Message(kB);
  f.anvil.Message(kB);
  EXPECT_EQ(f.anvil.size(), 1u);  // kA went within a time unit of its disconnect
  EXPECT_EQ(f.anvil.Message(kA), 1);
}

TEST(AnvilTest, StatisticsReportMaximaAndReset) {
  Fixture f;
  f.now = 1700000000;
  std::string at = msg::Stamp(f.now);
  f.anvil.Connect(1, kA);
  f.anvil.Connect(2, kB);
  f.anvil.Connect(3, kB);
  f.anvil.Message(kA);
  f.anvil.Recipient(kB);
  f.anvil.NewTls(kA);
  f.anvil.Auth(kB);
  std::vector<std::string> want = {
      "statistics: max connection rate 2/60s for (smtp:192.0.2.2) at " + at,
      "statistics: max connection count 2 for (smtp:192.0.2.2) at " + at,
      "statistics: max message rate 1/60s for (smtp:192.0.2.1) at " + at,
      "statistics: max recipient rate 1/60s for (smtp:192.0.2.2) at " + at,
      "statistics: max newtls rate 1/60s for (smtp:192.0.2.1) at " + at,
      "statistics: max auth rate 1/60s for (smtp:192.0.2.2) at " + at,
      "statistics: max cache size 2 at " + at,
  };
  EXPECT_EQ(f.anvil.Statistics(), want);
  EXPECT_EQ(f.anvil.Statistics(), std::vector<std::string>{});
  f.anvil.Message(kA);
  EXPECT_EQ(
      f.anvil.Statistics(),
      std::vector<std::string>{"statistics: max message rate 2/60s for (smtp:192.0.2.1) at " + at});
}

TEST(AnvilTest, StampLooksLikeCtime) {
  std::string s = msg::Stamp(1700000000);
  ASSERT_EQ(s.size(), 15u) << s;  // "Mon DD HH:MM:SS"
  EXPECT_EQ(s[3], ' ');
  EXPECT_EQ(s[6], ' ');
  EXPECT_EQ(s[9], ':');
  EXPECT_EQ(s[12], ':');
}

TEST(AnvilServiceTest, Requests) {
  time_t now = 5000;
  Service svc(std::make_unique<Anvil>(60, [&] { return now; }));
  struct {
    util::AttrList request;
    uint64_t conn;
    util::AttrList want;
  } rows[] = {
      {{{"request", "connect"}, {"ident", kA}},
       1,
       {{"status", "0"}, {"count", "1"}, {"rate", "1"}}},
      {{{"request", "connect"}, {"ident", kA}},
       2,
       {{"status", "0"}, {"count", "2"}, {"rate", "2"}}},
      {{{"request", "disconnect"}, {"ident", kA}}, 1, {{"status", "0"}}},
      {{{"request", "message"}, {"ident", kA}}, 1, {{"status", "0"}, {"rate", "1"}}},
      {{{"request", "recipient"}, {"ident", kA}}, 1, {{"status", "0"}, {"rate", "1"}}},
      {{{"request", "newtls"}, {"ident", kA}}, 1, {{"status", "0"}, {"rate", "1"}}},
      {{{"request", "newtls_report"}, {"ident", kA}}, 1, {{"status", "0"}, {"rate", "1"}}},
      {{{"request", "auth"}, {"ident", kA}}, 1, {{"status", "0"}, {"rate", "1"}}},
      {{{"request", "lookup"}, {"ident", kA}},
       9,
       {{"status", "0"},
        {"count", "1"},
        {"rate", "2"},
        {"message", "1"},
        {"recipient", "1"},
        {"newtls", "1"},
        {"auth", "1"}}},
      {{{"request", "frobnicate"}, {"ident", kA}}, 1, {{"status", "1"}}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.request.DebugString());
    util::StatusOr<util::AttrList> got = svc.Handle(row.request, row.conn);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(*got, row.want) << got->DebugString();
  }
  svc.ConnectionClosed(2);
  EXPECT_EQ(svc.anvil().Lookup(kA).count, 0);
}

TEST(AnvilServiceTest, MalformedRequestsAreErrors) {
  Service svc(std::make_unique<Anvil>(60));
  util::AttrList rows[] = {
      {{"ident", kA}},
      {{"request", "connect"}},
      {{"request", "connect"}, {"ident", kA}, {"extra", "1"}},
  };
  for (const auto& req : rows) {
    EXPECT_FALSE(svc.Handle(req, 1).ok()) << req.DebugString();
  }
}

TEST(AnvilServiceTest, UnknownRequestIsWarned) {
  tables::testing::WarningCapture warnings;
  Service svc(std::make_unique<Anvil>(60));
  ASSERT_TRUE(svc.Handle({{"request", "bogus"}}, 1).ok());
  EXPECT_EQ(warnings.texts(), std::vector<std::string>{"unrecognized request: \"bogus\", ignored"});
}

}  // namespace
}  // namespace anvil

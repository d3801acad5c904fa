#include "scache/cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace {

// A descriptor whose closing the test can see: the write end of a pipe
// (the read end reports EOF once every copy is closed).
struct Probe {
  util::Fd r, w;
  Probe() {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    r.reset(p[0]);
    w.reset(p[1]);
  }
  bool Closed() const {
    char c;
    return read(r.get(), &c, 1) == 0;
  }
};

TEST(CacheTest, FindTakesTheConnectionOut) {
  scache::Cache c(0);
  Probe p;
  c.Save("smtp|192.0.2.1:25", "props", std::move(p.w), 2);
  EXPECT_EQ(c.connections(), 1u);
  auto hit = c.Find("smtp|192.0.2.1:25", 1);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->props, "props");
  EXPECT_TRUE(hit->fd);
  EXPECT_EQ(c.connections(), 0u);
  EXPECT_FALSE(c.Find("smtp|192.0.2.1:25", 1));
  EXPECT_FALSE(c.Find("smtp|192.0.2.2:25", 1));
  EXPECT_FALSE(p.Closed());  // the caller holds it now
}

TEST(CacheTest, NewestFirstAndLabelsApart) {
  scache::Cache c(0);
  Probe a, b, d;
  c.Save("x", "first", std::move(a.w), 10);
  c.Save("x", "second", std::move(b.w), 10);
  c.Save("y", "other", std::move(d.w), 10);
  EXPECT_EQ(c.Find("x", 1)->props, "second");
  EXPECT_EQ(c.Find("x", 1)->props, "first");
  EXPECT_EQ(c.Find("y", 1)->props, "other");
}

TEST(CacheTest, ExpiredConnectionsAreClosed) {
  scache::Cache c(0);
  Probe a, b;
  c.Save("x", "old", std::move(a.w), 2);
  c.Save("x", "new", std::move(b.w), 5);
  c.Expire(1.9);
  EXPECT_FALSE(a.Closed());
  c.Expire(2);
  EXPECT_TRUE(a.Closed());
  EXPECT_FALSE(b.Closed());
  EXPECT_EQ(c.connections(), 1u);
  // A lookup never returns one whose time is up, and closes it.
  EXPECT_FALSE(c.Find("x", 5));
  EXPECT_TRUE(b.Closed());
  EXPECT_EQ(c.connections(), 0u);
  EXPECT_EQ(c.labels(), 0u);
}

TEST(CacheTest, StatisticsPerInterval) {
  scache::Cache c(0);
  EXPECT_TRUE(c.Statistics(10, "Dec  7 10:00:00").empty());  // no lookups
  Probe a, b;
  c.Save("x", "", std::move(a.w), 100);
  c.Save("y", "", std::move(b.w), 100);
  (void)c.Find("x", 11);
  (void)c.Find("x", 11);
  (void)c.Find("z", 11);
  (void)c.Find("y", 11);
  auto lines = c.Statistics(20, "Dec  7 10:00:10");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "statistics: start interval Dec  7 10:00:10");
  EXPECT_EQ(lines[1], "statistics: address lookup hits=2 miss=2 success=50%");
  EXPECT_EQ(lines[2], "statistics: max simultaneous addresses=2 connection=2");
  EXPECT_TRUE(c.Statistics(30, "x").empty());
}

}  // namespace

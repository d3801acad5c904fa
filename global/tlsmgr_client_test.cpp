// Tests of the tlsmgr client stub (tlsmgr_client.h) against a scripted
// server: the requests, the per-process key cache, unknown names, an
// unreachable tlsmgr, and Postfix's limits on the timeout.
#include "global/tlsmgr_client.h"

#include <gtest/gtest.h>
#include <time.h>

#include "global/config.h"
#include "util/attr_testing.h"
#include "util/scratch_dir.h"

namespace tlsmgr_client {
namespace {

using util::tls::TicketKey;

// Serves `keys`: the last one as the current key, any of them by name.
class FakeTlsmgr {
 public:
  FakeTlsmgr()
      : server_([this](const util::AttrList& req) -> std::optional<util::AttrList> {
          std::string_view name = *req.Get(kAttrKeyName);
          for (const TicketKey& k : keys)
            if (name.empty() ? &k == &keys.back() : util::tls::TicketKeyNameHex(k.name) == name)
              return util::AttrList{{"status", "0"}, {"key", util::tls::EncodeTicketKey(k)}};
          return util::AttrList{{"status", "1"}};
        }) {}
  const std::string& path() const { return server_.path(); }
  size_t requests() { return server_.requests().size(); }
  std::vector<TicketKey> keys;

 private:
  util::testing::FakeAttrServer server_;
};

TEST(TlsmgrClientTest, CurrentKeyIsCachedUntilItExpires) {
  FakeTlsmgr mgr;
  long now = time(nullptr);
  mgr.keys = {*util::tls::NewTicketKey(now + 3600)};
  Client c(mgr.path(), 3600, std::chrono::seconds(5));
  auto k = c.Key(nullptr);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->name, mgr.keys[0].name);
  EXPECT_EQ(c.Key(nullptr)->name, k->name);
  EXPECT_EQ(c.Key(&k->name)->name, k->name);
  EXPECT_EQ(mgr.requests(), 1u);  // the rest came from the cache
}

TEST(TlsmgrClientTest, OldKeysByNameAndUnknownNames) {
  FakeTlsmgr mgr;
  long now = time(nullptr);
  // An old key (no longer current, still opening tickets) and the current.
  mgr.keys = {*util::tls::NewTicketKey(now - 10), *util::tls::NewTicketKey(now + 3600)};
  Client c(mgr.path(), 3600, std::chrono::seconds(5));
  EXPECT_EQ(c.Key(nullptr)->name, mgr.keys[1].name);
  auto old = c.Key(&mgr.keys[0].name);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->name, mgr.keys[0].name);
  util::tls::TicketKeyName unknown{};
  EXPECT_FALSE(c.Key(&unknown));
  // A current key that tlsmgr says has expired is not used for new tickets.
  FakeTlsmgr stale;
  stale.keys = {*util::tls::NewTicketKey(now - 10)};
  Client s(stale.path(), 3600, std::chrono::seconds(5));
  EXPECT_FALSE(s.Key(nullptr));
}

TEST(TlsmgrClientTest, UnreachableMeansNoKey) {
  util::testing::ScratchDir dir;
  Client c(dir.Path("nowhere"), 3600, std::chrono::seconds(1));
  EXPECT_FALSE(c.Key(nullptr));
  EXPECT_FALSE(c.Key(nullptr));  // asked again (tlsmgr may be back), warned once
}

TEST(TlsmgrClientTest, TicketLifetimeLimits) {
  auto lifetime = [](const char* value, std::string* warning) {
    config::Config cfg;
    cfg.Set("smtpd_tls_session_cache_timeout", value);
    return TicketLifetime(cfg, warning);
  };
  std::string w;
  EXPECT_EQ(lifetime("3600s", &w), 3600);
  EXPECT_EQ(lifetime("0", &w), 0);
  EXPECT_EQ(lifetime("30s", &w), 120);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(lifetime("200d", &w), 100 * 86400);
  EXPECT_NE(w.find("exceeds the limit of 100 days"), std::string::npos) << w;
}

}  // namespace
}  // namespace tlsmgr_client

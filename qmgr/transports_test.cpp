#include "qmgr/transports.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "util/scratch_dir.h"

namespace qmgr {
namespace {

class TransportLimitsTest : public ::testing::Test {
 protected:
  config::Config Load(const std::string& main_cf, const std::string& master_cf) {
    dir_.Write("main.cf", main_cf);
    dir_.Write("master.cf", master_cf);
    auto c = config::Config::Load(dir_.path());
    EXPECT_TRUE(c.ok());
    return *c;
  }
  util::testing::ScratchDir dir_;
};

TEST_F(TransportLimitsTest, MasterCfOverridesApplyToScheduling) {
  // The docomo example: -o smtp_... on the docomo-smtp line.
  config::Config cfg = Load(
      "default_destination_concurrency_limit = 7\n"
      "docomo-smtp_destination_rate_delay = 5s\n"
      "smtp_destination_recipient_limit = 9\n",
      "smtp unix - - n - - smtp\n"
      "docomo-smtp unix - - n - 1 smtp\n"
      "   -o smtp_destination_concurrency_limit=1\n"
      "   -o smtp_destination_recipient_limit=1\n"
      "virtual unix - n n - - virtual\n"
      "test unix - n n - 3 /bin/test-agent\n"
      "   -o test_destination_recipient_limit=2\n");
  struct {
    const char* transport;
    int concurrency, recipients;
    double rate_delay;
    int maxproc;
    bool remote;
  } rows[] = {
      {"docomo-smtp", 1, 1, 5, 1, true}, {"smtp", 7, 9, 0, 100, true},
      {"virtual", 7, 50, 0, 100, false}, {"test", 7, 2, 0, 3, false},
      {"nosuch", 7, 50, 0, 100, false},
  };
  for (const auto& r : rows) {
    bool remote = false;
    TransportLimits l = LoadTransportLimits(cfg, r.transport, &remote);
    EXPECT_EQ(l.concurrency_limit, r.concurrency) << r.transport;
    EXPECT_EQ(l.recipient_limit, r.recipients) << r.transport;
    EXPECT_DOUBLE_EQ(l.rate_delay, r.rate_delay) << r.transport;
    EXPECT_EQ(l.maxproc, r.maxproc) << r.transport;
    EXPECT_EQ(remote, r.remote) << r.transport;
  }
}

}  // namespace
}  // namespace qmgr

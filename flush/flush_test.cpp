#include "flush/flush.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "global/config_testing.h"
#include "util/files.h"
#include "util/scratch_dir.h"

namespace flush {
namespace {

class FlushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* d : {"flush", "deferred", "incoming", "public"})
      ASSERT_EQ(mkdir((dir_.path() + "/" + d).c_str(), 0700), 0);
    cfg_ = config::testing::FromText("queue_directory = " + dir_.path() +
                                     "\nfast_flush_domains = example.com, [192.0.2.1]\n"
                                     "hash_queue_names =\n");
  }
  // A deferred queue file.
  void Deferred(const std::string& id) { std::ofstream(dir_.path() + "/deferred/" + id) << "x"; }
  bool In(const std::string& queue, const std::string& id) {
    return access((dir_.path() + "/" + queue + "/" + id).c_str(), F_OK) == 0;
  }
  std::string Log(const std::string& site) {
    auto text = util::ReadFile(dir_.path() + "/flush/" + site, 1 << 20);
    return text.ok() ? *text : "(none)";
  }
  util::testing::ScratchDir dir_;
  config::Config cfg_;
};

TEST_F(FlushTest, AddThenSendSite) {
  Service svc(cfg_);
  Deferred("4A3B2C1D");
  Deferred("5B4C3D2E");
  EXPECT_EQ(svc.Add("Example.COM", "4A3B2C1D"), 0);
  EXPECT_EQ(svc.Add("example.com", "4A3B2C1D"), 0);  // twice: sent once
  EXPECT_EQ(svc.Add("example.com", "9F9F9F9F"), 0);  // gone by the time of the send
  EXPECT_EQ(svc.Add("other.example", "5B4C3D2E"), 4);
  EXPECT_EQ(Log("example.com"), "4A3B2C1D\n4A3B2C1D\n9F9F9F9F\n");
  EXPECT_EQ(svc.SendSite("example.com"), 0);
  EXPECT_TRUE(In("incoming", "4A3B2C1D"));
  EXPECT_FALSE(In("deferred", "4A3B2C1D"));
  EXPECT_TRUE(In("deferred", "5B4C3D2E"));  // not logged for that site
  EXPECT_EQ(Log("example.com"), "");        // sent: emptied
  EXPECT_EQ(svc.SendSite("other.example"), 4);
  EXPECT_EQ(svc.SendSite("[192.0.2.1]"), 0);  // no log yet: nothing to do
}

TEST_F(FlushTest, SendFileAndHostileNames) {
  Service svc(cfg_);
  Deferred("4A3B2C1D");
  EXPECT_EQ(svc.SendFile("4A3B2C1D"), 0);
  EXPECT_TRUE(In("incoming", "4A3B2C1D"));
  EXPECT_EQ(svc.SendFile("4A3B2C1D"), 0);  // no longer deferred: nothing to do
  EXPECT_EQ(svc.SendFile("../active/X"), 3);
  EXPECT_EQ(svc.SendFile(""), 3);
  for (const char* site : {"../deferred", "a/b", ".hidden", "", "ex ample.com", "x\ny"}) {
    EXPECT_EQ(svc.Add(site, "4A3B2C1D"), 3) << site;
    EXPECT_EQ(svc.SendSite(site), 3) << site;
  }
  EXPECT_EQ(svc.Add("example.com", "x/../y"), 3);
  util::AttrList reply = svc.Handle(util::AttrList{{"request", "bogus"}});
  EXPECT_EQ(reply.Get("status"), std::optional<std::string_view>("3"));
  reply = svc.Handle(util::AttrList{{"request", "send_site"}});  // no site
  EXPECT_EQ(reply.Get("status"), std::optional<std::string_view>("3"));
}

TEST_F(FlushTest, RefreshSendsOldLogsAndRemovesUnusedOnes) {
  cfg_ = config::testing::FromText("queue_directory = " + dir_.path() +
                                   "\nfast_flush_domains = example.com, example.org\n"
                                   "fast_flush_refresh_time = 1h\nfast_flush_purge_time = 2h\n"
                                   "hash_queue_names =\n");
  Service svc(cfg_);
  Deferred("4A3B2C1D");
  ASSERT_EQ(svc.Add("example.com", "4A3B2C1D"), 0);
  ASSERT_EQ(svc.Add("example.org", "4A3B2C1D"), 0);
  EXPECT_EQ(svc.Refresh(), 0);  // young logs stay
  EXPECT_TRUE(In("deferred", "4A3B2C1D"));
  // example.com's log was last written 90 minutes ago: refreshed (sent).
  struct timeval old[2] = {{time(nullptr) - 5400, 0}, {time(nullptr) - 5400, 0}};
  ASSERT_EQ(utimes((dir_.path() + "/flush/example.com").c_str(), old), 0);
  EXPECT_EQ(svc.Refresh(), 0);
  EXPECT_TRUE(In("incoming", "4A3B2C1D"));
  EXPECT_EQ(Log("example.com"), "");
  EXPECT_EQ(Log("example.org"), "4A3B2C1D\n");
  // Empty and unused for 3 hours: removed.
  struct timeval older[2] = {{time(nullptr) - 10800, 0}, {time(nullptr) - 10800, 0}};
  ASSERT_EQ(utimes((dir_.path() + "/flush/example.com").c_str(), older), 0);
  EXPECT_EQ(svc.Refresh(), 0);
  EXPECT_EQ(Log("example.com"), "(none)");
  EXPECT_EQ(svc.Purge(), 0);  // every log
  EXPECT_EQ(Log("example.org"), "");
}

}  // namespace
}  // namespace flush

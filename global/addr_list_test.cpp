#include "global/addr_list.h"

#include <gtest/gtest.h>

#include "util/scratch_dir.h"

namespace addr_list {
namespace {

using util::testing::ScratchDir;

class AddrListTest : public ::testing::Test {
 public:
  ~AddrListTest() override { maps::ClearTableCache(); }

 protected:
  ScratchDir dir_;
  config::Config cfg_;
};

TEST_F(AddrListTest, Matching) {
  std::string file = dir_.Write("nets", "# comment\n198.51.100.0/24\n  file.example\n");
  std::string table = dir_.Write("t", "table.example x\n192.0.2.77 x\n");
  std::string cidr = dir_.Write("c", "203.0.113.0/28 x\n");
  struct {
    const char* name;
    std::string list;
    bool parent;
    const char* host;
    const char* addr;
    bool want;
  } rows[] = {
      {"ipv4 address", "192.0.2.1", false, "unknown", "192.0.2.1", true},
      {"bracketed ipv4", "[192.0.2.1]", false, "unknown", "192.0.2.1", true},
      {"ipv4 network", "192.0.2.0/24", false, "unknown", "192.0.2.200", true},
      {"ipv4 network miss", "192.0.2.0/25", false, "unknown", "192.0.2.200", false},
      {"host bits ignored", "192.0.2.9/24", false, "unknown", "192.0.2.200", true},
      {"ipv6 bracketed network", "[2001:db8::]/32", false, "unknown", "2001:db8:ff::1", true},
      {"ipv6 plain network", "2001:db8::/32", false, "unknown", "2001:db9::1", false},
      {"ipv6 loopback", "[::1]/128", false, "unknown", "::1", true},
      {"v4-mapped client", "127.0.0.0/8", false, "unknown", "::ffff:127.0.0.1", true},
      {"zero prefix", "0.0.0.0/0", false, "unknown", "203.0.113.5", true},
      {"hostname", "mail.example", false, "MAIL.example.", "192.0.2.1", true},
      {"hostname, no parent", "example", false, "mail.example", "192.0.2.1", false},
      {"hostname, parent style", "example", true, "mail.example", "192.0.2.1", true},
      {"dot pattern", ".example", false, "mail.example", "192.0.2.1", true},
      {"unknown never matches a name", "unknown", false, "unknown", "192.0.2.1", false},
      {"file", file, false, "unknown", "198.51.100.3", true},
      {"file hostname", file, false, "file.example", "192.0.2.1", true},
      {"table by name", "texthash:" + table, false, "table.example", "192.0.2.1", true},
      {"table by address", "texthash:" + table, false, "unknown", "192.0.2.77", true},
      {"table parent (fixed tables, parent style)", "texthash:" + table, true, "a.table.example",
       "192.0.2.1", true},
      {"cidr table", "cidr:" + cidr, false, "unknown", "203.0.113.3", true},
      {"negation ends the search", "!192.0.2.1, 192.0.2.0/24", false, "unknown", "192.0.2.1",
       false},
      {"negation does not match others", "!192.0.2.1, 192.0.2.0/24", false, "unknown", "192.0.2.2",
       true},
      {"empty list", "", false, "mail.example", "192.0.2.1", false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    auto l = AddrList::Parse("test_list", row.list, row.parent, maps::TableOptions(cfg_));
    ASSERT_TRUE(l.ok()) << l.status().message();
    util::StatusOr<bool> m = l->Match(row.host, row.addr);
    ASSERT_TRUE(m.ok()) << m.status().message();
    EXPECT_EQ(*m, row.want);
  }
}

TEST_F(AddrListTest, Errors) {
  for (const char* bad : {"192.0.2.0/33", "[::1]/129", "192.0.2.0/x", "host/24", "/no/such/file",
                          "nosuchtype:x", "{unbalanced"}) {
    auto l = AddrList::Parse("mynetworks", bad, false, maps::TableOptions(cfg_));
    EXPECT_FALSE(l.ok()) << bad;
    if (!l.ok()) {
      EXPECT_EQ(l.status().message().rfind("mynetworks", 0), 0u) << l.status().message();
    }
  }
  auto l = AddrList::Parse("t", "fail:x", false, maps::TableOptions(cfg_));
  ASSERT_TRUE(l.ok());
  util::StatusOr<bool> m = l->Match("unknown", "192.0.2.1");
  EXPECT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), util::Code::kUnavailable);
}

}  // namespace
}  // namespace addr_list

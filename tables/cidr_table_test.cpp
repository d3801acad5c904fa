#include <gtest/gtest.h>

#include "tables/registry.h"
#include "tables/table_testing.h"
#include "util/scratch_dir.h"

namespace tables {
namespace {

using namespace tables::testing;
using util::testing::ScratchDir;

TEST(CidrTableTest, RulesAndWarnings) {
  ScratchDir dir;
  std::string path = dir.Write("cidr",
                               "# comment\n"
                               "192.168.1.0/24 net24\n"   // 2
                               "192.168.1.1/24 bad\n"     // 3
                               "10.0.0.1 bare\n"          // 4
                               "!10.1.0.0/16 not-10.1\n"  // 5
                               "2001:db8::/32 v6\n"       // 6
                               "300.1.1.1/8 bad2\n"       // 7
                               "1.2.3.0/33 bad3\n"        // 8
                               "if 172.16.0.0/12\n"       // 9
                               "172.16.1.0/24 inner\n"    // 10
                               "endif\n"                  // 11
                               "[::1] brk\n"              // 12
                               "1.2.3.4/24x bad4\n"       // 13
                               "foo bar\n"                // 14
                               "1.2.3.4\n"                // 15
                               "endif x\n"                // 16
                               "ENDIF\n"                  // 17
                               "IF !10.0.0.0/8\n"         // 18
                               "0.0.0.0/0 outside-10\n"   // 19
                               "endif\n"                  // 20
                               "0.0.0.0/0 all4\n"         // 21
                               "if ::/0\n");              // 22
  WarningCapture warnings;
  auto t = Open("cidr:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok()) << t.status().message();
  std::string p = "cidr map " + path + ", line ";
  EXPECT_EQ(warnings.texts(),
            (std::vector<std::string>{
                p + "3: non-null host address bits in \"192.168.1.1/24\", perhaps you should "
                    "use \"192.168.1.0/24\" instead: skipping this rule",
                p + "7: bad network value in \"300.1.1.1/8\": skipping this rule",
                p + "8: bad mask length in \"1.2.3.0/33\": skipping this rule",
                p + "13: bad mask value in \"1.2.3.4/24x\": skipping this rule",
                p + "14: bad address pattern: \"foo\": skipping this rule",
                p + "15: no lookup result: skipping this rule",
                p + "16: garbage after ENDIF: skipping this rule",
                p + "17: ENDIF without IF: skipping this rule",
                p + "22: IF has no matching ENDIF",
            }));
  struct Row {
    const char* key;
    const char* want;
  } rows[] = {
      {"192.168.1.9", "net24"}, {"10.0.0.1", "bare"},
      {"10.1.2.3", "all4"},     {"10.2.0.1", "not-10.1"},
      {"2001:db8::5", "v6"},    {"172.16.1.1", "not-10.1"},
      {"::1", "brk"},           {"1.1.1.1", "not-10.1"},
      {"foo", nullptr},         {"", nullptr},
      {"2001:db9::1", nullptr}, {"::ffff:10.0.0.1", nullptr},
  };
  for (const Row& r : rows) {
    LookupResult got = (*t)->Lookup(r.key);
    if (r.want) {
      EXPECT_TRUE(got.found()) << r.key;
      EXPECT_EQ(got.value, r.want) << r.key;
    } else {
      EXPECT_TRUE(got.not_found()) << r.key << " got " << got.value;
    }
  }
}

TEST(CidrTableTest, IfBlocksAndNegation) {
  ScratchDir dir;
  std::string path = dir.Write("cidr",
                               "if 172.16.0.0/12\n"
                               "if !172.16.1.0/24\n"
                               "0.0.0.0/0 in-12-not-1\n"
                               "endif\n"
                               "172.16.0.0/12 in-12\n"
                               "endif\n"
                               "0.0.0.0/0 v4\n"
                               "::/0 v6\n");
  auto t = Open("cidr:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->Lookup("172.16.2.1").value, "in-12-not-1");
  EXPECT_EQ((*t)->Lookup("172.16.1.1").value, "in-12");
  EXPECT_EQ((*t)->Lookup("8.8.8.8").value, "v4");
  EXPECT_EQ((*t)->Lookup("2001:db8::1").value, "v6");
}

TEST(CidrTableTest, MissingFile) {
  auto t = Open("cidr:/nonexistent/cidr", OpenOptions{});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "open /nonexistent/cidr: No such file or directory");
}

}  // namespace
}  // namespace tables

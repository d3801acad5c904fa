#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tables/registry.h"
#include "tables/table_testing.h"

namespace tables {
namespace {

TEST(UnixTableTest, PasswdByNameAsPostfixFormatsIt) {
  auto t = Open("unix:passwd.byname", OpenOptions());
  ASSERT_TRUE(t.ok()) << t.status().message();
  LookupResult r = (*t)->Lookup("root");
  ASSERT_TRUE(r.found());
  struct passwd* pw = getpwnam("root");
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(r.value, std::string("root:") + pw->pw_passwd + ":0:" + std::to_string(pw->pw_gid) +
                         ":" + pw->pw_gecos + ":" + pw->pw_dir + ":" + pw->pw_shell);
  EXPECT_TRUE((*t)->Lookup("ROOT").found());  // folded by default
  EXPECT_TRUE((*t)->Lookup("no-such-user-xyzzy").not_found());
  int calls = 0;
  util::Status s = (*t)->Sequence([&](std::string_view, std::string_view) { return ++calls > 0; });
  EXPECT_EQ(s.message(), "table unix:passwd.byname: sequence operation is not supported");
}

TEST(UnixTableTest, GroupByName) {
  auto t = Open("unix:group.byname", OpenOptions());
  ASSERT_TRUE(t.ok());
  LookupResult r = (*t)->Lookup("root");
  ASSERT_TRUE(r.found());
  EXPECT_EQ(r.value.substr(0, 5), "root:");
  EXPECT_NE(r.value.find(":0:"), std::string::npos);
  EXPECT_TRUE((*t)->Lookup("no-such-group-xyzzy").not_found());
}

TEST(UnixTableTest, UnknownMapAndNis) {
  auto t = Open("unix:foo", OpenOptions());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "unknown table: unix:foo");
  testing::WarningCapture warnings;
  auto n = Open("nis:mail.aliases", OpenOptions());
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE((*n)->Lookup("root").not_found());
  EXPECT_TRUE((*n)->Lookup("root").not_found());
  EXPECT_EQ(warnings.texts(), std::vector<std::string>{
                                  "dict_nis_init: NIS domain name not set - NIS lookups disabled"});
}

}  // namespace
}  // namespace tables

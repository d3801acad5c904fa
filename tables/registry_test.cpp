#include "tables/registry.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tables {
namespace {

TEST(RegistryTest, TypesAreSortedUniqueAndAllOpen) {
  std::vector<std::string> types = Types();
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
  EXPECT_EQ(std::adjacent_find(types.begin(), types.end()), types.end());
  EXPECT_EQ(types, (std::vector<std::string>{"btree", "cdb", "cidr", "fail", "hash", "inline",
                                             "lmdb", "mysql", "nis", "pcre", "pipemap", "proxy",
                                             "regexp", "static", "texthash", "unionmap", "unix"}));
  // Every listed type reaches its own opener: whatever it says about this
  // name, it is never "unsupported dictionary type".
  for (const std::string& t : types) {
    auto table = Open(t + ":/nonexistent/registry-test", OpenOptions());
    if (!table.ok()) {
      EXPECT_EQ(table.status().message().find("unsupported dictionary type"), std::string::npos)
          << t << ": " << table.status().message();
    }
  }
}

TEST(RegistryTest, UnknownTypeAndBadSpec) {
  auto t = Open("nosuch:/x", OpenOptions());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "unsupported dictionary type: nosuch");
  t = Open("nocolon", OpenOptions());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "need dictionary type:name, got \"nocolon\"");
  EXPECT_TRUE(IsWritableType("hash"));
  EXPECT_FALSE(IsWritableType("regexp"));
  EXPECT_FALSE(IsWritableType("nosuch"));
}

}  // namespace
}  // namespace tables

// The on-disk conventions of cdb: tables (shared behaviour: db_table_test.cpp).
#include "tables/cdb_table.h"

#include <cdb.h>
#include <fcntl.h>
#include <unistd.h>

#include "tables/indexed_file_test_util.h"
#include "util/scratch_dir.h"

namespace tables {
namespace {

using util::testing::ScratchDir;

// Postfix writes cdb keys and values WITHOUT a trailing NUL (with one: -N).
TEST(CdbTableTest, OnDiskFormat) {
  struct Row {
    const char* name;
    unsigned nul;
    std::string key, value;
  } rows[] = {
      {"default", 0, "k", "v"},
      {"-n", kTryNoNul, "k", "v"},
      {"-N", kTryNul, std::string("k\0", 2), std::string("v\0", 2)},
  };
  for (const Row& row : rows) {
    ScratchDir dir;
    std::string name = dir.path() + "/t";
    Build("cdb:" + name, {{"K", "v"}}, kFoldFixed | kDupWarn | row.nul);
    int fd = open((name + ".cdb").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    struct cdb c;
    ASSERT_EQ(cdb_init(&c, fd), 0);
    ASSERT_GT(cdb_find(&c, row.key.data(), row.key.size()), 0) << row.name;
    EXPECT_EQ(std::string(static_cast<const char*>(cdb_getdata(&c)), cdb_datalen(&c)), row.value)
        << row.name;
    cdb_free(&c);
    close(fd);
  }
}

// A replaced duplicate stays in the data section but not in the index: the
// sequence must not show it.
TEST(CdbTableTest, ReplacedRecordIsNotSequenced) {
  ScratchDir dir;
  std::string spec = "cdb:" + dir.path() + "/t";
  Build(spec, {{"k", "1"}, {"k", "2"}, {"j", "3"}}, kFoldFixed | kDupReplace);
  auto r = OpenReader(spec);
  EXPECT_EQ(r->Lookup("k").value, "2");
  std::vector<std::string> seen;
  ASSERT_TRUE(r->Sequence([&](std::string_view k, std::string_view v) {
                 seen.push_back(std::string(k) + "=" + std::string(v));
                 return true;
               }).ok());
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"j=3", "k=2"}));
}

}  // namespace
}  // namespace tables

// The on-disk conventions of lmdb: tables (shared behaviour: db_table_test.cpp).
#include "tables/lmdb_table.h"

#include <lmdb.h>
#include <sys/stat.h>

#include "tables/indexed_file_test_util.h"
#include "util/scratch_dir.h"

namespace tables {
namespace {

using util::testing::ScratchDir;

// Postfix's layout: one file NAME.lmdb (no subdirectory, no lock file),
// key and value with a trailing NUL (without one with -n).
TEST(LmdbTableTest, OnDiskFormat) {
  struct Row {
    const char* name;
    unsigned nul;
    std::string key, value;
  } rows[] = {
      {"default", 0, std::string("k\0", 2), std::string("v\0", 2)},
      {"-N", kTryNul, std::string("k\0", 2), std::string("v\0", 2)},
      {"-n", kTryNoNul, "k", "v"},
  };
  for (const Row& row : rows) {
    ScratchDir dir;
    std::string name = dir.path() + "/t";
    Build("lmdb:" + name, {{"K", "v"}}, kFoldFixed | kDupWarn | row.nul);
    EXPECT_EQ(dir.Entries(), std::vector<std::string>{"t.lmdb"}) << row.name;
    MDB_env* env;
    ASSERT_EQ(mdb_env_create(&env), 0);
    ASSERT_EQ(
        mdb_env_open(env, (name + ".lmdb").c_str(), MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0), 0);
    MDB_txn* txn;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn), 0);
    MDB_dbi dbi;
    ASSERT_EQ(mdb_dbi_open(txn, nullptr, 0, &dbi), 0);
    MDB_val k{row.key.size(), const_cast<char*>(row.key.data())}, v;
    ASSERT_EQ(mdb_get(txn, dbi, &k, &v), 0) << row.name;
    EXPECT_EQ(std::string(static_cast<char*>(v.mv_data), v.mv_size), row.value) << row.name;
    mdb_txn_abort(txn);
    mdb_env_close(env);
  }
}

TEST(LmdbTableTest, KeyTooLong) {
  ScratchDir dir;
  OpenOptions o;
  o.open_flags = O_RDWR | O_CREAT | O_TRUNC;
  o.flags = kFoldFixed | kDupWarn;
  auto t = Open("lmdb:" + dir.path() + "/t", o);
  ASSERT_TRUE(t.ok());
  util::Status st = (*t)->Update(std::string(600, 'k'), "v");
  EXPECT_EQ(st.code(), util::Code::kInvalidArgument);
  EXPECT_TRUE((*t)->Update("k", "v").ok());
  EXPECT_TRUE((*t)->Commit().ok());
}

}  // namespace
}  // namespace tables

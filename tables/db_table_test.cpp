// Tests of the indexed file tables (hash, btree, lmdb, cdb) through the
// registry: the behaviour they share runs once per type; the on-disk
// conventions of each type are checked with the raw library in
// db_table_test.cpp (hash, btree), lmdb_table_test.cpp and cdb_table_test.cpp.
#include "tables/db_table.h"

#include <db.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tables/indexed_file_test_util.h"
#include "tables/registry.h"
#include "util/scratch_dir.h"

namespace tables {
namespace {

using util::testing::ScratchDir;

class IndexedTableTest : public testing::TestWithParam<const char*> {
 protected:
  std::string type() const { return GetParam(); }
  std::string spec() const { return type() + ":" + dir_.path() + "/t"; }
  std::string Suffix() const {
    return type() == "lmdb" ? ".lmdb" : type() == "cdb" ? ".cdb" : ".db";
  }
  ScratchDir dir_;
};

TEST_P(IndexedTableTest, RoundTripAndSequence) {
  auto t = Build(spec(), {{"Bob@Example.JP", "bob"}, {"alice", "a l i c e"}, {"x", ""}});
  ASSERT_NE(t, nullptr);
  auto r = OpenReader(spec());
  struct Row {
    const char* key;
    bool found;
    const char* value;
  } rows[] = {
      {"bob@example.jp", true, "bob"}, {"BOB@EXAMPLE.JP", true, "bob"},
      {"alice", true, "a l i c e"},    {"x", true, ""},
      {"nobody", false, ""},           {"bob", false, ""},
  };
  for (const Row& row : rows) {
    LookupResult res = r->Lookup(row.key);
    EXPECT_EQ(res.found(), row.found) << row.key;
    if (row.found) {
      EXPECT_EQ(res.value, row.value) << row.key;
    }
  }
  std::map<std::string, std::string> all;
  ASSERT_TRUE(r->Sequence([&](std::string_view k, std::string_view v) {
                 all.emplace(k, v);
                 return true;
               }).ok());
  EXPECT_EQ(all, (std::map<std::string, std::string>{
                     {"bob@example.jp", "bob"}, {"alice", "a l i c e"}, {"x", ""}}));
}

TEST_P(IndexedTableTest, Folding) {
  struct Row {
    const char* name;
    unsigned build_flags, lookup_flags;
    const char* key;
    bool found;
  } rows[] = {
      {"fold both", kFoldFixed, kDefaultLookupFlags, "MiXeD", true},
      {"fold build, exact lookup", kFoldFixed, kTryNul | kTryNoNul, "mixed", true},
      {"fold build, no-fold upper", kFoldFixed, kTryNul | kTryNoNul, "MiXeD", false},
      {"no fold, exact", 0, kTryNul | kTryNoNul, "MiXeD", true},
      {"no fold, folded lookup", 0, kDefaultLookupFlags, "MiXeD", false},
  };
  for (const Row& row : rows) {
    Build(spec(), {{"MiXeD", "v"}}, row.build_flags | kDupWarn);
    auto r = OpenReader(spec(), row.lookup_flags);
    EXPECT_EQ(r->Lookup(row.key).found(), row.found) << row.name;
  }
}

TEST_P(IndexedTableTest, NulConventions) {
  struct Row {
    const char* name;
    unsigned build_nul, lookup_nul;
    bool found;
  } rows[] = {
      {"-N table, default lookup", kTryNul, kTryNul | kTryNoNul, true},
      {"-n table, default lookup", kTryNoNul, kTryNul | kTryNoNul, true},
      {"default table, default lookup", 0, kTryNul | kTryNoNul, true},
      {"-N table, -N lookup", kTryNul, kTryNul, true},
      {"-N table, -n lookup", kTryNul, kTryNoNul, false},
      {"-n table, -N lookup", kTryNoNul, kTryNul, false},
  };
  for (const Row& row : rows) {
    Build(spec(), {{"k", "v"}}, kFoldFixed | kDupWarn | row.build_nul);
    auto r = OpenReader(spec(), kFoldFixed | row.lookup_nul);
    LookupResult res = r->Lookup("k");
    EXPECT_EQ(res.found(), row.found) << row.name;
    if (res.found()) {
      EXPECT_EQ(res.value, "v") << row.name;
    }
    // A second lookup (after learning the convention) agrees.
    EXPECT_EQ(r->Lookup("k").found(), row.found) << row.name;
  }
}

TEST_P(IndexedTableTest, Duplicates) {
  struct Row {
    const char* name;
    unsigned dup;
    bool ok;
    const char* want;
  } rows[] = {
      {"warn keeps first", kDupWarn, true, "first"},
      {"ignore keeps first", kDupIgnore, true, "first"},
      {"replace", kDupReplace, true, "second"},
      {"no flag is an error", 0, false, "first"},
  };
  for (const Row& row : rows) {
    OpenOptions o;
    o.open_flags = O_RDWR | O_CREAT | O_TRUNC;
    o.flags = kFoldFixed | row.dup;
    auto t = Open(spec(), o);
    ASSERT_TRUE(t.ok()) << t.status().message();
    ASSERT_TRUE((*t)->Update("k", "first").ok());
    util::Status st = (*t)->Update("K", "second");
    EXPECT_EQ(st.ok(), row.ok) << row.name;
    if (!st.ok()) {
      EXPECT_NE(st.message().find("duplicate entry: \"k\""), std::string::npos);
    }
    ASSERT_TRUE((*t)->Commit().ok());
    EXPECT_EQ(OpenReader(spec())->Lookup("k").value, row.want) << row.name;
  }
}

TEST_P(IndexedTableTest, IncrementalUpdateAndDelete) {
  Build(spec(), {{"a", "1"}, {"b", "2"}});
  {
    OpenOptions o;
    o.open_flags = O_RDWR | O_CREAT;
    o.flags = kFoldFixed | kDupWarn | kTryNul | kTryNoNul;
    auto t = Open(spec(), o);
    ASSERT_TRUE(t.ok()) << t.status().message();
    ASSERT_TRUE((*t)->Update("c", "3").ok());
    EXPECT_TRUE((*t)->Delete("A").ok());
    EXPECT_EQ((*t)->Delete("a").code(), util::Code::kNotFound);
    EXPECT_EQ((*t)->Delete("zz").code(), util::Code::kNotFound);
    EXPECT_EQ((*t)->Lookup("c").value, "3");  // visible to the writer
    // Not yet to a reader.
    EXPECT_TRUE(OpenReader(spec())->Lookup("a").found());
    EXPECT_FALSE(OpenReader(spec())->Lookup("c").found());
    ASSERT_TRUE((*t)->Commit().ok());
  }
  auto r = OpenReader(spec());
  EXPECT_FALSE(r->Lookup("a").found());
  EXPECT_EQ(r->Lookup("b").value, "2");
  EXPECT_EQ(r->Lookup("c").value, "3");
  EXPECT_EQ(dir_.Entries(), std::vector<std::string>{"t" + Suffix()});  // no temp files left
}

TEST_P(IndexedTableTest, DeleteWithoutCreateNeedsTable) {
  OpenOptions o;
  o.open_flags = O_RDWR;
  o.flags = kFoldFixed | kTryNul | kTryNoNul;
  auto t = Open(spec(), o);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), util::Code::kNotFound);
  EXPECT_EQ(t.status().message(),
            "open database " + dir_.path() + "/t" + Suffix() + ": No such file or directory");
}

TEST_P(IndexedTableTest, MissingTable) {
  OpenOptions o;
  auto t = Open(spec(), o);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), util::Code::kNotFound);
  EXPECT_EQ(t.status().message(),
            "open database " + dir_.path() + "/t" + Suffix() + ": No such file or directory");
}

TEST_P(IndexedTableTest, UncommittedBuildIsInvisible) {
  Build(spec(), {{"old", "1"}});
  auto before = OpenReader(spec());
  {
    OpenOptions o;
    o.open_flags = O_RDWR | O_CREAT | O_TRUNC;
    o.flags = kFoldFixed | kDupWarn;
    auto t = Open(spec(), o);
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE((*t)->Update("new", "2").ok());
    EXPECT_TRUE(OpenReader(spec())->Lookup("old").found());
  }  // destroyed without Commit
  auto r = OpenReader(spec());
  EXPECT_TRUE(r->Lookup("old").found());
  EXPECT_FALSE(r->Lookup("new").found());
  EXPECT_FALSE(before->Changed());
  EXPECT_EQ(dir_.Entries(), std::vector<std::string>{"t" + Suffix()});
}

TEST_P(IndexedTableTest, ChangedAfterRebuild) {
  Build(spec(), {{"k", "old"}});
  auto r = OpenReader(spec());
  EXPECT_FALSE(r->Changed());
  Build(spec(), {{"k", "new"}});
  EXPECT_TRUE(r->Changed());
  // The open reader still sees the table it opened, complete.
  EXPECT_EQ(r->Lookup("k").value, "old");
  EXPECT_EQ(OpenReader(spec())->Lookup("k").value, "new");
  unlink((dir_.path() + "/t" + Suffix()).c_str());
  EXPECT_TRUE(r->Changed());
}

TEST_P(IndexedTableTest, ManyEntries) {
  // Enough to outgrow lmdb's initial map (16 MB) and BDB's default cache.
  std::vector<std::pair<std::string, std::string>> rows;
  for (int i = 0; i < 200000; ++i)
    rows.emplace_back("user" + std::to_string(i) + "@example.jp", std::string(60, 'v'));
  Build(spec(), rows);
  auto r = OpenReader(spec());
  for (int i = 0; i < 200000; i += 997)
    EXPECT_TRUE(r->Lookup("user" + std::to_string(i) + "@example.jp").found()) << i;
  int n = 0;
  ASSERT_TRUE(r->Sequence([&](std::string_view, std::string_view) { return ++n > 0; }).ok());
  EXPECT_EQ(n, 200000);
}

TEST_P(IndexedTableTest, ModeOfExistingTableIsKept) {
  Build(spec(), {{"k", "v"}});
  std::string file = dir_.path() + "/t" + Suffix();
  ASSERT_EQ(chmod(file.c_str(), 0604), 0);
  Build(spec(), {{"k", "w"}});
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0604u);
}

INSTANTIATE_TEST_SUITE_P(Types, IndexedTableTest, testing::Values("hash", "btree", "lmdb", "cdb"),
                         [](const auto& info) { return std::string(info.param); });

// The Berkeley DB files hold key and value with a trailing NUL, as Postfix
// writes them (and without one with -n).
TEST(DbTableTest, OnDiskFormat) {
  struct Row {
    const char* type;
    DBTYPE dbtype;
    unsigned nul;
    std::string key, value;
  } rows[] = {
      {"hash", DB_HASH, 0, std::string("k\0", 2), std::string("v\0", 2)},
      {"btree", DB_BTREE, 0, std::string("k\0", 2), std::string("v\0", 2)},
      {"hash", DB_HASH, kTryNoNul, "k", "v"},
      {"btree", DB_BTREE, kTryNul, std::string("k\0", 2), std::string("v\0", 2)},
  };
  for (const Row& row : rows) {
    ScratchDir dir;
    std::string name = dir.path() + "/t";
    Build(std::string(row.type) + ":" + name, {{"K", "v"}}, kFoldFixed | kDupWarn | row.nul);
    DB* db;
    ASSERT_EQ(db_create(&db, nullptr, 0), 0);
    ASSERT_EQ(db->open(db, nullptr, (name + ".db").c_str(), nullptr, row.dbtype, DB_RDONLY, 0), 0)
        << row.type;
    DBT k = {}, v = {};
    k.data = const_cast<char*>(row.key.data());
    k.size = row.key.size();
    ASSERT_EQ(db->get(db, nullptr, &k, &v, 0), 0) << row.type;
    EXPECT_EQ(std::string(static_cast<char*>(v.data), v.size), row.value) << row.type;
    db->close(db, 0);
  }
}

TEST(DbTableTest, NotADatabase) {
  ScratchDir dir;
  std::string name = dir.Path("t");
  dir.Write("t.db", "garbage\n");
  OpenOptions o;
  auto t = Open("hash:" + name, o);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "open database " + name + ".db: Invalid argument");
}

}  // namespace
}  // namespace tables

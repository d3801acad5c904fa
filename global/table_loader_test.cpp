#include "global/table_loader.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tables/table_testing.h"

namespace table_loader {
namespace {

using Puts = std::vector<std::pair<std::string, std::string>>;

// Records every Update; keys in byte order or not, as asked.
class RecordingTable : public tables::Table {
 public:
  RecordingTable(bool ordered, unsigned flags) : Table("test", "t", flags), ordered_(ordered) {}
  tables::LookupResult Lookup(std::string_view) override {
    return tables::LookupResult::NotFound();
  }
  util::Status Update(std::string_view key, std::string_view value) override {
    if (key == "bad") return util::FailedPrecondition("bad key");
    puts.emplace_back(key, value);
    return util::OkStatus();
  }
  bool KeysInByteOrder() const override { return ordered_; }
  Puts puts;

 private:
  bool ordered_;
};

void NoFailure(tables::Table&, const util::Status& st) { ADD_FAILURE() << st.message(); }

TEST(TableLoaderTest, UnorderedTableGetsEachEntryAtOnce) {
  RecordingTable t(false, tables::kFoldFixed);
  Loader load(t, NoFailure, /*fresh=*/true);
  load.Add("b", "1");
  EXPECT_EQ(t.puts, (Puts{{"b", "1"}}));
  load.Add("A", "2");
  load.Flush();
  EXPECT_EQ(t.puts, (Puts{{"b", "1"}, {"A", "2"}}));  // as given: the table folds
}

TEST(TableLoaderTest, OrderedTableGetsSortedFoldedEntries) {
  RecordingTable t(true, tables::kFoldFixed);
  Loader load(t, NoFailure, /*fresh=*/true);
  for (auto [k, v] :
       Puts{{"user10", "a"}, {"User2", "b"}, {"user1", "c"}, {"user", "e"}, {"user\xff", "f"}})
    load.Add(k, v);
  EXPECT_TRUE(t.puts.empty());  // nothing before the batch is full or flushed
  load.Flush();
  // Byte order (unsigned: \xff last), a prefix before its extensions.
  EXPECT_EQ(
      t.puts,
      (Puts{{"user", "e"}, {"user1", "c"}, {"user10", "a"}, {"user2", "b"}, {"user\xff", "f"}}));
  load.Flush();  // nothing left
  EXPECT_EQ(t.puts.size(), 5u);
}

TEST(TableLoaderTest, RepeatWarnsWhenReadAndKeepsTheFirst) {
  tables::testing::WarningCapture warnings;
  RecordingTable t(true, tables::kFoldFixed | tables::kDupWarn);
  Loader load(t, NoFailure, /*fresh=*/true);
  load.Add("b", "1");
  load.Add("User2", "first");
  load.Add("USER2", "second");
  // The table's own warning, when the repeat is read (not at the flush).
  EXPECT_EQ(warnings.texts(), (std::vector<std::string>{"test:t: duplicate entry: \"user2\""}));
  load.Add("user2", "third");
  EXPECT_EQ(warnings.texts().size(), 2u);
  EXPECT_TRUE(t.puts.empty());
  load.Flush();
  EXPECT_EQ(t.puts, (Puts{{"b", "1"}, {"user2", "first"}}));
}

TEST(TableLoaderTest, RepeatWithReplaceKeepsTheLastWithIgnoreTheFirstSilently) {
  for (auto [flag, kept] :
       {std::pair{tables::kDupReplace, "third"}, std::pair{tables::kDupIgnore, "first"}}) {
    tables::testing::WarningCapture warnings;
    RecordingTable t(true, tables::kFoldFixed | flag);
    Loader load(t, NoFailure, /*fresh=*/true);
    for (auto [k, v] :
         Puts{{"b", "1"}, {"User2", "first"}, {"a", "2"}, {"USER2", "second"}, {"user2", "third"}})
      load.Add(k, v);
    load.Flush();
    EXPECT_EQ(t.puts, (Puts{{"a", "2"}, {"b", "1"}, {"user2", kept}})) << flag;
    EXPECT_TRUE(warnings.texts().empty()) << flag;
  }
}

TEST(TableLoaderTest, RepeatWithoutAPolicyFailsWhenRead) {
  RecordingTable t(true, tables::kFoldFixed);
  std::vector<std::string> failed;
  Loader load(
      t,
      [&](tables::Table&, const util::Status& st) { failed.push_back(std::string(st.message())); },
      /*fresh=*/true);
  load.Add("k", "1");
  EXPECT_TRUE(failed.empty());
  load.Add("K", "2");
  EXPECT_EQ(failed, (std::vector<std::string>{"test:t: duplicate entry: \"k\""}));
}

TEST(TableLoaderTest, ChangeOfAnExistingTableIsNotSorted) {
  RecordingTable t(true, tables::kFoldFixed);
  Loader load(t, NoFailure, /*fresh=*/false);
  load.Add("b", "1");
  load.Add("a", "2");
  EXPECT_EQ(t.puts, (Puts{{"b", "1"}, {"a", "2"}}));
  load.Flush();
  EXPECT_EQ(t.puts.size(), 2u);
}

TEST(TableLoaderTest, WithoutFoldingCaseIsKept) {
  RecordingTable t(true, 0);
  Loader load(t, NoFailure, /*fresh=*/true);
  load.Add("b", "1");
  load.Add("B", "2");
  load.Add("a", "3");
  load.Flush();
  EXPECT_EQ(t.puts, (Puts{{"B", "2"}, {"a", "3"}, {"b", "1"}}));
}

TEST(TableLoaderTest, SourceLargerThanABatchGoesInSortedThenAsItComes) {
  RecordingTable t(true, tables::kFoldFixed);
  Loader load(t, NoFailure, /*fresh=*/true, /*batch_bytes=*/8);
  load.Add("k3", "v1");  // 4 bytes
  load.Add("k2", "v2");  // 8: still held
  EXPECT_TRUE(t.puts.empty());
  load.Add("k0", "v3");  // would pass 8: what was held goes in sorted, then this
  EXPECT_EQ(t.puts, (Puts{{"k2", "v2"}, {"k3", "v1"}, {"k0", "v3"}}));
  // From now on each entry goes in when read: the table sees a repeat of
  // a key it has, in the order of the source.
  load.Add("K3", "v4");
  EXPECT_EQ(t.puts.back(), (std::pair<std::string, std::string>{"K3", "v4"}));
  load.Add("a", "5");
  load.Flush();
  EXPECT_EQ(t.puts.back(), (std::pair<std::string, std::string>{"a", "5"}));
  EXPECT_EQ(t.puts.size(), 5u);
}

TEST(TableLoaderTest, FailedUpdateIsReported) {
  RecordingTable t(true, 0);
  std::string failed;
  Loader load(
      t,
      [&](tables::Table& table, const util::Status& st) {
        failed = table.spec() + ": " + std::string(st.message());
      },
      /*fresh=*/true);
  load.Add("bad", "x");
  load.Add("good", "y");
  load.Flush();
  EXPECT_EQ(failed, "test:t: bad key");
  EXPECT_EQ(t.puts, (Puts{{"good", "y"}}));
}

}  // namespace
}  // namespace table_loader

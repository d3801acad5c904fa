// table_loader: the entries of a table build (postmap, postalias) on their
// way into the table.
//
// A new table (a build, not -i) that keeps its keys in byte order
// (Table::KeysInByteOrder: btree, lmdb) gets them sorted, as the table
// stores them (folded when the table folds case, kFoldFixed): its pages
// then fill one after another instead of splitting all over the file. A
// 1,000,000-entry btree takes half the file (62 MB, not 116 MB) and answers
// lookups faster; the build takes about as long, the sort costing what the
// ordered inserts save. Nothing else changes:
//   - a key repeated in the source is handled when it is read, as the
//     table would (Table::Duplicate: a warning and the first value kept,
//     nothing with -w, the error without either; -r keeps the last), so
//     the warning comes at the same point among the source's other
//     warnings as without sorting;
//   - a source larger than `batch_bytes` of keys and values: what was read
//     by then goes in sorted, the rest as it comes (the table sees those
//     repeats itself), so memory stays bounded.
// Other tables, and changes of an existing table, get each entry at once.
//
//   table_loader::Loader load(*table, fail, /*fresh=*/!incremental);
//   load.Add(key, value);   // per source line
//   load.Flush();           // before Commit(): puts what is left
// `fail` is called for a failed Update and must not return.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tables/table.h"
#include "util/status.h"

namespace table_loader {

class Loader {
 public:
  using Fail = std::function<void(tables::Table&, const util::Status&)>;
  static constexpr size_t kDefaultBatchBytes = size_t{64} << 20;

  Loader(tables::Table& table, Fail fail, bool fresh, size_t batch_bytes = kDefaultBatchBytes);

  void Add(std::string_view key, std::string_view value);
  void Flush();

 private:
  struct Entry {
    size_t off;
    uint32_t key_len;
    uint32_t value_len;
    uint64_t hash;
    bool done;  // put into the table already, or dropped as a duplicate
  };

  std::string_view Key(size_t i) const;
  std::string_view Value(size_t i) const;
  // The slot of slots_ for key i: the one holding an equal key, or the
  // empty one where it goes.
  size_t Slot(size_t i) const;
  void SetSlot(size_t slot, size_t i);
  void Grow();
  void PutEntry(size_t i);
  void Put(std::string_view key, std::string_view value);

  tables::Table& table_;
  Fail fail_;
  size_t batch_bytes_;
  bool sort_, fold_;
  std::string arena_;  // key (as stored), value, key, value, ...
  std::vector<Entry> entries_;
  // The batch's keys (open addressing: the high 32 bits of the key's hash,
  // then entry index + 1; 0 empty), at most half full, so a repeat is found
  // when it is read without a node per key or a look at other keys.
  std::vector<uint64_t> slots_;
};

}  // namespace table_loader

#include "global/table_loader.h"

#include <algorithm>

#include "tables/indexed_file.h"

namespace table_loader {
namespace {

// 8 bytes of a key from `from` as a big-endian number, zero-padded: a < b
// when pa < pb (the smallest byte pads), so most comparisons of a sort need
// not read the keys.
uint64_t Prefix(std::string_view key, size_t from) {
  uint64_t p = 0;
  for (size_t i = from; i < from + 8; ++i)
    p = (p << 8) | (i < key.size() ? static_cast<unsigned char>(key[i]) : 0u);
  return p;
}

}  // namespace

Loader::Loader(tables::Table& table, Fail fail, bool fresh, size_t batch_bytes)
    : table_(table),
      fail_(std::move(fail)),
      batch_bytes_(batch_bytes),
      sort_(fresh && table.KeysInByteOrder()),
      fold_(table.flags() & tables::kFoldFixed) {}

void Loader::Add(std::string_view key, std::string_view value) {
  if (sort_ && !entries_.empty() && arena_.size() + key.size() + value.size() > batch_bytes_) {
    // A source larger than a batch: what was read goes in sorted, the rest
    // as it comes, so that the table itself sees every later repeat.
    Flush();
    sort_ = false;
  }
  if (!sort_) {
    Put(key, value);
    return;
  }
  size_t i = entries_.size();
  size_t off = arena_.size();
  arena_.append(key);
  if (fold_) tables::FoldCase(arena_.data() + off, key.size());
  arena_.append(value);
  entries_.push_back(
      {off, static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size()),
       std::hash<std::string_view>{}(std::string_view(arena_).substr(off, key.size())), false});
  if (2 * entries_.size() > slots_.size()) Grow();
  size_t slot = Slot(i);
  if (slots_[slot] == 0) {
    SetSlot(slot, i);
    return;
  }
  // A repeat within the batch, handled now as the table would: -r's last
  // value wins, otherwise the first, with the table's warning (or error)
  // at this point among the source's other warnings.
  if (table_.flags() & tables::kDupReplace) {
    entries_[static_cast<uint32_t>(slots_[slot]) - 1].done = true;
    SetSlot(slot, i);
  } else {
    entries_[i].done = true;
    if (util::Status st = table_.Duplicate(Key(i)); !st.ok()) fail_(table_, st);
  }
}

size_t Loader::Slot(size_t i) const {
  const size_t mask = slots_.size() - 1;
  const uint64_t tag = entries_[i].hash >> 32;
  for (size_t s = entries_[i].hash & mask;; s = (s + 1) & mask) {
    uint64_t at = slots_[s];
    if (at == 0) return s;
    size_t j = static_cast<uint32_t>(at) - 1;
    if ((at >> 32) == tag && Key(j) == Key(i)) return s;
  }
}

void Loader::SetSlot(size_t slot, size_t i) {
  slots_[slot] = (entries_[i].hash >> 32 << 32) | static_cast<uint32_t>(i + 1);
}

void Loader::Grow() {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(std::max<size_t>(4096, old.size() * 4), 0);
  for (uint64_t at : old) {
    if (at == 0) continue;
    size_t i = static_cast<uint32_t>(at) - 1;
    slots_[Slot(i)] = at;
  }
}

void Loader::Flush() {
  // By key, and among equal keys (earlier batches' repeats) in the order read.
  struct Item {
    uint64_t p0, p1;  // bytes 0-7 and 8-15 of the key
    uint32_t index;
  };
  std::vector<Item> order;
  order.reserve(entries_.size());
  for (size_t i = 0; i < entries_.size(); ++i)
    if (!entries_[i].done)
      order.push_back({Prefix(Key(i), 0), Prefix(Key(i), 8), static_cast<uint32_t>(i)});
  std::stable_sort(order.begin(), order.end(), [this](const Item& a, const Item& b) {
    if (a.p0 != b.p0) return a.p0 < b.p0;
    if (a.p1 != b.p1) return a.p1 < b.p1;
    int c = Key(a.index).compare(Key(b.index));
    return c != 0 ? c < 0 : a.index < b.index;
  });
  for (const Item& it : order) PutEntry(it.index);
  slots_ = {};
  entries_ = {};
  arena_ = {};
}

std::string_view Loader::Key(size_t i) const {
  return std::string_view(arena_).substr(entries_[i].off, entries_[i].key_len);
}

std::string_view Loader::Value(size_t i) const {
  const Entry& e = entries_[i];
  return std::string_view(arena_).substr(e.off + e.key_len, e.value_len);
}

void Loader::PutEntry(size_t i) {
  if (entries_[i].done) return;
  entries_[i].done = true;
  Put(Key(i), Value(i));
}

void Loader::Put(std::string_view key, std::string_view value) {
  if (util::Status st = table_.Update(key, value); !st.ok()) fail_(table_, st);
}

}  // namespace table_loader

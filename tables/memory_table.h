// memory_table: a table held in memory as a sorted map (inline:, texthash:).
// Lookups fold the key per the table's flags; Sequence walks keys in order.
// Subclasses fill entries_ when they open.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "tables/table.h"

namespace tables {

class MemoryTable : public Table {
 public:
  using Table::Table;

  LookupResult Lookup(std::string_view key) override {
    auto it = entries_.find(FoldKey(key));
    if (it == entries_.end()) return LookupResult::NotFound();
    return LookupResult::Found(it->second);
  }

  util::Status Sequence(
      const std::function<bool(std::string_view, std::string_view)>& fn) override {
    for (const auto& [k, v] : entries_) {
      if (!fn(k, v)) break;
    }
    return util::OkStatus();
  }

 protected:
  std::map<std::string, std::string> entries_;
};

}  // namespace tables

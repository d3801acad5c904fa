// unionmap:{type:name, type:name, ...} — every table is queried with the
// key; the values found are joined with commas in table order (Postfix 3.0
// dict_union). Not found when no table has the key; a temporary error in
// any table is the result (nothing is joined around it).
//
// Errors at open: a name that is not "{...}" or an empty list is
//   bad syntax: "unionmap:NAME"; need "unionmap:{type:name...}"
// and a component that cannot be opened gives that table's error.
#include <memory>
#include <vector>

#include "tables/registry.h"
#include "tables/table_syntax.h"
#include "tables/types.h"

namespace tables {
namespace {

class UnionTable : public Table {
 public:
  UnionTable(std::string_view name, unsigned flags, std::vector<std::unique_ptr<Table>> tables)
      : Table("unionmap", std::string(name), flags), tables_(std::move(tables)) {}

  LookupResult Lookup(std::string_view key) override {
    std::string joined;
    bool found = false;
    for (const auto& t : tables_) {
      LookupResult r = t->Lookup(key);
      if (r.temp_error()) return r;
      if (!r.found()) continue;
      if (found) joined += ",";
      joined += r.value;
      found = true;
    }
    return found ? LookupResult::Found(std::move(joined)) : LookupResult::NotFound();
  }

  bool Changed() const override {
    for (const auto& t : tables_) {
      if (t->Changed()) return true;
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<Table>> tables_;
};

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenUnionmap(std::string_view name,
                                                    const OpenOptions& options) {
  util::Status bad = util::FailedPrecondition("bad syntax: \"unionmap:" + std::string(name) +
                                              "\"; need \"unionmap:{type:name...}\"");
  std::optional<std::string_view> inside = StripBraces(name);
  if (!inside) return bad;
  util::StatusOr<std::vector<std::string>> specs = SplitBracedList(*inside);
  if (!specs.ok() || specs->empty()) return bad;
  std::vector<std::unique_ptr<Table>> tables;
  for (const std::string& spec : *specs) {
    util::StatusOr<std::unique_ptr<Table>> t = Open(spec, options);
    if (!t.ok()) return t.status();
    tables.push_back(std::move(*t));
  }
  return std::unique_ptr<Table>(new UnionTable(name, options.flags, std::move(tables)));
}

}  // namespace tables

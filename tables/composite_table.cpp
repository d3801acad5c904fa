// Tables made of other tables (Postfix 3.0 dict_union and dict_pipe):
//
// unionmap:{type:name, type:name, ...} — every table is queried with the
// key; the values found are joined with commas in table order. Not found
// when no table has the key; a temporary error in any table is the result
// (nothing is joined around it).
//
// pipemap:{type:name, type:name, ...} — a pipeline: the key is looked up in
// the first table, the value found is the key of the next, and the last
// value is the result. Not found or a temporary error at any stage ends the
// pipeline with that outcome.
//
// Errors at open: a name that is not "{...}" or an empty list is
//   bad syntax: "TYPE:NAME"; need "TYPE:{type:name...}"
// and a component that cannot be opened gives that table's error.
#include <memory>
#include <vector>

#include "tables/registry.h"
#include "tables/table_syntax.h"
#include "tables/types.h"

namespace tables {
namespace {

using Components = std::vector<std::unique_ptr<Table>>;

// The part both share: the component tables, and change detection over all.
class CompositeTable : public Table {
 public:
  CompositeTable(std::string type, std::string_view name, unsigned flags, Components tables)
      : Table(std::move(type), std::string(name), flags), tables_(std::move(tables)) {}

  bool Changed() const override {
    for (const auto& t : tables_) {
      if (t->Changed()) return true;
    }
    return false;
  }

 protected:
  Components tables_;
};

class UnionTable : public CompositeTable {
 public:
  using CompositeTable::CompositeTable;

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
};

class PipeTable : public CompositeTable {
 public:
  using CompositeTable::CompositeTable;

  LookupResult Lookup(std::string_view key) override {
    std::string k(key);
    LookupResult r = LookupResult::NotFound();
    for (const auto& t : tables_) {
      r = t->Lookup(k);
      if (!r.found()) return r;
      k = r.value;
    }
    return r;
  }
};

// Opens the component tables of "{type:name, ...}".
util::StatusOr<Components> OpenComponents(std::string_view type, std::string_view name,
                                          const OpenOptions& options) {
  util::Status bad =
      util::FailedPrecondition("bad syntax: \"" + std::string(type) + ":" + std::string(name) +
                               "\"; need \"" + std::string(type) + ":{type:name...}\"");
  std::optional<std::string_view> inside = StripBraces(name);
  if (!inside) return bad;
  util::StatusOr<std::vector<std::string>> specs = SplitBracedList(*inside);
  if (!specs.ok() || specs->empty()) return bad;
  Components tables;
  for (const std::string& spec : *specs) {
    util::StatusOr<std::unique_ptr<Table>> t = Open(spec, options);
    if (!t.ok()) return t.status();
    tables.push_back(std::move(*t));
  }
  return tables;
}

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenUnionmap(std::string_view name,
                                                    const OpenOptions& options) {
  auto tables = OpenComponents("unionmap", name, options);
  if (!tables.ok()) return tables.status();
  return std::unique_ptr<Table>(
      new UnionTable("unionmap", name, options.flags, std::move(tables).value()));
}

util::StatusOr<std::unique_ptr<Table>> OpenPipemap(std::string_view name,
                                                   const OpenOptions& options) {
  auto tables = OpenComponents("pipemap", name, options);
  if (!tables.ok()) return tables.status();
  return std::unique_ptr<Table>(
      new PipeTable("pipemap", name, options.flags, std::move(tables).value()));
}

}  // namespace tables

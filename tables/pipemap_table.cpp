// pipemap:{type:name, type:name, ...} — a pipeline (Postfix 3.0
// dict_pipe): the key is looked up in the first table, the value found is
// the key of the next, and the last value is the result. Not found or a
// temporary error at any stage ends the pipeline with that outcome.
//
// Errors at open: a name that is not "{...}" or an empty list is
//   bad syntax: "pipemap:NAME"; need "pipemap:{type:name...}"
// and a component that cannot be opened gives that table's error.
#include <memory>
#include <vector>

#include "tables/registry.h"
#include "tables/table_syntax.h"
#include "tables/types.h"

namespace tables {
namespace {

class PipeTable : public Table {
 public:
  PipeTable(std::string_view name, unsigned flags, std::vector<std::unique_ptr<Table>> tables)
      : Table("pipemap", std::string(name), flags), tables_(std::move(tables)) {}

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

util::StatusOr<std::unique_ptr<Table>> OpenPipemap(std::string_view name,
                                                   const OpenOptions& options) {
  util::Status bad = util::FailedPrecondition("bad syntax: \"pipemap:" + std::string(name) +
                                              "\"; need \"pipemap:{type:name...}\"");
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
  return std::unique_ptr<Table>(new PipeTable(name, options.flags, std::move(tables)));
}

}  // namespace tables

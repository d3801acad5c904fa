// static:VALUE — every lookup finds VALUE (Postfix's dict_static). Since
// Postfix 3.2 the value may contain white space as "static:{ text }".
// Errors: "static:" alone, or "{" without its "}".
#include <memory>

#include "tables/table_syntax.h"
#include "tables/types.h"

namespace tables {
namespace {

class StaticTable : public Table {
 public:
  StaticTable(std::string_view name, std::string value, unsigned flags)
      : Table("static", std::string(name), flags), value_(std::move(value)) {}
  LookupResult Lookup(std::string_view) override { return LookupResult::Found(value_); }

 private:
  std::string value_;
};

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenStatic(std::string_view name,
                                                  const OpenOptions& options) {
  if (name.empty())
    return util::FailedPrecondition(
        "open dictionary: expecting \"type:name\" form instead of "
        "\"static:\"");
  std::string value(name);
  if (name.front() == '{') {
    std::optional<std::string_view> inside = StripBraces(name);
    if (!inside)
      return util::FailedPrecondition("bad static:name syntax: missing '}' in \"" +
                                      std::string(name) + "\"");
    value = std::string(*inside);
  }
  return std::unique_ptr<Table>(new StaticTable(name, std::move(value), options.flags));
}

}  // namespace tables

// fail:NAME — every lookup is a temporary error "fail:NAME" (Postfix's
// dict_fail, for testing how callers handle table failures).
#include <memory>

#include "tables/types.h"

namespace tables {
namespace {

class FailTable : public Table {
 public:
  FailTable(std::string_view name, unsigned flags) : Table("fail", std::string(name), flags) {}
  LookupResult Lookup(std::string_view) override { return LookupResult::TempError(spec()); }
};

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenFail(std::string_view name, const OpenOptions& options) {
  if (name.empty())
    return util::FailedPrecondition(
        "open dictionary: expecting \"type:name\" form instead of "
        "\"fail:\"");
  return std::unique_ptr<Table>(new FailTable(name, options.flags));
}

}  // namespace tables

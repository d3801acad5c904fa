#include "tables/table.h"

#include "util/strings.h"

namespace tables {

util::Status Table::Update(std::string_view, std::string_view) {
  return util::FailedPrecondition("table " + spec() + " does not support updates");
}

util::Status Table::Delete(std::string_view) {
  return util::FailedPrecondition("table " + spec() + " does not support deletion");
}

util::Status Table::Sequence(const std::function<bool(std::string_view, std::string_view)>&) {
  return util::FailedPrecondition("table " + spec() + " does not support sequencing");
}

std::string Table::FoldKey(std::string_view key) const {
  return (flags_ & kFoldFixed) ? util::Lowercase(key) : std::string(key);
}

}  // namespace tables

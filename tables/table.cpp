#include "tables/table.h"

#include "util/msg.h"
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

util::Status Table::Duplicate(std::string_view key) const {
  if (flags_ & kDupIgnore) return util::OkStatus();
  std::string text = DuplicateWhere() + ": duplicate entry: \"" + std::string(key) + "\"";
  if (flags_ & kDupWarn) {
    msg::Warn("%s", text.c_str());
    return util::OkStatus();
  }
  return util::FailedPrecondition(text);
}

std::string Table::FoldKey(std::string_view key) const {
  return (flags_ & kFoldFixed) ? util::Lowercase(key) : std::string(key);
}

}  // namespace tables

// inline:{ key=value, { key = text with spaces }, ... } — a small table
// written in main.cf (Postfix 3.0 inline_table(5)). Items are separated by
// commas or white space; an item with spaces in its value is braced, and
// inside braces white space around '=' is allowed. Keys are folded with
// kFoldFixed; a repeated key keeps the last value. Bad syntax is
// kFailedPrecondition naming the whole spec, in Postfix's words:
//   bad syntax: "inline:a=b"; need "inline:{name=value...}"
//   missing '=' after attribute name: "inline:{a}"; need "inline:{name=value...}"
#include <map>
#include <memory>

#include "tables/memory_table.h"
#include "tables/table_syntax.h"
#include "tables/types.h"
#include "util/strings.h"

namespace tables {
namespace {

class InlineTable : public MemoryTable {
 public:
  InlineTable(std::string_view name, std::map<std::string, std::string> entries, unsigned flags)
      : MemoryTable("inline", std::string(name), flags) {
    entries_ = std::move(entries);
  }
};

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenInline(std::string_view name,
                                                  const OpenOptions& options) {
  const std::string spec = "inline:" + std::string(name);
  auto error = [&](std::string_view what) {
    return util::FailedPrecondition(std::string(what) + ": \"" + spec +
                                    "\"; need \"inline:{name=value...}\"");
  };
  std::optional<std::string_view> inside = StripBraces(name);
  if (!inside) return error("bad syntax");
  util::StatusOr<std::vector<std::string>> items = SplitBracedList(*inside);
  if (!items.ok() || items->empty()) return error("bad syntax");
  std::map<std::string, std::string> entries;
  for (const std::string& item : *items) {
    std::string_view text = item;
    if (!item.empty() && item.front() == '{') {
      std::optional<std::string_view> braced = StripBraces(item);
      if (!braced) return error("bad syntax");
      text = *braced;
    }
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) return error("missing '=' after attribute name");
    std::string_view key = util::Trim(text.substr(0, eq));
    std::string_view value = util::Trim(text.substr(eq + 1));
    if (key.empty()) return error("missing attribute name");
    for (char c : key) {
      if (util::IsSpace(c)) return error("missing '=' after attribute name");
    }
    entries[(options.flags & kFoldFixed) ? util::Lowercase(key) : std::string(key)] =
        std::string(value);
  }
  return std::unique_ptr<Table>(new InlineTable(name, std::move(entries), options.flags));
}

}  // namespace tables

#include "global/match_list.h"

#include <cctype>

#include "tables/table_syntax.h"

namespace match_list {

namespace {

constexpr int kMaxFileDepth = 10;

util::Status AddItems(const std::string& title, std::string_view value,
                      const tables::OpenOptions& options,
                      const std::function<bool(std::string_view)>& literal, int depth,
                      std::vector<Item>* out) {
  util::StatusOr<std::vector<std::string>> items = tables::SplitBracedList(value);
  if (!items.ok())
    return util::FailedPrecondition(title + ": bad list \"" + std::string(value) +
                                    "\": " + items.status().message());
  for (const std::string& item : *items) {
    std::string_view text = item;
    bool negate = false;
    while (!text.empty() && text.front() == '!') {
      negate = !negate;
      text.remove_prefix(1);
    }
    if (text.empty()) continue;
    if (text.front() == '/') {
      if (negate)
        return util::FailedPrecondition(title +
                                        ": table lookup problem: negation of a file "
                                        "name is not supported: !" +
                                        std::string(text));
      if (depth >= kMaxFileDepth)
        return util::FailedPrecondition(title + ": too many nested files at " + std::string(text));
      util::StatusOr<std::vector<tables::LogicalLine>> lines =
          tables::ReadLogicalLines(std::string(text), nullptr);
      if (!lines.ok()) return util::FailedPrecondition(title + ": " + lines.status().message());
      for (const tables::LogicalLine& l : *lines) {
        if (util::Status st = AddItems(title, l.text, options, literal, depth + 1, out); !st.ok())
          return st;
      }
      continue;
    }
    Item i;
    i.negate = negate;
    i.text = std::string(text);
    if (IsTableSpec(text) && !(literal && literal(text))) {
      util::StatusOr<maps::Maps> m = maps::Maps::Open(title, text, options);
      if (!m.ok()) return m.status();
      i.table = std::make_shared<maps::Maps>(std::move(*m));
    }
    out->push_back(std::move(i));
  }
  return util::OkStatus();
}

}  // namespace

bool IsTableSpec(std::string_view p) {
  size_t colon = p.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (char c : p.substr(0, colon)) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

util::StatusOr<std::vector<Item>> Expand(std::string_view title, std::string_view value,
                                         const tables::OpenOptions& options,
                                         const std::function<bool(std::string_view)>& literal) {
  std::vector<Item> out;
  if (util::Status st = AddItems(std::string(title), value, options, literal, 0, &out); !st.ok())
    return st;
  return out;
}

}  // namespace match_list

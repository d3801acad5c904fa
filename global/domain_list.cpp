#include "global/domain_list.h"

#include <cctype>

#include "tables/table_syntax.h"
#include "util/strings.h"

namespace domain_list {

namespace {

constexpr int kMaxFileDepth = 10;

bool IsTableSpec(std::string_view p) {
  size_t colon = p.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (char c : p.substr(0, colon)) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

util::StatusOr<DomainList> DomainList::Parse(std::string_view title, std::string_view value,
                                             Style style, bool parent_matches_subdomains,
                                             const tables::OpenOptions& options) {
  DomainList list;
  list.title_ = std::string(title);
  list.style_ = style;
  list.parent_ = parent_matches_subdomains;
  if (util::Status st = list.AddPatterns(value, options, 0); !st.ok()) return st;
  return list;
}

util::StatusOr<DomainList> DomainList::FromParameter(const config::Config& cfg,
                                                     std::string_view param, Style style) {
  bool parent = false;
  for (const std::string& p : cfg.GetList("parent_domain_matches_subdomains")) {
    if (p == param) parent = true;
  }
  return Parse(param, cfg.Get(param), style, parent, maps::TableOptions(cfg));
}

util::Status DomainList::AddPatterns(std::string_view value, const tables::OpenOptions& options,
                                     int depth) {
  util::StatusOr<std::vector<std::string>> items = tables::SplitBracedList(value);
  if (!items.ok())
    return util::FailedPrecondition(title_ + ": bad list \"" + std::string(value) +
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
        return util::FailedPrecondition(title_ +
                                        ": table lookup problem: negation of a file "
                                        "name is not supported: !" +
                                        std::string(text));
      if (depth >= kMaxFileDepth)
        return util::FailedPrecondition(title_ + ": too many nested files at " + std::string(text));
      util::StatusOr<std::vector<tables::LogicalLine>> lines =
          tables::ReadLogicalLines(std::string(text), nullptr);
      if (!lines.ok()) return util::FailedPrecondition(title_ + ": " + lines.status().message());
      for (const tables::LogicalLine& l : *lines) {
        if (util::Status st = AddPatterns(l.text, options, depth + 1); !st.ok()) return st;
      }
      continue;
    }
    Pattern p;
    p.negate = negate;
    if (IsTableSpec(text)) {
      util::StatusOr<maps::Maps> m = maps::Maps::Open(title_, text, options);
      if (!m.ok()) return m.status();
      p.table = std::make_shared<maps::Maps>(std::move(*m));
      p.text = std::string(text);
    } else {
      p.text = util::Lowercase(text);
    }
    patterns_.push_back(std::move(p));
  }
  return util::OkStatus();
}

util::StatusOr<bool> DomainList::MatchOne(Pattern& p, const std::string& name) {
  if (p.table) {
    tables::LookupResult r = p.table->Find(name);
    if (r.temp_error()) return util::Unavailable(r.value);
    if (r.found()) return true;
    if (style_ == Style::kString) return false;
    for (size_t dot = name.find('.', 1); dot != std::string::npos && dot + 1 < name.size();
         dot = name.find('.', dot + 1)) {
      std::string parent = parent_ ? name.substr(dot + 1) : name.substr(dot);
      r = p.table->Find(parent);
      if (r.temp_error()) return util::Unavailable(r.value);
      if (r.found()) return true;
    }
    return false;
  }
  if (name == p.text) return true;
  if (style_ == Style::kString || p.text.empty() || p.text.size() >= name.size()) return false;
  size_t start = name.size() - p.text.size();
  if (name.compare(start, std::string::npos, p.text) != 0) return false;
  if (p.text.front() == '.') return true;    // ".example.com"
  return parent_ && name[start - 1] == '.';  // "example.com", parent style
}

util::StatusOr<bool> DomainList::Match(std::string_view name) {
  std::string lower = util::Lowercase(name);
  for (Pattern& p : patterns_) {
    util::StatusOr<bool> m = MatchOne(p, lower);
    if (!m.ok()) return m.status();
    if (*m) return !p.negate;
  }
  return false;
}

void DomainList::CheckChanges() {
  for (Pattern& p : patterns_) {
    if (p.table) p.table->CheckChanges();
  }
}

}  // namespace domain_list

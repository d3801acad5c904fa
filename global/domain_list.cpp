#include "global/domain_list.h"

#include <cctype>

#include "global/match_list.h"
#include "util/strings.h"

namespace domain_list {

util::StatusOr<DomainList> DomainList::Parse(std::string_view title, std::string_view value,
                                             Style style, bool parent_matches_subdomains,
                                             const tables::OpenOptions& options) {
  DomainList list;
  list.title_ = std::string(title);
  list.style_ = style;
  list.parent_ = parent_matches_subdomains;
  if (util::Status st = list.AddPatterns(value, options); !st.ok()) return st;
  return list;
}

util::StatusOr<DomainList> DomainList::FromParameter(const config::Config& cfg,
                                                     config::AnyParam param, Style style) {
  bool parent = false;
  for (const std::string& p : cfg.GetList("parent_domain_matches_subdomains")) {
    if (p == param.name()) parent = true;
  }
  return Parse(param.name(), cfg.Get(param), style, parent, maps::TableOptions(cfg));
}

util::Status DomainList::AddPatterns(std::string_view value, const tables::OpenOptions& options) {
  util::StatusOr<std::vector<match_list::Item>> items = match_list::Expand(title_, value, options);
  if (!items.ok()) return items.status();
  for (match_list::Item& i : *items) {
    Pattern p;
    p.negate = i.negate;
    p.table = std::move(i.table);
    p.text = p.table ? i.text : util::Lowercase(i.text);
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

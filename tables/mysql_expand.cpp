#include "tables/mysql_expand.h"

#include <algorithm>
#include <vector>

namespace tables {
namespace {

// An address split at its last '@'.
struct Parts {
  bool has_at = false;
  std::string_view local;                // the whole text when there is no '@'
  std::string_view domain;               // empty when unqualified
  std::vector<std::string_view> labels;  // domain labels, rightmost first

  explicit Parts(std::string_view s) {
    size_t at = s.rfind('@');
    if (at == std::string_view::npos) {
      local = s;
      return;
    }
    has_at = true;
    local = s.substr(0, at);
    domain = s.substr(at + 1);
    std::string_view d = domain;
    while (!d.empty()) {
      size_t dot = d.rfind('.');
      std::string_view label = dot == std::string_view::npos ? d : d.substr(dot + 1);
      if (!label.empty()) labels.push_back(label);
      d = dot == std::string_view::npos ? std::string_view() : d.substr(0, dot);
    }
  }
  bool qualified() const { return has_at && !domain.empty(); }
};

bool IsLabelDigit(char c) { return c >= '1' && c <= '9'; }

}  // namespace

util::Status SqlExpander::CheckTemplate(std::string_view tmpl, std::string_view which) {
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '%') continue;
    char c = i + 1 < tmpl.size() ? tmpl[i + 1] : '\0';
    if (c == '%' || c == 's' || c == 'u' || c == 'd' || c == 'S' || c == 'U' || c == 'D' ||
        IsLabelDigit(c)) {
      ++i;
      continue;
    }
    std::string what = c ? std::string("%") + c : std::string("'%' at the end");
    return util::InvalidArgument("invalid " + std::string(which) + " template: " + what + " in \"" +
                                 std::string(tmpl) + "\"");
  }
  return util::OkStatus();
}

util::StatusOr<SqlExpander> SqlExpander::Create(std::string query, std::string result_format) {
  if (util::Status s = CheckTemplate(query, "query"); !s.ok()) return s;
  if (util::Status s = CheckTemplate(result_format, "result_format"); !s.ok()) return s;
  SqlExpander x;
  auto scan = [&x](std::string_view t, bool is_query) {
    for (size_t i = 0; i + 1 < t.size(); ++i) {
      if (t[i] != '%') continue;
      char c = t[++i];
      if (c == 'U' || (is_query && c == 'u')) x.key_user_ = true;
      if (c == 'D' || (is_query && c == 'd')) x.key_domain_ = true;
      if (IsLabelDigit(c)) {
        x.key_domain_ = true;
        x.key_labels_ = std::max(x.key_labels_, c - '0');
      }
      if (!is_query && c == 'u') x.value_user_ = true;
      if (!is_query && c == 'd') x.value_domain_ = true;
    }
  };
  scan(query, true);
  scan(result_format, false);
  x.query_ = std::move(query);
  x.result_format_ = std::move(result_format);
  return x;
}

bool SqlExpander::Suppressed(std::string_view key) const {
  if (key.empty()) return true;
  Parts k(key);
  if (key_user_ && k.has_at && k.local.empty()) return true;
  if (key_domain_ && !k.qualified()) return true;
  if (key_labels_ > static_cast<int>(k.labels.size())) return true;
  return false;
}

std::string SqlExpander::ExpandQuery(std::string_view key, const SqlEscaper& escape) const {
  Parts k(key);
  std::string out;
  out.reserve(query_.size() + 2 * key.size());
  for (size_t i = 0; i < query_.size(); ++i) {
    char c = query_[i];
    if (c != '%' || i + 1 >= query_.size()) {
      out += c;
      continue;
    }
    c = query_[++i];
    switch (c) {
      case '%':
        out += '%';
        break;
      case 's':
      case 'S':
        out += escape(key);
        break;
      case 'u':
      case 'U':
        out += escape(k.local);
        break;
      case 'd':
      case 'D':
        out += escape(k.domain);
        break;
      default: {
        size_t n = c - '1';
        if (n < k.labels.size()) out += escape(k.labels[n]);
      }
    }
  }
  return out;
}

bool SqlExpander::AppendResult(std::string_view value, std::string_view key,
                               std::string* out) const {
  if (value.empty()) return false;
  Parts v(value);
  if (value_user_ && v.has_at && v.local.empty()) return false;
  if (value_domain_ && !v.qualified()) return false;
  Parts k(key);
  std::string piece;
  for (size_t i = 0; i < result_format_.size(); ++i) {
    char c = result_format_[i];
    if (c != '%' || i + 1 >= result_format_.size()) {
      piece += c;
      continue;
    }
    c = result_format_[++i];
    switch (c) {
      case '%':
        piece += '%';
        break;
      case 's':
        piece += value;
        break;
      case 'u':
        piece += v.local;
        break;
      case 'd':
        piece += v.domain;
        break;
      case 'S':
        piece += key;
        break;
      case 'U':
        piece += k.local;
        break;
      case 'D':
        piece += k.domain;
        break;
      default: {
        size_t n = c - '1';
        if (n < k.labels.size()) piece += k.labels[n];
      }
    }
  }
  if (!out->empty()) *out += ',';
  *out += piece;
  return true;
}

std::string LegacySqlQuery(std::string_view select_field, std::string_view table,
                           std::string_view where_field, std::string_view additional_conditions) {
  std::string q = "SELECT ";
  q += select_field;
  q += " FROM ";
  q += table;
  q += " WHERE ";
  q += where_field;
  q += "='%s' ";
  q += additional_conditions;
  return q;
}

}  // namespace tables

// Fuzz target: the '%' templates of mysql: tables (tables/mysql_expand.h):
// SqlExpander::Create (query and result_format syntax), Suppressed,
// ExpandQuery with MariaDB's own escaping (mysql_escape_string) and with a
// marking escaper, AppendResult.
//
// Input: the query template up to the first newline, the result_format up
// to the next, then keys (lookup keys and result values), one per line.
//
// Checked: key text reaches the query only through the escaper (with the
// marking escaper, the query minus the marked pieces is the template minus
// its % sequences); a key that is not suppressed has every label the
// template uses; a skipped result value appends nothing.
#include <mysql.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tables/mysql_expand.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// The client library's escaping without a connection (the rules of
// mysql_real_escape_string for UTF-8 and latin1 connections).
std::string MariaDbEscape(std::string_view s) {
  static bool initialized = mysql_library_init(0, nullptr, nullptr) == 0;
  if (!initialized) return std::string(s);
  std::string out(2 * s.size() + 1, '\0');
  unsigned long n = mysql_escape_string(out.data(), s.data(), s.size());
  out.resize(n);
  return out;
}

// The template with every substitution removed and "%%" as '%'.
std::string Skeleton(std::string_view t) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '%' && i + 1 < t.size()) {
      if (t[++i] == '%') out += '%';
      continue;
    }
    out += t[i];
  }
  return out;
}

void CheckKey(const tables::SqlExpander& x, std::string_view key) {
  if (x.Suppressed(key)) return;
  x.ExpandQuery(key, MariaDbEscape);

  // Every substituted piece in \x01...\x02, its text kept aside.
  std::vector<std::string> pieces;
  std::string query = x.ExpandQuery(key, [&pieces](std::string_view s) {
    pieces.emplace_back(s);
    return std::string("\x01\x02");
  });
  std::string stripped;
  for (size_t i = 0; i < query.size(); ++i) {
    if (query[i] == '\x01' && i + 1 < query.size() && query[i + 1] == '\x02') {
      ++i;
      continue;
    }
    stripped += query[i];
  }
  // Markers in the template itself would make this ambiguous.
  if (x.query().find('\x01') == std::string::npos) FUZZ_CHECK(stripped == Skeleton(x.query()));
  for (const std::string& p : pieces) FUZZ_CHECK(key.find(p) != std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  std::string query(in.Line());
  std::string result_format(in.Line());
  std::vector<std::string_view> keys = fuzz::Lines(in.Rest());
  if (keys.size() > 16) keys.resize(16);

  tables::SqlExpander::CheckTemplate(query, "query");
  auto x = tables::SqlExpander::Create(query, result_format);
  if (!x.ok()) return 0;
  for (std::string_view key : keys) CheckKey(*x, key);

  std::string_view key = keys.empty() ? std::string_view("user@example.com") : keys[0];
  std::string out;
  for (std::string_view value : keys) {
    std::string before = out;
    if (!x->AppendResult(value, key, &out)) FUZZ_CHECK(out == before);
  }
  tables::LegacySqlQuery(query, result_format, key, key);
  return 0;
}

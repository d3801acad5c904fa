// mysql_expand: the '%' templates of SQL lookup tables (mysql_table(5)
// `query` and `result_format`), pure string logic with the SQL escaping
// function injected (the live connection's mysql_real_escape_string).
//
//   auto x = tables::SqlExpander::Create("SELECT goto FROM alias WHERE address='%s'", "%s");
//   if (x->Suppressed(key)) return not_found;           // no query at all
//   std::string sql = x->ExpandQuery(key, escape);      // every value escaped
//   std::string out;
//   for (each column value v of each row) x->AppendResult(v, key, &out);  // "a,b,c"
//
// Query template: %% a literal '%'; %s the key; %u the local part of
// user@domain (the whole key when it has no '@'); %d the domain part;
// %1..%9 the domain's labels counted from the right (user@mail.example.com:
// %1 com, %2 example, %3 mail); %S %U %D as their lower-case forms. The key
// is split at its last '@'. Substituted text is never rescanned for '%'.
//
// Suppression (the lookup answers "not found" without asking the server):
// an empty key; a template (query or result_format) using %u/%U when the
// key's local part is empty ("@domain"); using %d/%D/%1..%9 when the key is
// not qualified (no '@' or an empty domain); using %N when the domain has
// fewer than N labels.
//
// Result format: %% '%'; %s the value; %u its local part (the whole value
// without '@'; a value with an empty local part is skipped); %d its domain
// (a value without one is skipped); %S %U %D %1..%9 the input key's parts,
// unquoted. Empty (and NULL) values are skipped. Values are joined with ",".
//
// Any other character after '%', or a '%' at the end, makes Create fail
// with kInvalidArgument "invalid query template: ..." (or "invalid
// result_format template: ...").
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace tables {

// Returns `s` escaped for use inside an SQL string literal.
using SqlEscaper = std::function<std::string(std::string_view s)>;

class SqlExpander {
 public:
  static util::StatusOr<SqlExpander> Create(std::string query, std::string result_format);
  // Just the syntax check of one template (which = "query" or "result_format").
  static util::Status CheckTemplate(std::string_view tmpl, std::string_view which);

  bool Suppressed(std::string_view key) const;
  // The query for `key` (precondition: !Suppressed(key)).
  std::string ExpandQuery(std::string_view key, const SqlEscaper& escape) const;
  // Formats one result value and appends it to *out, after a ',' when *out
  // is not empty. Returns false (and appends nothing) for a skipped value.
  bool AppendResult(std::string_view value, std::string_view key, std::string* out) const;

  const std::string& query() const { return query_; }
  const std::string& result_format() const { return result_format_; }

 private:
  SqlExpander() = default;
  std::string query_;
  std::string result_format_;
  bool key_user_ = false;    // needs a non-empty local part of the key
  bool key_domain_ = false;  // needs a qualified key
  int key_labels_ = 0;       // needs this many domain labels
  bool value_user_ = false;  // result_format uses %u
  bool value_domain_ = false;
};

// The query of the legacy interface (before Postfix 2.2):
// "SELECT select_field FROM table WHERE where_field='%s' additional_conditions".
std::string LegacySqlQuery(std::string_view select_field, std::string_view table,
                           std::string_view where_field, std::string_view additional_conditions);

}  // namespace tables

// pattern_table: the file format shared by regexp: (regexp_table(5), POSIX
// regcomp) and pcre: (pcre_table(5), PCRE2), independent of the regular
// expression library. Used by regexp_table.cpp and pcre_table.cpp only.
//
// FILE FORMAT (logical lines, table_syntax.h):
//   /pattern/flags result       the first matching rule gives `result`
//   !/pattern/flags result      matches when the pattern does not
//   if /pattern/flags           the rules up to the matching endif apply
//   if !/pattern/flags          only when the key matches (does not match);
//   endif                       if/endif nest; keywords are case-insensitive
// The delimiter is any non-alphanumeric character (/, |, %, ","...); a
// backslash before it keeps it inside the pattern. Flags are per library
// (each toggles a default). In `result`, $1..$9 (or ${1}, $(1)) insert the
// text matched by the parenthesized subexpression (empty when it did not
// take part), $$ is a '$'; with kNoRegsub substitution is refused.
//
// Bad lines are skipped with a warning (msg::Warn at open), as Postfix
// does, in its words; e.g. for a file /f:
//   regexp map /f, line 3: unknown regexp option "q": skipping this rule
//   regexp map /f, line 4: no closing regexp delimiter "/": skipping this rule
//   regexp map /f, line 5: out of range replacement index "3": skipping this rule
//   regexp map /f, line 6: $number found in negative match replacement text: skipping this rule
//   regexp map /f, line 7: no replacement text: using empty string
//   regexp map /f, line 8: ignoring unrecognized request
//   regexp map /f, line 9: ignoring ENDIF without matching IF
//   regexp map /f, line 2: IF has no matching ENDIF
// A compile error is the library's message ("Unmatched ( or \\(").
//
// Keys are matched as given (kFoldMul lower-cases them first); case-
// insensitivity comes from the i flag, which is on by default.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tables/table.h"
#include "tables/table_syntax.h"
#include "util/status.h"

namespace tables {

// One compiled regular expression.
class CompiledPattern {
 public:
  virtual ~CompiledPattern() = default;
  // Number of parenthesized subexpressions.
  virtual int groups() const = 0;
  // Matches `subject`. On a match, (*spans)[i] is the [start, end) of group
  // i (0 = whole match) or {-1, -1} when the group took no part. An error
  // of the matcher (a resource limit) is kUnavailable.
  virtual util::StatusOr<bool> Match(const std::string& subject,
                                     std::vector<std::pair<long, long>>* spans) const = 0;
};

// Compiles `pattern` with the `flags` letters of one rule. Errors are the
// text of the warning without the "TYPE map FILE, line N: " prefix (e.g.
// "unknown regexp option \"q\": skipping this rule"); non-fatal remarks go
// to *warnings the same way.
using PatternCompiler = util::StatusOr<std::unique_ptr<CompiledPattern>> (*)(
    const std::string& pattern, std::string_view flags, std::vector<std::string>* warnings);

// Reads and compiles the file `name`; a missing file is "open FILE: ...".
util::StatusOr<std::unique_ptr<Table>> OpenPatternTable(std::string_view type,
                                                        std::string_view name,
                                                        const OpenOptions& options,
                                                        PatternCompiler compiler);

}  // namespace tables

// alias_syntax: the aliases(5) file format and alias values, shared by
// postalias (building alias databases, global/table_tool.h) and the local
// delivery agent (expanding a found alias into its targets).
//
//   auto e = alias_syntax::ParseLine("Root: admin, \"|/bin/cat -n\"");
//   // e->name == "Root" (the caller folds case), e->value == "admin, \"|/bin/cat -n\""
//   std::vector<std::string> t = alias_syntax::SplitTargets(e->value);
//   // {"admin", "|/bin/cat -n"}
//
// A logical line (comments and continuation lines are the caller's
// LogicalLineReader) is "name: value". The name ends at the first ':'
// outside double quotes; quotes and backslash escapes are removed from it
// ("\"a:b\": x" has the name a:b). The value is an RFC 822 address list
// that is stored the way Postfix's postalias stores it: tokenized and
// written out again, so white space is normalized ("a,\n   b" → "a, b"),
// specials lose their surrounding space (":include: /f" → ":include:/f",
// "Joe <joe @ x>" → "Joe <joe@x>"), backslash escapes in atoms are
// removed ("\root" → "root") and atoms that need it are quoted. A line
// without ':' or with an empty value is nullopt (postalias warns "need
// name:value pair").
//
// Differences from Postfix's tokenizer (tok822), knowingly: only in
// unusual input such as a quoted string directly after an atom ("b\"c\""
// stays as written; Postfix puts a space between them).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alias_syntax {

struct Entry {
  std::string name;
  std::string value;
};

std::optional<Entry> ParseLine(std::string_view line);

// The normalized form of an address list (see above).
std::string NormalizeList(std::string_view value);

// The list's elements at top-level commas, trimmed, empty ones dropped; an
// element that is one quoted string loses its quotes ("\"|cmd arg\"" →
// "|cmd arg").
std::vector<std::string> SplitTargets(std::string_view value);

}  // namespace alias_syntax

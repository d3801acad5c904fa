// match_list: the list syntax that Postfix's string lists, domain lists
// and host/address lists share (its match_list): patterns separated by
// commas and/or white space, "{...}" grouping a table spec with spaces,
// "!" negating a pattern, /file/name standing for the patterns in that
// file (recursively), and type:table patterns opened through maps.h.
// domain_list.h and addr_list.h interpret the items; this module only
// expands the list:
//
//   auto items = match_list::Expand("relay_domains", value, options);
//   if (!items.ok()) msg::Fatal("%s", items.status().message().c_str());
//   for (const match_list::Item& i : *items)
//     i.table ? UseTable(i.negate, *i.table) : UseLiteral(i.negate, i.text);
//
// Errors (kFailedPrecondition, prefixed with the title): a bad list, a
// negated file name, files nested more than 10 deep, an unreadable file,
// a table that cannot be opened.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "global/maps.h"
#include "tables/table.h"
#include "util/status.h"

namespace match_list {

struct Item {
  bool negate = false;
  std::string text;                   // the pattern as written (without "!")
  std::shared_ptr<maps::Maps> table;  // set when the pattern is type:table
};

// `literal`, when given, says which patterns are never tables even though
// they look like "type:name" (host/address lists: "2001:db8::/32").
util::StatusOr<std::vector<Item>> Expand(
    std::string_view title, std::string_view value, const tables::OpenOptions& options,
    const std::function<bool(std::string_view)>& literal = nullptr);

// Whether a pattern names a table ("type:name").
bool IsTableSpec(std::string_view pattern);

}  // namespace match_list

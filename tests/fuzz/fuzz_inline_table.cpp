// Fuzz target: inline:{...} tables (tables/inline_table.cpp) and the brace
// syntax they share with table lists (tables/table_syntax.h: StripBraces,
// SplitBracedList, SplitLogicalLines).
//
// Input: byte 0 the dictionary flags (4: kFoldFixed), then the text after
// "inline:" up to the first newline, then lookup keys, one per line.
//
// Checked: braces are balanced in what StripBraces gives; SplitBracedList
// items are non-empty; a table that opens answers found or not found.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tables/registry.h"
#include "tables/table_syntax.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  uint8_t f = in.Byte();
  std::string_view name = in.Line();
  std::string_view keys = in.Rest();

  if (auto inside = tables::StripBraces(name)) {
    int depth = 0;
    for (char c : *inside) {
      if (c == '{') ++depth;
      if (c == '}') FUZZ_CHECK(--depth >= 0);
    }
    FUZZ_CHECK(depth == 0);
  }
  if (auto items = tables::SplitBracedList(name); items.ok()) {
    for (const std::string& item : *items) FUZZ_CHECK(!item.empty());
  }
  for (const tables::LogicalLine& l : tables::SplitLogicalLines(keys, "keys", nullptr))
    FUZZ_CHECK(l.line >= 1);

  tables::OpenOptions options;
  options.flags = (f & 4) ? unsigned{tables::kFoldFixed} : 0u;
  auto table = tables::Open("inline:" + std::string(name), options);
  if (!table.ok()) return 0;
  for (std::string_view key : fuzz::Lines(keys)) {
    tables::LookupResult r = (*table)->Lookup(key);
    FUZZ_CHECK(r.found() || r.not_found());
  }
  return 0;
}

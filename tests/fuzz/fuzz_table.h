// fuzz_table: the shared body of the targets for file-based tables
// (regexp:, pcre:, cidr:). The table source is written to a temporary file
// (fuzz::MemFile) and opened by name through the registry, as a daemon
// opens it; then keys are looked up.
//
// Input: byte 0 the dictionary flags (1: kFoldMul, 2: kNoRegsub, 4:
// kFoldFixed), then the table text up to a NUL byte, then lookup keys, one
// per line (at most 16 keys of at most 256 bytes: a lookup's cost is the
// regular expression library's business, not the parser's).
//
// Checked: a lookup has one of the three outcomes; a temporary error
// carries a reason.
//
// glibc's regcomp copies a subexpression for every quantifier stacked on
// it, so "(a)++++...+" or "((a{99}){99}){99}" take time and memory
// exponential in the pattern (the library's behaviour, which Postfix's
// regexp tables share; tables are written by the administrator). The
// regexp target skips such sources (ExplodesInRegcomp) so that the fuzzer
// spends its time on the table code.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tables/registry.h"
#include "tests/fuzz/fuzz_util.h"

namespace fuzz {

// Stacked quantifiers ("+*", "}{", "?+" ...), a repetition count of more
// than 9, or more copies than 2^16 in all (each '+' may double the
// subexpression it follows, each {n,m} multiply it by up to 9).
inline bool ExplodesInRegcomp(std::string_view text) {
  auto quantifier_end = [](char c) { return c == '*' || c == '+' || c == '?' || c == '}'; };
  auto quantifier_start = [](char c) { return c == '*' || c == '+' || c == '?' || c == '{'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  int cost = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i + 1 < text.size() && quantifier_end(text[i]) && quantifier_start(text[i + 1]))
      return true;
    if (text[i] == '+') cost += 1;
    if (text[i] == '{' && i + 1 < text.size() && digit(text[i + 1])) {
      if (i + 2 < text.size() && digit(text[i + 2])) return true;
      cost += 4;
    }
  }
  return cost > 16;
}

inline int RunFileTable(std::string_view type, const uint8_t* data, size_t size) {
  Init();
  Input in(data, size);
  uint8_t f = in.Byte();
  std::string_view source = in.UntilNul();
  std::string_view keys = in.Rest();
  if (type == "regexp" && ExplodesInRegcomp(source)) return 0;

  int fd = MemFile(source);
  if (fd < 0) return 0;
  tables::OpenOptions options;
  options.flags = 0;
  if (f & 1) options.flags |= tables::kFoldMul;
  if (f & 2) options.flags |= tables::kNoRegsub;
  if (f & 4) options.flags |= tables::kFoldFixed;
  auto table = tables::Open(std::string(type) + ":" + MemFilePath(fd), options);
  if (table.ok()) {
    int n = 0;
    for (std::string_view key : Lines(keys)) {
      if (++n > 16) break;
      if (key.size() > 256) key = key.substr(0, 256);
      tables::LookupResult r = (*table)->Lookup(key);
      FUZZ_CHECK(r.found() || r.not_found() || r.temp_error());
      if (r.temp_error()) FUZZ_CHECK(!r.value.empty());
    }
    (*table)->Changed();
  }
  close(fd);
  return 0;
}

}  // namespace fuzz

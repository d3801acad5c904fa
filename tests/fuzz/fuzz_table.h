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
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tables/registry.h"
#include "tests/fuzz/fuzz_util.h"

namespace fuzz {

inline int RunFileTable(std::string_view type, const uint8_t* data, size_t size) {
  Init();
  Input in(data, size);
  uint8_t f = in.Byte();
  std::string_view source = in.UntilNul();
  std::string_view keys = in.Rest();

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

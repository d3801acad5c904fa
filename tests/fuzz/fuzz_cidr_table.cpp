// Fuzz target: cidr_table(5) files (tables/cidr_table.cpp),
// opened from a temporary file, then looked up. Input format and checks:
// tests/fuzz/fuzz_table.h.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz::RunFileTable("cidr", data, size);
}

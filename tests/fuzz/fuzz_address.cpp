// Fuzz target: mail addresses and header address lists (global/address.h):
// Split, Quote, Unquote, ParseAddressList, SplitHeader.
//
// Input: lines, each used as an address (internal and external form), as a
// header value and as a header line.
//
// Checked: Quote and Unquote are inverse for internal addresses (local part
// anything, domain without '"'); Split cuts at the last '@';
// ParseAddressList never gives an empty address; SplitHeader's name is
// printable without white space and name ":" value is the line again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "global/address.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  for (std::string_view line : fuzz::Lines(in.Rest())) {
    address::Parts parts = address::Split(line);
    if (parts.has_at) {
      FUZZ_CHECK(parts.local + "@" + parts.domain == line);
      FUZZ_CHECK(parts.domain.find('@') == std::string::npos);
    } else {
      FUZZ_CHECK(parts.local == line && parts.domain.empty());
    }

    std::string quoted = address::Quote(line);
    if (parts.domain.find('"') == std::string::npos) {
      FUZZ_CHECK(address::Unquote(quoted) == line);
    }
    address::Unquote(line);

    for (const std::string& a : address::ParseAddressList(line)) FUZZ_CHECK(!a.empty());

    std::string_view name, value;
    if (address::SplitHeader(line, &name, &value)) {
      FUZZ_CHECK(!name.empty());
      for (char c : name) FUZZ_CHECK(c > ' ' && c <= '~');
      FUZZ_CHECK(line.substr(0, name.size()) == name);
      FUZZ_CHECK(line.substr(line.size() - value.size()) == value);
    }
  }
  return 0;
}

// Fuzz target: the MIME classifier of cleanup's content checks
// (global/mime.h) on hostile message text: nested multiparts, attached
// messages, long and overlapping boundaries, folded headers, no headers.
//
// Input: byte 0 the limits (bit 0: disable_mime_input_processing; bits
// 1-3: mime_nesting_limit 1..8; bits 4-7: mime_boundary_length_limit
// 1..16 and header_size_limit 16..256), then the message text, split at
// '\n'. The primary headers are the lines up to the first empty or
// non-header line, as cleanup feeds them.
//
// Checked: the nesting depth never exceeds mime_nesting_limit; every item
// handed on is a header within header_size_limit or a body line given in;
// every input body line is handed on exactly once, in order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "global/address.h"
#include "global/mime.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  mime::Mime::Limits limits;
  limits.disabled = data[0] & 1;
  limits.nesting_limit = 1 + ((data[0] >> 1) & 7);
  limits.boundary_length = 1 + (data[0] >> 4);
  limits.header_size_limit = 16 * (1 + (data[0] >> 4));
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  mime::Mime mime(limits);
  size_t i = 0;
  std::string header;
  for (; i < lines.size(); ++i) {
    std::string_view name, value;
    bool cont = !header.empty() && !lines[i].empty() && (lines[i][0] == ' ' || lines[i][0] == '\t');
    if (cont) {
      header += '\n';
      header.append(lines[i]);
      continue;
    }
    if (!header.empty()) mime.PrimaryHeader(header);
    header.clear();
    if (lines[i].empty() || !address::SplitHeader(lines[i], &name, &value)) break;
    header.assign(lines[i]);
  }
  if (!header.empty()) mime.PrimaryHeader(header);
  mime.EndPrimaryHeaders();
  std::vector<std::string_view> body(lines.begin() + static_cast<long>(i), lines.end());
  size_t next_body = 0;
  auto sink = [&](const mime::Mime::Item& it) {
    FUZZ_CHECK(mime.depth() <= limits.nesting_limit);
    if (it.header) {
      FUZZ_CHECK(!limits.disabled);
      FUZZ_CHECK(it.text.size() <= limits.header_size_limit);
      return;
    }
    // Body lines come out in order, each one once (headers in between are
    // lines given in, too: skip to this one).
    bool found = false;
    while (next_body < body.size()) {
      if (body[next_body++] == it.text) {
        found = true;
        break;
      }
    }
    FUZZ_CHECK(found);
  };
  for (std::string_view l : body) mime.BodyLine(l, sink);
  mime.End(sink);
  FUZZ_CHECK(mime.depth() <= limits.nesting_limit);
  return 0;
}

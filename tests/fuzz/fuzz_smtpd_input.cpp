// Fuzz target: smtpd's input stream (smtpd/smtpd_input.h): LineSplitter fed
// in chunks of varying size, as reads from a socket arrive, with Take()
// mixed in as BDAT does, and DataFilter over the pieces, as DATA does.
//
// Input: byte 0 line length limit (1..256, or 2048 when 0), byte 1 the
// smtpd_forbid_bare_newline mode (and how the DATA command ended), byte 2
// seeds the chunk sizes; the rest is the client's byte stream.
//
// Checked: pieces never exceed the limit and never hold more than limit + 1
// bytes buffered between reads; pieces and their line ends give back the
// stream byte for byte; DataFilter ends the content only on a "." line
// allowed by the mode (no SMTP smuggling in kNormalize).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "smtpd/smtpd_input.h"
#include "tests/fuzz/fuzz_util.h"

using smtpd_input::BareLf;
using smtpd_input::DataFilter;
using smtpd_input::End;
using smtpd_input::LineSplitter;
using smtpd_input::Piece;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  uint8_t len_byte = in.Byte();
  uint8_t mode_byte = in.Byte();
  uint32_t seed = in.Byte() * 2654435761u + 1;
  std::string_view stream = in.Rest();

  const size_t max_len = len_byte == 0 ? 2048 : len_byte;
  const BareLf mode = mode_byte % 3 == 0   ? BareLf::kAllow
                      : mode_byte % 3 == 1 ? BareLf::kNormalize
                                           : BareLf::kReject;
  const End command_end = (mode_byte & 0x10) ? End::kLf : End::kCrLf;
  const bool bdat = (mode_byte & 0x20) != 0;

  LineSplitter splitter;
  DataFilter filter(mode, command_end);
  bool ended = false;  // DataFilter saw the end of the content
  bool prev_crlf = command_end == End::kCrLf;
  bool prev_segment = false;
  std::string rebuilt;  // the stream as given back by the splitter
  size_t fed = 0;

  auto next_rand = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return seed >> 16;
  };

  while (fed < stream.size()) {
    size_t chunk = 1 + next_rand() % 300;
    if (chunk > stream.size() - fed) chunk = stream.size() - fed;
    splitter.Append(stream.substr(fed, chunk));
    fed += chunk;

    if (bdat && next_rand() % 4 == 0) {  // a BDAT chunk takes raw bytes
      size_t want = next_rand() % 64;
      size_t before = splitter.buffered();
      size_t got = splitter.Take(want, &rebuilt);
      FUZZ_CHECK(got == std::min(want, before));
      FUZZ_CHECK(splitter.buffered() == before - got);
    }

    Piece p;
    while (splitter.Next(max_len, &p)) {
      FUZZ_CHECK(p.text.size() <= max_len);
      rebuilt += p.text;
      if (p.end == End::kCrLf) rebuilt += "\r\n";
      if (p.end == End::kLf) rebuilt += "\n";
      if (p.end == End::kSegment) FUZZ_CHECK(p.text.size() == max_len);

      if (ended || bdat) continue;  // BDAT content is not dot-stuffed
      std::string line;
      bool segment = false;
      DataFilter::Action a = filter.Feed(p, &line, &segment);
      bool line_start = !prev_segment;
      if (mode == BareLf::kReject && p.end == End::kLf)
        FUZZ_CHECK(a == DataFilter::Action::kReject);
      if (a == DataFilter::Action::kReject) {
        FUZZ_CHECK(mode == BareLf::kReject && p.end == End::kLf);
        ended = true;  // smtpd replies and disconnects
      } else if (a == DataFilter::Action::kEnd) {
        // Only a whole "." line ends the content; in kNormalize only
        // <CR><LF>.<CR><LF>, never after or with a bare LF.
        FUZZ_CHECK(line_start && p.text == "." && p.end != End::kSegment);
        if (mode != BareLf::kAllow) FUZZ_CHECK(p.end == End::kCrLf && prev_crlf);
        ended = true;
      } else {
        FUZZ_CHECK(segment == (p.end == End::kSegment));
        // Content keeps the piece, minus one leading dot at a line start.
        bool lone_dot = p.text == "." && p.end != End::kSegment;
        bool stuffed = line_start && !p.text.empty() && p.text[0] == '.' && !lone_dot;
        FUZZ_CHECK(line == (stuffed ? p.text.substr(1) : p.text));
      }
      prev_segment = p.end == End::kSegment;
      if (p.end != End::kSegment) prev_crlf = p.end == End::kCrLf;
    }
    // Between reads the splitter holds at most one line's worth.
    FUZZ_CHECK(splitter.buffered() <= max_len + 1);
  }
  rebuilt += splitter.TakeAll();
  FUZZ_CHECK(splitter.buffered() == 0);
  FUZZ_CHECK(rebuilt == stream);
  return 0;
}

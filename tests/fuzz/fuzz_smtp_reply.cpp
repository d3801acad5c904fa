// Fuzz target: the SMTP client's reply parsing (global/smtp_reply.h): whole
// replies read from a stream (Read, over a temporary file holding the
// input, as the smtp agent reads a server), ParseLine, ParseEhlo, DsnOr,
// and xtext both ways (XText, XTextDecode: DSN ENVID= and ORCPT=).
//
// Input: byte 0 the reply line limit (max_lines, 1..16), then what a
// server sends.
//
// Checked: a reply has its code on every line and no more than max_lines
// lines; the enhanced status code has the class of the reply code; xtext
// encoding is reversible and gives only what XTextDecode accepts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "global/smtp_reply.h"
#include "tests/fuzz/fuzz_util.h"
#include "util/stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  size_t max_lines = 1 + in.Byte() % 16;
  std::string_view text = in.Rest();

  for (std::string_view line : fuzz::Lines(text)) {
    int code = 0;
    bool last = false;
    std::string dsn;
    if (smtp_reply::ParseLine(line, &code, &last, &dsn)) {
      FUZZ_CHECK(code >= 0 && code <= 999);
      if (!dsn.empty()) FUZZ_CHECK(dsn[0] == line[0]);
    }
    std::optional<std::string> decoded = smtp_reply::XTextDecode(line);
    if (decoded) FUZZ_CHECK(smtp_reply::XTextDecode(smtp_reply::XText(*decoded)) == *decoded);
    std::string encoded = smtp_reply::XText(line);
    FUZZ_CHECK(smtp_reply::XTextDecode(encoded) == std::string(line));
  }

  int fd = fuzz::MemFile(text);
  if (fd < 0) return 0;
  util::Stream stream{util::Fd(fd)};
  stream.set_timeout(5);
  for (int replies = 0; replies < 64; ++replies) {
    smtp_reply::Reply r;
    util::Status st = smtp_reply::Read(stream, &r, max_lines);
    if (!st.ok() && r.lines.empty()) break;
    FUZZ_CHECK(r.lines.size() <= max_lines);
    char code[8];
    std::snprintf(code, sizeof code, "%03d", r.code);
    for (const std::string& l : r.lines) FUZZ_CHECK(l.compare(0, 3, code) == 0);
    if (!r.dsn.empty()) FUZZ_CHECK(r.dsn[0] - '0' == r.code / 100);
    std::string d = r.DsnOr("4.0.0");
    FUZZ_CHECK(!d.empty());
    r.Text();
    smtp_reply::Ehlo e = smtp_reply::ParseEhlo(r);
    FUZZ_CHECK(e.size_limit >= 0);
    if (!st.ok()) break;
  }
  return 0;
}

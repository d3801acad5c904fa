// smtp_data: writes message content in SMTP DATA form (RFC 5321 4.5.2):
// CR LF line ends, a leading "." doubled (dot-stuffing), lines longer
// than the limit broken, and the final "." line. The content comes line
// by line without line terminators, as queue files store it.
//
//   smtp_data::DataWriter w(stream, 998);   // smtp_line_length_limit; 0 = none
//   for each content line: w.Line(line);
//   w.Finish();                             // ".\r\n"; the caller flushes
//
// Long lines (Postfix's smtp_line_length_limit): a line longer than the
// limit is sent as pieces of at most `limit` bytes, each later piece
// starting with a space after the inserted CR LF ("<CR><LF><SPACE>"), so
// that a broken header line becomes a folded header. Only the first piece
// can start with "." and needs stuffing.
// A CR or LF inside a line is never sent as such: it becomes a CR LF line
// end, the text after it a line of its own (dot-stuffed like any line), so
// no content can end the DATA early or smuggle commands.
// Errors are the stream's write errors (the stream buffers; Flush reports).
#pragma once

#include <cstddef>
#include <string_view>

#include "util/status.h"
#include "util/stream.h"

namespace smtp_data {

class DataWriter {
 public:
  DataWriter(util::Stream& out, size_t line_limit) : out_(out), limit_(line_limit) {}
  DataWriter(const DataWriter&) = delete;
  DataWriter& operator=(const DataWriter&) = delete;

  util::Status Line(std::string_view line);
  util::Status Finish();
  // Bytes written so far, including CR LF and stuffing.
  size_t bytes() const { return bytes_; }

 private:
  util::Status Piece(std::string_view line);  // a line without CR or LF
  util::Status Put(std::string_view data);
  util::Stream& out_;
  size_t limit_;
  size_t bytes_ = 0;
};

}  // namespace smtp_data

// line_reader: message lines from standard input, for sendmail.
//
// Reads a descriptor in large blocks and hands out lines without their line
// terminator, as pieces of at most queue_file::kMaxSegment bytes: a longer
// line comes as several pieces, all but the last with `complete` false
// (they become L records, the last an N record). Bytes are passed through
// unchanged (8-bit, UTF-8, NUL), except the carriage return before the
// newline, which is removed according to sendmail_fix_line_endings:
//   always  every "\r\n" becomes a line end (the default)
//   strict  only when the first line ends in "\r\n"
//   never   "\r" stays part of the line
// A last line without newline still counts as a line.
//
//   LineReader in(0, LineReader::CrMode::kAlways);
//   LineReader::Piece p;
//   while (true) {
//     util::StatusOr<bool> got = in.Next(&p);
//     if (!got.ok()) fail(got.status());   // read error
//     if (!*got) break;                    // end of input
//     if (p.first && p.complete && p.data == ".") break;
//   }
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace sendmail {

class LineReader {
 public:
  enum class CrMode { kAlways, kStrict, kNever };
  struct Piece {
    std::string data;
    bool first = true;     // starts a line
    bool complete = true;  // ends a line
  };

  LineReader(int fd, CrMode mode, size_t max_piece);
  // Parses "always", "strict", "never" (anything else: always).
  static CrMode ParseMode(std::string_view value);

  // true: *out holds the next piece; false: end of input.
  util::StatusOr<bool> Next(Piece* out);
  // Whether input bytes are already buffered (SMTP pipelining: delay
  // flushing replies while more commands wait).
  bool HasBuffered() const { return pos_ < buf_.size(); }

 private:
  util::Status Fill();

  int fd_;
  CrMode mode_;
  size_t max_piece_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  bool at_line_start_ = true;
  bool decided_ = false;  // kStrict: the first line's ending has been seen
  bool strip_cr_ = true;
};

}  // namespace sendmail

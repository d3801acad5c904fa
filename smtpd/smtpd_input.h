// smtpd_input: splitting the client's byte stream into lines, and the
// DATA state machine with the SMTP smuggling defences (no I/O, so every
// case is unit-tested).
//
// LineSplitter buffers whatever the client sent (pipelined commands,
// message content, BDAT chunks) and hands out one line at a time:
//
//   LineSplitter in;  in.Append(bytes_from_socket);
//   Piece p;
//   while (in.Next(line_length_limit, &p)) ... p.text, p.end
//
// A line ends at CR LF (kCrLf) or at a bare LF (kLf); a lone CR is data.
// A line longer than max_len comes out as pieces of max_len bytes with end
// kSegment, then the remainder with its real end, so a client can never
// make the server hold more than max_len bytes of one line. Take() gives
// raw bytes (BDAT chunks) from the same buffer.
//
// DataFilter decides, line by line, what the DATA content is, as Postfix
// 3.9's smtpd_forbid_bare_newline says:
//   kAllow     (no)        any line "." ends the content ("<LF>.<LF>" too);
//   kNormalize (normalize) a bare LF ends a content line as CR LF would,
//              but only "<CR><LF>.<CR><LF>" ends the content: a "." line
//              that ends in a bare LF, or that follows a line that ended in
//              a bare LF, is content (kept as "."), so "<LF>.<CR><LF>" and
//              "<LF>.<LF>" can never smuggle a second message;
//   kReject    (reject)    a bare LF anywhere: the caller replies and
//              disconnects.
// Other lines that begin with "." lose that dot (RFC 5321 4.5.2). A
// segment's continuation is never the start of a line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace smtpd_input {

enum class End { kCrLf, kLf, kSegment };

struct Piece {
  std::string text;
  End end = End::kCrLf;
};

class LineSplitter {
 public:
  void Append(std::string_view bytes) { buf_.append(bytes); }
  size_t buffered() const { return buf_.size() - pos_; }
  // Up to n bytes of what is buffered, left in place.
  std::string Peek(size_t n) const { return buf_.substr(pos_, n); }
  // The next line or segment; false when more input is needed.
  bool Next(size_t max_len, Piece* out);
  // Moves up to n raw bytes to *out (appended); returns how many.
  size_t Take(size_t n, std::string* out);
  // Everything still buffered (an unterminated last line), then empty.
  std::string TakeAll();

 private:
  void Compact();
  std::string buf_;
  size_t pos_ = 0;
};

enum class BareLf { kAllow, kNormalize, kReject };

// Parses smtpd_forbid_bare_newline: "no"/"false"/"0" kAllow,
// "normalize"/"yes"/"true"/"1" kNormalize, "reject" kReject; false for
// anything else.
bool ParseBareLf(std::string_view value, BareLf* out);

class DataFilter {
 public:
  enum class Action { kContent, kEnd, kReject };
  // `command_end` is how the DATA command line ended.
  DataFilter(BareLf mode, End command_end) : mode_(mode), prev_crlf_(command_end == End::kCrLf) {}
  // For kContent, *line is the content (dot removed) and *segment tells
  // that the line continues in the next piece.
  Action Feed(const Piece& p, std::string* line, bool* segment);

 private:
  BareLf mode_;
  bool prev_crlf_;
  bool prev_segment_ = false;
};

}  // namespace smtpd_input

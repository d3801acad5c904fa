// smtp_data: see smtp_data.h.
#include "global/smtp_data.h"

namespace smtp_data {

util::Status DataWriter::Put(std::string_view data) {
  bytes_ += data.size();
  return out_.Write(data);
}

util::Status DataWriter::Line(std::string_view line) {
  // A CR or LF inside a line would end it on the wire, and a following
  // "." would end the DATA there (SMTP smuggling, command injection): each
  // is sent as a real line end, and the next piece dot-stuffed as a line
  // of its own. A break at the very end of the line adds nothing.
  for (;;) {
    size_t brk = line.find_first_of("\r\n");
    if (brk == std::string_view::npos) return Piece(line);
    if (util::Status st = Piece(line.substr(0, brk)); !st.ok()) return st;
    size_t skip = line[brk] == '\r' && brk + 1 < line.size() && line[brk + 1] == '\n' ? 2 : 1;
    line.remove_prefix(brk + skip);
    if (line.empty()) return util::Status();
  }
}

util::Status DataWriter::Piece(std::string_view line) {
  if (!line.empty() && line[0] == '.') {
    if (util::Status st = Put("."); !st.ok()) return st;
  }
  if (limit_ == 0 || line.size() <= limit_) {
    if (util::Status st = Put(line); !st.ok()) return st;
    return Put("\r\n");
  }
  if (util::Status st = Put(line.substr(0, limit_)); !st.ok()) return st;
  line.remove_prefix(limit_);
  size_t piece = limit_ > 1 ? limit_ - 1 : 1;
  while (!line.empty()) {
    size_t n = std::min(piece, line.size());
    if (util::Status st = Put("\r\n "); !st.ok()) return st;
    if (util::Status st = Put(line.substr(0, n)); !st.ok()) return st;
    line.remove_prefix(n);
  }
  return Put("\r\n");
}

util::Status DataWriter::Finish() { return Put(".\r\n"); }

}  // namespace smtp_data

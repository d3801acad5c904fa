// smtp_data: see smtp_data.h.
#include "global/smtp_data.h"

namespace smtp_data {

util::Status DataWriter::Put(std::string_view data) {
  bytes_ += data.size();
  return out_.Write(data);
}

util::Status DataWriter::Line(std::string_view line) {
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

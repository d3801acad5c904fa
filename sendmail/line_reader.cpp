#include "sendmail/line_reader.h"

#include <unistd.h>

#include <cerrno>

#include "util/fd.h"

namespace sendmail {

LineReader::LineReader(int fd, CrMode mode, size_t max_piece)
    : fd_(fd), mode_(mode), max_piece_(max_piece) {
  strip_cr_ = mode != CrMode::kNever;
}

LineReader::CrMode LineReader::ParseMode(std::string_view value) {
  if (value == "strict") return CrMode::kStrict;
  if (value == "never") return CrMode::kNever;
  return CrMode::kAlways;
}

util::Status LineReader::Fill() {
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return util::ErrnoStatus(errno, "read standard input");
    }
    if (n == 0) eof_ = true;
    buf_.append(chunk, static_cast<size_t>(n));
    return util::OkStatus();
  }
}

util::StatusOr<bool> LineReader::Next(Piece* out) {
  for (;;) {
    std::string_view avail = std::string_view(buf_).substr(pos_);
    size_t nl = avail.find('\n');
    // A whole line (or its final piece) is available.
    if (nl != std::string_view::npos && nl <= max_piece_ + 1) {
      std::string_view line = avail.substr(0, nl);
      if (mode_ == CrMode::kStrict && !decided_) {
        strip_cr_ = !line.empty() && line.back() == '\r';
        decided_ = true;
      }
      if (strip_cr_ && !line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() <= max_piece_) {
        out->data.assign(line);
        out->first = at_line_start_;
        out->complete = true;
        at_line_start_ = true;
        pos_ += nl + 1;
        return true;
      }
    }
    // A piece of a long line: keep one byte back so that a "\r" before the
    // newline is never split from it.
    if (avail.size() > max_piece_ + 1 && (nl == std::string_view::npos || nl > max_piece_)) {
      out->data.assign(avail.substr(0, max_piece_));
      out->first = at_line_start_;
      out->complete = false;
      at_line_start_ = false;
      pos_ += max_piece_;
      if (mode_ == CrMode::kStrict) decided_ = true;
      return true;
    }
    if (eof_) {
      if (avail.empty()) {
        if (!at_line_start_) {  // a long line ended exactly at EOF
          out->data.clear();
          out->first = false;
          out->complete = true;
          at_line_start_ = true;
          return true;
        }
        return false;
      }
      // The last line has no newline.
      std::string_view line = avail;
      if (strip_cr_ && line.back() == '\r' && mode_ == CrMode::kAlways) line.remove_suffix(1);
      if (line.size() > max_piece_) {
        out->data.assign(line.substr(0, max_piece_));
        out->first = at_line_start_;
        out->complete = false;
        at_line_start_ = false;
        pos_ += max_piece_;
        return true;
      }
      out->data.assign(line);
      out->first = at_line_start_;
      out->complete = true;
      at_line_start_ = true;
      pos_ = buf_.size();
      return true;
    }
    if (util::Status s = Fill(); !s.ok()) return s;
  }
}

}  // namespace sendmail

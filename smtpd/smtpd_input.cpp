#include "smtpd/smtpd_input.h"

#include <algorithm>

#include "util/strings.h"

namespace smtpd_input {

void LineSplitter::Compact() {
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ > 65536)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

bool LineSplitter::Next(size_t max_len, Piece* out) {
  if (max_len == 0) max_len = 1;
  size_t avail = buf_.size() - pos_;
  // Look for the newline only as far as a line may go (+ CR LF).
  size_t scan = std::min(avail, max_len + 2);
  size_t nl = buf_.find('\n', pos_);
  if (nl != std::string::npos && nl - pos_ >= scan) nl = std::string::npos;
  if (nl != std::string::npos) {
    size_t len = nl - pos_;
    bool cr = len > 0 && buf_[nl - 1] == '\r';
    size_t text_len = cr ? len - 1 : len;
    if (text_len > max_len) {
      out->text.assign(buf_, pos_, max_len);
      out->end = End::kSegment;
      pos_ += max_len;
    } else {
      out->text.assign(buf_, pos_, text_len);
      out->end = cr ? End::kCrLf : End::kLf;
      pos_ = nl + 1;
    }
    Compact();
    return true;
  }
  // No newline: a full segment can go when more than max_len bytes wait
  // (the byte after it proves the line continues, unless it is the CR of
  // a CR LF still on its way: then wait).
  if (avail > max_len + 1 || (avail == max_len + 1 && buf_[pos_ + max_len] != '\r')) {
    out->text.assign(buf_, pos_, max_len);
    out->end = End::kSegment;
    pos_ += max_len;
    Compact();
    return true;
  }
  return false;
}

size_t LineSplitter::Take(size_t n, std::string* out) {
  size_t k = std::min(n, buf_.size() - pos_);
  out->append(buf_, pos_, k);
  pos_ += k;
  Compact();
  return k;
}

std::string LineSplitter::TakeAll() {
  std::string rest = buf_.substr(pos_);
  buf_.clear();
  pos_ = 0;
  return rest;
}

bool ParseBareLf(std::string_view value, BareLf* out) {
  std::string v = util::Lowercase(util::Trim(value));
  if (v == "no" || v == "false" || v == "0") {
    *out = BareLf::kAllow;
  } else if (v == "normalize" || v == "yes" || v == "true" || v == "1") {
    *out = BareLf::kNormalize;
  } else if (v == "reject") {
    *out = BareLf::kReject;
  } else {
    return false;
  }
  return true;
}

DataFilter::Action DataFilter::Feed(const Piece& p, std::string* line, bool* segment) {
  if (p.end == End::kLf && mode_ == BareLf::kReject) return Action::kReject;
  bool line_start = !prev_segment_;
  bool prev_crlf = prev_crlf_;
  prev_segment_ = p.end == End::kSegment;
  if (p.end != End::kSegment) prev_crlf_ = p.end == End::kCrLf;
  *segment = p.end == End::kSegment;
  if (line_start && !p.text.empty() && p.text[0] == '.') {
    if (p.text.size() == 1 && p.end != End::kSegment) {
      bool end = mode_ == BareLf::kAllow || (p.end == End::kCrLf && prev_crlf);
      if (end) return Action::kEnd;
      *line = p.text;  // a smuggling attempt stays visible as content
      return Action::kContent;
    }
    *line = p.text.substr(1);
    return Action::kContent;
  }
  *line = p.text;
  return Action::kContent;
}

}  // namespace smtpd_input

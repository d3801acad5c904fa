#include "util/stream.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <utility>

#include "util/sockets.h"
#include "util/strings.h"

namespace util {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 16 * 1024;

Status NoStream() { return Internal("stream has no file descriptor"); }

}  // namespace

Stream::Stream(Fd fd) : fd_(fd.release()), owned_(true) {}

Stream::Stream(int fd, Ownership ownership) : fd_(fd), owned_(ownership == Ownership::kOwned) {}

Stream::Stream(int read_fd, int write_fd) : fd_(read_fd), wfd_(write_fd), owned_(false) {}

Stream::~Stream() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

Stream::Stream(Stream&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      wfd_(std::exchange(other.wfd_, -1)),
      owned_(std::exchange(other.owned_, false)),
      eof_(std::exchange(other.eof_, false)),
      use_send_(std::exchange(other.use_send_, true)),
      send_fd_(std::exchange(other.send_fd_, -1)),
      fd_sink_(std::exchange(other.fd_sink_, nullptr)),
      timeout_(std::exchange(other.timeout_, std::chrono::milliseconds(0))),
      last_line_end_(std::exchange(other.last_line_end_, LineEnd::kNone)),
      rbuf_(std::move(other.rbuf_)),
      rpos_(std::exchange(other.rpos_, 0)),
      rlen_(std::exchange(other.rlen_, 0)),
      wbuf_(std::move(other.wbuf_)),
      wpos_(std::exchange(other.wpos_, 0)),
      transport_(std::move(other.transport_)) {
  other.rbuf_.clear();
  other.wbuf_.clear();
}

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    if (owned_ && fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    wfd_ = std::exchange(other.wfd_, -1);
    owned_ = std::exchange(other.owned_, false);
    eof_ = std::exchange(other.eof_, false);
    use_send_ = std::exchange(other.use_send_, true);
    send_fd_ = std::exchange(other.send_fd_, -1);
    fd_sink_ = std::exchange(other.fd_sink_, nullptr);
    timeout_ = std::exchange(other.timeout_, std::chrono::milliseconds(0));
    last_line_end_ = std::exchange(other.last_line_end_, LineEnd::kNone);
    rbuf_ = std::move(other.rbuf_);
    rpos_ = std::exchange(other.rpos_, 0);
    rlen_ = std::exchange(other.rlen_, 0);
    wbuf_ = std::move(other.wbuf_);
    wpos_ = std::exchange(other.wpos_, 0);
    transport_ = std::move(other.transport_);
    other.rbuf_.clear();
    other.wbuf_.clear();
  }
  return *this;
}

void Stream::Reset() {
  fd_ = -1;
  send_fd_ = -1;
  fd_sink_ = nullptr;
  wfd_ = -1;
  owned_ = false;
  eof_ = false;
  use_send_ = true;
  last_line_end_ = LineEnd::kNone;
  rbuf_.clear();
  rpos_ = 0;
  rlen_ = 0;
  wbuf_.clear();
  wpos_ = 0;
  transport_.reset();
}

Clock::time_point Stream::Deadline() const {
  if (timeout_.count() <= 0) return Clock::time_point::max();
  return Clock::now() + timeout_;
}

Status Stream::Wait(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    int ms = -1;
    if (deadline != Clock::time_point::max()) {
      auto now = Clock::now();
      if (now >= deadline) return DeadlineExceeded("timeout");
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
      ms = static_cast<int>(std::min<long long>(left, INT_MAX));
    }
    struct pollfd p = {fd, events, 0};
    int r = ::poll(&p, 1, ms);
    if (r > 0) return OkStatus();  // POLLHUP/POLLERR: the I/O call reports it
    if (r < 0 && errno != EINTR) return ErrnoStatus(errno, "poll");
  }
}

void Stream::CompactReadBuffer() {
  if (rpos_ == 0) return;
  if (rlen_ > rpos_) ::memmove(rbuf_.data(), rbuf_.data() + rpos_, rlen_ - rpos_);
  rlen_ -= rpos_;
  rpos_ = 0;
}

Status Stream::Fill(Clock::time_point deadline) {
  if (fd_ < 0) return NoStream();
  if (eof_) return NotFound("end of file");
  CompactReadBuffer();
  size_t old = rlen_;
  if (rbuf_.size() < old + kReadChunk) rbuf_.resize(old + kReadChunk);
  if (transport_) return FillTransport(deadline, old);
  bool wait_first = timeout_.count() > 0;
  for (;;) {
    if (wait_first) {
      Status st = Wait(fd_, POLLIN, deadline);
      if (!st.ok()) return st;
    }
    ssize_t n = fd_sink_ != nullptr ? ReceiveWithFds(fd_, rbuf_.data() + old, kReadChunk, fd_sink_)
                                    : ::read(fd_, rbuf_.data() + old, kReadChunk);
    if (n >= 0) return Filled(old, n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_first = true;
      continue;
    }
    return ErrnoStatus(errno, "read");
  }
}

Status Stream::Filled(size_t old, ssize_t n) {
  if (n > 0) {
    rlen_ = old + static_cast<size_t>(n);
    return OkStatus();
  }
  eof_ = true;
  return NotFound("end of file");
}

Status Stream::FillTransport(Clock::time_point deadline, size_t old) {
  for (;;) {
    Transport::Want want = Transport::Want::kNone;
    Status err;
    ssize_t n = transport_->Read(rbuf_.data() + old, kReadChunk, &want, &err);
    if (n >= 0) return Filled(old, n);
    if (want == Transport::Want::kNone) return err.ok() ? Unavailable("transport read error") : err;
    Status st = Wait(fd_, want == Transport::Want::kRead ? POLLIN : POLLOUT, deadline);
    if (!st.ok()) return st;
  }
}

Status Stream::FlushTransport(Clock::time_point deadline) {
  while (wpos_ < wbuf_.size()) {
    Transport::Want want = Transport::Want::kNone;
    Status err;
    ssize_t n = transport_->Write(wbuf_.data() + wpos_, wbuf_.size() - wpos_, &want, &err);
    if (n > 0) {
      wpos_ += static_cast<size_t>(n);
      continue;
    }
    if (want == Transport::Want::kNone)
      return err.ok() ? Unavailable("transport write error") : err;
    Status st = Wait(fd_, want == Transport::Want::kRead ? POLLIN : POLLOUT, deadline);
    if (!st.ok()) return st;
  }
  wbuf_.clear();
  wpos_ = 0;
  return OkStatus();
}

Status Stream::set_transport(std::unique_ptr<Transport> t) {
  if (fd_ < 0) return NoStream();
  if (buffered_input() > 0 || buffered_output() > 0)
    return FailedPrecondition("stream has buffered data");
  transport_ = std::move(t);
  return OkStatus();
}

Status Stream::ReadLine(std::string* line, size_t max_len, LineEnd* end) {
  line->clear();
  last_line_end_ = LineEnd::kNone;
  if (end) *end = LineEnd::kNone;
  if (fd_ < 0) return NoStream();
  const Clock::time_point deadline = Deadline();
  size_t scanned = 0;  // bytes after rpos_ known to hold no '\n'
  for (;;) {
    const char* begin = rbuf_.data() + rpos_;
    const size_t avail = rlen_ - rpos_;
    const void* nl = ::memchr(begin + scanned, '\n', avail - scanned);
    if (nl != nullptr) {
      size_t len = static_cast<const char*>(nl) - begin;
      LineEnd e = LineEnd::kLf;
      if (len > 0 && begin[len - 1] == '\r') {
        --len;
        e = LineEnd::kCrLf;
      }
      const size_t consumed = static_cast<const char*>(nl) - begin + 1;
      last_line_end_ = e;
      if (end) *end = e;
      if (len > max_len) {
        line->assign(begin, max_len);
        rpos_ += consumed;
        return ResourceExhausted(StrFormat("line longer than %zu bytes", max_len));
      }
      line->assign(begin, len);
      rpos_ += consumed;
      return OkStatus();
    }
    scanned = avail;
    // Over the limit even if the next bytes were "\n" (or "\r\n" when the
    // last buffered byte is the CR): keep the head, discard the rest.
    if (avail > 0 && (avail - 1 > max_len || (avail - 1 == max_len && begin[max_len] != '\r'))) {
      line->assign(begin, max_len);
      rpos_ = rlen_;
      for (;;) {
        Status st = Fill(deadline);
        if (!st.ok()) return st;
        const char* b = rbuf_.data() + rpos_;
        const void* p = ::memchr(b, '\n', rlen_ - rpos_);
        if (p == nullptr) {
          rpos_ = rlen_;
          continue;
        }
        size_t at = static_cast<const char*>(p) - b;
        LineEnd e = LineEnd::kLf;
        if (at > 0 && b[at - 1] == '\r') e = LineEnd::kCrLf;
        // A CR that ended the previous chunk is not visible here; LF is
        // then reported, which only matters for a line already rejected.
        last_line_end_ = e;
        if (end) *end = e;
        rpos_ += at + 1;
        return ResourceExhausted(StrFormat("line longer than %zu bytes", max_len));
      }
    }
    Status st = Fill(deadline);
    if (!st.ok()) {
      if (st.code() == Code::kNotFound && eof_ && buffered_input() > 0) {
        // Unterminated last line: LineEnd::kNone. (It can exceed max_len
        // by one byte here: a trailing CR that turned out to be data.)
        const size_t n = buffered_input();
        line->assign(rbuf_.data() + rpos_, std::min(n, max_len));
        rpos_ = rlen_;
        if (n > max_len) {
          return ResourceExhausted(StrFormat("line longer than %zu bytes", max_len));
        }
        return OkStatus();
      }
      return st;
    }
  }
}

Status Stream::ReadExact(size_t n, std::string* out) {
  if (fd_ < 0) return NoStream();
  const Clock::time_point deadline = Deadline();
  size_t got = 0;
  while (got < n) {
    if (buffered_input() == 0) {
      Status st = Fill(deadline);
      if (!st.ok()) {
        if (st.code() == Code::kNotFound && got > 0) {
          return NotFound(StrFormat("end of file after %zu of %zu bytes", got, n));
        }
        return st;
      }
    }
    size_t take = std::min(n - got, buffered_input());
    out->append(rbuf_, rpos_, take);
    rpos_ += take;
    got += take;
  }
  return OkStatus();
}

Status Stream::ReadSome(std::string* out, size_t max_len) {
  if (fd_ < 0) return NoStream();
  if (max_len == 0) return OkStatus();
  if (buffered_input() == 0) {
    Status st = Fill(Deadline());
    if (!st.ok()) return st;
  }
  size_t take = std::min(max_len, buffered_input());
  out->append(rbuf_, rpos_, take);
  rpos_ += take;
  return OkStatus();
}

Status Stream::Write(std::string_view data) {
  if (fd_ < 0) return NoStream();
  if (wpos_ > 0 && wpos_ >= wbuf_.size() / 2) {
    wbuf_.erase(0, wpos_);
    wpos_ = 0;
  }
  wbuf_.append(data);
  if (buffered_output() >= kBufferSize) return Flush();
  return OkStatus();
}

Status Stream::WriteF(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string s = StrVFormat(fmt, ap);
  va_end(ap);
  return Write(s);
}

Status Stream::Flush() {
  if (fd_ < 0) return NoStream();
  const Clock::time_point deadline = Deadline();
  if (transport_) return FlushTransport(deadline);
  const bool timed = timeout_.count() > 0;
  bool wait_first = false;
  while (wpos_ < wbuf_.size()) {
    if (wait_first || (timed && !use_send_)) {
      Status st = Wait(write_fd(), POLLOUT, deadline);
      if (!st.ok()) return st;
    }
    const char* p = wbuf_.data() + wpos_;
    size_t len = wbuf_.size() - wpos_;
    ssize_t n;
    if (use_send_) {
      // MSG_DONTWAIT: never block inside send(), so the deadline holds
      // even on a blocking socket; EAGAIN sends us to poll().
      n = send_fd_ >= 0 ? SendWithFd(write_fd(), p, len, send_fd_, MSG_DONTWAIT)
                        : ::send(write_fd(), p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) send_fd_ = -1;  // it went with these bytes
      if (n < 0 && errno == ENOTSOCK) {
        use_send_ = false;
        continue;
      }
    } else {
      // After POLLOUT a pipe has room for at least PIPE_BUF bytes, so a
      // write of that size cannot block past the deadline.
      if (timed) len = std::min<size_t>(len, PIPE_BUF);
      n = ::write(write_fd(), p, len);
    }
    if (n >= 0) {
      wpos_ += static_cast<size_t>(n);
      wait_first = false;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_first = true;
      continue;
    }
    return ErrnoStatus(errno, "write");
  }
  wbuf_.clear();
  wpos_ = 0;
  return OkStatus();
}

void Stream::DiscardOutput() {
  wbuf_.clear();
  wpos_ = 0;
}

Status Stream::Close() {
  if (fd_ < 0) {
    Reset();
    return OkStatus();
  }
  Status st = Flush();
  if (transport_) transport_->Shutdown();
  transport_.reset();
  if (owned_ && ::close(fd_) < 0 && errno != EINTR && st.ok()) st = ErrnoStatus(errno, "close");
  Reset();
  return st;
}

}  // namespace util

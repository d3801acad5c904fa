// fd: an owned file descriptor, and errno turned into a Status.
//
// util::Fd owns one descriptor and closes it when destroyed, so an early
// return on an error path never leaks it. It is move-only:
//
//   util::Fd fd(::open(path, O_RDONLY | O_CLOEXEC));
//   if (!fd) return util::ErrnoStatus(errno, "open " + path);
//   ... read(fd.get(), ...) ...
//   int raw = fd.release();   // hand it on; Fd no longer closes it
//
// A default-constructed Fd holds -1 ("no descriptor"). close() errors are
// ignored on destruction (there is nothing useful to do with them); callers
// that care about close() errors (e.g. after writing a file) call Close().
//
// ErrnoStatus(err, what) maps an errno value to the status vocabulary of
// util/status.h, with the message "what: strerror(err)":
//   ETIMEDOUT                              kDeadlineExceeded
//   EMFILE ENFILE ENOBUFS ENOMEM ENOSPC    kResourceExhausted
//   EDQUOT
//   ENOENT                                 kNotFound
//   EACCES EPERM EADDRNOTAVAIL ENOTDIR     kFailedPrecondition
//   ELOOP ENAMETOOLONG EROFS
//   EINVAL                                 kInvalidArgument
//   anything else (ECONNREFUSED, EPIPE,    kUnavailable (retry later)
//   ECONNRESET, EADDRINUSE, EIO, ...)
#pragma once

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "util/status.h"

namespace util {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }

  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  // Gives up ownership: returns the descriptor and leaves this Fd empty.
  int release() { return std::exchange(fd_, -1); }

  // Closes the held descriptor (if any) and takes ownership of `fd`.
  void reset(int fd = -1) {
    if (fd_ >= 0 && fd_ != fd) ::close(fd_);
    fd_ = fd;
  }

  // Closes the descriptor and reports close()'s result. EINTR is treated
  // as success: on Linux the descriptor is gone either way.
  Status Close();

 private:
  int fd_ = -1;
};

inline Status ErrnoStatus(int err, const std::string& what) {
  std::string m = what + ": " + ::strerror(err);
  switch (err) {
    case ETIMEDOUT:
      return DeadlineExceeded(std::move(m));
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
    case ENOSPC:
    case EDQUOT:
      return ResourceExhausted(std::move(m));
    case ENOENT:
      return NotFound(std::move(m));
    case EACCES:
    case EPERM:
    case EADDRNOTAVAIL:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case EROFS:
      return FailedPrecondition(std::move(m));
    case EINVAL:
      return InvalidArgument(std::move(m));
    default:
      return Unavailable(std::move(m));
  }
}

inline Status Fd::Close() {
  if (fd_ < 0) return OkStatus();
  int fd = release();
  if (::close(fd) < 0 && errno != EINTR) return ErrnoStatus(errno, "close");
  return OkStatus();
}

}  // namespace util

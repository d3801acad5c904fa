// status: the error vocabulary of every path that handles mail.
//
// A Status is a code plus a human-readable message; StatusOr<T> carries a
// value or a non-OK Status. The codes that matter to callers:
//   kUnavailable        retry later: a temporary failure (a table's database
//                       is down, a peer timed out). SMTP callers answer 4xx,
//                       delivery agents defer. Never treated as "not found".
//   kFailedPrecondition needs fixing by the administrator: a bad
//                       configuration or table file. Logged loudly.
//   kInvalidArgument    malformed input from a peer or a user (bad syntax,
//                       oversized attribute); rejected, never crashes.
//   kNotFound           the thing asked for does not exist (a file, a key).
//   kDeadlineExceeded   an I/O timeout.
//   kResourceExhausted  a limit was hit (line length, attribute count).
//   kInternal           a broken invariant in our own code.
// Status values, not exceptions, cross module boundaries.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace util {

enum class Code {
  kOk = 0,
  kUnavailable,
  kFailedPrecondition,
  kInvalidArgument,
  kNotFound,
  kDeadlineExceeded,
  kResourceExhausted,
  kInternal,
};

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
inline Status FailedPrecondition(std::string m) {
  return Status(Code::kFailedPrecondition, std::move(m));
}
inline Status InvalidArgument(std::string m) {
  return Status(Code::kInvalidArgument, std::move(m));
}
inline Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
inline Status DeadlineExceeded(std::string m) {
  return Status(Code::kDeadlineExceeded, std::move(m));
}
inline Status ResourceExhausted(std::string m) {
  return Status(Code::kResourceExhausted, std::move(m));
}
inline Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

// A value or an error. Construct from a T (success) or a non-OK Status.
template <typename T>
class StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok());
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace util

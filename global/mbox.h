// mbox: delivery of one message into a UNIX mailbox file, shared by the
// virtual(8) and local(8) agents (virtual_mailbox_lock or
// mailbox_delivery_lock give the lock methods).
//
//   MboxOptions o; o.locks = ParseLockMethods("fcntl, dotlock").value();
//   o.size_limit = 51200000;
//   Result r = DeliverMbox(msg, "/var/spool/virtual/example.jp/bob", o);
//
// The file is opened for append (created mode 0600 when missing, with
// missing parent directories created mode 0700; never
// through a symbolic link or a file with several hard links), locked for
// exclusive access with each method of the lock list (dotlock:
// create PATH.lock exclusively, taking over one older than
// stale_lock_time; fcntl and flock: non-blocking kernel locks), each tried
// up to deliver_lock_attempts times deliver_lock_delay apart. The message
// is appended in mbox style (copy.h: "From " line, >From quoting, empty
// line at the end) and synced. On any error the file is truncated back to
// its size before the delivery. The size limit (virtual_mailbox_limit, mailbox_size_limit)
// is on the whole file.
//
// Outcomes (Postfix's texts):
//   sent   2.0.0 "delivered to mailbox"
//   loop   5.4.6 "mail forwarding loop for RCPT" (bounced)
//   errors "cannot update mailbox PATH for user RCPT. REASON" where REASON
//          is "cannot open file: ERROR", "unable to lock for exclusive
//          access: ERROR", "unable to create lock file PATH.lock: ERROR" or
//          "error writing message: ERROR"; DSN 5.2.2 (bounce) for EFBIG
//          (the size limit) and EDQUOT, else 4.2.0 (defer).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "global/mailbox_result.h"

namespace mailbox {

enum class LockMethod { kFcntl, kFlock, kDotlock };

// Parses a lock list ("fcntl, dotlock"); nullopt names an unknown method.
std::optional<std::vector<LockMethod>> ParseLockMethods(std::string_view list,
                                                        std::string* bad = nullptr);

struct MboxOptions {
  uint64_t size_limit = 0;  // whole-file limit, 0 = none
  std::vector<LockMethod> locks = {LockMethod::kFcntl, LockMethod::kDotlock};
  int lock_attempts = 20;
  int lock_delay_ms = 1000;
  int stale_lock_seconds = 500;
};

Result DeliverMbox(const Message& msg, const std::string& path, const MboxOptions& options);

}  // namespace mailbox

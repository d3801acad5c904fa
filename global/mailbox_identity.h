// mailbox_identity: runs a mailbox delivery (virtual, local) with the mailbox owner's user and
// group IDs (Postfix's set_eugid), so that every directory and file the delivery creates belongs to
// the owner and the owner's permissions apply.
//
//   {
//     auto as = Identity::Assume(uid, gid);   // no-op unless running as root
//     if (!as.ok()) defer(...);
//     ... create and write the mailbox ...
//   }                                          // back to root here
//
// Running as root, Assume() sets the supplementary groups to `gid` alone,
// then the effective group and user IDs; the destructor restores root's
// effective IDs and its supplementary groups. Without root privileges
// nothing changes: the delivery runs as the current user (tests, demo).
// Failing to restore the identity is fatal (the process must not go on
// with the wrong privileges).
#pragma once

#include <sys/types.h>

#include <memory>
#include <vector>

#include "util/status.h"

namespace mailbox {

class Identity {
 public:
  static util::StatusOr<std::unique_ptr<Identity>> Assume(uid_t uid, gid_t gid);
  ~Identity();
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;

  // Whether the IDs were actually switched.
  bool switched() const { return switched_; }

 private:
  Identity() = default;
  bool switched_ = false;
  gid_t saved_egid_ = 0;
  std::vector<gid_t> saved_groups_;
};

}  // namespace mailbox

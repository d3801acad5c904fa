#include "global/mailbox_identity.h"

#include <errno.h>
#include <grp.h>
#include <unistd.h>

#include "util/fd.h"
#include "util/msg.h"

namespace mailbox {

util::StatusOr<std::unique_ptr<Identity>> Identity::Assume(uid_t uid, gid_t gid) {
  std::unique_ptr<Identity> id(new Identity());
  if (geteuid() != 0) return id;
  int n = getgroups(0, nullptr);
  if (n < 0) return util::ErrnoStatus(errno, "getgroups");
  id->saved_groups_.resize(static_cast<size_t>(n));
  if (n > 0 && getgroups(n, id->saved_groups_.data()) < 0)
    return util::ErrnoStatus(errno, "getgroups");
  id->saved_egid_ = getegid();
  if (setgroups(1, &gid) < 0) return util::ErrnoStatus(errno, "setgroups");
  if (setegid(gid) < 0) {
    int err = errno;
    (void)setgroups(id->saved_groups_.size(), id->saved_groups_.data());
    return util::ErrnoStatus(err, "setegid " + std::to_string(gid));
  }
  if (seteuid(uid) < 0) {
    int err = errno;
    (void)setegid(id->saved_egid_);
    (void)setgroups(id->saved_groups_.size(), id->saved_groups_.data());
    return util::ErrnoStatus(err, "seteuid " + std::to_string(uid));
  }
  id->switched_ = true;
  return id;
}

Identity::~Identity() {
  if (!switched_) return;
  if (seteuid(0) < 0) msg::Fatal("seteuid 0: %s", strerror(errno));
  if (setegid(saved_egid_) < 0) msg::Fatal("setegid %ld: %s", long(saved_egid_), strerror(errno));
  if (setgroups(saved_groups_.size(), saved_groups_.data()) < 0)
    msg::Fatal("setgroups: %s", strerror(errno));
}

}  // namespace mailbox

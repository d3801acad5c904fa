#include "master/listener.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "util/sockets.h"

namespace master {
namespace {

util::Status Chown(const std::string& path, uid_t uid, gid_t gid) {
  if (uid == static_cast<uid_t>(-1)) return util::OkStatus();
  if (chown(path.c_str(), uid, gid) < 0) return util::ErrnoStatus(errno, "chown " + path);
  return util::OkStatus();
}

util::StatusOr<util::Fd> ListenDgram(const std::string& path, mode_t mode) {
  struct sockaddr_un sun = {};
  if (path.size() >= sizeof sun.sun_path)
    return util::InvalidArgument("unix-domain name too long: " + path);
  sun.sun_family = AF_UNIX;
  memcpy(sun.sun_path, path.data(), path.size());
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return util::FailedPrecondition(path + ": file exists and is not a socket");
    unlink(path.c_str());
  }
  util::Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return util::ErrnoStatus(errno, "socket");
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) < 0)
    return util::ErrnoStatus(errno, "bind " + path);
  if (chmod(path.c_str(), mode) < 0) return util::ErrnoStatus(errno, "chmod " + path);
  return fd;
}

util::StatusOr<util::Fd> ListenFifo(const std::string& path, mode_t mode) {
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISFIFO(st.st_mode)) {
      if (!S_ISSOCK(st.st_mode))
        return util::FailedPrecondition(path + ": file exists and is not a FIFO");
      unlink(path.c_str());
    }
  }
  if (mkfifo(path.c_str(), mode) < 0 && errno != EEXIST)
    return util::ErrnoStatus(errno, "mkfifo " + path);
  util::Fd fd(open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return util::ErrnoStatus(errno, "open " + path);
  if (fstat(fd.get(), &st) < 0 || !S_ISFIFO(st.st_mode))
    return util::FailedPrecondition(path + ": not a FIFO");
  if (fchmod(fd.get(), mode) < 0) return util::ErrnoStatus(errno, "fchmod " + path);
  return fd;
}

}  // namespace

util::StatusOr<util::Fd> OpenEndpoint(const Endpoint& ep, uid_t owner_uid, gid_t owner_gid) {
  util::StatusOr<util::Fd> fd = util::Fd();
  switch (ep.kind) {
    case Endpoint::Kind::kTcp:
      return util::ListenTcp(ep.addr);
    case Endpoint::Kind::kUnix:
      fd = util::ListenUnix(ep.path, ep.mode);
      break;
    case Endpoint::Kind::kUnixDgram:
      fd = ListenDgram(ep.path, ep.mode);
      break;
    case Endpoint::Kind::kFifo:
      fd = ListenFifo(ep.path, ep.mode);
      break;
  }
  if (!fd.ok()) return fd;
  if (ep.mail_owner) {
    util::Status st = Chown(ep.path, owner_uid, owner_gid);
    if (!st.ok()) return st;
  }
  return fd;
}

void RemoveEndpoint(const Endpoint& ep) {
  if (ep.kind == Endpoint::Kind::kTcp) return;
  struct stat st;
  if (lstat(ep.path.c_str(), &st) == 0 && (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode)))
    unlink(ep.path.c_str());
}

}  // namespace master

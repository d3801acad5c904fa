#include "global/mail_trigger.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "util/fd.h"
#include "util/files.h"
#include "util/sockets.h"

namespace mail_trigger {

std::string ServicePath(const config::Config& cfg, bool is_public, std::string_view service) {
  return cfg.Get("queue_directory") + (is_public ? "/public/" : "/private/") + std::string(service);
}

util::Status UnixTrigger(const std::string& path, std::string_view request,
                         std::chrono::milliseconds timeout) {
  auto fd = util::ConnectUnix(path, timeout);
  if (!fd.ok()) return fd.status();
  return util::WriteAll(fd->get(), request, path);
}

util::Status DgramTrigger(const std::string& path, std::string_view request) {
  struct sockaddr_un sun = {};
  if (path.size() >= sizeof sun.sun_path) return util::InvalidArgument("path too long: " + path);
  sun.sun_family = AF_UNIX;
  memcpy(sun.sun_path, path.data(), path.size());
  util::Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return util::ErrnoStatus(errno, "socket");
  if (sendto(fd.get(), request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&sun),
             sizeof sun) < 0)
    return util::ErrnoStatus(errno, "send to " + path);
  return util::OkStatus();
}

util::Status FifoTrigger(const std::string& path, std::string_view request) {
  // Non-blocking: with no reader (nobody holds the FIFO open) open fails
  // with ENXIO instead of hanging.
  util::Fd fd(open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return util::ErrnoStatus(errno, "open " + path);
  return util::WriteAll(fd.get(), request, path);
}

util::Status Trigger(const std::string& path, std::string_view request,
                     std::chrono::milliseconds timeout) {
  struct stat st;
  if (stat(path.c_str(), &st) < 0) return util::ErrnoStatus(errno, "connect to " + path);
  if (S_ISFIFO(st.st_mode)) return FifoTrigger(path, request);
  if (!S_ISSOCK(st.st_mode))
    return util::FailedPrecondition("connect to " + path + ": not a socket or FIFO");
  util::Status s = UnixTrigger(path, request, timeout);
  // A datagram socket refuses stream connections with EPROTOTYPE.
  if (!s.ok() && s.message().find(strerror(EPROTOTYPE)) != std::string::npos)
    return DgramTrigger(path, request);
  return s;
}

}  // namespace mail_trigger

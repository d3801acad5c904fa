#include "global/maillog.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <algorithm>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "util/msg.h"
#include "util/strings.h"

namespace maillog {
namespace {

// The postlog client of a daemon: one unix-dgram socket connected to
// postlogd's listener, and the file itself as the fallback.
struct Client {
  std::string socket_path;
  std::string file_path;
  int sock = -1;
  int file_fd = -1;
  // After a full queue did not drain in time: append directly, without
  // waiting, until then (postlogd stopped or overwhelmed).
  std::chrono::steady_clock::time_point bypass_until;
};

constexpr auto kQueueWait = std::chrono::milliseconds(100);
constexpr auto kBypassTime = std::chrono::seconds(1);
constexpr auto kLongQueueWait = std::chrono::seconds(5);

Client& TheClient() {
  static Client c;
  return c;
}

bool Connect(Client& c) {
  if (c.sock >= 0) return true;
  struct sockaddr_un sun = {};
  if (c.socket_path.size() >= sizeof sun.sun_path) return false;
  sun.sun_family = AF_UNIX;
  memcpy(sun.sun_path, c.socket_path.data(), c.socket_path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  if (connect(fd, reinterpret_cast<struct sockaddr*>(&sun), sizeof sun) < 0) {
    close(fd);
    return false;
  }
  c.sock = fd;
  return true;
}

// Whether this process can append to the log file itself (a daemon
// running as mail_owner often cannot: the file belongs to root).
bool OpenFile(Client& c) {
  if (c.file_fd < 0)
    c.file_fd =
        open(c.file_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  return c.file_fd >= 0;
}

void AppendLine(Client& c, std::string_view line) {
  if (c.file_fd < 0) {
    if (!OpenFile(c)) return;  // nowhere left to log
  }
  std::string whole(line);
  whole += '\n';
  std::string_view rest = whole;
  while (!rest.empty()) {
    ssize_t n = write(c.file_fd, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

// Sends one datagram; true when postlogd's queue took it. *full tells
// EAGAIN (queue full) apart from errors of the connection.
bool TrySend(Client& c, std::string_view line, bool* full) {
  ssize_t n = send(c.sock, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  *full = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  return n == static_cast<ssize_t>(line.size());
}

// msg hook of daemons: one datagram per line. When postlogd's queue is
// full (it may hold as few as 10 datagrams, net.unix.max_dgram_qlen) the
// sender waits up to kQueueWait for room; when postlogd cannot take the
// line (no socket, nobody reading, still full), the line is appended to
// the file directly, so nothing is lost, and for kBypassTime after a
// fruitless wait lines go straight to the file. A process that cannot
// write the file itself (a daemon running as mail_owner) waits up to
// kLongQueueWait for room instead.
void SendLine(msg::Level, std::string_view line) {
  Client& c = TheClient();
  int saved_errno = errno;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!Connect(c)) break;
    bool full = false;
    if (TrySend(c, line, &full)) {
      errno = saved_errno;
      return;
    }
    if (full) {
      // Without a file of our own to fall back on, wait as long as it
      // takes postlogd to catch up (bounded): a busy system must not lose
      // log lines.
      bool can_append = OpenFile(c);
      auto now = std::chrono::steady_clock::now();
      if (now >= c.bypass_until || !can_append) {
        auto deadline = now + (can_append ? kQueueWait : kLongQueueWait);
        while (std::chrono::steady_clock::now() < deadline) {
          auto left = std::chrono::ceil<std::chrono::milliseconds>(
              deadline - std::chrono::steady_clock::now());
          struct pollfd p = {c.sock, POLLOUT, 0};
          if (poll(&p, 1, static_cast<int>(std::max<long long>(left.count(), 1))) > 0 &&
              TrySend(c, line, &full)) {
            errno = saved_errno;
            return;
          }
          if (!full) break;  // an error, not a full queue
        }
        if (can_append) c.bypass_until = std::chrono::steady_clock::now() + kBypassTime;
      }
      break;  // keep the connection; this line goes to the file
    }
    // The listener went away (master restarted it): connect afresh once.
    bool refused = errno == ECONNREFUSED || errno == ENOTCONN;
    close(c.sock);
    c.sock = -1;
    if (!refused) break;
  }
  AppendLine(c, line);
  errno = saved_errno;
}

}  // namespace

std::string PostlogSocketPath(const config::Config& cfg) {
  return cfg.Get("queue_directory") + "/public/" + cfg.Get("postlog_service_name");
}

bool PathAllowed(std::string_view path, std::string_view prefixes) {
  for (const std::string& prefix : util::SplitList(prefixes)) {
    if (path.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

util::Status CheckMaillogFile(const config::Config& cfg) {
  std::string file = cfg.Get("maillog_file");
  std::string prefixes = cfg.Get("maillog_file_prefixes");
  if (file.empty() || PathAllowed(file, prefixes)) return util::OkStatus();
  return util::FailedPrecondition(
      util::StrFormat("maillog_file value '%s' does not match any prefix in "
                      "maillog_file_prefixes (%s)",
                      file.c_str(), prefixes.c_str()));
}

void Init(std::string_view program, const config::Config& cfg, Mode mode) {
  msg::Init(program);
  msg::SetSyslogName(cfg.Get("syslog_name"));
  msg::SetHostname(cfg.Get("myhostname"));
  std::string file = cfg.Get("maillog_file");
  bool tty = isatty(2);
  // Commands talk to a person; daemons write stderr only when it is a
  // terminal (run by hand), so master's stderr does not collect copies.
  msg::UseStderr(mode == Mode::kCommand || tty);
  msg::SetHook(nullptr);
  msg::UseFile("");
  if (file.empty()) {
    msg::UseSyslog(true);
    return;
  }
  msg::UseSyslog(false);
  switch (mode) {
    case Mode::kDaemon: {
      Client& c = TheClient();
      if (c.sock >= 0) close(c.sock);
      if (c.file_fd >= 0) close(c.file_fd);
      c.sock = c.file_fd = -1;
      c.socket_path = PostlogSocketPath(cfg);
      c.file_path = file;
      msg::SetHook(SendLine);
      return;
    }
    case Mode::kPostlogd:
      if (!CheckMaillogFile(cfg).ok()) {
        // Not even postlogd's own complaint goes to a file outside the
        // allowed prefixes: postlogd reports it (fatal) to syslog and stderr.
        msg::UseSyslog(true);
        msg::UseStderr(true);
        return;
      }
      [[fallthrough]];
    case Mode::kCommand:
      if (!msg::UseFile(file)) {
        int err = errno;
        msg::UseSyslog(true);
        msg::Warn("cannot open maillog_file %s: %s; logging to syslog", file.c_str(),
                  strerror(err));
      }
      return;
  }
}

}  // namespace maillog

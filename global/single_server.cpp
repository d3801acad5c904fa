#include "global/single_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "util/msg.h"
#include "util/sockets.h"

namespace server {
namespace {

using Clock = std::chrono::steady_clock;

void Serve(Server& s, const SingleServerHooks& hooks, util::Stream& client) {
  long long watchdog = s.config().GetTime("daemon_timeout");
  if (watchdog > 0) alarm(static_cast<unsigned>(std::min<long long>(watchdog, 1 << 30)));
  hooks.service(client, s);
  (void)client.Close();
  alarm(0);
}

}  // namespace

void RunSingleServer(int argc, char** argv, const SingleServerHooks& hooks) {
  std::unique_ptr<Server> s =
      Server::Start(argc, argv, hooks, /*want_loop=*/false, {"inet", "unix"});
  if (!hooks.service) msg::Panic("RunSingleServer: no service hook");

  if (s->args().standalone) {
    util::Stream client(0, util::Stream::Ownership::kBorrowed);
    Serve(*s, hooks, client);
    s->Exit(0, "stand-alone client done");
  }

  for (int fd : s->listen_fds()) {
    if (util::Status st = util::SetNonBlocking(fd, true); !st.ok()) {
      msg::Fatal("listener %d: %s", fd, st.message().c_str());
    }
  }
  std::vector<struct pollfd> fds;
  fds.push_back({master_proto::kLifelineFd, POLLIN, 0});
  for (int fd : s->listen_fds()) fds.push_back({fd, POLLIN, 0});

  long long uses = 0;
  s->Notify(master_proto::Status::kAvailable);
  Clock::time_point idle_deadline = Clock::now() + std::chrono::seconds(s->max_idle());
  for (;;) {
    if (s->exit_requested()) s->Exit(0, "exit requested");
    int timeout = -1;
    if (s->max_idle() > 0) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(idle_deadline - Clock::now());
      if (left.count() <= 0) s->Exit(0, "idle timeout");
      timeout = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
    }
    for (auto& p : fds) p.revents = 0;
    int n = poll(fds.data(), fds.size(), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      msg::Fatal("poll: %s", strerror(errno));
    }
    if (n == 0) continue;  // the deadline check above decides
    if (fds[0].revents != 0 && Server::LifelineClosed()) s->Exit(0, "master disconnect");
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      int conn = accept4(fds[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) {
        // Another child took it, or the client gave up before we came.
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED ||
            errno == EPROTO)
          continue;
        msg::Fatal("accept connection: %s", strerror(errno));
      }
      s->Notify(master_proto::Status::kTaken);
      util::Stream client{util::Fd(conn)};
      Serve(*s, hooks, client);
      ++uses;
      if (s->max_use() > 0 && uses >= s->max_use()) s->Exit(0, "max_use reached");
      if (s->exit_requested()) s->Exit(0, "exit requested");
      s->Notify(master_proto::Status::kAvailable);
      idle_deadline = Clock::now() + std::chrono::seconds(s->max_idle());
      break;  // look at the lifeline before the next client
    }
  }
}

}  // namespace server

#include "server/single_server.h"

#include <sys/epoll.h>
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
    // Standard input and output, which may be one socket (inetd, socat)
    // or two pipes (sendmail -bs).
    util::Stream client(0, 1);
    Serve(*s, hooks, client);
    s->Exit(0, "stand-alone client done");
  }

  for (int fd : s->listen_fds()) {
    if (util::Status st = util::SetNonBlocking(fd, true); !st.ok()) {
      msg::Fatal("listener %d: %s", fd, st.message().c_str());
    }
  }
  // Idle children of a service all wait on the same listeners. With
  // EPOLLEXCLUSIVE a new connection wakes one of them, not every one (the
  // others would only lose the accept race: on a busy host, a storm of
  // wake-ups per connection). The lifeline is watched normally.
  util::Fd ep(epoll_create1(EPOLL_CLOEXEC));
  if (!ep) msg::Fatal("epoll_create1: %s", strerror(errno));
  auto watch = [&](int fd, uint32_t events) {
    struct epoll_event ev = {};
    ev.events = events;
    ev.data.fd = fd;
    if (epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev) < 0)
      msg::Fatal("epoll_ctl %d: %s", fd, strerror(errno));
  };
  watch(master_proto::kLifelineFd, EPOLLIN);
  for (int fd : s->listen_fds()) watch(fd, EPOLLIN | EPOLLEXCLUSIVE);

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
    struct epoll_event events[8];
    int n = epoll_wait(ep.get(), events, 8, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      msg::Fatal("epoll_wait: %s", strerror(errno));
    }
    if (n == 0) continue;  // the deadline check above decides
    bool lifeline = false;
    int ready = -1;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == master_proto::kLifelineFd)
        lifeline = true;
      else if (ready < 0)
        ready = events[i].data.fd;
    }
    if (lifeline && Server::LifelineClosed()) s->Exit(0, "master disconnect");
    if (ready < 0) continue;
    int conn = accept4(ready, nullptr, nullptr, SOCK_CLOEXEC);
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
  }
}

}  // namespace server

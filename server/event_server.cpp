#include "server/event_server.h"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "global/master_proto.h"
#include "util/msg.h"
#include "util/sockets.h"

namespace server {

void EventServer::Run() {
  for (int fd : s_.listen_fds()) {
    if (util::Status st = util::SetNonBlocking(fd, true); !st.ok()) {
      msg::Fatal("listener %d: %s", fd, st.message().c_str());
    }
    listen_handles_.push_back(loop_.WatchRead(fd, [this, fd] { ListenerReady(fd); }));
  }
  lifeline_handle_ = loop_.WatchRead(master_proto::kLifelineFd, [this] {
    if (Server::LifelineClosed()) Drain("master disconnect");
  });
  ArmIdleTimer();
  s_.Notify(master_proto::Status::kAvailable);
  util::Status st = loop_.Run();
  if (!st.ok()) msg::Fatal("event loop: %s", st.message().c_str());
  s_.Exit(0, "event loop finished");
}

void EventServer::ArmIdleTimer() {
  if (s_.max_idle() <= 0 || draining_) return;
  auto delay = std::chrono::seconds(s_.max_idle());
  if (idle_handle_ == util::EventLoop::kNoHandle || !loop_.ResetTimer(idle_handle_, delay)) {
    idle_handle_ = loop_.AddTimer(delay, [this] {
      idle_handle_ = util::EventLoop::kNoHandle;
      if (!Busy()) s_.Exit(0, "idle timeout");
      ArmIdleTimer();
    });
  }
}

void EventServer::StopWatching() {
  for (auto h : listen_handles_) loop_.Cancel(h);
  listen_handles_.clear();
  loop_.Cancel(lifeline_handle_);
  lifeline_handle_ = util::EventLoop::kNoHandle;
  if (idle_handle_ != util::EventLoop::kNoHandle) loop_.Cancel(idle_handle_);
  idle_handle_ = util::EventLoop::kNoHandle;
}

int EventServer::AcceptOne(int listen_fd) {
  int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0) return fd;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED ||
      errno == EPROTO)
    return -1;
  msg::Fatal("accept connection: %s", strerror(errno));
}

}  // namespace server

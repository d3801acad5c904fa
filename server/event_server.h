// event_server: what the event-driven skeletons (multi_server,
// trigger_server) share: the loop that watches every listener and master's
// lifeline, the max_idle timer, and the drain state. Internal to the
// skeletons; daemons use RunMultiServer / RunTriggerServer.
//
// A subclass implements ListenerReady (a listener is readable), Busy (a
// client is in progress, so max_idle must not end the process) and Drain
// (master closed the lifeline or a limit was reached: stop listening with
// StopWatching, finish what is in progress, then exit).
#pragma once

#include <string>
#include <vector>

#include "server/daemon.h"
#include "util/event_loop.h"

namespace server {

class EventServer {
 public:
  // Watches the listeners and the lifeline, arms the idle timer, reports
  // "available" to master and runs the loop until the process exits.
  [[noreturn]] void Run();

 protected:
  explicit EventServer(Server& s) : s_(s), loop_(*s.loop()) {}
  virtual ~EventServer() = default;

  virtual void ListenerReady(int fd) = 0;
  virtual bool Busy() const = 0;
  virtual void Drain(const std::string& why) = 0;

  // (Re)starts the max_idle countdown; at expiry the process exits unless
  // Busy(), in which case the countdown starts again.
  void ArmIdleTimer();
  // Stops watching listeners, the lifeline and the idle timer (for Drain).
  void StopWatching();
  // Accepts one client from a non-blocking listener: its descriptor
  // (non-blocking, close-on-exec), or -1 when none is waiting or it went
  // away before it was taken; any other accept error is fatal.
  int AcceptOne(int listen_fd);

  Server& s_;
  util::EventLoop& loop_;
  long long uses_ = 0;
  bool draining_ = false;
  std::string drain_reason_;

 private:
  std::vector<util::EventLoop::Handle> listen_handles_;
  util::EventLoop::Handle lifeline_handle_ = util::EventLoop::kNoHandle;
  util::EventLoop::Handle idle_handle_ = util::EventLoop::kNoHandle;
};

}  // namespace server

// event_loop: the event loop of the event-driven daemons (master, qmgr,
// anvil, the multi-client servers), a thin wrapper over libevent 2.1.
//
// One EventLoop owns one event_base. Callers register callbacks and get
// back a Handle with which to cancel them:
//
//   util::EventLoop loop;
//   auto h = loop.WatchRead(listen_fd, [&] { AcceptOne(); });  // until Cancel
//   loop.AddTimer(std::chrono::seconds(300), [&] { loop.Stop(); });  // once
//   loop.AddPeriodic(std::chrono::seconds(60), [&] { Scan(); });
//   loop.OnSignal(SIGHUP, [&] { Reload(); });  // runs in the loop, not in
//                                              // the signal handler
//   util::Status st = loop.Run();  // until Stop() or nothing left to wait for
//
// Semantics:
//   - WatchRead/WatchWrite/AddPeriodic/OnSignal stay registered until
//     Cancel; AddTimer fires once and is then gone (Cancel returns false).
//   - Cancel is safe at any time, including from inside the callback being
//     cancelled (the callback object is destroyed only after it returns)
//     and for an event that is already due in the same loop iteration (it
//     will not run). Cancelling an unknown or finished handle is a no-op
//     that returns false. Handles are never reused.
//   - ResetTimer re-arms a timer to fire `delay` from now: the idle-timeout
//     pattern. A one-shot timer re-armed from its own callback stays
//     registered; for a periodic timer `delay` becomes the new interval.
//   - Run returns OK when Stop() was called or no event is left; Stop()
//     only ends a Run/RunOnce that is in progress (or that a callback is
//     running from); a Stop() with no loop running is forgotten.
//   - RunOnce(timeout) waits up to `timeout` for at least one event, runs
//     every callback that is due, and returns: for tests and for programs
//     that interleave the loop with other work.
//   - Signals: libevent installs its own handler with sigaction(2). Only one
//     EventLoop per process should watch signals.
//   - The fd is never closed by the loop; cancel a watch before closing its
//     descriptor. A callback must not destroy the EventLoop.
//   - Not thread-safe: use the loop from the thread that runs it.
// Failure to create an event_base or to add an event is a broken
// invariant (out of memory, bad descriptor) and ends the program via
// msg::Panic.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "util/status.h"

struct event;
struct event_base;

namespace util {

class EventLoop {
 public:
  using Callback = std::function<void()>;
  using Handle = uint64_t;
  static constexpr Handle kNoHandle = 0;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  Handle WatchRead(int fd, Callback cb);
  Handle WatchWrite(int fd, Callback cb);
  Handle AddTimer(std::chrono::milliseconds delay, Callback cb);
  Handle AddPeriodic(std::chrono::milliseconds interval, Callback cb);
  Handle OnSignal(int signo, Callback cb);

  // Returns true if the handle was registered (and is now gone).
  bool Cancel(Handle handle);
  // Re-arms a timer or periodic timer; false for unknown handles and
  // for watches of descriptors or signals.
  bool ResetTimer(Handle handle, std::chrono::milliseconds delay);

  Status Run();
  Status RunOnce(std::chrono::milliseconds timeout);
  void Stop();

  // Number of registered events (watches, timers, signals).
  size_t size() const { return entries_.size(); }
  struct event_base* base() {
    return base_;
  }  // for libevent-level extras

 private:
  struct Entry;
  enum class Kind { kFd, kTimer, kPeriodic, kSignal };
  static void Dispatch(int fd, short what, void* arg);  // evutil_socket_t is int
  Handle Add(Kind kind, int fd_or_signo, short events, std::chrono::milliseconds delay,
             Callback cb);
  void Erase(Handle handle);

  struct event_base* base_ = nullptr;
  Handle next_handle_ = 1;
  std::map<Handle, std::unique_ptr<Entry>> entries_;
};

}  // namespace util

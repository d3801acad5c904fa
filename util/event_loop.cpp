#include "util/event_loop.h"

#include <event2/event.h>

#include <type_traits>
#include <utility>

#include "util/msg.h"

namespace util {

static_assert(std::is_same_v<evutil_socket_t, int>, "EventLoop::Dispatch assumes int sockets");

namespace {

struct timeval ToTimeval(std::chrono::milliseconds ms) {
  long long n = ms.count() < 0 ? 0 : ms.count();
  struct timeval tv;
  tv.tv_sec = static_cast<time_t>(n / 1000);
  tv.tv_usec = static_cast<suseconds_t>((n % 1000) * 1000);
  return tv;
}

void Nothing(evutil_socket_t, short, void*) {}

}  // namespace

struct EventLoop::Entry {
  EventLoop* loop = nullptr;
  Handle handle = kNoHandle;
  Kind kind = Kind::kFd;
  struct event* ev = nullptr;
  Callback cb;
  bool running = false;    // its callback is on the stack
  bool cancelled = false;  // cancelled while running: erase after return
  bool rearmed = false;    // a one-shot timer re-armed by its own callback
};

EventLoop::EventLoop() : base_(event_base_new()) {
  if (base_ == nullptr) msg::Panic("event_base_new failed");
}

EventLoop::~EventLoop() {
  for (auto& [handle, entry] : entries_) event_free(entry->ev);
  entries_.clear();
  event_base_free(base_);
}

EventLoop::Handle EventLoop::WatchRead(int fd, Callback cb) {
  return Add(Kind::kFd, fd, EV_READ, std::chrono::milliseconds(0), std::move(cb));
}

EventLoop::Handle EventLoop::WatchWrite(int fd, Callback cb) {
  return Add(Kind::kFd, fd, EV_WRITE, std::chrono::milliseconds(0), std::move(cb));
}

EventLoop::Handle EventLoop::AddTimer(std::chrono::milliseconds delay, Callback cb) {
  return Add(Kind::kTimer, -1, 0, delay, std::move(cb));
}

EventLoop::Handle EventLoop::AddPeriodic(std::chrono::milliseconds interval, Callback cb) {
  return Add(Kind::kPeriodic, -1, 0, interval, std::move(cb));
}

EventLoop::Handle EventLoop::OnSignal(int signo, Callback cb) {
  return Add(Kind::kSignal, signo, EV_SIGNAL, std::chrono::milliseconds(0), std::move(cb));
}

EventLoop::Handle EventLoop::Add(Kind kind, int fd_or_signo, short events,
                                 std::chrono::milliseconds delay, Callback cb) {
  auto entry = std::make_unique<Entry>();
  entry->loop = this;
  entry->handle = next_handle_++;
  entry->kind = kind;
  entry->cb = std::move(cb);
  short flags = events;
  if (kind != Kind::kTimer) flags |= EV_PERSIST;
  entry->ev = event_new(base_, fd_or_signo, flags, &EventLoop::Dispatch, entry.get());
  if (entry->ev == nullptr) msg::Panic("event_new failed (fd or signal %d)", fd_or_signo);
  int r;
  if (kind == Kind::kTimer || kind == Kind::kPeriodic) {
    struct timeval tv = ToTimeval(delay);
    r = event_add(entry->ev, &tv);
  } else {
    r = event_add(entry->ev, nullptr);
  }
  if (r != 0) msg::Panic("event_add failed (fd or signal %d)", fd_or_signo);
  Handle handle = entry->handle;
  entries_.emplace(handle, std::move(entry));
  return handle;
}

void EventLoop::Dispatch(int /*fd*/, short /*what*/, void* arg) {
  Entry* e = static_cast<Entry*>(arg);
  EventLoop* loop = e->loop;
  const Handle handle = e->handle;
  e->running = true;
  e->rearmed = false;
  e->cb();
  // `e` is still alive: Cancel defers erasing a running entry to here.
  e->running = false;
  if (e->cancelled || (e->kind == Kind::kTimer && !e->rearmed)) loop->Erase(handle);
}

bool EventLoop::Cancel(Handle handle) {
  auto it = entries_.find(handle);
  if (it == entries_.end() || it->second->cancelled) return false;
  Entry* e = it->second.get();
  if (e->running) {
    event_del(e->ev);
    e->cancelled = true;
    return true;
  }
  Erase(handle);
  return true;
}

bool EventLoop::ResetTimer(Handle handle, std::chrono::milliseconds delay) {
  auto it = entries_.find(handle);
  if (it == entries_.end() || it->second->cancelled) return false;
  Entry* e = it->second.get();
  if (e->kind != Kind::kTimer && e->kind != Kind::kPeriodic) return false;
  struct timeval tv = ToTimeval(delay);
  if (event_add(e->ev, &tv) != 0) msg::Panic("event_add failed (timer)");
  if (e->running) e->rearmed = true;
  return true;
}

void EventLoop::Erase(Handle handle) {
  auto it = entries_.find(handle);
  if (it == entries_.end()) return;
  event_free(it->second->ev);  // also removes it from the active queue
  entries_.erase(it);
}

Status EventLoop::Run() {
  if (event_base_dispatch(base_) < 0) return Internal("event_base_dispatch failed");
  return OkStatus();
}

Status EventLoop::RunOnce(std::chrono::milliseconds timeout) {
  struct event* t = evtimer_new(base_, &Nothing, nullptr);
  if (t == nullptr) msg::Panic("evtimer_new failed");
  struct timeval tv = ToTimeval(timeout);
  evtimer_add(t, &tv);
  int r = event_base_loop(base_, EVLOOP_ONCE);
  event_free(t);
  if (r < 0) return Internal("event_base_loop failed");
  return OkStatus();
}

void EventLoop::Stop() { event_base_loopbreak(base_); }

}  // namespace util

#include "server/trigger_server.h"

#include "server/event_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <string>

#include "util/fd.h"
#include "util/msg.h"
#include "util/sockets.h"

namespace server {
namespace {

constexpr size_t kMaxTrigger = 1024;
constexpr size_t kMaxDatagram = 64 * 1024;
constexpr auto kClientTimeout = std::chrono::seconds(10);
// Requests handled per readiness event of a FIFO or datagram socket, so
// that a busy sender does not starve the daemon's timers.
constexpr int kMaxBatch = 100;
// Requests still handed over after the lifeline closed.
constexpr int kMaxDrain = 100000;

class TriggerServer : public EventServer {
 public:
  TriggerServer(Server& s, const TriggerServerHooks& hooks)
      : EventServer(s),
        hooks_(hooks),
        type_(s.args().service_type),
        buf_(type_ == "unix-dgram" ? kMaxDatagram : kMaxTrigger, '\0') {}

 private:
  bool Stream() const { return type_ == "unix" || type_ == "inet"; }

  bool Busy() const override { return !clients_.empty(); }

  // Hands one request to the daemon, with the status and lifetime bookkeeping.
  void Handle(std::string_view request) {
    // never_busy: only the first request is reported, which master needs
    // to know the process works (a process that dies before taking one is
    // a bad command startup, and its service is throttled).
    const bool report = !hooks_.never_busy || uses_ == 0;
    if (report) s_.Notify(master_proto::Status::kTaken);
    if (msg::Verbose()) msg::Info("trigger: %zu bytes", request.size());
    hooks_.service(request, s_);
    ++uses_;
    if (draining_) return;
    if (s_.max_use() > 0 && uses_ >= s_.max_use())
      Drain("max_use reached");
    else if (s_.exit_requested())
      Drain("exit requested");
    else {
      if (report) s_.Notify(master_proto::Status::kAvailable);
      ArmIdleTimer();
    }
  }

  void ListenerReady(int fd) override {
    if (Stream()) {
      AcceptClient(fd);
      return;
    }
    for (int i = 0; i < kMaxBatch && !draining_; ++i) {
      if (!ReadOne(fd)) return;
    }
  }

  // One read of a FIFO or one datagram; false when nothing more is there.
  bool ReadOne(int fd) {
    ssize_t n = type_ == "unix-dgram" ? recv(fd, buf_.data(), buf_.size(), MSG_DONTWAIT)
                                      : read(fd, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      if (errno == EINTR) return true;
      msg::Fatal("read %s service %s: %s", type_.c_str(), s_.service_name().c_str(),
                 strerror(errno));
    }
    if (n == 0 && type_ != "unix-dgram") return false;  // FIFO without writer
    Handle(std::string_view(buf_.data(), static_cast<size_t>(n)));
    return true;
  }

  void AcceptClient(int listen_fd) {
    if (draining_) return;
    int fd = AcceptOne(listen_fd);
    if (fd < 0) return;
    uint64_t id = next_id_++;
    Client& c = clients_[id];
    c.fd = util::Fd(fd);
    c.read_handle = loop_.WatchRead(fd, [this, id] { ClientReady(id); });
    c.timer_handle = loop_.AddTimer(kClientTimeout, [this, id] {
      auto it = clients_.find(id);
      if (it == clients_.end()) return;
      it->second.timer_handle = util::EventLoop::kNoHandle;
      if (msg::Verbose()) msg::Info("trigger client timed out");
      Forget(id);
    });
  }

  void ClientReady(uint64_t id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    char buf[kMaxTrigger];
    ssize_t n = read(it->second.fd.get(), buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    Forget(id);  // closes the connection before the (possibly long) service
    if (n > 0) Handle(std::string_view(buf, static_cast<size_t>(n)));
    if (draining_ && clients_.empty()) ExitWhenIdle(0);
  }

  void Forget(uint64_t id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    loop_.Cancel(it->second.read_handle);
    loop_.Cancel(it->second.timer_handle);
    clients_.erase(it);
    if (draining_ && clients_.empty()) s_.Exit(0, drain_reason_);
  }

  // Stops listening, hands over what is queued, waits for accepted clients.
  void Drain(const std::string& why) override {
    if (draining_) return;
    draining_ = true;
    drain_reason_ = why;
    StopWatching();
    if (why == "master disconnect" && !Stream()) {
      for (int fd : s_.listen_fds()) {
        for (int i = 0; i < kMaxDrain && ReadOne(fd); ++i) {
        }
      }
    }
    if (hooks_.drain) hooks_.drain();
    if (clients_.empty()) ExitWhenIdle(0);
  }

  // Exits once the service is no longer busy (or the wait is over).
  void ExitWhenIdle(int waited_ms) {
    if (!hooks_.busy || !hooks_.busy() || waited_ms >= kMaxDrainWaitSeconds * 1000) {
      if (hooks_.busy && waited_ms >= kMaxDrainWaitSeconds * 1000)
        msg::Warn("still busy after %d s of draining; exiting anyway", kMaxDrainWaitSeconds);
      s_.Exit(0, drain_reason_);
    }
    loop_.AddTimer(std::chrono::milliseconds(100),
                   [this, waited_ms] { ExitWhenIdle(waited_ms + 100); });
  }

  struct Client {
    util::Fd fd;
    util::EventLoop::Handle read_handle = util::EventLoop::kNoHandle;
    util::EventLoop::Handle timer_handle = util::EventLoop::kNoHandle;
  };

  const TriggerServerHooks& hooks_;
  std::string type_;
  std::map<uint64_t, Client> clients_;
  uint64_t next_id_ = 1;
  // One FIFO read or datagram, allocated once: clearing 64 KiB for every
  // datagram cost more than postlogd's write of the line.
  std::string buf_;
};

}  // namespace

void RunTriggerServer(int argc, char** argv, const TriggerServerHooks& hooks) {
  std::unique_ptr<Server> s =
      Server::Start(argc, argv, hooks, /*want_loop=*/true, {"unix", "inet", "fifo", "unix-dgram"});
  if (!hooks.service) msg::Panic("RunTriggerServer: no service hook");
  if (s->args().standalone)
    msg::Fatal("%s: stand-alone mode (-S) is not supported", s->program().c_str());
  TriggerServer t(*s, hooks);
  t.Run();
}

}  // namespace server

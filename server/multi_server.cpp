#include "server/multi_server.h"

#include "server/event_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>

#include "util/msg.h"
#include "util/sockets.h"

namespace server {

namespace {
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxPendingOutput = 1 << 20;
constexpr int kMaxAcceptsPerEvent = 64;
}  // namespace

class MultiServer : public EventServer {
 public:
  MultiServer(Server& s, const MultiServerHooks& hooks) : EventServer(s), hooks_(hooks) {}

  void Flush(Connection& c);

 private:
  void ListenerReady(int fd) override { Accept(fd); }
  bool Busy() const override { return !conns_.empty(); }

  void Accept(int listen_fd) {
    if (draining_) return;
    for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
      int fd = AcceptOne(listen_fd);
      if (fd < 0) return;
      ++uses_;
      uint64_t id = next_id_++;
      auto conn =
          std::unique_ptr<Connection>(new Connection(this, id, util::Fd(fd), hooks_.limits));
      Connection& c = *conn;
      conns_[id] = std::move(conn);
      c.read_handle_ = loop_.WatchRead(fd, [this, id] { Readable(id); });
      if (msg::Verbose()) msg::Info("connection %llu established", (unsigned long long)id);
      if (hooks_.on_connect) hooks_.on_connect(c, s_);
      if (conns_.count(id)) Flush(c);
    }
  }

  void Readable(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Connection& c = *it->second;
    char buf[kReadChunk];
    ssize_t n = hooks_.pass_fds ? util::ReceiveWithFds(c.fd(), buf, sizeof buf, &c.fds_in_)
                                : read(c.fd(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      Drop(c, std::string("read: ") + strerror(errno));
      return;
    }
    if (n == 0) {
      util::Status st = c.decoder_.AtEof();
      Drop(c, st.ok() ? std::string() : st.message());
      return;
    }
    if (!c.read_any_ && hooks_.wakeup && buf[0] == master_proto::kTriggerWakeup) {
      hooks_.wakeup(s_);
      Destroy(c);
      return;
    }
    c.read_any_ = true;
    c.decoder_.Feed(std::string_view(buf, static_cast<size_t>(n)));
    s_.Notify(master_proto::Status::kTaken);
    util::AttrList req;
    bool answered = false;
    for (;;) {
      util::StatusOr<bool> got = c.decoder_.Next(&req);
      if (!got.ok()) {
        s_.Notify(master_proto::Status::kAvailable);
        Drop(c, got.status().message());
        return;
      }
      if (!*got) break;
      if (msg::Verbose()) msg::Info("request: %s", req.DebugString().c_str());
      util::StatusOr<util::AttrList> reply = hooks_.request(req, c, s_);
      if (!reply.ok()) {
        s_.Notify(master_proto::Status::kAvailable);
        Drop(c, reply.status().message());
        return;
      }
      if (msg::Verbose()) msg::Info("reply: %s", reply->DebugString().c_str());
      if (c.fd_out_) {
        c.fds_out_.emplace_back(c.out_.size(), std::move(c.fd_out_));
        c.fd_out_ = util::Fd();
      }
      util::AppendAttrList(&c.out_, *reply);
      answered = true;
    }
    s_.Notify(master_proto::Status::kAvailable);
    // Descriptors that came with answered requests and were not taken are
    // closed now, not kept for as long as the connection lasts.
    if (c.decoder_.buffered() == 0) c.fds_in_.clear();
    // Draining: a connection whose request is answered goes away.
    if ((draining_ || s_.exit_requested()) && answered && c.decoder_.buffered() == 0) {
      c.close_after_output_ = true;
    }
    Flush(c);
    if (s_.exit_requested() && !draining_) Drain("exit requested");
  }

  // Logs `why` (if any) and closes the connection.
  void Drop(Connection& c, const std::string& why) {
    if (!why.empty()) {
      msg::Warn("%s: connection %llu: %s", s_.service_name().c_str(), (unsigned long long)c.id(),
                why.c_str());
    }
    Destroy(c);
  }

  void Destroy(Connection& c) {
    uint64_t id = c.id();
    loop_.Cancel(c.read_handle_);
    loop_.Cancel(c.write_handle_);
    if (hooks_.on_disconnect) hooks_.on_disconnect(c, s_);
    if (msg::Verbose()) msg::Info("connection %llu closed", (unsigned long long)id);
    conns_.erase(id);  // closes the descriptor
    if (!conns_.empty()) return;
    if (draining_) s_.Exit(0, drain_reason_);
    if (s_.max_use() > 0 && uses_ >= s_.max_use()) s_.Exit(0, "max_use reached");
    ArmIdleTimer();
  }

  // Stops accepting and lets the open connections finish (see the header).
  void Drain(const std::string& why) override {
    if (draining_) return;
    draining_ = true;
    drain_reason_ = why;
    StopWatching();
    std::vector<uint64_t> idle;
    for (auto& [id, c] : conns_) {
      bool between_requests = c->decoder_.buffered() == 0;
      if (between_requests && c->out_.size() == c->out_pos_) {
        idle.push_back(id);
      } else if (between_requests) {
        c->close_after_output_ = true;
      }
    }
    if (conns_.empty()) s_.Exit(0, why);
    for (uint64_t id : idle) Destroy(*conns_[id]);  // exits with the last one
    long long limit = s_.max_idle() > 0 ? s_.max_idle() : 100;
    loop_.AddTimer(std::chrono::seconds(limit),
                   [this] { s_.Exit(0, drain_reason_ + " (drain time limit)"); });
  }

  const MultiServerHooks& hooks_;
  std::map<uint64_t, std::unique_ptr<Connection>> conns_;
  uint64_t next_id_ = 1;
};

void MultiServer::Flush(Connection& c) {
  while (c.out_pos_ < c.out_.size()) {
    // A reply with a descriptor (Connection::AttachFd) goes in a write of
    // its own that carries it; the write before it stops at its start.
    size_t end = c.out_.size();
    bool with_fd = !c.fds_out_.empty() && c.fds_out_.front().first == c.out_pos_;
    if (!c.fds_out_.empty() && !with_fd) end = c.fds_out_.front().first;
    ssize_t n = with_fd ? util::SendWithFd(c.fd(), c.out_.data() + c.out_pos_, end - c.out_pos_,
                                           c.fds_out_.front().second.get(), MSG_DONTWAIT)
                        : send(c.fd(), c.out_.data() + c.out_pos_, end - c.out_pos_,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Drop(c, std::string("write: ") + strerror(errno));
      return;
    }
    if (with_fd) c.fds_out_.pop_front();  // sent with the first byte
    c.out_pos_ += static_cast<size_t>(n);
  }
  uint64_t id = c.id();
  size_t pending = c.out_.size() - c.out_pos_;
  if (pending == 0) {
    c.out_.clear();
    c.out_pos_ = 0;
    if (c.write_handle_ != util::EventLoop::kNoHandle) loop_.Cancel(c.write_handle_);
    c.write_handle_ = util::EventLoop::kNoHandle;
    if (c.reading_paused_) {
      c.reading_paused_ = false;
      c.read_handle_ = loop_.WatchRead(c.fd(), [this, id] { Readable(id); });
    }
    if (c.close_after_output_) Destroy(c);
    return;
  }
  if (c.write_handle_ == util::EventLoop::kNoHandle) {
    c.write_handle_ = loop_.WatchWrite(c.fd(), [this, id] {
      auto it = conns_.find(id);
      if (it != conns_.end()) Flush(*it->second);
    });
  }
  if (pending > kMaxPendingOutput && !c.reading_paused_) {
    c.reading_paused_ = true;
    loop_.Cancel(c.read_handle_);
    c.read_handle_ = util::EventLoop::kNoHandle;
  }
}

void Connection::Send(const util::AttrList& list) { util::AppendAttrList(&out_, list); }

util::Fd Connection::TakeFd() {
  if (fds_in_.empty()) return util::Fd();
  util::Fd fd = std::move(fds_in_.front());
  fds_in_.erase(fds_in_.begin());
  return fd;
}

void RunMultiServer(int argc, char** argv, const MultiServerHooks& hooks) {
  std::unique_ptr<Server> s =
      Server::Start(argc, argv, hooks, /*want_loop=*/true, {"inet", "unix"});
  if (!hooks.request) msg::Panic("RunMultiServer: no request hook");
  if (s->args().standalone) {
    msg::Fatal("%s: stand-alone mode (-S) is not supported", s->program().c_str());
  }
  MultiServer m(*s, hooks);
  m.Run();
}

}  // namespace server

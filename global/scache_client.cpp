// scache_client: see scache_client.h.
#include "global/scache_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "util/attr.h"
#include "util/sockets.h"

namespace scache_client {

Client::Client(const config::Config& cfg)
    : path_(cfg.Get("queue_directory") + "/private/" + cfg.Get("connection_cache_service_name")),
      timeout_(static_cast<int>(cfg.GetTime("connection_cache_protocol_timeout"))) {}

util::StatusOr<util::AttrList> Client::Call(const util::AttrList& req, int fd,
                                            std::optional<util::Fd>* received) {
  auto conn = util::ConnectUnix(path_, std::chrono::seconds(timeout_));
  if (!conn.ok()) return util::Unavailable(conn.status().message());
  const int sock = conn->get();
  const std::string what = "connection cache " + path_;
  std::string out = util::EncodeAttrList(req);
  size_t pos = 0;
  auto wait = [&](short events) -> util::Status {
    struct pollfd p = {sock, events, 0};
    int n;
    do {
      n = poll(&p, 1, timeout_ * 1000);
    } while (n < 0 && errno == EINTR);
    if (n == 0) return util::Unavailable(what + ": timed out");
    if (n < 0) return util::Unavailable(what + ": poll: " + strerror(errno));
    return util::OkStatus();
  };
  while (pos < out.size()) {
    if (util::Status st = wait(POLLOUT); !st.ok()) return st;
    // The descriptor goes with the first write.
    ssize_t n = util::SendWithFd(sock, out.data() + pos, out.size() - pos, pos == 0 ? fd : -1,
                                 MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return util::Unavailable(what + ": write: " + strerror(errno));
    pos += static_cast<size_t>(n);
  }
  util::AttrDecoder decoder;
  std::vector<util::Fd> fds;
  util::AttrList reply;
  for (;;) {
    util::StatusOr<bool> got = decoder.Next(&reply);
    if (!got.ok()) return util::Unavailable(what + ": " + got.status().message());
    if (*got) break;
    if (util::Status st = wait(POLLIN); !st.ok()) return st;
    char buf[4096];
    ssize_t n = util::ReceiveWithFds(sock, buf, sizeof buf, &fds);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return util::Unavailable(what + ": read: " + strerror(errno));
    if (n == 0) return util::Unavailable(what + ": connection closed");
    decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
  }
  if (received != nullptr && !fds.empty()) *received = std::move(fds.front());
  return reply;
}

util::Status Client::Save(const std::string& label, const std::string& props, util::Fd fd,
                          int ttl) {
  util::AttrList req{{"request", "save"}, {"label", label}, {"props", props}};
  req.SetInt("ttl", ttl);
  auto reply = Call(req, fd.get(), nullptr);
  if (!reply.ok()) return reply.status();
  if (reply->Get("status") != "0")
    return util::Unavailable("connection cache " + path_ + ": save refused");
  return util::OkStatus();
}

util::StatusOr<std::optional<Cached>> Client::Find(const std::string& label) {
  std::optional<util::Fd> fd;
  auto reply = Call({{"request", "find"}, {"label", label}}, -1, &fd);
  if (!reply.ok()) return reply.status();
  auto status = reply->Get("status");
  if (status == "1") return std::optional<Cached>();
  auto props = reply->Get("props");
  if (status != "0" || !props || !fd)
    return util::Unavailable("connection cache " + path_ + ": malformed reply");
  return std::optional<Cached>(Cached{std::move(*fd), std::string(*props)});
}

}  // namespace scache_client

// scache_client: see scache_client.h.
#include "global/scache_client.h"

#include <chrono>

namespace scache_client {

Client::Client(const config::Config& cfg)
    : Client(cfg.Get("queue_directory") + "/private/" + cfg.Get("connection_cache_service_name"),
             static_cast<int>(cfg.GetTime("connection_cache_protocol_timeout"))) {}

Client::Client(std::string path, int timeout_seconds)
    : client_(std::move(path), "connection cache", std::chrono::seconds(timeout_seconds)) {}

util::Status Client::Save(const std::string& label, const std::string& props, util::Fd fd,
                          int ttl) {
  util::AttrList req{{"request", "save"}, {"label", label}, {"props", props}};
  req.SetInt("ttl", ttl);
  auto reply = client_.CallPassing(req, fd.get(), nullptr);
  if (!reply.ok()) return reply.status();
  if (reply->Get("status") != "0")
    return util::Unavailable("connection cache " + client_.socket_path() + ": save refused");
  return util::OkStatus();
}

util::StatusOr<std::optional<Cached>> Client::Find(const std::string& label) {
  util::Fd fd;
  auto reply = client_.CallPassing({{"request", "find"}, {"label", label}}, -1, &fd);
  if (!reply.ok()) return reply.status();
  auto status = reply->Get("status");
  if (status == "1") return std::optional<Cached>();
  auto props = reply->Get("props");
  if (status != "0" || !props || !fd)
    return util::Unavailable("connection cache " + client_.socket_path() + ": malformed reply");
  return std::optional<Cached>(Cached{std::move(fd), std::string(*props)});
}

}  // namespace scache_client

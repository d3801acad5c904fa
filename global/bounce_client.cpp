#include "global/bounce_client.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "global/mail_queue.h"
#include "util/attr_client.h"

namespace bounce_client {

namespace {

std::string_view KindName(Notice kind) {
  switch (kind) {
    case Notice::kNonDelivery:
      return "bounce";
    case Notice::kDelay:
      return "delay";
    case Notice::kSuccess:
      return "success";
  }
  return "bounce";
}

util::Status StatusOf(const util::StatusOr<util::AttrList>& reply) {
  if (!reply.ok()) return reply.status();  // always kUnavailable
  util::StatusOr<long long> status = reply->GetInt("status");
  if (!status.ok()) return util::Unavailable("bounce service: malformed reply");
  if (*status == 0) return util::Status();
  std::optional<std::string_view> reason = reply->Get("reason");
  return util::Unavailable("bounce service: " +
                           std::string(reason ? *reason : std::string_view("temporary failure")));
}

}  // namespace

LogClient::LogClient(const config::Config& cfg)
    : queue_directory_(cfg.Get("queue_directory")),
      services_{cfg.Get("bounce_service_name"), cfg.Get("defer_service_name"),
                cfg.Get("trace_service_name")},
      timeout_(std::chrono::seconds(std::max<long long>(1, cfg.GetTime("ipc_timeout")))) {}

util::Status LogClient::Append(std::string_view log_queue, std::string_view queue_id,
                               const delivery_log::Entry& e) {
  int which = log_queue == mail_queue::kBounce  ? 0
              : log_queue == mail_queue::kDefer ? 1
              : log_queue == mail_queue::kTrace ? 2
                                                : -1;
  if (which < 0) return util::InvalidArgument("bad delivery log: " + std::string(log_queue));
  if (!clients_[which])
    clients_[which] = std::make_unique<util::AttrClient>(
        queue_directory_ + "/private/" + services_[which], services_[which], timeout_);
  util::AttrList req;
  req.Set("request", "append");
  req.Set("log", log_queue);
  req.Set("queue_id", queue_id);
  for (const auto& [name, value] : delivery_log::ToAttrs(e)) req.Set(name, value);
  return StatusOf(clients_[which]->Call(req));
}

util::Status Request(const config::Config& cfg, Notice kind, std::string_view queue_name,
                     std::string_view queue_id) {
  // One connection per request: notices are rare, and a fresh connection
  // never carries state from an earlier, failed conversation. The deadline
  // is qmgr_ipc_timeout (qmgr is the caller and must not hang on a stuck
  // bounce process), at least 1 s.
  long long seconds = cfg.GetTime("qmgr_ipc_timeout");
  if (seconds < 1) seconds = 1;
  std::string path = cfg.Get("queue_directory") + "/private/" + cfg.Get("bounce_service_name");
  util::AttrClient client(path, "bounce", std::chrono::seconds(seconds));
  util::AttrList req;
  req.Set("request", "notify");
  req.Set("kind", KindName(kind));
  req.Set("queue_name", queue_name);
  req.Set("queue_id", queue_id);
  return StatusOf(client.Call(req));
}

}  // namespace bounce_client

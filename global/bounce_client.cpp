#include "global/bounce_client.h"

#include <chrono>
#include <string>

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

}  // namespace

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
  util::StatusOr<util::AttrList> reply = client.Call(req);
  if (!reply.ok()) return reply.status();  // always kUnavailable
  util::StatusOr<long long> status = reply->GetInt("status");
  if (!status.ok()) return util::Unavailable("bounce service: malformed reply");
  if (*status == 0) return util::Status();
  std::optional<std::string_view> reason = reply->Get("reason");
  return util::Unavailable("bounce service: " +
                           std::string(reason ? *reason : std::string_view("temporary failure")));
}

}  // namespace bounce_client

#include "global/rewrite_client.h"

#include "global/rewrite_proto.h"
#include "util/strings.h"

namespace rewrite_client {

std::string RewriteSocketPath(const config::Config& cfg) {
  return cfg.Get("queue_directory") + "/private/" + cfg.Get("rewrite_service_name");
}

std::chrono::milliseconds IpcTimeout(const config::Config& cfg) {
  long long t = cfg.GetTime("ipc_timeout");
  return std::chrono::seconds(t > 0 ? t : 3600);
}

RewriteClient::RewriteClient(const config::Config& cfg)
    : RewriteClient(RewriteSocketPath(cfg), IpcTimeout(cfg)) {}

RewriteClient::RewriteClient(std::string socket_path, std::chrono::milliseconds timeout)
    : client_(std::move(socket_path), "rewrite", timeout) {}

util::StatusOr<std::string> RewriteClient::Rewrite(rewrite::Context context,
                                                   std::string_view address) {
  util::AttrList req;
  req.Set(rewrite_proto::kRequest, rewrite_proto::kRequestRewrite);
  req.Set(rewrite_proto::kRule, context == rewrite::Context::kLocal ? rewrite_proto::kRuleLocal
                                                                    : rewrite_proto::kRuleRemote);
  req.Set(rewrite_proto::kAddress, address);
  util::StatusOr<util::AttrList> reply = client_.Call(req);
  if (!reply.ok()) return reply.status();
  util::StatusOr<long long> status = reply->GetInt(rewrite_proto::kStatus);
  std::optional<std::string_view> out = reply->Get(rewrite_proto::kAddress);
  if (!status.ok() || *status != rewrite_proto::kStatusOk || !out) {
    client_.Disconnect();
    std::optional<std::string_view> reason = reply->Get(rewrite_proto::kReason);
    return util::Unavailable("rewrite service failure: " +
                             std::string(reason ? *reason : "malformed reply"));
  }
  return std::string(*out);
}

}  // namespace rewrite_client

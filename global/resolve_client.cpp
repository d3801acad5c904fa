#include "global/resolve_client.h"

#include "global/rewrite_client.h"

namespace resolve_client {

std::string_view ClassName(AddressClass c) {
  switch (c) {
    case AddressClass::kLocal:
      return "local";
    case AddressClass::kAlias:
      return "alias";
    case AddressClass::kVirtual:
      return "virtual";
    case AddressClass::kRelay:
      return "relay";
    case AddressClass::kDefault:
      return "default";
  }
  return "default";
}

ResolveClient::ResolveClient(const config::Config& cfg)
    : ResolveClient(rewrite_client::RewriteSocketPath(cfg), rewrite_client::IpcTimeout(cfg)) {}

ResolveClient::ResolveClient(std::string socket_path, std::chrono::milliseconds timeout)
    : client_(std::move(socket_path), "resolve", timeout) {}

util::StatusOr<ResolveResult> ResolveClient::Resolve(std::string_view sender,
                                                     std::string_view address) {
  namespace rp = rewrite_proto;
  auto now = std::chrono::steady_clock::now();
  if (last_ && last_->sender == sender && last_->address == address && now < last_->expires)
    return last_->result;
  util::AttrList req;
  req.Set(rp::kRequest, rp::kRequestResolve);
  req.Set(rp::kSender, sender);
  req.Set(rp::kAddress, address);
  util::StatusOr<util::AttrList> reply = client_.Call(req);
  if (!reply.ok()) return reply.status();
  util::StatusOr<long long> status = reply->GetInt(rp::kStatus);
  util::StatusOr<long long> flags = reply->GetInt(rp::kFlags);
  if (status.ok() && *status == rp::kStatusTempFail) {
    std::optional<std::string_view> reason = reply->Get(rp::kReason);
    return util::Unavailable("address resolver failure: " +
                             std::string(reason ? *reason : "unknown reason"));
  }
  std::optional<std::string_view> transport = reply->Get(rp::kTransport);
  std::optional<std::string_view> nexthop = reply->Get(rp::kNexthop);
  std::optional<std::string_view> recipient = reply->Get(rp::kRecipient);
  if (!status.ok() || *status != rp::kStatusOk || !flags.ok() || !transport || !nexthop ||
      !recipient) {
    client_.Disconnect();
    return util::Unavailable("address resolver failure: malformed reply");
  }
  ResolveResult r;
  r.transport = std::string(*transport);
  r.nexthop = std::string(*nexthop);
  r.recipient = std::string(*recipient);
  r.flags = static_cast<unsigned>(*flags);
  if (r.flags & rp::kClassLocal) {
    r.address_class = AddressClass::kLocal;
  } else if (r.flags & rp::kClassAlias) {
    r.address_class = AddressClass::kAlias;
  } else if (r.flags & rp::kClassVirtual) {
    r.address_class = AddressClass::kVirtual;
  } else if (r.flags & rp::kClassRelay) {
    r.address_class = AddressClass::kRelay;
  } else {
    r.address_class = AddressClass::kDefault;
  }
  last_ = Last{std::string(sender), std::string(address), r, now + kCacheTime};
  return r;
}

}  // namespace resolve_client

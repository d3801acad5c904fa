#include "global/resolve_client.h"

#include <algorithm>

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

namespace {

// One reply of the resolve service; `malformed` tells a broken reply from
// a table error reported by the server.
util::StatusOr<ResolveResult> ParseReply(const util::AttrList& reply, bool* malformed) {
  namespace rp = rewrite_proto;
  util::StatusOr<long long> status = reply.GetInt(rp::kStatus);
  util::StatusOr<long long> flags = reply.GetInt(rp::kFlags);
  if (status.ok() && *status == rp::kStatusTempFail) {
    std::optional<std::string_view> reason = reply.Get(rp::kReason);
    return util::Unavailable("address resolver failure: " +
                             std::string(reason ? *reason : "unknown reason"));
  }
  std::optional<std::string_view> transport = reply.Get(rp::kTransport);
  std::optional<std::string_view> nexthop = reply.Get(rp::kNexthop);
  std::optional<std::string_view> recipient = reply.Get(rp::kRecipient);
  if (!status.ok() || *status != rp::kStatusOk || !flags.ok() || !transport || !nexthop ||
      !recipient) {
    *malformed = true;
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
  return r;
}

}  // namespace

util::StatusOr<ResolveResult> ResolveClient::Resolve(std::string_view sender,
                                                     std::string_view address) {
  return std::move(ResolveMany({{sender, address}}).front());
}

std::vector<util::StatusOr<ResolveResult>> ResolveClient::ResolveMany(
    const std::vector<Query>& queries) {
  namespace rp = rewrite_proto;
  auto now = std::chrono::steady_clock::now();
  std::vector<util::StatusOr<ResolveResult>> out(queries.size(), util::Unavailable("not resolved"));
  std::vector<size_t> asked;  // the queries that need a round trip
  for (size_t i = 0; i < queries.size(); i++) {
    const Query& q = queries[i];
    if (last_ && last_->sender == q.sender && last_->address == q.address && now < last_->expires)
      out[i] = last_->result;
    else
      asked.push_back(i);
  }
  // In chunks small enough that requests and replies fit the socket
  // buffers: neither side ever waits for the other to read.
  bool malformed = false;
  for (size_t from = 0; from < asked.size(); from += kMaxPipelined) {
    size_t to = std::min(asked.size(), from + kMaxPipelined);
    std::vector<util::AttrList> chunk;
    for (size_t k = from; k < to; k++) {
      util::AttrList& req = chunk.emplace_back();
      req.Set(rp::kRequest, rp::kRequestResolve);
      req.Set(rp::kSender, queries[asked[k]].sender);
      req.Set(rp::kAddress, queries[asked[k]].address);
    }
    util::StatusOr<std::vector<util::AttrList>> replies = client_.CallMany(chunk);
    for (size_t k = from; k < to; k++) {
      util::StatusOr<ResolveResult>& r = out[asked[k]];
      if (!replies.ok()) {
        r = replies.status();
        continue;
      }
      r = ParseReply((*replies)[k - from], &malformed);
      if (r.ok()) {
        const Query& q = queries[asked[k]];
        last_ = Last{std::string(q.sender), std::string(q.address), *r, now + kCacheTime};
      }
    }
  }
  if (malformed) client_.Disconnect();
  return out;
}

}  // namespace resolve_client

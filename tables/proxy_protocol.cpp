#include "tables/proxy_protocol.h"

#include "util/strings.h"

namespace tables {

std::string_view ProxyOpName(ProxyOp op) {
  switch (op) {
    case ProxyOp::kOpen:
      return "open";
    case ProxyOp::kLookup:
      return "lookup";
    case ProxyOp::kUpdate:
      return "update";
    case ProxyOp::kDelete:
      return "delete";
  }
  return "lookup";
}

util::AttrList EncodeProxyRequest(const ProxyRequest& request) {
  util::AttrList list;
  list.Set(kProxyAttrRequest, ProxyOpName(request.op));
  list.Set(kProxyAttrTable, request.table);
  list.SetInt(kProxyAttrFlags, request.flags);
  if (request.op != ProxyOp::kOpen) list.Set(kProxyAttrKey, request.key);
  if (request.op == ProxyOp::kUpdate) list.Set(kProxyAttrValue, request.value);
  return list;
}

namespace {

util::StatusOr<unsigned> GetFlags(const util::AttrList& list) {
  util::StatusOr<long long> n = list.GetInt(kProxyAttrFlags);
  if (!n.ok()) return n.status();
  if (*n < 0 || *n > 0xffffffffLL)
    return util::InvalidArgument(util::StrFormat("bad numerical attribute flags=%lld", *n));
  return static_cast<unsigned>(*n);
}

}  // namespace

util::StatusOr<ProxyRequest> DecodeProxyRequest(const util::AttrList& list) {
  util::StatusOr<std::string_view> op = list.GetRequired(kProxyAttrRequest);
  if (!op.ok()) return op.status();
  ProxyRequest req;
  util::Status st;
  if (*op == "open") {
    req.op = ProxyOp::kOpen;
    st = list.Expect({kProxyAttrRequest, kProxyAttrTable, kProxyAttrFlags});
  } else if (*op == "lookup") {
    req.op = ProxyOp::kLookup;
    st = list.Expect({kProxyAttrRequest, kProxyAttrTable, kProxyAttrFlags, kProxyAttrKey});
  } else if (*op == "update") {
    req.op = ProxyOp::kUpdate;
    st = list.Expect(
        {kProxyAttrRequest, kProxyAttrTable, kProxyAttrFlags, kProxyAttrKey, kProxyAttrValue});
  } else if (*op == "delete") {
    req.op = ProxyOp::kDelete;
    st = list.Expect({kProxyAttrRequest, kProxyAttrTable, kProxyAttrFlags, kProxyAttrKey});
  } else {
    return util::InvalidArgument("unknown proxymap request: " + util::Printable(*op));
  }
  if (!st.ok()) return st;
  req.table = std::string(*list.Get(kProxyAttrTable));
  util::StatusOr<unsigned> flags = GetFlags(list);
  if (!flags.ok()) return flags.status();
  req.flags = *flags;
  if (auto k = list.Get(kProxyAttrKey)) req.key = std::string(*k);
  if (auto v = list.Get(kProxyAttrValue)) req.value = std::string(*v);
  return req;
}

util::AttrList EncodeProxyReply(const ProxyReply& reply) {
  util::AttrList list;
  list.SetInt(kProxyAttrStatus, static_cast<int>(reply.status));
  if (!reply.value.empty() || reply.status == ProxyStatus::kOk)
    list.Set(kProxyAttrValue, reply.value);
  if (reply.flags) list.SetInt(kProxyAttrFlags, *reply.flags);
  return list;
}

util::StatusOr<ProxyReply> DecodeProxyReply(const util::AttrList& list) {
  if (util::Status st = list.Expect({kProxyAttrStatus}, {kProxyAttrValue, kProxyAttrFlags});
      !st.ok())
    return st;
  util::StatusOr<long long> status = list.GetInt(kProxyAttrStatus);
  if (!status.ok()) return status.status();
  if (*status < 0 || *status > static_cast<int>(ProxyStatus::kDenied))
    return util::InvalidArgument(util::StrFormat("bad proxymap status: %lld", *status));
  ProxyReply reply;
  reply.status = static_cast<ProxyStatus>(*status);
  if (auto v = list.Get(kProxyAttrValue)) reply.value = std::string(*v);
  if (list.Has(kProxyAttrFlags)) {
    util::StatusOr<unsigned> flags = GetFlags(list);
    if (!flags.ok()) return flags.status();
    reply.flags = *flags;
  }
  return reply;
}

ProxyReply ProxyReplyFromLookup(const LookupResult& result) {
  switch (result.kind) {
    case LookupResult::Kind::kFound:
      return {ProxyStatus::kOk, result.value, std::nullopt};
    case LookupResult::Kind::kNotFound:
      return {ProxyStatus::kNotFound, {}, std::nullopt};
    case LookupResult::Kind::kTempError:
      return {ProxyStatus::kRetry, result.value, std::nullopt};
  }
  return {ProxyStatus::kRetry, "unknown lookup result", std::nullopt};
}

}  // namespace tables

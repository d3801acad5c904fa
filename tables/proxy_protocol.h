// proxy_protocol: the request and reply lists of the proxymap service,
// shared by the proxy: table client (proxy_table.cpp) and the proxymap
// server, so neither formats attribute lists by hand.
//
// Transport: a UNIX stream socket, $queue_directory/private/proxymap for
// lookups ($proxymap_service_name) and .../private/proxywrite for updates
// ($proxywrite_service_name); one request, then one reply, repeated on the
// same connection. Each message is a util/attr.h attribute list:
//
//   request:  request = open | lookup | update | delete
//             table   = TYPE:NAME         (the table behind "proxy:")
//             flags   = N                 (tables::Flags, decimal)
//             key     = KEY               (lookup, update, delete)
//             value   = VALUE             (update)
//   reply:    status  = 0 ok/found | 1 not found | 2 temporary failure |
//                       3 bad request | 4 not approved (the table is not in
//                       proxy_read_maps / proxy_write_maps)
//             value   = VALUE             (lookup found: the value; status 2
//                                          or 3: optionally the reason)
//             flags   = N                 (open: the table's flags; optional)
//
//   util::AttrList wire = tables::EncodeProxyRequest(
//       {tables::ProxyOp::kLookup, "hash:/etc/postfix/virtual", flags, "bob@example.jp"});
//   ... server: auto req = tables::DecodeProxyRequest(list);  // refuses missing/unknown
//   ... server: send(tables::EncodeProxyReply(tables::ProxyReplyFromLookup(result)));
//   ... client: auto rep = tables::DecodeProxyReply(list);
//
// Decoding refuses missing and unknown attributes, unknown operations and
// statuses, and bad numbers (kInvalidArgument with the offending name).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tables/table.h"
#include "util/attr.h"
#include "util/status.h"

namespace tables {

// Attribute names.
inline constexpr std::string_view kProxyAttrRequest = "request";
inline constexpr std::string_view kProxyAttrTable = "table";
inline constexpr std::string_view kProxyAttrFlags = "flags";
inline constexpr std::string_view kProxyAttrKey = "key";
inline constexpr std::string_view kProxyAttrValue = "value";
inline constexpr std::string_view kProxyAttrStatus = "status";

enum class ProxyOp { kOpen, kLookup, kUpdate, kDelete };

// The wire name of an operation ("open", "lookup", "update", "delete").
std::string_view ProxyOpName(ProxyOp op);

enum class ProxyStatus : int {
  kOk = 0,        // found (lookup) or done (open, update, delete)
  kNotFound = 1,  // no such key
  kRetry = 2,     // temporary failure: try again later
  kBad = 3,       // malformed request
  kDenied = 4,    // table not approved for proxy access
};

struct ProxyRequest {
  ProxyOp op = ProxyOp::kLookup;
  std::string table;  // TYPE:NAME
  unsigned flags = 0;
  std::string key;    // lookup, update, delete
  std::string value;  // update
  bool operator==(const ProxyRequest&) const = default;
};

struct ProxyReply {
  ProxyStatus status = ProxyStatus::kOk;
  std::string value;
  std::optional<unsigned> flags;  // open replies
  bool operator==(const ProxyReply&) const = default;
};

util::AttrList EncodeProxyRequest(const ProxyRequest& request);
util::StatusOr<ProxyRequest> DecodeProxyRequest(const util::AttrList& list);

util::AttrList EncodeProxyReply(const ProxyReply& reply);
util::StatusOr<ProxyReply> DecodeProxyReply(const util::AttrList& list);

// Server side: the reply that carries a table's lookup result (a temporary
// error's reason travels in `value`).
ProxyReply ProxyReplyFromLookup(const LookupResult& result);

}  // namespace tables

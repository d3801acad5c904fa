// rewrite_proto: the names of the trivial-rewrite protocol, shared by the
// server (trivial-rewrite/) and its client stubs (rewrite_client.h,
// resolve_client.h). Nobody else formats these requests.
//
// Transport: util/attr.h attribute lists over the UNIX stream socket
// $queue_directory/private/$rewrite_service_name (master.cf "rewrite unix
// - - n - - trivial-rewrite": private column "-" means private), any
// number of request/reply rounds per connection.
//
//   rewrite: {request=rewrite, rule=local|remote, address=ADDR}
//         -> {status=0, address=CANONICAL}
//   resolve: {request=resolve, sender=SENDER, address=ADDR}
//         -> {status=0, transport=T, nexthop=H, recipient=R, flags=N}
//         or {status=4, reason=TEXT, flags=N}   (N has kFlagFail)
//
// status 4 is a temporary failure (a lookup table could not be searched):
// the caller defers (SMTP 451 4.3.0, delivery "deferred"), it never treats
// the address as unknown. A malformed request (missing or unknown
// attribute, unknown request or rule) is not answered: the server logs it
// and closes the connection.
//
// flags are Postfix's RESOLVE_FLAG_* and RESOLVE_CLASS_* bits with the same
// values: one class bit is always set in a status=0 reply.
#pragma once

#include <string>
#include <string_view>

namespace rewrite_proto {

// Attribute names.
inline constexpr std::string_view kRequest = "request";
inline constexpr std::string_view kRule = "rule";
inline constexpr std::string_view kAddress = "address";
inline constexpr std::string_view kSender = "sender";
inline constexpr std::string_view kStatus = "status";
inline constexpr std::string_view kReason = "reason";
inline constexpr std::string_view kTransport = "transport";
inline constexpr std::string_view kNexthop = "nexthop";
inline constexpr std::string_view kRecipient = "recipient";
inline constexpr std::string_view kFlags = "flags";

// Values of kRequest.
inline constexpr std::string_view kRequestRewrite = "rewrite";
inline constexpr std::string_view kRequestResolve = "resolve";

// Values of kRule (rewrite::ParseContext).
inline constexpr std::string_view kRuleLocal = "local";
inline constexpr std::string_view kRuleRemote = "remote";

// Values of kStatus.
inline constexpr int kStatusOk = 0;
inline constexpr int kStatusTempFail = 4;

// Bits of kFlags.
enum ResolveFlags : unsigned {
  kFlagFinal = 1u << 0,   // final delivery here (local, alias, virtual class)
  kFlagRouted = 1u << 1,  // a remote address with @ ! or % in its local part
  kFlagError = 1u << 2,   // bad destination syntax (malformed domain)
  kFlagFail = 1u << 3,    // the request failed (temporary: a table error)

  kClassLocal = 1u << 8,     // mydestination, inet_interfaces/proxy_interfaces [ip]
  kClassAlias = 1u << 9,     // virtual_alias_domains
  kClassVirtual = 1u << 10,  // virtual_mailbox_domains
  kClassRelay = 1u << 11,    // relay_domains
  kClassDefault = 1u << 12,  // everything else (reject_unauth_destination's concern)

  kClassFinal = kClassLocal | kClassAlias | kClassVirtual,
  kClassMask = kClassLocal | kClassAlias | kClassVirtual | kClassRelay | kClassDefault,
};

// "local", "alias", "virtual", "relay", "default" for the class bit in
// `flags`, "none" when there is none.
inline std::string_view ClassName(unsigned flags) {
  if (flags & kClassLocal) return "local";
  if (flags & kClassAlias) return "alias";
  if (flags & kClassVirtual) return "virtual";
  if (flags & kClassRelay) return "relay";
  if (flags & kClassDefault) return "default";
  return "none";
}

// The flags for logs and tests: class name then the flag names, e.g.
// "relay", "local final", "default routed", "default error".
inline std::string FlagsString(unsigned flags) {
  std::string out(ClassName(flags));
  if (flags & kFlagFinal) out += " final";
  if (flags & kFlagRouted) out += " routed";
  if (flags & kFlagError) out += " error";
  if (flags & kFlagFail) out += " fail";
  return out;
}

}  // namespace rewrite_proto

// resolve_client: the client of trivial-rewrite's "resolve" service, which
// maps a recipient to (transport, nexthop, recipient) and its address class
// (Postfix's ADDRESS_CLASS_README). qmgr resolves every recipient with it;
// smtpd asks for the class (reject_unauth_destination, unknown users);
// cleanup does not need it.
//
//   resolve_client::ResolveClient rc(cfg);
//   util::StatusOr<resolve_client::ResolveResult> r = rc.Resolve(sender, rcpt);
//   if (!r.ok()) defer(r.status());     // kUnavailable: service down or a
//                                       // table error there; never "unknown"
//   if (r->error()) bounce("5.1.3 bad address syntax");
//   deliver(r->transport, r->nexthop, r->recipient);
//
// A transport of "error" means the address must bounce with the text in
// nexthop ("5.1.1 User unknown in virtual alias table" for an unexpanded
// address in a virtual alias domain, or a transport_maps "error:text");
// "discard" means drop it. The nexthop is returned as configured or as the
// recipient's domain, in its original case; queue managers fold it to lower
// case when they use it as a queue name (as Postfix's qmgr does).
//
// Socket, timeout and connection handling as in rewrite_client.h.
//
// Like Postfix's resolve_clnt, a client remembers its last answer: the same
// sender and address asked again within kCacheTime get it without a round
// trip (a queue full of mail to one destination resolves once, not once
// per message). Failures are never remembered.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "global/rewrite_proto.h"
#include "util/attr_client.h"
#include "util/status.h"

namespace resolve_client {

enum class AddressClass { kLocal, kAlias, kVirtual, kRelay, kDefault };

struct ResolveResult {
  std::string transport;  // master.cf service name, e.g. "smtp", "virtual", "error"
  std::string nexthop;    // destination (or the error text of "error")
  std::string recipient;  // the address to deliver to (user@domain)
  AddressClass address_class = AddressClass::kDefault;
  unsigned flags = 0;  // rewrite_proto::ResolveFlags bits

  bool final() const { return flags & rewrite_proto::kFlagFinal; }
  bool routed() const { return flags & rewrite_proto::kFlagRouted; }
  bool error() const { return flags & rewrite_proto::kFlagError; }  // bad syntax
  bool operator==(const ResolveResult&) const = default;
};

std::string_view ClassName(AddressClass c);

class ResolveClient {
 public:
  explicit ResolveClient(const config::Config& cfg);
  ResolveClient(std::string socket_path, std::chrono::milliseconds timeout);

  // Resolves `address` (internal form) for mail from `sender` ("" for the
  // null sender; only sender-dependent maps look at it). Errors:
  // kUnavailable with the reason (the service is down, or a lookup table
  // failed there: "transport_maps: hash:/x is unavailable ...").
  util::StatusOr<ResolveResult> Resolve(std::string_view sender, std::string_view address);

  // Resolves several (sender, address) pairs with one round trip: the
  // requests go out together and trivial-rewrite answers them in order
  // (qmgr takes a batch of new messages at once). One result per query, in
  // order; a broken connection fails every query that needed it.
  struct Query {
    std::string_view sender;
    std::string_view address;
  };
  std::vector<util::StatusOr<ResolveResult>> ResolveMany(const std::vector<Query>& queries);

  void set_timeout(std::chrono::milliseconds timeout) { client_.set_timeout(timeout); }
  util::AttrClient& connection() { return client_; }

  static constexpr std::chrono::milliseconds kCacheTime{1000};
  // ResolveMany sends at most this many requests before reading replies.
  static constexpr size_t kMaxPipelined = 64;

 private:
  struct Last {
    std::string sender, address;
    ResolveResult result;
    std::chrono::steady_clock::time_point expires;
  };
  util::AttrClient client_;
  std::optional<Last> last_;
};

}  // namespace resolve_client

// rewrite_client: the client of trivial-rewrite's "rewrite" service, which
// turns an address into canonical form (global/rewrite.h rule sets "local"
// and "remote"); cleanup uses it for every envelope and header address.
//
//   rewrite_client::RewriteClient rw(cfg);       // no connection yet
//   util::StatusOr<std::string> canon = rw.Rewrite(rewrite::Context::kLocal, "alice");
//   if (!canon.ok()) defer(canon.status());      // kUnavailable: service down
//   // *canon == "alice@example.com"
//
// The socket is $queue_directory/private/$rewrite_service_name; each call
// has a deadline of $ipc_timeout unless set_timeout says otherwise; one
// connection is kept and reused, and reopened once when it breaks
// (attr_client.h). The protocol is in rewrite_proto.h.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "global/config.h"
#include "global/rewrite.h"
#include "util/attr_client.h"
#include "util/status.h"

namespace rewrite_client {

// $queue_directory/private/$rewrite_service_name.
std::string RewriteSocketPath(const config::Config& cfg);
// $ipc_timeout (seconds).
std::chrono::milliseconds IpcTimeout(const config::Config& cfg);

class RewriteClient {
 public:
  explicit RewriteClient(const config::Config& cfg);
  RewriteClient(std::string socket_path, std::chrono::milliseconds timeout);

  // The canonical form of `address` (internal form) under rule set
  // `context`. Errors: kUnavailable (the service cannot be reached or
  // gave no valid answer).
  util::StatusOr<std::string> Rewrite(rewrite::Context context, std::string_view address);

  void set_timeout(std::chrono::milliseconds timeout) { client_.set_timeout(timeout); }
  util::AttrClient& connection() { return client_; }

 private:
  util::AttrClient client_;
};

}  // namespace rewrite_client

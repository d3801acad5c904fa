// policy_client: the client side of Postfix's policy delegation protocol
// (SMTPD_POLICY_README), as smtpd's check_policy_service speaks it to a
// policy server such as postgrey: a request is "name=value" lines ended by
// an empty line, the reply the same with an "action" attribute.
//
//   policy_client::Options o = policy_client::Options::FromConfig(cfg);
//   policy_client::Client c("inet:127.0.0.1:10023", o);
//   util::StatusOr<std::string> action =
//       c.Query({{"request", "smtpd_access_policy"}, {"protocol_state", "RCPT"}, ...});
//   if (!action.ok()) apply(o.default_action);
//
// The connection is kept between queries, as Postfix's attr_clnt keeps it:
// closed after max_idle seconds unused, max_ttl seconds after it was
// opened, or request_limit queries (0: no limit). A query that fails (no
// connection, timeout, the server hung up, a reply without "action") is
// tried again on a new connection, try_limit times in all with retry_delay
// seconds between, each within `timeout` seconds; then the error comes
// back (already logged as "problem talking to server ...", Postfix's
// warning) and the caller applies default_action.
//
// Endpoints: "inet:HOST:PORT" or "unix:PATH" (also "local:PATH"; a
// relative PATH is relative to the current directory, the queue directory
// in a daemon). Options::Parse reads Postfix 3.0's "{ endpoint, name=value,
// ... }" form of check_policy_service, whose settings override main.cf's
// smtpd_policy_service_* for that server.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "global/config.h"
#include "util/status.h"
#include "util/stream.h"

namespace policy_client {

struct Options {
  int timeout = 100;  // seconds, per attempt
  int max_idle = 300;
  int max_ttl = 1000;
  int request_limit = 0;
  int retry_delay = 1;
  int try_limit = 2;
  std::string default_action = "451 4.3.5 Server configuration problem";
  std::string policy_context;

  // smtpd_policy_service_* of main.cf.
  static Options FromConfig(const config::Config& cfg);
};

// "inet:host:port" or "{ inet:host:port, timeout=10s, default_action=DUNNO }":
// the endpoint and the options (`defaults` with the overrides applied).
struct Service {
  std::string endpoint;
  Options options;
};
util::StatusOr<Service> ParseService(std::string_view spec, const Options& defaults);

class Client {
 public:
  Client(std::string endpoint, Options options)
      : endpoint_(std::move(endpoint)), options_(std::move(options)) {}
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The value of the reply's "action" attribute.
  util::StatusOr<std::string> Query(const std::vector<std::pair<std::string, std::string>>& attrs);

  const Options& options() const { return options_; }
  const std::string& endpoint() const { return endpoint_; }

 private:
  util::StatusOr<std::string> Attempt(const std::string& request);
  util::Status Connect();

  std::string endpoint_;
  Options options_;
  util::Stream stream_;
  bool connected_ = false;
  std::chrono::steady_clock::time_point opened_, last_used_;
  int requests_ = 0;
};

}  // namespace policy_client

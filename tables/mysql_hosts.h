// mysql_hosts: the `hosts` list of a mysql: table and the rotation over it
// (which host to ask next, which ones are resting after a failure).
//
// Host syntax (mysql_table(5)): "unix:/path/to/socket", "inet:host",
// "inet:host:port", "host", "host:port", "[ipv6]:port"; separators are
// commas and white space; an empty list means "localhost". As with the
// MySQL client library, the name localhost (even after inet:) means the
// default UNIX-domain socket; use 127.0.0.1 for TCP to the local server.
//
//   auto hosts = tables::ParseMysqlHosts("unix:/run/mysqld/mysqld.sock db1:3307");
//   tables::HostRotation rot(*hosts, {.initial_backoff = 1, .max_backoff = 60});
//   for (size_t i : rot.Order([&](size_t i) { return conn[i] != nullptr; })) {
//     if (try_host(i)) { rot.Succeeded(i); break; }
//     rot.Failed(i);
//   }
//
// Order: UNIX-domain sockets before TCP hosts; within each kind, hosts with
// an open connection first (connections are reused), the others in random
// order. A host that failed at the connection level (cannot connect, server
// gone, timeout) rests: it is left out of Order() for a backoff that starts
// at initial_backoff and doubles with each consecutive failure up to
// max_backoff; one success resets it. The clock and the random source are
// injectable so that tests can drive the state machine.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace tables {

struct MysqlHost {
  enum class Kind { kUnix, kInet };
  Kind kind = Kind::kInet;
  std::string host;    // kInet: host name or address; kUnix: "localhost"
  std::string socket;  // kUnix: socket path
  int port = 0;        // kInet: 0 means the client library's default (3306)
  std::string spec;    // as written in the configuration, for messages
};

// Parses a hosts list. Errors (kFailedPrecondition): "bad mysql host
// \"x\": ..." for an empty socket path, an empty host name or a bad port.
util::StatusOr<std::vector<MysqlHost>> ParseMysqlHosts(std::string_view text);

class HostRotation {
 public:
  // Monotonic time in seconds.
  using Clock = std::function<double()>;
  struct Options {
    double initial_backoff = 1;
    double max_backoff = 60;
  };

  // clock: defaults to std::chrono::steady_clock; seed: 0 picks a random one.
  HostRotation(std::vector<MysqlHost> hosts, Options options, Clock clock = {}, uint32_t seed = 0);

  // The hosts (indexes) worth trying now, in order. `connected(i)` says
  // whether host i has an open connection (tried first within its kind).
  std::vector<size_t> Order(const std::function<bool(size_t)>& connected);

  // Records a connection-level failure of host i (starts or extends its
  // backoff) and its reason; a success ends the backoff.
  void Failed(size_t i, std::string reason);
  void Succeeded(size_t i);

  // Whether host i is resting now, and for how many more seconds.
  bool Resting(size_t i) const;
  double RestLeft(size_t i) const;
  const std::string& last_error(size_t i) const { return state_[i].last_error; }

  size_t size() const { return hosts_.size(); }
  const MysqlHost& host(size_t i) const { return hosts_[i]; }
  double Now() const { return clock_(); }

 private:
  struct State {
    int failures = 0;          // consecutive connection-level failures
    double resting_until = 0;  // clock value
    std::string last_error;
  };
  std::vector<MysqlHost> hosts_;
  std::vector<State> state_;
  Options options_;
  Clock clock_;
  std::mt19937 rng_;
};

}  // namespace tables

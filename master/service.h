// service: master's pure logic about one master.cf service, kept apart
// from processes and descriptors so it can be unit-tested.
//
//   auto settings = master::LoadSettings(cfg);            // daemon_directory ...
//   auto spec = master::BuildSpec(entry, *settings);      // endpoints, argv, limits
//   master::ReloadPlan plan = master::PlanReload(old_specs, new_specs);
//   if (master::ShouldThrottle(wait_status, use_count)) ...
//
// Endpoints (what master listens on for a service):
//   inet        "port", "host:port", "[v6addr]:port", service names
//               ("smtp", "submission"); with no host, every address of
//               inet_interfaces ("all": the wildcard of each family of
//               inet_protocols; "loopback-only": 127.0.0.1 and/or ::1; or a
//               list of addresses and host names).
//   unix, pass  stream socket $queue_directory/public/NAME (0666) or
//               private/NAME (0600) per the private column.
//   unix-dgram  datagram socket at the same places.
//   fifo        named pipe at the same places (mode 0622).
// A name that contains a '/' is taken as a path relative to queue_directory
// (or absolute) for the UNIX-domain types.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "global/config.h"
#include "global/master_cf.h"
#include "util/sockets.h"
#include "util/status.h"

namespace master {

// main.cf settings that shape services.
struct Settings {
  std::string daemon_directory;
  std::string queue_directory;
  int default_process_limit = 100;
  std::vector<std::string> inet_interfaces;  // "all", "loopback-only" or addresses
  util::InetProtocols protocols = util::InetProtocols::kAll;
  int verbose = 0;  // master's -v count, passed on as one -v
};

// Reads the settings; a bad value is kFailedPrecondition naming the
// parameter ("inet_protocols: ...").
util::StatusOr<Settings> LoadSettings(const config::Config& cfg);

struct Endpoint {
  enum class Kind { kTcp, kUnix, kUnixDgram, kFifo };
  Kind kind = Kind::kUnix;
  util::SockAddr addr;  // kTcp
  std::string path;     // the others
  mode_t mode = 0666;
  bool mail_owner = false;  // chown to mail_owner (private sockets, as root)

  // A stable description: "inet 127.0.0.1:25", "unix /q/private/x 0600".
  // Two endpoints with the same description are the same listener.
  std::string Describe() const;
};

struct ServiceSpec {
  std::string key;                // "name/type", master.cf's identity of a service
  std::string name;               // column 1
  std::string type;               // column 2
  std::string path;               // program: daemon_directory/command, or the absolute command
  std::vector<std::string> argv;  // argv[0] .. as master_proto.h says
  int max_proc = 0;               // 0: unlimited
  int wakeup = 0;                 // seconds, 0: none
  bool wakeup_if_used = false;    // "N?"
  bool is_private = true;
  std::vector<Endpoint> endpoints;
  // Everything that matters to decide whether a reload changed the service.
  std::string fingerprint;
};

// Builds the spec of one entry (resolving inet host names). Errors name the
// service: "service 127.0.0.1:x/inet: ...".
util::StatusOr<ServiceSpec> BuildSpec(const config::MasterEntry& entry, const Settings& settings);

struct ReloadPlan {
  std::vector<std::string> added, removed, changed, unchanged;  // keys, sorted
};
ReloadPlan PlanReload(const std::vector<ServiceSpec>& before,
                      const std::vector<ServiceSpec>& after);

// Whether master may watch the service's listeners (and so fork on a new
// client): no child is available, the process limit (counting children of
// earlier generations still finishing) is not reached, not throttled.
bool ShouldListen(int avail, int total, int inherited, int max_proc, bool throttled);

// Postfix's rule: a child that exits abnormally before it ever took a
// client means the command cannot start; throttle instead of respawning.
bool ShouldThrottle(int wait_status, int use_count);

// The warning for an abnormal exit ("process /p pid 12 exit status 1",
// "process /p pid 12 killed by signal 9"), or "" for exit status 0.
std::string DescribeExit(const std::string& path, pid_t pid, int wait_status);

}  // namespace master

// transports: the scheduling limits of each transport, read from the
// configuration once per transport and kept (see qmgr.h, SCHEDULING, for
// which parameters and which master.cf -o overrides apply).
//
//   Transports transports(cfg);
//   const Transports::Info& t = transports.Get("smtp");
//   scheduler.SetTransport("smtp", t.limits);
//   std::string dest = DestinationKey(t.remote, t.limits.recipient_limit, ...);
#pragma once

#include <map>
#include <string>

#include "global/config.h"
#include "qmgr/scheduler.h"

namespace qmgr {

// The scheduling limits of transport `name` (the master.cf line's -o
// overrides applied); *remote tells whether its program is smtp or lmtp.
TransportLimits LoadTransportLimits(const config::Config& cfg, const std::string& name,
                                    bool* remote);

class Transports {
 public:
  struct Info {
    TransportLimits limits;
    bool remote = false;  // smtp or lmtp program
  };
  explicit Transports(const config::Config& cfg) : cfg_(cfg) {}
  // Loaded on first use (logged with -v).
  const Info& Get(const std::string& name);

 private:
  const config::Config& cfg_;
  std::map<std::string, Info> cache_;
};

}  // namespace qmgr

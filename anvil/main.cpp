// anvil: Postfix's anvil(8) connection count and rate limiting service, a
// multi-server on master.cf's
//   anvil  unix  -  -  n  -  1  anvil
// socket $queue_directory/private/anvil; one process keeps every counter
// (maxproc must be 1). Clients use global/anvil_client.h (smtpd's
// smtpd_client_*_limit checks); the counters are anvil.h, the requests
// service.h.
//
// A client connection's connections are forgotten when it closes, so a
// crashed smtpd leaks no count. Every anvil_status_update_time, and when
// the process exits, the maxima since the last report are logged:
//   statistics: max connection rate 3/60s for (smtp:192.0.2.1) at Jan  2 10:00:01
//   statistics: max connection count 2 for (smtp:192.0.2.1) at Jan  2 10:00:01
//   statistics: max cache size 4 at Jan  2 10:00:05
// As in Postfix, max_use is ignored (the counters must survive); the
// process still exits after max_idle seconds without any client.
//
// Parameters: anvil_rate_time_unit, anvil_status_update_time, max_idle.
#include <chrono>
#include <memory>

#include "anvil/service.h"
#include "server/multi_server.h"
#include "util/msg.h"

namespace {

std::unique_ptr<anvil::Service> service;

void LogStatistics() {
  for (const std::string& line : service->anvil().Statistics()) msg::Info("%s", line.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  server::MultiServerHooks hooks;
  hooks.ignore_max_use = true;
  hooks.post_init = [](server::Server& s) {
    long long unit = s.config().GetTime("anvil_rate_time_unit");
    long long update = s.config().GetTime("anvil_status_update_time");
    if (unit <= 0) msg::Fatal("anvil_rate_time_unit must be greater than zero");
    if (update <= 0) msg::Fatal("anvil_status_update_time must be greater than zero");
    service =
        std::make_unique<anvil::Service>(std::make_unique<anvil::Anvil>(static_cast<int>(unit)));
    s.loop()->AddPeriodic(std::chrono::seconds(update), LogStatistics);
    s.loop()->AddPeriodic(std::chrono::seconds(unit), [] { service->anvil().Expire(); });
  };
  hooks.pre_exit = [](server::Server&) {
    if (service) LogStatistics();
  };
  hooks.request = [](const util::AttrList& request, server::Connection& conn, server::Server&) {
    return service->Handle(request, conn.id());
  };
  hooks.on_disconnect = [](server::Connection& conn, server::Server&) {
    service->ConnectionClosed(conn.id());
  };
  server::RunMultiServer(argc, argv, hooks);
}

// trivial-rewrite: the rewrite and resolve services (Postfix's
// trivial-rewrite(8)), a multi-server on master.cf's
//   rewrite   unix  -  -  n  -  -  trivial-rewrite
// socket $queue_directory/private/rewrite. See README.md, service.h and
// resolver.h; clients use global/rewrite_client.h and resolve_client.h.
#include <memory>

#include "server/multi_server.h"
#include "trivial-rewrite/service.h"
#include "util/msg.h"

int main(int argc, char** argv) {
  static std::unique_ptr<trivial_rewrite::Service> service;
  server::MultiServerHooks hooks;
  hooks.post_init = [](server::Server& s) {
    util::StatusOr<std::unique_ptr<trivial_rewrite::Service>> svc =
        trivial_rewrite::Service::FromConfig(s.config());
    if (!svc.ok()) msg::Fatal("%s", svc.status().message().c_str());
    service = std::move(*svc);
  };
  hooks.request = [](const util::AttrList& request, server::Connection&, server::Server&) {
    return service->Handle(request);
  };
  server::RunMultiServer(argc, argv, hooks);
}

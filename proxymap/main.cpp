// proxymap: Postfix's proxymap(8) lookup table proxy server, a
// multi-server on master.cf's
//   proxymap   unix  -  -  n  -  -  proxymap
//   proxywrite unix  -  -  n  -  1  proxymap
// sockets $queue_directory/private/proxymap (read-only lookups of the
// tables in proxy_read_maps) and .../private/proxywrite (lookups, updates
// and deletes of the tables in proxy_write_maps). Clients are the proxy:
// tables (tables/proxy_table.h); the protocol is tables/proxy_protocol.h
// plus Postfix's "sequence" request (service.h).
//
// Running as root it becomes mail_owner (master.cf unpriv "-"). Tables
// are opened on demand and kept for the process's life, shared by every
// client; a rebuilt table file is reopened in place. See README.md.
//
// Parameters: proxy_read_maps, proxy_write_maps, proxywrite_service_name,
// max_idle, max_use, and those the tables read (mysql:name parameters,
// berkeley_db_*_buffer_size).
//
// Diagnostics: warning: request for unapproved table: "TYPE:NAME";
// warning: TYPE:NAME is unavailable. REASON; warning: TYPE:NAME lookup
// error for "KEY": REASON.
#include <memory>

#include "proxymap/service.h"
#include "server/multi_server.h"

int main(int argc, char** argv) {
  static std::unique_ptr<proxymap::Service> service;
  server::MultiServerHooks hooks;
  hooks.post_init = [](server::Server& s) {
    service = proxymap::Service::FromConfig(s.config(), s.service_name());
  };
  hooks.request = [](const util::AttrList& request, server::Connection&, server::Server&) {
    return service->Handle(request);
  };
  server::RunMultiServer(argc, argv, hooks);
}

// proxy_table: the proxy:TYPE:NAME client. Lookups (and, when opened for
// writing, updates and deletes) are sent to the proxymap service, which
// opens TYPE:NAME once for all its clients (Postfix's dict_proxy): fewer
// open files and database connections, and tables outside a chroot.
//
//   auto t = tables::Open("proxy:mysql:/etc/postfix/virtual.cf", opts);
//
// The socket is $queue_directory/private/$proxymap_service_name (read-only
// opens) or .../$proxywrite_service_name (opened with O_RDWR), taken from
// OpenOptions::params (defaults /var/spool/postfix, proxymap, proxywrite);
// each request has a deadline of $ipc_timeout (default 3600s). The wire
// protocol is in proxy_protocol.h.
//
// Opening never connects: the connection is made at the first request and
// kept. When the service cannot be reached, a lookup is a temporary error
// "proxymap service is not available: connect to PATH: No such file or
// directory" (never "not found"); a connection that breaks during a request
// is reopened and the request sent once more. Reply statuses: not approved
// (the table is not in proxy_read_maps) is the temporary error
// "proxymap service is not configured for table \"TYPE:NAME\"" (also logged),
// a temporary failure carries the server's reason.
//
// Errors at open: a name without "TYPE:" ("need proxy:type:name"), a
// nested proxy:, or a caller that passed kNoProxy (kFailedPrecondition).
#pragma once

#include <string>

#include "tables/table.h"

namespace tables {

// The socket that a proxy: table opened with `options` talks to.
std::string ProxySocketPath(const OpenOptions& options);

}  // namespace tables

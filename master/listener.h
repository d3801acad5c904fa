// listener: opens and removes the listening endpoints of master's services
// (see service.h for what each endpoint is).
//
//   auto fd = master::OpenEndpoint(ep, owner_uid, owner_gid);  // -1: no chown
//   ...
//   master::RemoveEndpoint(ep);   // unlink a UNIX socket or FIFO file
//
// Descriptors are close-on-exec and blocking (children choose). A stale
// socket or FIFO file is replaced; any other kind of file in the way is an
// error ("PATH: file exists and is not a socket"). A FIFO is opened
// read-write so that it never reports end-of-file to its readers.
#pragma once

#include <sys/types.h>

#include "master/service.h"
#include "util/fd.h"
#include "util/status.h"

namespace master {

util::StatusOr<util::Fd> OpenEndpoint(const Endpoint& ep, uid_t owner_uid, gid_t owner_gid);
void RemoveEndpoint(const Endpoint& ep);

}  // namespace master

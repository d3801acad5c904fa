// service: one cleanup conversation (the protocol of
// global/cleanup_client.h) from the request to the verdict.
//
//   1. Read {request=cleanup, flags=N}; anything else is answered
//      {status=4, dsn=4.3.0, reason="Internal protocol error"} and dropped.
//   2. Create the queue file in incoming/ (queue_file::Writer, mode 0600:
//      not ready) and answer {status=0, queue_id=ID}; a failure is answered
//      4.3.0 "Queue file write error".
//   3. Feed the client's records to a Message (message.h) until E, with
//      the content checks unless the flags say kFlagNoHeaderBodyChecks
//      (receive_override_options) or kFlagInternal (bounce notices). A
//      client that disconnects, times out (ipc_timeout) or sends a malformed
//      record gets nothing more; the unfinished file is removed (Writer's
//      destructor). If this process dies instead (kill -9, daemon_timeout),
//      the file stays behind WITHOUT its ready bit: qmgr and postqueue
//      never use it, and `postsuper -p` (later also qmgr's start-up scan)
//      removes such leftovers.
//   4. Accepted: Writer::Finish (write, fsync, set the ready bit, fsync the
//      directory), only then {status=0, queue_id=ID}, then wake qmgr ('W'
//      to public/$queue_service_name; quietly ignored when it is not there).
//      Rejected: the file is removed, "ID: reject: ..." is logged and the
//      client gets {status=S, dsn=D, reason=TEXT}.
#pragma once

#include <chrono>
#include <string>

#include "cleanup/address_map.h"
#include "cleanup/message.h"
#include "global/config.h"
#include "global/content_checks.h"
#include "global/mail_queue.h"
#include "util/stream.h"

namespace cleanup {

// What a cleanup process loads once (post_init) and uses for every client.
struct Context {
  Settings settings;
  AddressMapper mapper;
  content_checks::Checks checks;  // header_checks, body_checks ...
  mail_queue::Layout layout;
  std::string qmgr_path;  // $queue_directory/public/$queue_service_name
  int timeout = 3600;     // ipc_timeout, seconds per read/write
  // in_flow_delay: main.cpp takes a flow token (global/mail_flow.h) or
  // pauses this long before each client; 0: off.
  std::chrono::milliseconds in_flow_delay{0};

  static Context FromConfig(const config::Config& cfg);
};

void Serve(util::Stream& client, Context& ctx);

}  // namespace cleanup

// mail_trigger: wake a service by sending it a request byte
// (master_proto.h: kTriggerWakeup 'W', kTriggerFlush 'F', kTriggerScan 'S').
//
// master's wakeup timers, `postfix flush`, postqueue -f and sendmail (after
// postdrop) all use it. The service's endpoint is $queue_directory/public/NAME
// or private/NAME; whatever it is (a UNIX stream socket, a datagram socket
// or a FIFO), Trigger finds out and sends the bytes the right way, then
// closes (the service reads the bytes after accepting, even once we are
// gone):
//
//   util::Status st = mail_trigger::Trigger(
//       mail_trigger::ServicePath(cfg, true, "qmgr"), "F", std::chrono::seconds(1));
//
// Errors: no such socket or FIFO is kNotFound ("connect to PATH: No such
// file or directory": the service is not configured or master never ran);
// a refused connection is kUnavailable (master is not running); a full
// backlog is kDeadlineExceeded.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "global/config.h"
#include "util/status.h"

namespace mail_trigger {

// $queue_directory/public/NAME (is_public) or $queue_directory/private/NAME.
std::string ServicePath(const config::Config& cfg, bool is_public, std::string_view service);

util::Status UnixTrigger(const std::string& path, std::string_view request,
                         std::chrono::milliseconds timeout);
util::Status DgramTrigger(const std::string& path, std::string_view request);
util::Status FifoTrigger(const std::string& path, std::string_view request);

// Looks at what `path` is and uses one of the above.
util::Status Trigger(const std::string& path, std::string_view request,
                     std::chrono::milliseconds timeout);

}  // namespace mail_trigger

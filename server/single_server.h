// single_server: the skeleton of daemons that serve one client per process
// (smtpd, cleanup, smtp, virtual, error, showq), as Postfix's single_server.
//
//   int main(int argc, char** argv) {
//     server::SingleServerHooks hooks;
//     hooks.post_init = [](server::Server& s) { ... };   // optional
//     hooks.service = [](util::Stream& client, server::Server& s) {
//       ... read requests, write replies, Flush() ...
//     };
//     server::RunSingleServer(argc, argv, hooks);
//   }
//
// Start-up, privileges and lifetime are server/daemon.h's. The loop: tell
// master "available", wait (epoll) on the listeners (inet, unix) and the
// lifeline; the listeners are watched with EPOLLEXCLUSIVE, so a connection
// wakes one idle child of the service, not all of them (Postfix uses an
// accept lock for the same reason); when a listener is readable, accept
// (another child may still win the race: that is not an error), tell
// master "taken", call
// hooks.service with the connection as a util::Stream (blocking, no
// timeout set: the service sets its own), close it (unflushed output is
// flushed first), and go round again, telling master "available" unless
// this process is about to exit. It exits 0 after max_use clients, after
// max_idle seconds without one, when master closes the lifeline (never
// in the middle of a client: the lifeline is only looked at between
// clients), or after Server::RequestExit(). Each client runs under a
// watchdog of daemon_timeout seconds (SIGALRM ends a stuck process; master
// logs it and starts another).
//
// The service hook owns the protocol; requests between our daemons are
// attribute lists (util/attr.h), never hand-formatted. Types other than
// inet and unix are fatal ("service type fifo is not supported by
// smtpd"); -S serves one client on standard input (daemon.h).
#pragma once

#include <functional>

#include "server/daemon.h"
#include "util/stream.h"

namespace server {

struct SingleServerHooks : ServerHooks {
  std::function<void(util::Stream& client, Server& server)> service;
};

// Runs the daemon; does not return (exits 0 at the end of its life, 1 on
// a fatal error).
[[noreturn]] void RunSingleServer(int argc, char** argv, const SingleServerHooks& hooks);

}  // namespace server

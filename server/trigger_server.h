// trigger_server: the skeleton of daemons that are woken up rather than
// asked (pickup, qmgr; postlogd uses it for its datagrams), as Postfix's
// trigger_server and dgram_server, on util/event_loop.h.
//
// A trigger is a few bytes, normally one request byte of
// global/master_proto.h ('W' wake up, 'F' flush, 'S' scan): master's
// wakeup timer, `postfix flush`, or sendmail after postdrop send them. The
// skeleton calls hooks.service with the bytes of one trigger:
//   - unix or inet: what a client wrote on one connection (read once, at
//     most 1024 bytes; the connection is then closed; a client that sends
//     nothing within 10 seconds is dropped);
//   - fifo: what one read(2) of the FIFO returned (at most 1024 bytes);
//   - unix-dgram: one datagram (at most 64 KiB).
// The daemon registers its own timers and watches on Server::loop() from
// post_init (qmgr's scans, pickup's polling); they run in the same loop:
//
//   int main(int argc, char** argv) {
//     server::TriggerServerHooks hooks;
//     hooks.post_init = [](server::Server& s) {
//       s.loop()->AddPeriodic(std::chrono::seconds(60), [] { ScanQueue(); });
//     };
//     hooks.service = [](std::string_view bytes, server::Server& s) {
//       for (char c : bytes) if (c == master_proto::kTriggerFlush) FlushDeferred();
//     };
//     server::RunTriggerServer(argc, argv, hooks);
//   }
//
// Lifetime (daemon.h): max_use counts triggers; max_idle is the time since
// the last trigger (the daemon's own timers do not count); master hears
// "taken" while a trigger is handled and "available" otherwise (for the
// first trigger only with hooks.never_busy). When master closes the
// lifeline it stops listening, hands the daemon what is already queued on
// a FIFO or datagram socket (postlogd writes every line it was sent), waits
// for connections already accepted, and exits.
#pragma once

#include <functional>
#include <string_view>

#include "server/daemon.h"

namespace server {

struct TriggerServerHooks : ServerHooks {
  std::function<void(std::string_view request, Server& server)> service;
  // When the server must go (master disconnected: reload or stop), `drain`
  // is called once, then the process exits as soon as `busy` says false
  // (polled every 100 ms, for at most kMaxDrainWait): qmgr uses them to
  // stop starting deliveries and to wait for the ones in flight, so that
  // the next qmgr never takes a message an agent is still delivering.
  std::function<void()> drain;
  std::function<bool()> busy;
  // The service returns at once and never waits (postlogd: one write(2)
  // of one line): master is told "taken" and "available" around the first
  // request only (so that it counts the process as one that works, not a
  // bad command startup), not around each, which would cost two status
  // writes and two wake-ups of master for every log line. The process is
  // always available between requests.
  bool never_busy = false;
};

// How long a draining trigger server waits for `busy` to clear.
inline constexpr int kMaxDrainWaitSeconds = 600;

// Runs the daemon; does not return (exits 0 at the end of its life, 1 on
// a fatal error).
[[noreturn]] void RunTriggerServer(int argc, char** argv, const TriggerServerHooks& hooks);

}  // namespace server

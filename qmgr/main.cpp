// qmgr - the queue manager (Postfix's qmgr(8)).
//
// SYNOPSIS
//   qmgr [generic daemon options]     (run by master)
//
// DESCRIPTION
//   A trigger server (server/trigger_server.h) on the master.cf service
//   `qmgr unix n - n 300 1 qmgr` (public/qmgr): cleanup's 'W' after each
//   new message and master's wake-up every 300 seconds scan incoming/;
//   'F' (postqueue -f, postfix flush) retries all deferred mail now.
//   Everything else (queues, scheduling, delivery requests, retries and
//   bounces) is described in qmgr/qmgr.h. One process (maxproc 1); it
//   ignores max_use and max_idle.
//
// PARAMETERS
//   queue_run_delay, minimal_backoff_time, maximal_backoff_time,
//   maximal_queue_lifetime, bounce_queue_lifetime,
//   qmgr_message_active_limit, qmgr_message_recipient_limit,
//   initial_destination_concurrency, default_destination_* and
//   TRANSPORT_destination_* (concurrency_limit, recipient_limit,
//   rate_delay, concurrency_positive_feedback,
//   concurrency_negative_feedback, concurrency_failed_cohort_limit).
//
// DIAGNOSTICS (mail log)
//   postfix/qmgr[PID]: ID: from=<alice@example.com>, size=312, nrcpt=1 (queue active)
//   postfix/qmgr[PID]: ID: removed
#include <memory>
#include <string_view>

#include "qmgr/deps.h"
#include "qmgr/qmgr.h"
#include "server/trigger_server.h"

namespace {
// Declared first, destroyed last: the manager uses them to the end.
std::unique_ptr<qmgr::ProductionDeps> deps;
std::unique_ptr<qmgr::QueueManager> manager;
}  // namespace

int main(int argc, char** argv) {
  server::TriggerServerHooks hooks;
  hooks.ignore_max_use = true;
  hooks.ignore_max_idle = true;
  hooks.post_init = [](server::Server& s) {
    deps = qmgr::ProductionDeps::Create(s.config(), s.loop());
    manager = std::make_unique<qmgr::QueueManager>(s.config(), deps->deps());
    manager->Start();
  };
  hooks.service = [](std::string_view bytes, server::Server&) { manager->Trigger(bytes); };
  hooks.drain = [] {
    if (manager) manager->Drain();
  };
  hooks.busy = [] { return manager && manager->Busy(); };
  server::RunTriggerServer(argc, argv, hooks);
}

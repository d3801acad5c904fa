// pickup - local mail pickup (Postfix's pickup(8)).
//
// SYNOPSIS
//   pickup [generic daemon options]     (run by master)
//
// DESCRIPTION
//   A trigger server (server/trigger_server.h) on the master.cf service
//   `pickup unix n - n 60 1 pickup` (public/pickup, a UNIX stream socket as
//   in Postfix 3; a fifo service works the same). Any trigger - postdrop's
//   'W' after a submission, master's wakeup timer every 60 seconds - makes
//   it scan maildrop/ and hand every finished file to cleanup; see
//   pickup/pickup.h for what happens to each file. One process (maxproc 1)
//   so that two scans never race for the same file.
//
// PARAMETERS
//   queue_directory, hash_queue_depth, hash_queue_names,
//   enable_long_queue_ids   where the files are
//   cleanup_service_name    the cleanup service (public/cleanup)
//   ipc_timeout             the limit for each exchange with cleanup
//   content_filter          the after-queue content filter of every message
//
// DIAGNOSTICS (mail log)
//   postfix/pickup[PID]: 3F2A1B2C: uid=1000 from=<alice>
//   warning: maildrop/ID: cleanup service is unavailable: ...
//   warning: maildrop/ID: REASON; moved to corrupt/ID
#include <string_view>

#include "global/cleanup_client.h"
#include "global/mail_flow.h"
#include "pickup/pickup.h"
#include "server/trigger_server.h"
#include "util/msg.h"
#include "util/strings.h"

int main(int argc, char** argv) {
  server::TriggerServerHooks hooks;
  hooks.service = [](std::string_view, server::Server& s) {
    const config::Config& cfg = s.config();
    // As cleanup: a token per scan, or a pause (in_flow_delay).
    mail_flow::ConsumeOrWait(std::chrono::seconds(cfg.GetTime("in_flow_delay")));
    // receive_override_options: no_address_mappings, no_header_body_checks.
    unsigned overrides = cleanup_client::ReceiveOverridesFromConfig(cfg).cleanup_flags;
    pickup::ScanStats stats = pickup::ScanMaildrop(
        mail_queue::Layout::FromConfig(cfg),
        [&cfg, overrides](unsigned flags) {
          return cleanup_client::CleanupClient::Open(cfg, flags | overrides);
        },
        std::string(util::Trim(cfg.Get("content_filter"))));
    if (msg::Verbose())
      msg::Info("scan: %d queued, %d kept, %d corrupt", stats.queued, stats.kept, stats.corrupt);
  };
  server::RunTriggerServer(argc, argv, hooks);
}

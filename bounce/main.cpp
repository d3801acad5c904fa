// bounce - delivery status notifications (Postfix's bounce(8)).
//
// SYNOPSIS
//   bounce [generic daemon options]      (run by master for the master.cf
//   services bounce, defer and trace: "bounce unix - - n - 0 bounce")
//
// DESCRIPTION
//   Serves "append" requests from delivery agents (one delivery log entry,
//   written as mail_owner whatever the agent runs as) and "notify" requests
//   (global/bounce_client.h) from qmgr: turns a
//   message's bounce/, defer/ or trace/ log (global/delivery_log.h) and its
//   queue file into an RFC 3464 notice (dsn.h), injects it through cleanup
//   with the null sender, logs it and consumes the log (service.h).
//
//   Like Postfix's bounce this is a single-server: composing and injecting a
//   notice blocks on cleanup, so one client per process and master runs as
//   many processes as there are clients (maxproc 0). A connection may carry
//   any number of requests, each answered in order; a client that sends
//   nothing for ipc_timeout seconds is dropped.
//
// PARAMETERS
//   myhostname myorigin notify_classes 2bounce_notice_recipient
//   double_bounce_sender bounce_size_limit delay_warning_time
//   maximal_queue_lifetime ipc_timeout queue_directory hash_queue_depth
//   hash_queue_names cleanup_service_name
//
// DIAGNOSTICS (mail log, Postfix's formats)
//   ID: sender non-delivery notification: NEWID
//   ID: sender delay notification: NEWID
//   ID: sender delivery status notification: NEWID
//   ID: postmaster non-delivery notification: NEWID
//   warning: ID: undeliverable postmaster notification discarded
//   warning: ID: cannot send KIND notice: WHY     (client told to retry)
#include <string>

#include "bounce/service.h"
#include "server/single_server.h"
#include "util/attr.h"
#include "util/msg.h"

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.service = [](util::Stream& client, server::Server& s) {
    long long timeout = s.config().GetTime("ipc_timeout");
    util::AttrDecoder decoder;
    util::AttrList req;
    for (;;) {
      util::StatusOr<bool> got = decoder.Next(&req);
      if (!got.ok()) {
        msg::Warn("bad request: %s", got.status().message().c_str());
        return;
      }
      if (*got) {
        util::AttrList reply = bounce::HandleRequest(s.config(), req);
        if (!client.Write(util::EncodeAttrList(reply)).ok() || !client.Flush().ok()) return;
        continue;
      }
      std::string chunk;
      client.set_timeout(static_cast<int>(timeout));
      if (!client.ReadSome(&chunk).ok()) return;  // EOF, timeout or error: done
      decoder.Feed(chunk);
    }
  };
  server::RunSingleServer(argc, argv, hooks);
}

// flush - the fast flush service (Postfix's flush(8)).
//
// SYNOPSIS
//   flush [generic daemon options]     (run by master)
//
// DESCRIPTION
//   A single server (server/single_server.h) on the master.cf service
//   `flush unix n - n 1000? 0 flush` ($queue_directory/public/flush, as
//   postqueue -s and -i, smtpd's ETRN and the deferring agents reach it).
//   Each connection carries attribute-list requests (flush/flush.h) and
//   gets one reply each. master's wake-up ("W", every 1000 seconds while
//   the service runs) is a refresh: logs not sent for
//   fast_flush_refresh_time are sent, empty ones unused for
//   fast_flush_purge_time removed.
//
// PARAMETERS
//   fast_flush_domains, fast_flush_refresh_time, fast_flush_purge_time,
//   queue_directory, queue_service_name, ipc_timeout.

#include <string>

#include "flush/flush.h"
#include "server/single_server.h"
#include "util/attr.h"
#include "util/msg.h"

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.service = [](util::Stream& client, server::Server& s) {
    flush::Service svc(s.config());
    client.set_timeout(static_cast<int>(s.config().GetTime("ipc_timeout")));
    util::AttrDecoder decoder;
    util::AttrList req;
    std::string seen;
    for (;;) {
      util::StatusOr<bool> got = decoder.Next(&req);
      if (!got.ok()) {
        if (seen == "W") {  // master's wake-up, not a request
          (void)svc.Refresh();
          return;
        }
        msg::Warn("bad request: %s", got.status().message().c_str());
        return;
      }
      if (*got) {
        util::AttrList reply = svc.Handle(req);
        if (!client.Write(util::EncodeAttrList(reply)).ok() || !client.Flush().ok()) return;
        seen.clear();
        continue;
      }
      std::string chunk;
      if (!client.ReadSome(&chunk).ok()) {
        if (seen == "W") (void)svc.Refresh();
        return;  // EOF, timeout or error: done
      }
      if (seen.size() < 2) seen += chunk.substr(0, 2);
      decoder.Feed(chunk);
    }
  };
  server::RunSingleServer(argc, argv, hooks);
}

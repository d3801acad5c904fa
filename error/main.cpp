// error - the error delivery agent (Postfix's error(8)).
//
// SYNOPSIS
//   error [generic daemon options]     (run by master)
//
// DESCRIPTION
//   A single server (server/single_server.h) on the master.cf services
//   `error unix - - n - - error` and `retry unix - - n - - error`. It reads
//   one delivery request (global/deliver_request.h) and fails every
//   recipient with the request's nexthop text, which is what a
//   transport_maps entry `error:5.1.1 User unknown` (or trivial-rewrite for
//   an unexpanded virtual alias) leaves there:
//     service "error": each recipient is bounced; the leading enhanced
//       status code of the text becomes the dsn (class forced to 5,
//       default 5.0.0) and the rest the reason.
//     any other service name ("retry"): each recipient is deferred, class
//       forced to 4 (default 4.0.0).
//   Logging, done marks and the bounce/defer logs are the shared agent
//   library's (global/deliver_status.h): relay=none.

#include "global/deliver_request.h"
#include "global/deliver_status.h"
#include "server/single_server.h"
#include "util/msg.h"

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.service = [](util::Stream& client, server::Server& s) {
    bool bounce = s.service_name() == "error";
    deliver_status::ServeRequest(
        client, s.config(),
        [bounce](const deliver_request::Request& req, deliver_status::Reporter& rep) {
          std::string dsn, text;
          deliver_status::SplitDsn(req.nexthop, bounce ? "5.0.0" : "4.0.0", bounce ? '5' : '4',
                                   &dsn, &text);
          if (text.empty()) text = bounce ? "delivery failed" : "delivery temporarily suspended";
          for (size_t i = 0; i < req.recipients.size(); i++) {
            if (bounce)
              rep.Bounced(i, "none", dsn, text);
            else
              rep.Deferred(i, "none", dsn, text);
          }
        });
  };
  server::RunSingleServer(argc, argv, hooks);
}

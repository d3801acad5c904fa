// discard - the discard delivery agent (Postfix's discard(8)).
//
// SYNOPSIS
//   discard [generic daemon options]     (run by master)
//
// DESCRIPTION
//   A single server (server/single_server.h) on the master.cf service
//   `discard unix - - n - - discard`. It reads one delivery request
//   (global/deliver_request.h) and reports every recipient as sent, with
//   relay=none and the nexthop as the reason, as Postfix's discard(8) logs
//   it: the text of a transport_maps `discard:TEXT` (`status=sent (TEXT)`),
//   or the recipient's domain, which trivial-rewrite leaves there for a bare
//   `discard:`. A leading RFC 3463 code in the text is the dsn (class 2;
//   default 2.0.0): `discard:2.7.0 dropped` logs `dsn=2.7.0, status=sent
//   (dropped)`. The mail is not looked at.

#include "global/deliver_request.h"
#include "global/deliver_status.h"
#include "server/single_server.h"

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.service = [](util::Stream& client, server::Server& s) {
    deliver_status::ServeRequest(
        client, s.config(), [](const deliver_request::Request& req, deliver_status::Reporter& rep) {
          std::string dsn, reason;
          deliver_status::SplitDsn(req.nexthop, "2.0.0", '2', &dsn, &reason);
          for (size_t i = 0; i < req.recipients.size(); i++) rep.Sent(i, "none", dsn, reason);
        });
  };
  server::RunSingleServer(argc, argv, hooks);
}

// discard - the discard delivery agent (Postfix's discard(8)).
//
// SYNOPSIS
//   discard [generic daemon options]     (run by master)
//
// DESCRIPTION
//   A single server (server/single_server.h) on the master.cf service
//   `discard unix - - n - - discard`. It reads one delivery request
//   (global/deliver_request.h) and reports every recipient as sent, with
//   relay=none, dsn=2.0.0 and the reason "discarded", or "discarded: TEXT"
//   when the nexthop is a text (transport_maps `discard:TEXT`) rather than
//   the recipient's domain, which trivial-rewrite leaves there for a bare
//   `discard:`. The mail is not looked at.

#include "global/deliver_request.h"
#include "global/deliver_status.h"
#include "server/single_server.h"
#include "util/msg.h"
#include "util/strings.h"

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.service = [](util::Stream& client, server::Server& s) {
    deliver_status::ServeRequest(
        client, s.config(), [](const deliver_request::Request& req, deliver_status::Reporter& rep) {
          std::string text(util::Trim(req.nexthop));
          for (size_t i = 0; i < req.recipients.size(); i++) {
            const std::string& rcpt = req.recipients[i].address;
            size_t at = rcpt.rfind('@');
            std::string domain =
                at == std::string::npos ? "" : util::Lowercase(rcpt.substr(at + 1));
            bool is_domain = text.empty() || util::Lowercase(text) == domain;
            rep.Sent(i, "none", "2.0.0", is_domain ? "discarded" : "discarded: " + text);
          }
        });
  };
  server::RunSingleServer(argc, argv, hooks);
}

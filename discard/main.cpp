// discard - the discard delivery agent (Postfix's discard(8)).
//
// SYNOPSIS
//   discard [generic daemon options]     (run by master)
//
// DESCRIPTION
//   A single server (global/single_server.h) on the master.cf service
//   `discard unix - - n - - discard`. It reads one delivery request
//   (global/deliver_request.h) and reports every recipient as sent, with
//   relay=none, dsn=2.0.0 and the reason "discarded", or "discarded: TEXT"
//   when the nexthop is a text (transport_maps `discard:TEXT`) rather than
//   the recipient's domain, which trivial-rewrite leaves there for a bare
//   `discard:`. The mail is not looked at.
#include <sys/time.h>

#include "global/deliver_request.h"
#include "global/deliver_status.h"
#include "global/single_server.h"
#include "util/msg.h"
#include "util/strings.h"

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.service = [](util::Stream& client, server::Server& s) {
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    double start = tv.tv_sec + tv.tv_usec / 1e6;
    client.set_timeout(static_cast<int>(s.config().GetTime("ipc_timeout")));
    util::StatusOr<deliver_request::Request> req = deliver_request::Read(client);
    if (!req.ok()) {
      msg::Warn("bad delivery request: %s", req.status().message().c_str());
      return;
    }
    auto rep =
        deliver_status::Reporter::Open(mail_queue::Layout::FromConfig(s.config()), *req, start);
    if (!rep.ok()) {
      msg::Warn("%s: %s", req->queue_id.c_str(), rep.status().message().c_str());
      deliver_request::Reply r;
      r.status = 4;
      r.reason = rep.status().message();
      (void)deliver_request::WriteReply(client, r);
      return;
    }
    std::string text(util::Trim(req->nexthop));
    for (size_t i = 0; i < req->recipients.size(); i++) {
      const std::string& rcpt = req->recipients[i].address;
      size_t at = rcpt.rfind('@');
      std::string domain = at == std::string::npos ? "" : util::Lowercase(rcpt.substr(at + 1));
      bool is_domain = text.empty() || util::Lowercase(text) == domain;
      rep->Sent(i, "none", "2.0.0", is_domain ? "discarded" : "discarded: " + text);
    }
    (void)deliver_request::WriteReply(client, rep->reply());
  };
  server::RunSingleServer(argc, argv, hooks);
}

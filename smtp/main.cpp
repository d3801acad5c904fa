// smtp, lmtp - the SMTP and LMTP client delivery agent (Postfix's smtp(8)
// and lmtp(8)).
//
// SYNOPSIS
//   smtp [generic daemon options]     (run by master)
//   lmtp [generic daemon options]     (the same program under another name)
//
// DESCRIPTION
//   A single server (server/single_server.h) on master.cf services such as
//   `smtp unix - - n - - smtp` and `relay unix ... smtp`. Each client is
//   one delivery request from qmgr (global/deliver_request.h): the message
//   goes to the request's nexthop (transport_maps, relayhost,
//   relay_transport or the recipient domain, as trivial-rewrite resolved
//   it) in one SMTP transaction; each recipient is reported sent, bounced
//   or deferred through the shared agent library (global/deliver_status.h),
//   which logs Postfix's lines:
//     ID: to=<bob@example.com>, relay=mx.example.com[192.0.2.1]:25,
//         delay=0.3, delays=0.1/0/0.1/0.1, dsn=2.0.0, status=sent
//         (250 2.0.0 Ok: queued as 3F2A1)
//   Where it connects: smtp/smtp_addr.h. The SMTP dialogue:
//   smtp/smtp_session.h. Generic maps: smtp/generic.h. The loop over
//   hosts: smtp/smtp_deliver.h.
//
// PARAMETERS
//   smtp_host_lookup, smtp_mx_address_limit, smtp_mx_session_limit,
//   smtp_fallback_relay, smtp_tcp_port, inet_protocols, disable_dns_lookups,
//   smtp_dns_support_level (disabled), myhostname, inet_interfaces,
//   proxy_interfaces, smtp_helo_name, smtp_connect_timeout,
//   smtp_helo_timeout, smtp_mail_timeout, smtp_rcpt_timeout,
//   smtp_data_init_timeout, smtp_data_xfer_timeout, smtp_data_done_timeout,
//   smtp_quit_timeout, smtp_skip_5xx_greeting, smtp_never_send_ehlo,
//   smtp_skip_quit_response, smtp_line_length_limit, smtp_generic_maps,
//   smtp_send_xforward_command, smtp_xforward_timeout (smtp/smtp_xforward.h).
//   Test seam: MTA_DNS_NAMESERVER (util/dns.h) through import_environment.
//
// LMTP
//   Run as `lmtp` (master.cf `lmtp unix - - n - - lmtp`; the build links
//   lmtp to smtp) the program is Postfix's LMTP client: LHLO, one reply per
//   recipient after the final ".", destinations unix:PATH (relative to the
//   queue directory), inet:host:port, [host]:port or host (no MX lookups,
//   port lmtp_tcp_port = 24), and the lmtp_* twin of each smtp_* parameter
//   above (lmtp_lhlo_name, lmtp_lhlo_timeout for the helo ones):
//   smtp/lmtp_params.h. Log lines say postfix/lmtp and, for a UNIX socket,
//   relay=MYHOSTNAME[PATH].

#include "global/deliver_status.h"
#include "server/single_server.h"
#include "smtp/lmtp_params.h"
#include "smtp/smtp_deliver.h"
#include "util/msg.h"

namespace {
std::optional<smtp::Agent> agent;
}  // namespace

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.post_init = [](server::Server& s) {
    bool lmtp = smtp::IsLmtpProgram(s.program());
    if (lmtp) smtp::UseLmtpParameters(s.mutable_config());
    agent.emplace(smtp::Agent::FromConfig(s.config(), lmtp));
    agent->set_service(s.service_name());
  };
  hooks.service = [](util::Stream& client, server::Server& s) {
    deliver_status::ServeRequest(
        client, s.config(), [](const deliver_request::Request& req, deliver_status::Reporter& rep) {
          agent->Deliver(req, rep);
        });
  };
  server::RunSingleServer(argc, argv, hooks);
}

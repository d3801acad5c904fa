// local - the local delivery agent (Postfix's local(8)).
//
// SYNOPSIS
//   local [generic daemon options]     (run by master)
//
// DESCRIPTION
//   A single server (server/single_server.h) on the master.cf service
//   `local unix - n n - - local` (unprivileged column "n": it keeps root
//   to deliver as each user). It reads one delivery request
//   (global/deliver_request.h) for recipients in mydestination domains
//   (trivial-rewrite resolves them to $local_transport), reads the message
//   from the queue file and delivers each recipient through aliases,
//   .forward files, mailbox_command, home_mailbox or the mail spool; the
//   decisions are in agent.h, commands in command.h, and the mailbox
//   writers are shared with virtual(8) (global/maildir.h, global/mbox.h,
//   global/mail_copy.h). Mail forwarded to other addresses is handed to
//   cleanup as a new message (global/cleanup_client.h) with
//   "Delivered-To: RECIPIENT" prepended. mailbox_transport and
//   fallback_transport pass the address to another agent's
//   private/TRANSPORT socket (global/deliver_pass.h, waiting up to
//   ipc_timeout), which reports it.
//
//   Each recipient is reported through global/deliver_status.h with
//   relay=local: status=sent (delivered to mailbox), (delivered to maildir),
//   (delivered to command: CMD), (delivered to file: PATH), (forwarded as
//   ID); bounced (unknown user: "name"), (mail forwarding loop for RCPT),
//   (user unknown. Command output: ...); deferred otherwise.
//
// PARAMETERS
//   alias_maps, allow_mail_to_commands, allow_mail_to_files,
//   command_execution_directory, command_expansion_filter,
//   command_time_limit, default_privs, deliver_lock_attempts,
//   deliver_lock_delay, expand_owner_alias, export_environment,
//   fallback_transport, fallback_transport_maps, forward_path,
//   home_mailbox, ipc_timeout, local_command_shell, luser_relay,
//   mail_spool_directory, mailbox_command, mailbox_command_maps,
//   mailbox_delivery_lock, mailbox_size_limit, mailbox_transport,
//   mailbox_transport_maps, myorigin,
//   owner_request_special, prepend_delivered_header,
//   propagate_unmatched_extensions, recipient_delimiter, stale_lock_time.

#include <sys/time.h>

#include <ctime>
#include <memory>

#include "global/cleanup_client.h"
#include "global/deliver_pass.h"
#include "global/maps.h"
#include "local/agent.h"
#include "server/delivery_agent.h"
#include "util/msg.h"
#include "util/strings.h"

namespace {

std::unique_ptr<local_agent::Agent> agent;

// Re-injects the message through cleanup for forwarded recipients.
util::StatusOr<std::string> Forward(const server::AgentRequest& r,
                                    const deliver_request::Recipient& rc, const std::string& sender,
                                    const std::vector<std::string>& rcpts,
                                    const std::string& delivered_to) {
  auto c = cleanup_client::CleanupClient::Open(r.cfg, cleanup_client::kFlagNone);
  if (!c.ok()) return c.status();
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  (*c)->Arrival(tv.tv_sec, tv.tv_usec);
  (*c)->Sender(sender);
  for (const std::string& a : rcpts) {
    queue_file::Recipient qr;
    qr.address = a;
    qr.original = rc.original.empty() ? rc.address : rc.original;
    (*c)->Recipient(qr);
  }
  (*c)->BeginContent();
  if (!delivered_to.empty()) (*c)->Line("Delivered-To: " + delivered_to);
  util::Status read = r.file.ReadContent([&](std::string_view line) { (*c)->Line(line); });
  if (!read.ok()) return read;
  util::StatusOr<cleanup_client::Result> res = (*c)->Finish();
  if (!res.ok()) return res.status();
  if (res->status != 0) return util::Unavailable(res->dsn + " " + res->reason);
  return res->queue_id;
}

}  // namespace

int main(int argc, char** argv) {
  server::RunDeliveryAgent(
      argc, argv, "local",
      [](server::Server& s) {
        maps::SetChangeCheckInterval(std::chrono::milliseconds(0));  // newaliases: next delivery
        auto a = local_agent::Agent::Create(s.config());
        if (!a.ok()) msg::Fatal("%s", a.status().message().c_str());
        agent = std::move(*a);
      },
      [](const server::AgentRequest& r, size_t i) {
        const deliver_request::Recipient& rc = r.req.recipients[i];
        local_agent::Delivery d;
        d.message.sender = r.req.sender;
        d.message.recipient = rc.address;
        d.message.original = rc.original.empty() ? rc.address : rc.original;
        d.message.now = std::time(nullptr);
        d.message.content = r.content();
        d.forward = [&](const std::string& sender, const std::vector<std::string>& rcpts,
                        const std::string& delivered_to) {
          return Forward(r, rc, sender, rcpts, delivered_to);
        };
        d.pass = [&](const std::string& service, const std::string& address) {
          deliver_request::Recipient p = rc;
          if (!util::EqualsIgnoreCase(address, rc.address)) {
            if (p.original.empty()) p.original = rc.address;
            p.address = address;
          }
          return deliver_pass::Pass(r.cfg.Get("queue_directory"), service, r.req, p,
                                    std::chrono::seconds(r.cfg.GetTime("ipc_timeout")));
        };
        std::vector<server::AgentOutcome> out;
        for (local_agent::Target& t : agent->Deliver(d))
          out.push_back(
              {std::move(t.address), std::move(t.result), std::move(t.relay), t.reported});
        return out;
      });
}

// virtual - the virtual mailbox delivery agent (Postfix's virtual(8)).
//
// SYNOPSIS
//   virtual [generic daemon options]     (run by master)
//
// DESCRIPTION
//   A single server (server/single_server.h) on the master.cf service
//   `virtual unix - n n - - virtual` (unprivileged column "n": it keeps
//   root to write as each mailbox owner). It reads one delivery request
//   (global/deliver_request.h), reads the message from the queue file and
//   delivers it to each recipient's mailbox:
//     $virtual_mailbox_base/$virtual_mailbox_maps(recipient)
//   as a Maildir when the value ends in "/", else as an mbox file, owned
//   by $virtual_uid_maps(recipient) / $virtual_gid_maps(recipient).
//   Return-Path:, X-Original-To: and Delivered-To: are prepended; a
//   Delivered-To: equal to the recipient already in the message is a
//   mail forwarding loop. Per-user Maildir++ quota follows the VDA patch
//   (virtual_mailbox_limit_maps, virtual_create_maildirsize, ...).
//   The details are in recipient.h (lookups, ownership, quota) and the
//   mailbox writers shared with local(8): global/maildir.h, global/mbox.h,
//   global/mail_copy.h.
//
//   Each recipient is reported through the shared agent library
//   (global/deliver_status.h) with relay=virtual:
//     status=sent (delivered to maildir) / (delivered to mailbox)
//     status=bounced (unknown user: "rcpt")
//     status=deferred (maildir delivery failed: ...)
//
// DIAGNOSTICS
//   Mail bounces when the recipient has no mailbox, on a forwarding loop,
//   and when the recipient is over quota (with virtual_overquota_bounce or
//   on EDQUOT/EFBIG); in all other problem cases it is deferred and a
//   warning is logged. A relative virtual_mailbox_base or an unknown lock
//   method is fatal.
//
// PARAMETERS
//   virtual_mailbox_base, virtual_mailbox_maps, virtual_uid_maps,
//   virtual_gid_maps, virtual_minimum_uid, virtual_mailbox_limit,
//   virtual_mailbox_lock, deliver_lock_attempts, deliver_lock_delay,
//   stale_lock_time, recipient_delimiter, ipc_timeout; VDA patch:
//   virtual_mailbox_limit_maps, virtual_mailbox_limit_override,
//   virtual_create_maildirsize, virtual_mailbox_extended,
//   virtual_maildir_limit_message, virtual_overquota_bounce.

#include <ctime>
#include <memory>
#include <utility>

#include "server/delivery_agent.h"
#include "util/msg.h"
#include "virtual/recipient.h"

int main(int argc, char** argv) {
  static std::unique_ptr<virtual_agent::Agent> agent;
  server::RunDeliveryAgent(
      argc, argv, "virtual",
      [](server::Server& s) {
        auto a = virtual_agent::Agent::Create(s.config());
        if (!a.ok()) msg::Fatal("%s", a.status().message().c_str());
        agent = std::move(*a);
      },
      [](const server::AgentRequest& r, size_t i) {
        const deliver_request::Recipient& rc = r.req.recipients[i];
        virtual_agent::Message m;
        m.sender = r.req.sender;
        m.recipient = rc.address;
        m.original = rc.original.empty() ? rc.address : rc.original;
        m.now = std::time(nullptr);
        m.content = r.content();
        server::AgentOutcome out;
        out.result = agent->Deliver(m);
        return std::vector<server::AgentOutcome>{std::move(out)};
      });
}

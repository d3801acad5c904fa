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

#include "global/deliver_request.h"
#include "global/deliver_status.h"
#include "global/mail_queue.h"
#include "global/queue_file.h"
#include "server/single_server.h"
#include "util/msg.h"
#include "virtual/recipient.h"

namespace {

std::unique_ptr<virtual_agent::Agent> agent;

void Deliver(const config::Config& cfg, const deliver_request::Request& req,
             deliver_status::Reporter& rep) {
  auto file = queue_file::Reader::Open(
      mail_queue::Layout::FromConfig(cfg).Path(req.queue_name, req.queue_id));
  if (!file.ok()) {
    msg::Warn("%s: %s", req.queue_id.c_str(), file.status().message().c_str());
    for (size_t i = 0; i < req.recipients.size(); i++)
      rep.Deferred(i, "virtual", "4.3.0", "cannot read the queue file");
    return;
  }
  for (size_t i = 0; i < req.recipients.size(); i++) {
    const deliver_request::Recipient& rc = req.recipients[i];
    virtual_agent::Message m;
    m.sender = req.sender;
    m.recipient = rc.address;
    m.original = rc.original.empty() ? rc.address : rc.original;
    m.now = std::time(nullptr);
    m.content = [&](const mailbox::LineFn& fn) { return file->ReadContent(fn); };
    virtual_agent::Result r = agent->Deliver(m);
    switch (r.outcome) {
      case virtual_agent::Outcome::kSent:
        rep.Sent(i, "virtual", r.dsn, r.text);
        break;
      case virtual_agent::Outcome::kBounced:
        rep.Bounced(i, "virtual", r.dsn, r.text);
        break;
      case virtual_agent::Outcome::kDeferred:
        rep.Deferred(i, "virtual", r.dsn, r.text);
        break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.post_init = [](server::Server& s) {
    auto a = virtual_agent::Agent::Create(s.config());
    if (!a.ok()) msg::Fatal("%s", a.status().message().c_str());
    agent = std::move(*a);
  };
  hooks.service = [](util::Stream& client, server::Server& s) {
    const config::Config& cfg = s.config();
    deliver_status::ServeRequest(
        client, cfg, [&cfg](const deliver_request::Request& req, deliver_status::Reporter& rep) {
          Deliver(cfg, req, rep);
        });
  };
  server::RunSingleServer(argc, argv, hooks);
}

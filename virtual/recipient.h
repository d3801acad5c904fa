// recipient: the virtual(8) delivery decision for one recipient: mailbox,
// owner and quota lookups, then Maildir or mbox delivery as that owner.
//
//   auto agent = Agent::Create(cfg);              // fatal on a bad configuration
//   Result r = (*agent)->Deliver(msg);            // msg.recipient etc. set
//
// LOOKUPS. virtual_mailbox_maps, virtual_uid_maps, virtual_gid_maps and
// virtual_mailbox_limit_maps are searched with the recipient folded to
// lower case, in virtual(8)'s order (global/addr_find.h
// kVirtualMailboxSteps): user+ext@domain, user@domain, @domain.
//   - no mailbox:          bounced 5.1.1 unknown user: "rcpt"
//   - a lookup error:      deferred 4.3.0 mail system configuration error
//                          (with a warning naming the table)
//   - uid/gid missing, not numeric, uid below virtual_minimum_uid, gid 0:
//                          warning "recipient RCPT: bad uid VALUE in
//                          virtual_uid_maps" (or "uid not found in ..."),
//                          deferred 4.3.5 mail system configuration error
// The mailbox is virtual_mailbox_base + "/" + the value; a value ending
// in "/" is a Maildir (global/maildir.h), anything else an mbox file
// (global/mbox.h).
// Running as root the delivery runs with the looked-up uid and gid
// (global/mailbox_identity.h); otherwise as the current user.
//
// SIZE AND QUOTA (Postfix, plus the VDA patch's parameters):
//   virtual_mailbox_limit     mbox: the whole file's limit; Maildir: the
//                             limit of one message file - or, when the
//                             quota is on, the default Maildir quota.
//   The quota is on when virtual_mailbox_limit_maps or
//   virtual_create_maildirsize is set. The per-user value (bytes; 0 = no
//   limit) from virtual_mailbox_limit_maps replaces virtual_mailbox_limit
//   with virtual_mailbox_limit_override = yes; without it, it only lowers
//   the limit. virtual_create_maildirsize keeps DIR/maildirsize,
//   virtual_mailbox_extended adds ",S=SIZE" to file names,
//   virtual_overquota_bounce bounces (5.2.2) instead of deferring (4.2.2)
//   with virtual_maildir_limit_message.
#pragma once

#include <memory>
#include <string>

#include "global/addr_find.h"
#include "global/config.h"
#include "global/mailbox_result.h"
#include "global/maildir.h"
#include "global/maps.h"
#include "global/mbox.h"

namespace virtual_agent {

// The mailbox writers are shared with local(8) (global/).
using mailbox::Message;
using mailbox::Outcome;
using mailbox::Result;

class Agent {
 public:
  // Opens the tables and reads the parameters; kFailedPrecondition for a
  // configuration the agent cannot work with (relative
  // virtual_mailbox_base, unknown lock method, malformed table list).
  static util::StatusOr<std::unique_ptr<Agent>> Create(const config::Config& cfg);

  Result Deliver(const Message& msg);

 private:
  Agent() = default;
  // Looks up a uid or gid; nullopt after deferring into *fail.
  std::optional<long long> LookupId(maps::Maps& table, std::string_view param,
                                    const std::string& key, const char* what, long long min,
                                    Result* fail);

  std::string base_;
  maps::Maps mailbox_maps_;
  maps::Maps uid_maps_;
  maps::Maps gid_maps_;
  maps::Maps limit_maps_;
  maps::AddrFindOptions find_;
  long long minimum_uid_ = 100;
  int64_t mailbox_limit_ = 0;
  bool quota_ = false;
  bool limit_override_ = false;
  mailbox::MaildirOptions maildir_;
  mailbox::MboxOptions mbox_;
};

}  // namespace virtual_agent

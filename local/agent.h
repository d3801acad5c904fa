// agent: the local(8) delivery decision for one recipient of a mydestination
// domain: aliases, .forward files, mailbox_transport, mailbox_command,
// home_mailbox or the mail spool, fallback_transport, luser_relay, as
// Postfix's local delivery agent orders them.
//
//   auto agent = Agent::Create(cfg);                 // fatal on a bad configuration
//   Delivery d; d.message = msg;
//   d.forward = ...;                                 // how to re-inject forwarded mail
//   d.pass = ...;                                    // how to hand an address to a transport
//   std::vector<Target> outcomes = (*agent)->Deliver(d);
//
// For the recipient USER[+EXT]@DOMAIN (local part folded to lower case;
// EXT split at recipient_delimiter unless owner_request_special keeps
// owner-NAME and NAME-request whole):
//  1. alias_maps: "user+ext", then "user". A found value is a list of
//     targets (global/alias_syntax.h SplitTargets), each delivered in turn:
//       |command        run (allow_mail_to_commands must list "alias")
//       /file/name      appended in mbox format (allow_mail_to_files "alias";
//                       kernel locks of mailbox_delivery_lock, no dotlock)
//       :include:/file  the file's targets (classes "include"), as its owner
//       NAME            as NAME@$myorigin (the target equal to the alias
//                       itself goes to its account, steps 2-6)
//       addr@domain     a domain of mydestination (or an address literal
//                       of this host: global/resolve_local.h) is
//                       delivered in this process, recursively from step
//                       1; any other (also NAME@$myorigin when $myorigin
//                       is not in mydestination) is forwarded through
//                       cleanup. Unlike Postfix's local, which asks
//                       trivial-rewrite, transport_maps are not consulted.
//     Commands and files of an alias run as the owner of the alias
//     database file, or default_privs when root owns it. Forwarded mail
//     (through cleanup, with "Delivered-To: RECIPIENT" first) has the
//     sender owner-ALIAS@$myorigin when that alias exists (its value with
//     expand_owner_alias), else the original sender. An unmatched
//     extension is appended to forwarded local names
//     (propagate_unmatched_extensions lists "alias").
//  2. A UNIX account (getpwnam of USER): without one, steps 3 and 5-6 are
//     skipped (mailbox_transport still applies).
//  3. forward_path ($user $home $shell $extension $recipient_delimiter
//     $local $domain $recipient, with ${name?text} and ${name:text}): the
//     first file that exists, read as the user; its targets as for
//     aliases (classes "forward", as the user); "\USER" or USER itself
//     delivers to the mailbox (a kept copy).
//     (.forward targets and commands of root run as default_privs.)
//  4. mailbox_transport_maps (key USER), else mailbox_transport: the
//     address (the recipient, or the one an alias or .forward led to) is
//     passed to that transport ("transport[:nexthop]",
//     global/deliver_pass.h), which logs and reports it (relay= its own);
//     a transport that cannot be reached defers it with relay=none ("4.3.0
//     mail transport unavailable"). A table lookup error defers ("4.3.0
//     table lookup failure"). Regexp tables get no $n substitution.
//  5. mailbox_command_maps (key USER), else mailbox_command: run as the
//     user (root: default_privs), in command_execution_directory
//     (expanded) or $HOME, with export_environment plus HOME USER LOGNAME
//     SHELL SENDER RECIPIENT LOCAL DOMAIN EXTENSION ORIGINAL_RECIPIENT;
//     command_time_limit; local_command_shell (local/command.h). In
//     $name expansions of mailbox_command and command_execution_directory,
//     characters outside command_expansion_filter become '_'.
//  6. home_mailbox ("Maildir/" is a Maildir, else a file) under $HOME,
//     else mail_spool_directory/USER (a Maildir when the directory ends in
//     "/"); mbox with mailbox_delivery_lock and mailbox_size_limit; as the
//     user (global/maildir.h, global/mbox.h).
//  7. No account: fallback_transport_maps (key USER), else
//     fallback_transport (passed as in step 4), else luser_relay (expanded
//     as forward_path; always forwarded through cleanup, where Postfix
//     delivers a local result in-process), else "postmaster" and
//     "mailer-daemon" are discarded with a warning ("required alias not
//     found"), else bounced 5.1.1 unknown user: "USER".
// prepend_delivered_header (command, file, forward): where Delivered-To:
// is written besides mailboxes, which always get it.
// Loops: each address an alias, .forward or :include: file leads to, and
// each :include: file, is one level deeper than the address or file it
// came from; past 20 levels the recipient is bounced 5.4.6 "mail
// forwarding loop for RCPT". A message that already has "Delivered-To:
// RCPT" in its header is bounced the same way before it is forwarded (and
// mailbox writes check it too). Each local address is delivered at most
// once per recipient.
//
// Alias databases are checked for changes at every lookup (newaliases
// takes effect for the next delivery; Postfix's local restarts instead).
//
// One outcome per address delivered (Target), as Postfix logs them: the
// recipient itself, or "to=<ann@host>, orig_to=<team@host>" for what an
// alias or .forward expanded to; the recipient is done when none was
// deferred (server/delivery_agent.h, global/deliver_status.h Expanded).
// Outcomes of passed addresses are `reported` by the other transport.
//
// Not implemented (warned about where set): biff (only "no"),
// local_delivery_status_filter.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "global/config.h"
#include "global/deliver_pass.h"
#include "global/mailbox_result.h"
#include "global/maildir.h"
#include "global/maps.h"
#include "global/mbox.h"
#include "global/resolve_local.h"

namespace local_agent {

// A UNIX account (getpwnam).
struct Account {
  std::string name, dir, shell;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Re-injects the message with `sender` for `recipients`, with
// "Delivered-To: delivered_to" prepended (none when it is empty:
// prepend_delivered_header without "forward"); returns the new queue ID
// or an error (the recipient is then deferred).
using ForwardFn = std::function<util::StatusOr<std::string>(
    const std::string& sender, const std::vector<std::string>& recipients,
    const std::string& delivered_to)>;

// Hands `address` to SERVICE ("transport[:nexthop]", global/deliver_pass.h).
using PassFn =
    std::function<deliver_pass::Result(const std::string& service, const std::string& address)>;

// One outcome: for `address` (the recipient as given, or an address it
// was expanded to: a user's mailbox, an alias whose command or file it
// is, the address that forwarded). `relay`: "none" for a transport that
// could not be reached, else empty (local). `reported`: the transport the
// address was passed to has logged and recorded it (result kSent: it is
// finished; kDeferred: tried again).
struct Target {
  std::string address;
  mailbox::Result result;
  std::string relay;
  bool reported = false;
};

struct Delivery {
  mailbox::Message message;  // sender, recipient (as qmgr gave it), original, content
  ForwardFn forward;
  PassFn pass;
};

class Agent {
 public:
  static util::StatusOr<std::unique_ptr<Agent>> Create(const config::Config& cfg);
  std::vector<Target> Deliver(const Delivery& d);

 private:
  struct Privs {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string user;
  };
  struct State;  // one recipient's expansion (agent.cpp)

  Agent() = default;
  void DeliverAddress(State& s, const std::string& addr, int level);
  void DeliverLocal(State& s, const std::string& local, const std::string& domain, int level);
  void DeliverTargets(State& s, const std::vector<std::string>& targets, const std::string& self,
                      const std::string& domain, const Privs& privs, const char* cls,
                      const std::string& ext, int level);
  void DeliverUser(State& s, const std::string& user, const std::string& ext,
                   const std::string& domain, int level);
  void DeliverMailbox(State& s, const std::string& user, const std::string& ext,
                      const std::string& domain);
  void DeliverUnknown(State& s, const std::string& user, const std::string& ext,
                      const std::string& domain);
  // Passes s.current to the transport of `maps` for USER, else to
  // `fallback`; false when neither names one (nothing was done).
  bool PassTo(State& s, maps::Maps& maps, const std::string& fallback, const std::string& user);
  void Forward(State& s, const std::string& addr);
  Privs AliasPrivs();
  Privs DefaultPrivs();
  // The account's IDs, or default_privs for root's .forward and commands.
  Privs UserPrivs(const Account& acct);
  bool Allowed(const std::vector<std::string>& list, const char* cls) const;

  const config::Config* cfg_ = nullptr;
  maps::Maps aliases_;
  maps::Maps mailbox_transport_maps_;
  maps::Maps fallback_transport_maps_;
  maps::Maps mailbox_command_maps_;
  std::string mailbox_transport_;
  std::string fallback_transport_;
  resolve_local::LocalDomains local_domains_;
  std::string delimiter_;
  std::string myorigin_;
  std::string forward_path_;  // raw, expanded per user
  std::string command_dir_;   // raw
  std::string mailbox_command_;
  std::string home_mailbox_;
  std::string spool_;
  std::string luser_relay_;
  std::string shell_;
  std::string default_privs_;
  std::string expansion_filter_;  // command_expansion_filter
  std::vector<std::string> export_env_;
  std::vector<std::string> to_commands_;
  std::vector<std::string> to_files_;
  std::vector<std::string> delivered_header_;
  bool propagate_alias_ext_ = false;
  bool owner_request_special_ = true;
  bool expand_owner_alias_ = false;
  long long time_limit_ = 1000;
  mailbox::MboxOptions mbox_;
  mailbox::MaildirOptions maildir_;
};

}  // namespace local_agent

// standalone: smtpd -S run by a local user (sendmail -bs runs it), as
// Postfix's smtpd(8) describes stand-alone mode: "When the SMTP server
// runs stand-alone with non $mail_owner privileges, it receives mail even
// while the mail system is not running, deposits messages directly into
// the maildrop queue, and disables the SMTP server's access policies."
//
// main.cpp decides (LocalSubmission) and then wires the same Engine with:
//   - MaildropQueue: each message goes to `postdrop -r` as a maildrop
//     record stream (global/postdrop_client.h), like sendmail's own; the
//     queue ID in the log, the Received: header and "250 2.0.0 Ok: queued
//     as ID" is the maildrop file's, and pickup gives the final one. Only
//     what a local user may set reaches the stream (global/maildrop_stream.h:
//     rewrite_context, encoding, dsn_envid, dsn_ret); the client_* and
//     helo attributes a network client's message carries are left out, as
//     are ENVID and ORCPT values postdrop would refuse.
//   - Unrestricted: every restriction stage permits; the client lists
//     (smtpd_forbid_bare_newline_exclusions, ...) are still asked of the
//     real checker when one could be built.
//   - no anvil (no connection or rate limits for a local user).
// The client of a pipe or terminal is localhost[127.0.0.1] (smtpd.h Peer).
// As root (which is not mail_owner either) it is the same; run as
// mail_owner (or as root with -u) smtpd -S is the ordinary server.
//
//   if (smtpd::LocalSubmission(cfg, standalone)) {
//     deps.open_queue = smtpd::MaildropQueue(cfg);
//     checker = smtpd::Unrestricted(std::move(real_or_null));
//   }
#pragma once

#include <functional>
#include <memory>

#include "global/config.h"
#include "smtpd/smtpd.h"
#include "smtpd/smtpd_check.h"
#include "util/status.h"

namespace smtpd {

// True for a stand-alone process whose real user ID is not mail_owner's
// (an unknown mail_owner counts as "not").
bool LocalSubmission(const config::Config& cfg, bool standalone);

// The queue of a local submission: postdrop. Errors: kUnavailable when
// postdrop cannot run or ends before creating its file (its reason).
std::function<util::StatusOr<std::unique_ptr<QueueFile>>()> MaildropQueue(
    const config::Config& cfg);

// A checker that permits every command; `inner` (may be null: nothing
// matches) answers InMynetworks and ClientMatches, except that XCLIENT and
// XFORWARD are never authorized: a local user cannot pose as another client.
std::unique_ptr<smtpd_check::Checker> Unrestricted(std::unique_ptr<smtpd_check::Checker> inner);

}  // namespace smtpd

// user_acl: who may use a command, by the login name of the real uid
// (Postfix's check_user_acl_byuid): authorized_submit_users (sendmail,
// postdrop), authorized_mailq_users and authorized_flush_users (postqueue).
// The list is a string list (domain_list Style::kString): login names,
// !name, /file, type:table ("static:anyone" matches everyone); an empty
// list matches no one. A uid without a password entry is "unknown".
//
//   util::StatusOr<bool> ok = user_acl::Allowed(cfg, "authorized_submit_users", getuid());
//   if (!ok.ok()) msg::Fatal("%s", ok.status().message().c_str());   // fail closed
//   if (!*ok) msg::FatalStatus(EX_NOPERM, "User %s(%ld) is not allowed to submit mail",
//                              user_acl::LoginName(uid).c_str(), (long) uid);
//
// Errors: a table that fails is kUnavailable, a bad list
// kFailedPrecondition; both are fatal for the caller (fail closed).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "global/config.h"
#include "util/status.h"

namespace user_acl {

// The login name of `uid`, or "unknown".
std::string LoginName(uid_t uid);

util::StatusOr<bool> Allowed(const config::Config& cfg, config::AnyParam param, uid_t uid);

// sendmail's and postdrop's check of authorized_submit_users for the real
// uid: exits (EX_NOPERM) with "User NAME(UID) is not allowed to submit
// mail", or EX_TEMPFAIL when the list cannot be evaluated.
void RequireSubmitAllowed(const config::Config& cfg);

}  // namespace user_acl

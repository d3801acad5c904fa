#include "global/user_acl.h"

#include <pwd.h>
#include <sysexits.h>
#include <unistd.h>

#include "global/domain_list.h"
#include "global/maps.h"
#include "util/msg.h"

namespace user_acl {

std::string LoginName(uid_t uid) {
  struct passwd* pw = getpwuid(uid);
  return pw != nullptr ? std::string(pw->pw_name) : std::string("unknown");
}

util::StatusOr<bool> Allowed(const config::Config& cfg, config::AnyParam param, uid_t uid) {
  std::string name = LoginName(uid);
  auto list =
      domain_list::DomainList::Parse(param.name(), cfg.Get(param), domain_list::Style::kString,
                                     /*parent_matches_subdomains=*/false, maps::TableOptions(cfg));
  if (!list.ok()) return list.status();
  util::StatusOr<bool> m = list->Match(name);
  if (!m.ok())
    return util::Unavailable(std::string(param.name()) +
                             ": table lookup problem: " + m.status().message());
  return *m;
}

void RequireSubmitAllowed(const config::Config& cfg) {
  const uid_t uid = getuid();
  util::StatusOr<bool> allowed = Allowed(cfg, "authorized_submit_users", uid);
  if (!allowed.ok()) msg::FatalStatus(EX_TEMPFAIL, "%s", allowed.status().message().c_str());
  if (!*allowed)
    msg::FatalStatus(EX_NOPERM, "User %s(%lu) is not allowed to submit mail",
                     LoginName(uid).c_str(), static_cast<unsigned long>(uid));
}

}  // namespace user_acl

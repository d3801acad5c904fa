#include "global/rewrite.h"

#include "global/address.h"

namespace rewrite {

Rules Rules::FromConfig(const config::Config& cfg) {
  Rules r;
  r.swap_bangpath = cfg.GetBool("swap_bangpath");
  r.allow_percent_hack = cfg.GetBool("allow_percent_hack");
  r.append_at_myorigin = cfg.GetBool("append_at_myorigin");
  r.append_dot_mydomain = cfg.GetBool("append_dot_mydomain");
  r.myorigin = cfg.Get("myorigin");
  r.mydomain = cfg.Get("mydomain");
  r.remote_header_rewrite_domain = cfg.Get("remote_header_rewrite_domain");
  return r;
}

bool ParseContext(std::string_view name, Context* out) {
  if (name == "local") {
    *out = Context::kLocal;
    return true;
  }
  if (name == "remote") {
    *out = Context::kRemote;
    return true;
  }
  return false;
}

std::string Rules::Rewrite(Context context, std::string_view input) const {
  std::string addr(input);
  if (addr.empty()) return addr;
  // 1. Source route: "@a,@b:user@dom".
  if (addr.front() == '@') {
    size_t colon = addr.find(':');
    if (colon != std::string::npos) addr.erase(0, colon + 1);
  }
  address::Parts p = address::Split(addr);
  // 2. Bang path "host!user" (only without a domain part).
  if (swap_bangpath && !p.has_at) {
    size_t bang = p.local.find('!');
    if (bang != std::string::npos && bang > 0 && bang + 1 < p.local.size()) {
      p.domain = p.local.substr(0, bang);
      p.local = p.local.substr(bang + 1);
      p.has_at = true;
    }
  }
  // 3. Percent hack "user%dom" (only without a domain part).
  if (allow_percent_hack && !p.has_at) {
    size_t pct = p.local.rfind('%');
    if (pct != std::string::npos && pct > 0 && pct + 1 < p.local.size()) {
      p.domain = p.local.substr(pct + 1);
      p.local = p.local.substr(0, pct);
      p.has_at = true;
    }
  }
  const std::string& origin = context == Context::kLocal ? myorigin : remote_header_rewrite_domain;
  const std::string& domain = context == Context::kLocal ? mydomain : remote_header_rewrite_domain;
  // 4. Bare user name.
  if (!p.has_at) {
    if (append_at_myorigin && !origin.empty() && !p.local.empty()) {
      p.domain = origin;
      p.has_at = true;
    }
  } else if (append_dot_mydomain && !domain.empty() && !p.domain.empty() &&
             p.domain.find('.') == std::string::npos && p.domain.front() != '[') {
    // 5. Unqualified host name.
    p.domain += "." + domain;
  }
  // 6. Trailing dot.
  while (p.has_at && p.domain.size() > 1 && p.domain.back() == '.') p.domain.pop_back();
  return p.has_at ? p.local + "@" + p.domain : p.local;
}

}  // namespace rewrite

// rewrite: the canonical-form rules of trivial-rewrite's "rewrite" service
// (Postfix's ADDRESS_REWRITING_README, rewrite(8)), as a pure function that
// cleanup uses and the trivial-rewrite daemon serves.
//
// Rule sets: "local" for envelopes and for headers of mail from local
// clients; "remote" for headers of other mail, where nothing is appended
// unless remote_header_rewrite_domain is set (and then that domain is used).
// In order:
//   1. a source route is removed:          @a,@b:user@dom -> user@dom
//   2. swap_bangpath (yes):                 host!user      -> user@host
//   3. allow_percent_hack (yes):            user%dom       -> user@dom  (no '@' present)
//   4. append_at_myorigin (yes):            user           -> user@$myorigin
//   5. append_dot_mydomain (no at level 3.6): user@host    -> user@host.$mydomain
//   6. a trailing dot is removed:           user@dom.      -> user@dom
// The empty address (the null sender) stays empty; "@" alone stays as is.
//
//   rewrite::Rules rules = rewrite::Rules::FromConfig(cfg);
//   std::string canon = rules.Rewrite(rewrite::Context::kLocal, "alice");
#pragma once

#include <string>
#include <string_view>

#include "global/config.h"

namespace rewrite {

enum class Context { kLocal, kRemote };

struct Rules {
  bool swap_bangpath = true;
  bool allow_percent_hack = true;
  bool append_at_myorigin = true;
  bool append_dot_mydomain = false;
  std::string myorigin;
  std::string mydomain;
  std::string remote_header_rewrite_domain;

  static Rules FromConfig(const config::Config& cfg);
  std::string Rewrite(Context context, std::string_view address) const;
};

// Parses a rule-set name as clients send it ("local", "remote").
bool ParseContext(std::string_view name, Context* out);

}  // namespace rewrite

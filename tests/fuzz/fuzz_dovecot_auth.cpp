// Fuzz target: what smtpd reads from Dovecot's auth server
// (global/dovecot_auth.h): the handshake (VERSION, MECH, SPID, CUID, COOKIE,
// DONE), the OK / CONT / FAIL replies, and the security-option words of
// smtpd_sasl_security_options with the mechanism filter.
//
// Input: the first line is a security-option value; the other lines are
// what the server sends: handshake lines until DONE (or an error), then
// replies.
//
// Checked: the handshake ends once (Done or Error stays); every mechanism
// name is non-empty upper-case [A-Z0-9_-]; the filter returns only known,
// non-private mechanisms; a parsed reply has an id > 0, a CONT challenge
// of base64 characters only, and user= / reason= without control
// characters (they reach log lines and SMTP replies).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "global/dovecot_auth.h"
#include "tests/fuzz/fuzz_util.h"
#include "util/base64.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  std::string_view text = in.Rest();
  bool first = true;
  dovecot_auth::Security sec;
  dovecot_auth::Handshake h;
  dovecot_auth::Handshake::State state = dovecot_auth::Handshake::State::kMore;
  for (std::string_view line : fuzz::Lines(text)) {
    if (first) {
      first = false;
      auto s = dovecot_auth::ParseSecurity(line);
      if (s.ok()) sec = *s;
      continue;
    }
    if (state == dovecot_auth::Handshake::State::kMore) {
      state = h.Feed(line);
      continue;
    }
    FUZZ_CHECK(h.Feed(line) == state);
    std::optional<dovecot_auth::Reply> r = dovecot_auth::ParseReply(line);
    if (!r) continue;
    FUZZ_CHECK(r->id > 0);
    if (r->kind == dovecot_auth::Reply::Kind::kCont) FUZZ_CHECK(util::base64::Valid(r->data));
    for (const std::string* s : {&r->user, &r->reason})
      for (char c : *s) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  }
  for (const dovecot_auth::Mech& m : h.mechs()) {
    FUZZ_CHECK(!m.name.empty());
    for (char c : m.name)
      FUZZ_CHECK(std::isupper(static_cast<unsigned char>(c)) ||
                 std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  }
  for (const std::string& name : dovecot_auth::Filter(h.mechs(), sec)) {
    bool found = false;
    for (const dovecot_auth::Mech& m : h.mechs())
      if (m.name == name && !m.private_mech) found = true;
    FUZZ_CHECK(found);
  }
  return 0;
}

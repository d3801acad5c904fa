// Fuzz target: the arguments of XFORWARD and XCLIENT as smtpd parses them
// (smtpd/smtpd_xclient.h): Parse for both commands, then Forward::Apply and
// NamAddr on what XFORWARD accepted.
//
// Input: argument lines (what follows the command word) separated by '\n'.
// Checked: what the header promises of accepted attributes: upper-case
// known names, at most 255 bytes, no control characters and none of the
// characters that break a header or a log line in names, HELO, IDENT and
// PROTO; addresses that parse; ports of at most five digits; SOURCE local
// or remote; a rejection is one 501 5.5.4 line.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtpd/smtpd_xclient.h"
#include "tests/fuzz/fuzz_util.h"
#include "util/strings.h"

namespace {

bool Clean(std::string_view v) {
  for (char ch : v) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || std::string_view(" <>()\\\";@").find(ch) != std::string_view::npos)
      return false;
  }
  return true;
}

void CheckAttr(smtpd_xclient::Kind kind, const smtpd_xclient::Attr& a) {
  FUZZ_CHECK(a.name == util::Uppercase(a.name));
  FUZZ_CHECK(a.value.size() <= 255);
  FUZZ_CHECK(a.unavailable == 0 || a.value.empty());
  if (a.unavailable) {
    FUZZ_CHECK(a.unavailable == 5 || (kind == smtpd_xclient::Kind::kXclient &&
                                      (a.name == "NAME" || a.name == "REVERSE_NAME")));
    return;
  }
  if (a.name == "ADDR" || a.name == "DESTADDR") {
    unsigned char buf[16];
    int family = a.value.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    FUZZ_CHECK(inet_pton(family, a.value.c_str(), buf) == 1);
  } else if (a.name == "PORT" || a.name == "DESTPORT") {
    FUZZ_CHECK(!a.value.empty() && a.value.size() <= 5 && util::AllDigits(a.value));
  } else if (a.name == "SOURCE") {
    FUZZ_CHECK(a.value == "local" || a.value == "remote");
  } else if (a.name == "PROTO" && kind == smtpd_xclient::Kind::kXclient) {
    FUZZ_CHECK(a.value == "SMTP" || a.value == "ESMTP");
  } else {
    FUZZ_CHECK(Clean(a.value));  // NAME, REVERSE_NAME, HELO, IDENT, PROTO, LOGIN
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  smtpd_xclient::Forward fwd;
  for (std::string_view line : fuzz::Lines(in.Rest())) {
    for (smtpd_xclient::Kind kind :
         {smtpd_xclient::Kind::kXforward, smtpd_xclient::Kind::kXclient}) {
      std::vector<smtpd_xclient::Attr> attrs;
      std::optional<std::string> bad = smtpd_xclient::Parse(kind, line, &attrs);
      if (bad) {
        FUZZ_CHECK(bad->rfind("501 5.5.4 ", 0) == 0);
        FUZZ_CHECK(bad->find('\n') == std::string::npos && bad->find('\r') == std::string::npos);
        continue;
      }
      for (const smtpd_xclient::Attr& a : attrs) CheckAttr(kind, a);
      if (kind == smtpd_xclient::Kind::kXforward) {
        fwd.Apply(attrs);
        FUZZ_CHECK(fwd.active);
        FUZZ_CHECK(Clean(fwd.name) && Clean(fwd.helo) && Clean(fwd.ident));
        for (bool port : {false, true}) FUZZ_CHECK(!util::HasControl(fwd.NamAddr(port)));
      }
    }
  }
  return 0;
}

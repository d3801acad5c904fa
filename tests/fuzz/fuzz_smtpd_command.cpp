// Fuzz target: SMTP command lines as smtpd parses them (smtpd/smtpd_proto.h):
// SplitCommand, ParsePath for MAIL FROM: and RCPT TO:, ValidAddressSyntax,
// the ESMTP parameters NOTIFY= (ParseNotify), ORCPT= (ParseOrcpt) and
// ENVID= (xtext, global/smtp_reply.h).
//
// Input: command lines separated by '\n' (a trailing '\r' is removed, as
// the line splitter does). Checked: what the header promises about accepted
// addresses and parameters.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "global/queue_file.h"
#include "global/smtp_reply.h"
#include "smtpd/smtpd_proto.h"
#include "tests/fuzz/fuzz_util.h"
#include "util/strings.h"

namespace {

bool IsWhite(char c) { return c == ' ' || c == '\t'; }

bool HasControl(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

void CheckParams(const smtpd_proto::PathArg& p) {
  for (const std::string& param : p.params) {
    FUZZ_CHECK(!param.empty());
    for (char c : param) FUZZ_CHECK(!IsWhite(c));
    std::string u = util::Uppercase(param);
    if (u.rfind("NOTIFY=", 0) == 0) {
      int bits = smtpd_proto::ParseNotify(param.substr(7));
      FUZZ_CHECK(bits >= 0 && bits <= 15);
      // NEVER stands alone.
      FUZZ_CHECK(!(bits & queue_file::kNotifyNever) || bits == queue_file::kNotifyNever);
    } else if (u.rfind("ORCPT=", 0) == 0) {
      std::optional<std::string> o = smtpd_proto::ParseOrcpt(param.substr(6));
      // "type;address", printable ASCII only: it goes into queue files and notices.
      if (o) {
        FUZZ_CHECK(o->find(';') != std::string::npos);
        FUZZ_CHECK(util::AllPrintableAscii(*o));
      }
    } else if (u.rfind("ENVID=", 0) == 0) {
      std::optional<std::string> e = smtp_reply::XTextDecode(param.substr(6));
      if (e) FUZZ_CHECK(smtp_reply::XTextDecode(smtp_reply::XText(*e)) == *e);
    }
  }
}

void CheckPath(std::string_view args, std::string_view keyword) {
  smtpd_proto::PathArg p;
  smtpd_proto::PathStatus st = smtpd_proto::ParsePath(args, keyword, &p);
  if (st != smtpd_proto::PathStatus::kOk) return;
  // "kBadAddress for ... control characters": an accepted address has none,
  // so none reaches queue files, logs or the next SMTP server.
  FUZZ_CHECK(!HasControl(p.address));
  CheckParams(p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  for (std::string_view line : fuzz::Lines(in.Rest())) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    smtpd_proto::Command c = smtpd_proto::SplitCommand(line);
    for (char ch : c.verb) FUZZ_CHECK(!IsWhite(ch));
    FUZZ_CHECK(c.args.empty() || (!IsWhite(c.args.front()) && !IsWhite(c.args.back())));
    FUZZ_CHECK(c.verb.size() + c.args.size() <= line.size());

    CheckPath(c.args, "FROM:");
    CheckPath(c.args, "TO:");

    // The documented contract of ValidAddressSyntax itself.
    if (smtpd_proto::ValidAddressSyntax(line)) FUZZ_CHECK(!HasControl(line));

    // Parameter values on their own (smtpd passes the text after '=').
    smtpd_proto::ParseNotify(line);
    std::optional<std::string> o = smtpd_proto::ParseOrcpt(line);
    if (o) FUZZ_CHECK(util::AllPrintableAscii(*o));
    // xtext both ways: encoding is reversible for any bytes.
    FUZZ_CHECK(smtp_reply::XTextDecode(smtp_reply::XText(line)) == std::string(line));
  }
  return 0;
}

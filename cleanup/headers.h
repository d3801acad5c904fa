// headers: the pure message-header knowledge of cleanup - which headers
// carry sender or recipient addresses, which are Resent- headers, where the
// addresses sit in a header value (so they can be rewritten in place,
// keeping display names, comments and folding), and the text of the
// headers cleanup adds (Date:, Message-Id:).
//
//   const HeaderInfo* h = FindHeader("Resent-To");   // kRecipient | kExtract | kResent
//   std::string v = RewriteAddresses(" Bob <bob>, carol (C)", [](std::string a) {
//     return a + "@example.com"; });                 // " Bob <bob@example.com>, carol@example.com
//     (C)"
#pragma once

#include <ctime>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cleanup {

enum HeaderFlag : unsigned {
  kHdrSender = 1u << 0,     // addresses of the sender side (From, Sender, Reply-To ...)
  kHdrRecipient = 1u << 1,  // addresses of recipients (To, Cc, Bcc ...)
  kHdrExtract = 1u << 2,    // sendmail -t takes recipients from it
  kHdrResent = 1u << 3,     // a Resent- header
};

enum class HeaderId {
  kOther,
  kFrom,
  kDate,
  kMessageId,
  kReceived,
  kTo,
  kCc,
  kBcc,
  kResentFrom,
  kResentDate,
  kResentMessageId,
  kResentTo,
  kResentCc,
  kResentBcc,
};

struct HeaderInfo {
  const char* name;
  HeaderId id;
  unsigned flags;
};

// The known header `name` (case-insensitive), or a HeaderInfo with
// id kOther and flags 0 (kHdrResent for an unknown "Resent-" header).
HeaderInfo FindHeader(std::string_view name);

// Byte ranges [begin, end) of the addr-specs in a header value: the text
// inside <...>, or a bare address without its comments; group names and
// display names are skipped, "<>" gives nothing.
struct Span {
  size_t begin = 0;
  size_t end = 0;
};
std::vector<Span> FindAddressSpans(std::string_view value);

// Replaces every address of `value` by fn(address) (both in internal form,
// see global/address.h; the result is quoted back to external form). Text
// outside the addresses is kept byte for byte.
std::string RewriteAddresses(std::string_view value,
                             const std::function<std::string(const std::string&)>& fn);

// The id part of an added Message-Id: "YYYYMMDDhhmmss.QUEUEID@HOSTNAME" (UTC).
std::string MessageIdText(time_t when, std::string_view queue_id, std::string_view hostname);

// "Full Name <addr>" (header_from_format = standard) or "addr (Full Name)"
// (obsolete); just the address without a full name. `address` is external.
std::string FromHeaderValue(std::string_view address, std::string_view full_name,
                            bool obsolete_format);

// Splits a logical header (lines joined with '\n') back into lines.
std::vector<std::string> SplitLines(std::string_view text);

}  // namespace cleanup

// base64: RFC 4648 base64 (standard alphabet, '=' padding) for the SMTP
// AUTH exchanges (RFC 4954), where the client encodes credentials and both
// sides check what the other sent.
//
//   std::string wire = util::base64::Encode(std::string("\0bob\0secret", 11));
//   std::optional<std::string> back = util::base64::Decode(wire);   // nullopt: bad input
//   if (!util::base64::Valid(text)) reply("501 5.5.2 ...");
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace util::base64 {

std::string Encode(std::string_view data);
// nullopt when `text` is not canonical base64 (bad characters, wrong
// length, padding in the middle). White space is not skipped.
std::optional<std::string> Decode(std::string_view text);
// Only base64 characters (A-Z a-z 0-9 + / =), possibly empty: the cheap
// check made before passing a client's response on (not a full Decode).
bool Valid(std::string_view text);

}  // namespace util::base64

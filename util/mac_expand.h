// mac_expand: $name expansion of templates whose names are not main.cf
// parameters (Postfix's mac_expand with a lookup of its own): local(8)'s
// $user and $home in forward_path and mailbox_command, smtpd's $client_address
// and $rbl_domain in RBL reply templates.
//
//   auto vars = [&](std::string_view name) -> std::optional<std::string> {
//     if (name == "user") return user;
//     return std::nullopt;           // not a name of this template
//   };
//   std::string s = util::MacExpand("${user?x-$user}$home", vars);
//
// Forms: $name, ${name}, $(name), ${name?text} (text when the value is not
// empty), ${name:text} (text when it is empty); text is expanded in turn;
// "$$" is a '$'.
// An unknown name (nullopt) expands to nothing and is named in *unknown
// (when given) so that the caller can warn or fall back. With
// `allowed` (Postfix's *_expansion_filter), every character of a value
// outside that set becomes '_', so a value from the network (a DNS TXT
// record, a HELO name) cannot put control characters into the result.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace util {

using MacLookup = std::function<std::optional<std::string>(std::string_view name)>;

std::string MacExpand(std::string_view text, const MacLookup& vars,
                      std::optional<std::string_view> allowed = std::nullopt,
                      std::string* unknown = nullptr);

}  // namespace util

// generic: smtp_generic_maps (generic(5)): local addresses rewritten into
// valid Internet addresses when mail leaves by SMTP, in the envelope (MAIL
// FROM, RCPT TO) and in the address headers of the message.
//
//   auto g = smtp::Generic::FromConfig(cfg, "smtp_generic_maps");
//   util::StatusOr<std::string> a = g->Map("his@localdomain.local");
//   std::string line; g->RewriteHeader("From: Him <his@localdomain.local>", &line);
//
// Lookup order (generic(5)): user@domain; then user, only when domain is
// $myorigin, $mydestination, $inet_interfaces or $proxy_interfaces; then
// @domain. The found value replaces the whole address. A lookup failure
// is kUnavailable (the delivery is deferred).
//
// Headers rewritten: From, Sender, Reply-To, To, Cc, Bcc, Resent-From,
// Resent-Sender, Resent-Reply-To, Resent-To, Resent-Cc, Resent-Bcc,
// Return-Receipt-To, Errors-To, Disposition-Notification-To,
// Mail-Followup-To, Mail-Reply-To. Only the addresses change; display
// names, comments and layout stay as they were.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "global/addr_find.h"
#include "global/config.h"
#include "global/maps.h"
#include "global/resolve_local.h"
#include "util/status.h"

namespace smtp {

class Generic {
 public:
  // An empty parameter gives a Generic whose enabled() is false.
  static util::StatusOr<Generic> FromConfig(const config::Config& cfg, config::AnyParam param);
  // For tests: a given table list and local-domain test.
  Generic(maps::Maps maps, maps::AddrFindOptions options)
      : maps_(std::move(maps)), options_(std::move(options)), enabled_(true) {}

  bool enabled() const { return enabled_; }

  // The address to send instead of `address` (internal form); the address
  // itself when nothing matches. The null sender is never rewritten.
  util::StatusOr<std::string> Map(std::string_view address);

  // Whether `name` is one of the address headers above.
  static bool IsAddressHeader(std::string_view name);
  // Rewrites the addresses of one whole header (continuation lines joined
  // with "\n"). *out gets the header, changed or not.
  util::Status RewriteHeader(std::string_view header, std::string* out);

 private:
  Generic() = default;
  maps::Maps maps_;
  maps::AddrFindOptions options_;
  bool enabled_ = false;
};

}  // namespace smtp

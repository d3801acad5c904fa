// content_checks: header_checks(5) tables, shared by cleanup
// (header_checks, mime_header_checks, nested_header_checks, body_checks)
// and the smtp client (smtp_header_checks, smtp_body_checks): the tables,
// the lookup of one header or body line, and the parsed action. What each
// action does, and the log lines, are the program's (cleanup/message.h,
// smtp/smtp_deliver.h); the smtp client supports only WARN, INFO, REPLACE,
// PREPEND, IGNORE, DUNNO and OK.
//
// A table's value is ACTION [text] (case-insensitive action):
//   REJECT [text]       the message is refused: "5.7.1 text" (a text that
//                       starts with an X.Y.Z code keeps it; default text
//                       "message content rejected")
//   WARN / INFO [text]  logged only
//   DISCARD [text]      accepted and dropped; nothing more is inspected
//   HOLD [text]         the message goes to the hold queue
//   REDIRECT addr       every recipient is replaced by addr
//   BCC addr            addr is added as a recipient
//   FILTER transport:destination   delivered through that transport
//   PREPEND text        a header (body: a line) is inserted before this one
//   REPLACE text        this header (body line) is replaced by the text
//   IGNORE              this header (body line) is removed
//   DUNNO, OK           nothing
// Anything else is logged ("unknown command in header_checks map: ...")
// and ignored, as Postfix does.
//
// The word of an action in the log lines is Action::LogName ("reject",
// "warning", "info", "discard", "hold", "redirect", "bcc", "filter",
// "prepend", "replace").
//
//   auto checks = content_checks::Checks::FromConfig(cfg, content_checks::kCleanupTables);
//   content_checks::Checks::Result r = checks.Check(content_checks::kHeader, header);
//   if (r.temp_error) defer; else act on r.action
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "global/config.h"
#include "global/maps.h"

namespace content_checks {

struct Action {
  enum class Kind {
    kNone,  // not found, DUNNO, OK, or an unknown action
    kReject,
    kWarn,
    kInfo,
    kDiscard,
    kHold,
    kRedirect,
    kBcc,
    kFilter,
    kPrepend,
    kReplace,
    kIgnore,
  };
  Kind kind = Kind::kNone;
  std::string text;  // the rest of the value, leading white space removed
  // The value as found (trimmed), and again when the action is unknown.
  std::string value;
  std::string unknown;

  // Parses a table value.
  static Action Parse(std::string_view value);
  // The word of the log line ("reject", "warning" ...).
  static const char* LogName(Kind k);
};

// Where a REJECT's text gets its DSN: "5.7.1 text" unless the text starts
// with its own X.Y.Z (then that code is used).
void RejectReason(std::string_view text, std::string* dsn, std::string* reason);

enum Table { kHeader, kMimeHeader, kNestedHeader, kBody, kTableCount };
// The parameters of each Table; "" where a program has none.
using TableNames = std::array<std::string_view, kTableCount>;
inline constexpr TableNames kCleanupTables = {"header_checks", "mime_header_checks",
                                              "nested_header_checks", "body_checks"};
inline constexpr TableNames kSmtpTables = {"smtp_header_checks", "smtp_mime_header_checks",
                                           "smtp_nested_header_checks", "smtp_body_checks"};

class Checks {
 public:
  struct Result {
    bool temp_error = false;
    Action action;
  };

  Checks() = default;
  // Opens the tables the parameters name (a bad list is fatal).
  static Checks FromConfig(const config::Config& cfg, const TableNames& names);

  bool any(Table t) const { return maps_[t] != nullptr; }
  // Looks `key` up; an unknown action is logged ("unknown command in
  // TABLE map: VALUE") and is kNone.
  Result Check(Table t, std::string_view key);
  // The parameter name of a table ("header_checks" ...).
  const char* Name(Table t) const { return names_[t].c_str(); }

 private:
  std::shared_ptr<maps::Maps> maps_[kTableCount];
  std::string names_[kTableCount];
};

}  // namespace content_checks

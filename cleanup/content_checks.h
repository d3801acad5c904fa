// content_checks: cleanup's header_checks, mime_header_checks,
// nested_header_checks and body_checks (Postfix's header_checks(5)): the
// tables, the lookup of one header or body line, the parsed action, and
// the log line every action other than DUNNO/OK/IGNORE writes.
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
// Log lines (Postfix's cleanup, as Debian's Postfix 3.7 writes them):
//   ID: ACTION: header|body CONTENT from ORIGIN; from=<S> to=<R> proto=P helo=<H>: TEXT
// with ACTION one of reject, warning, info, discard, hold, redirect, bcc,
// filter, prepend, replace; CONTENT the header or line with controls (the
// newline of a folded header) as '?', cut at 200 bytes; ORIGIN
// "host[address]" of the SMTP client or "local"; the last envelope
// recipient; proto= and helo= when known; ": TEXT" when there is a text
// (for reject the DSN code and text).
//
//   auto checks = ContentChecks::FromConfig(cfg);          // tables opened
//   ContentChecks::Result r = checks.Check(ContentChecks::kHeader, header);
//   if (r.temp_error) defer; else act on r.action
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "global/config.h"
#include "global/maps.h"

namespace cleanup {

struct ContentAction {
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
  // The value as found when the action is unknown (for the warning).
  std::string unknown;

  // Parses a table value.
  static ContentAction Parse(std::string_view value);
  // The word of the log line ("reject", "warning" ...).
  static const char* LogName(Kind k);
};

// Where a REJECT's text gets its DSN: "5.7.1 text" unless the text starts
// with its own X.Y.Z (then that code is used).
void RejectReason(std::string_view text, std::string* dsn, std::string* reason);

class ContentChecks {
 public:
  enum Table { kHeader, kMimeHeader, kNestedHeader, kBody, kTableCount };
  struct Result {
    bool temp_error = false;
    ContentAction action;
  };

  ContentChecks() = default;
  static ContentChecks FromConfig(const config::Config& cfg);

  bool any(Table t) const { return maps_[t] != nullptr; }
  Result Check(Table t, std::string_view key);
  // The parameter name of a table ("header_checks" ...).
  static const char* Name(Table t);

 private:
  std::shared_ptr<maps::Maps> maps_[kTableCount];
};

}  // namespace cleanup

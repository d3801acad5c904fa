// message: cleanup's processing of one message, record by record, as a
// state machine independent of sockets and files (the service feeds it the
// client's records; an Output receives the queue file records).
//
// Records (global/queue_file.h types) are checked for their place:
//   envelope  T "SEC USEC", A "name=value" (at most
//             queue_file_attribute_count_limit), S once and before any R,
//             [O] [o] [n] R, then M
//   content   N and L lines, then X (or E directly)
//   extra     A, [O] [o] [n] R, then E
// Anything else rejects the message with 4.3.0 "Internal protocol error"
// and the warning "ID: message rejected: WHY" (missing time or sender
// record, recipient before sender, unexpected record type ...).
//
// Envelope: the sender and every recipient are rewritten to canonical form
// and mapped (address_map.h; not with kFlagNoAddressMaps); each recipient
// is expanded by virtual_alias_maps, each result written with its original
// recipient (O: the client's O record, else the recipient as received),
// duplicates removed (same address, original, ORCPT and NOTIFY; without
// the original when enable_original_recipient = no, which still writes
// it, as Postfix 3.7 does; duplicate_filter_limit).
// An empty recipient means $empty_address_recipient. BCC recipients (not
// with kFlagNoAddressMaps or kFlagInternal): the sender_bcc_maps result right after the
// sender, each recipient_bcc_maps result right after its recipient,
// always_bcc after the content; all with NOTIFY=NEVER, as Postfix writes
// them.
//
// Headers (the lines up to the first empty or non-header line; a logical
// header is a "Name:" line plus its continuation lines):
//   - longer than header_size_limit bytes: truncated at the limit, the rest
//     of that header discarded (logged);
//   - more Received: headers than hopcount_limit: 5.4.0 "Too many hops";
//   - names in message_drop_headers (Bcc, Content-Length, Resent-Bcc,
//     Return-Path) are removed;
//   - Message-Id / Resent-Message-Id values are logged "ID: message-id=V";
//   - with kFlagExtract, the addresses of To: Cc: Bcc: become recipients,
//     or those of Resent-To: Resent-Cc: Resent-Bcc: when there are any;
//     they are processed like envelope recipients and written after the
//     content (extra section);
//   - addresses in sender and recipient headers are rewritten (local rule
//     set; remote with remote_header_rewrite_domain; not at all for remote
//     mail without it) and canonical-mapped (header_sender/header_recipient
//     classes);
//   - at the end of the headers, for local mail (or always_add_missing_headers):
//     missing (Resent-)Message-Id: <YYYYMMDDhhmmss.ID@myhostname> (logged
//     "ID: message-id=<...>"), (Resent-)Date:, (Resent-)From: (the sender,
//     with full_name per header_from_format) and, when
//     undisclosed_recipients_header is set and no recipient header exists,
//     that header. A message without Message-Id logs "ID: message-id=<>".
//     A body that does not start with an empty line gets one.
// Content checks (set_content_checks; global/content_checks.h for the actions and
// log lines): each primary header (after it is complete, before anything
// else is done with it) goes to header_checks, or mime_header_checks for a
// MIME header; each header of a MIME part or attached message to
// mime_header_checks or nested_header_checks (mime.h), each body line to
// body_checks within the first body_checks_size_limit bytes of its part.
// REJECT rejects the message (Verdict with the table's text), DISCARD and
// HOLD are told like the client's (discard(), hold_reason()), BCC adds a
// recipient after the content, REDIRECT replaces every recipient (those
// written are cancelled, the new one keeps the first original recipient),
// FILTER stores the attribute content_filter=transport:destination (qmgr
// delivers through it); a client's own content_filter attribute is dropped.
// Lines longer than a queue-file segment are passed on unchecked.
// Log lines (Postfix's cleanup, as Debian's Postfix 3.7 writes them):
//   ID: ACTION: header|body CONTENT from ORIGIN; from=<S> to=<R> proto=P helo=<H>: TEXT
// with ACTION content_checks::Action::LogName; CONTENT the header or line
// with controls (the newline of a folded header) as '?', cut at 200
// bytes; ORIGIN "host[address]" of the SMTP client or "local"; the last
// envelope recipient; proto= and helo= when known; ": TEXT" when there is
// a text (for reject the DSN code and text).
//
// Content larger than message_size_limit: 5.3.4 "Message size exceeds fixed
// limit". No recipient at all: 5.1.0 "No recipients specified".
//
// After a rejection the rest of the input is only read (until E); nothing
// more is written, and the caller discards the output.
//
//   cleanup::Message m(settings, mapper, output, flags, queue_id);
//   for (each record r) { m.Add(r); if (m.done()) break; }
//   if (m.verdict().ok()) finish the queue file; else discard it and tell.
#pragma once

#include <ctime>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <memory>

#include "cleanup/address_map.h"
#include "cleanup/headers.h"
#include "global/config.h"
#include "global/content_checks.h"
#include "global/mime.h"
#include "global/queue_file.h"
#include "util/attr.h"

namespace cleanup {

// Where the processed message goes (a queue_file::Writer in the daemon).
class Output {
 public:
  virtual ~Output() = default;
  virtual void SetArrival(long sec, long usec) = 0;
  virtual void AddAttr(std::string_view name, std::string_view value) = 0;
  virtual void SetSender(std::string_view sender) = 0;
  virtual void AddRecipient(const queue_file::Recipient& r) = 0;
  virtual void BeginContent() = 0;
  virtual void AddLine(std::string_view line) = 0;
  // The first part of a long line whose rest follows (AddSegment again or
  // AddLine): body lines are passed on in pieces, never held whole.
  virtual void AddSegment(std::string_view part) = 0;
  // Every recipient written so far is finished (marked done): REDIRECT
  // replaces them.
  virtual void CancelRecipients() = 0;
};

// The parameters cleanup's message processing uses.
struct Settings {
  long long message_size_limit = 10240000;  // 0: no limit
  long long header_size_limit = 102400;
  long long hopcount_limit = 50;
  long long duplicate_filter_limit = 1000;  // 0: no limit
  long long attribute_count_limit = 100;
  bool enable_original_recipient = true;
  bool always_add_missing_headers = false;
  bool obsolete_from_format = false;  // header_from_format = obsolete
  std::set<std::string> drop_headers = {"bcc", "content-length", "resent-bcc", "return-path"};
  std::string myhostname = "localhost";
  std::string undisclosed_recipients_header;  // e.g. "To: undisclosed-recipients:;"
  std::string empty_address_recipient = "MAILER-DAEMON";
  std::string always_bcc;
  bool remote_header_rewrite = false;  // remote_header_rewrite_domain is set
  // Content checks (content_checks.h, mime.h).
  long long body_checks_size_limit = 51200;
  bool disable_mime_input_processing = false;
  long long mime_nesting_limit = 100;
  long long mime_boundary_length_limit = 2048;

  static Settings FromConfig(const config::Config& cfg);
};

class Message {
 public:
  Message(const Settings& settings, AddressMapper& mapper, Output& out, unsigned flags,
          std::string queue_id);
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  // One record from the client.
  void Add(const util::Record& rec);
  // True once E was seen.
  bool done() const { return phase_ == Phase::kDone; }
  // Non-empty when the client asked for the hold queue (kAttrHold).
  const std::string& hold_reason() const { return hold_reason_; }
  // The client asked to drop the message (kAttrDiscard).
  bool discard() const { return discard_; }
  // Meaningful once done(): status 0 means the output is complete.
  const Verdict& verdict() const { return verdict_; }
  // The content checks to apply (none without this call); not owned.
  void set_content_checks(content_checks::Checks* checks) { checks_ = checks; }
  // A content check rejected or discarded the message (and logged it: the
  // service writes no line of its own).
  bool content_rejected() const { return content_rejected_; }
  bool content_discarded() const { return content_discarded_; }

  const std::string& sender() const { return sender_; }
  size_t recipients() const { return recipients_; }
  uint64_t content_size() const { return content_size_; }

 private:
  enum class Phase { kEnvelope, kContent, kExtra, kDone };
  enum class HeaderContext { kNone, kLocal, kRemote };
  struct Pending {
    std::string original;
    std::string orcpt;
    int notify = 0;
    bool have_original = false;
  };

  void Reject(Verdict v);
  void ProtocolError(const std::string& why);
  void Envelope(const util::Record& rec);
  void Attribute(std::string_view data);
  void Recipient(const std::string& raw, const std::string& original, const std::string& orcpt,
                 int notify, bool bcc_lookup = true);
  // A BCC recipient (always_bcc, sender/recipient_bcc_maps, BCC action):
  // its own original, NOTIFY=NEVER, no recipient_bcc_maps lookup.
  void BccRecipient(const std::string& address) {
    Recipient(address, address, "", queue_file::kNotifyNever, false);
  }
  void StartContent();
  void Line(std::string_view line);
  void AppendToHeader(std::string_view line);
  void FlushHeader();
  void EndHeaders();
  void EndContent();
  void Finish();
  std::string RewriteHeaderAddress(unsigned cls, const std::string& address);
  bool Seen(HeaderId id) const { return seen_.count(id) != 0; }

  const Settings& settings_;
  AddressMapper& mapper_;
  Output& out_;
  unsigned flags_;
  std::string queue_id_;

  Phase phase_ = Phase::kEnvelope;
  Verdict verdict_;
  bool have_time_ = false;
  long arrival_ = 0;
  bool have_sender_ = false;
  std::string sender_;
  std::string full_name_;
  std::string hold_reason_;
  bool discard_ = false;
  std::string rewrite_context_;
  HeaderContext header_context_ = HeaderContext::kLocal;
  long long attributes_ = 0;
  Pending pending_;
  std::set<std::string> dups_;
  size_t recipients_ = 0;

  // Content checks. Inspect() looks `text` up in table t and acts; false:
  // the header or line is removed (IGNORE). *text may be replaced
  // (REPLACE), *prepend gets a PREPEND's text.
  bool Inspect(content_checks::Table t, const char* what, std::string* text, std::string* prepend);
  void LogAction(const char* action, const char* what, std::string_view content,
                 std::string_view text);
  void BodyLine(std::string_view line);
  void MimeItem(const mime::Mime::Item& item);
  content_checks::Checks* checks_ = nullptr;
  std::unique_ptr<mime::Mime> mime_;  // while content checks apply
  bool inspect_done_ = false;         // DISCARD or REJECT: nothing more is inspected
  bool content_rejected_ = false;
  bool content_discarded_ = false;
  long long body_bytes_ = 0;  // of the current MIME part, for body_checks_size_limit
  std::string redirect_;
  std::string filter_;
  std::vector<std::string> bccs_;
  std::string first_original_;
  bool have_first_original_ = false;
  std::string last_recipient_;  // as received, for the log lines
  std::string client_name_, client_address_, protocol_, helo_name_;
  bool forwarded_ = false;  // log_* attributes came (XFORWARD): they win

  void ContentPiece(const util::Record& rec);
  void SpillPartial();
  uint64_t content_size_ = 0;
  std::string partial_;  // L segments of the line being received
  // The line being received is long: its first pieces went out as
  // segments (a body line), or its rest is dropped (a header, truncated
  // at header_size_limit anyway). Either way partial_ stays bounded, even
  // with message_size_limit = 0.
  bool spilled_body_ = false;
  bool dropping_header_rest_ = false;
  bool in_headers_ = true;
  bool have_header_ = false;
  bool header_truncated_ = false;
  std::string header_;  // the logical header being collected, lines joined by '\n'
  std::set<HeaderId> seen_;
  bool resent_ = false;
  long long hops_ = 0;
  std::vector<std::string> extracted_;
  std::vector<std::string> extracted_resent_;
};

}  // namespace cleanup

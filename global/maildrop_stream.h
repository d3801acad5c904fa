// maildrop_stream: the record stream of a local submission, as sendmail
// writes it to postdrop, postdrop checks it and stores it in maildrop/, and
// pickup checks it again before handing it to cleanup.
//
// The stream is a queue file without its size record (global/queue_file.h
// record types, util/attr.h record encoding), in this strict order:
//
//   T "SEC USEC"                 arrival time (postdrop replaces it by its own)
//   A "name=value" ...           only the attributes below, each at most once
//   S sender                     exactly once; empty for the null sender <>
//   [O orig] [o orcpt] [n bits] R recipient ...
//   M                            start of content
//   N line / L segment ...       content lines without their line terminator
//   X                            start of the extra section
//   A ... / [O] [o] [n] R ...    (optional)
//   E                            end; nothing may follow
//
// Attributes a local user may set (everything else is refused, so that a
// local user cannot forge client_address, sasl_username and the like):
//   rewrite_context     "local" (default) or "remote" (sendmail -G)
//   full_name           the sender's full name (sendmail -F or $NAME); cleanup
//                       uses it in the From: header it adds
//   encoding            "7bit" or "8bit" (sendmail -B 7BIT / 8BITMIME)
//   dsn_envid           RFC 3461 ENVID (sendmail -V)
//   dsn_ret             "FULL" or "HDRS" (sendmail -R)
//   extract_recipients  "yes": sendmail -t; pickup turns it into
//                       cleanup_client::kFlagExtract and does not pass it on
// A stream must name at least one recipient or ask for extraction.
//
// Validation never trusts its input: every record is checked for its place
// in the order above, its size (envelope records at most kMaxEnvelopeRecord
// bytes, content records at most queue_file::kMaxSegment) and its contents
// (addresses and attribute values without control characters).
//
//   maildrop::Validator v;
//   for each decoded record rec:
//     if (util::Status s = v.Next(rec); !s.ok()) reject(s.message());
//   if (util::Status s = v.Finish(); !s.ok()) reject(...);   // no E record yet
//
// pickup, which reads a maildrop file with queue_file::Reader, checks the
// parsed envelope with CheckEnvelope().
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "global/queue_file.h"
#include "util/attr.h"
#include "util/status.h"

namespace maildrop {

inline constexpr std::string_view kAttrRewriteContext = "rewrite_context";
inline constexpr std::string_view kAttrFullName = "full_name";
inline constexpr std::string_view kAttrEncoding = "encoding";
inline constexpr std::string_view kAttrDsnEnvid = "dsn_envid";
inline constexpr std::string_view kAttrDsnRet = "dsn_ret";
inline constexpr std::string_view kAttrExtract = "extract_recipients";

// Longest sender, recipient or attribute record.
inline constexpr size_t kMaxEnvelopeRecord = 4096;

// kInvalidArgument "attribute not allowed: NAME" or "bad NAME value: VALUE".
util::Status CheckAttr(std::string_view name, std::string_view value);
// kInvalidArgument "bad WHAT address: ..." for control characters, over-long
// or (unless allow_empty) empty addresses.
util::Status CheckAddress(std::string_view address, std::string_view what, bool allow_empty);
// Checks a parsed maildrop file: attributes, sender, recipients.
util::Status CheckEnvelope(const queue_file::Envelope& env);

class Validator {
 public:
  // Checks one record in stream order. Errors are kInvalidArgument with a
  // reason such as "unexpected record type 'C'", "record 'R' after content",
  // "missing sender record"; the validator stays failed after an error.
  util::Status Next(const util::Record& rec);
  // OK when the end record has been seen, else "missing end record".
  util::Status Finish() const;

  bool done() const { return section_ == Section::kDone; }
  bool extract() const { return extract_; }
  size_t recipients() const { return recipients_; }

 private:
  enum class Section { kBegin, kEnvelope, kContent, kExtra, kDone };
  util::Status Envelope(const util::Record& rec);

  Section section_ = Section::kBegin;
  util::Status error_;
  std::set<std::string, std::less<>> attrs_;
  bool have_sender_ = false;
  bool pending_recipient_ = false;  // O, o or n seen, R still to come
  bool pending_segment_ = false;    // L seen, N still to come
  bool extract_ = false;
  size_t recipients_ = 0;
};

}  // namespace maildrop

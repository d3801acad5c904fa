// dsn: composes the delivery status notifications (RFC 3464
// multipart/report) that the bounce daemon sends, in Postfix's style and
// with bounce(5)'s default template texts. Pure functions: no I/O, so the
// exact text is unit-tested (dsn_test.cpp).
//
// A notice is a list of lines without terminators:
//   Received: by $myhostname ($mail_name) / <TAB>id NEWID; DATE (the line
//   Postfix puts on mail it posts itself), Date, From: Mail Delivery System
//   <MAILER-DAEMON@$myhostname> (the form Postfix's cleanup gives its bounce's From: header),
//   Subject (per kind, "Postmaster Copy: ..." for postmaster copies), To, Auto-Submitted:
//   auto-replied, MIME-Version: 1.0, Content-Type: multipart/report; report-type=delivery-status;
//   boundary="ID.TIME/HOST", [Content-Transfer-Encoding: 8bit] (8-bit original, or utf8),
//   Message-Id; then three parts:
//   1. text/plain "Notification" (charset=utf-8 and 8bit with utf8, as
//      Postfix 3 with smtputf8_enable = yes; else us-ascii): the template
//      text, then one paragraph per
//      recipient "<rcpt> (expanded from <orig>): reason", wrapped at 76
//      columns with 4-space continuation lines;
//   2. message/delivery-status "Delivery report": Reporting-MTA: dns; HOST,
//      X-Postfix-Queue-ID, X-Postfix-Sender: rfc822; SENDER,
//      [Original-Envelope-Id], Arrival-Date; per recipient Final-Recipient,
//      [Original-Recipient], Action, Status, [Remote-MTA], Diagnostic-Code
//      (the remote reply, else "X-Postfix; REASON"), [Will-Retry-Until]
//      for delayed recipients;
//   3. the original, after a "Return-Path: <SENDER>" line (8bit when the
//      notice is): message/rfc822 (complete) when returning the full
//      message, else text/rfc822-headers (the header section only). Non-
//      delivery notices return the full message unless RET=HDRS or the
//      message is larger than bounce_size_limit (postconf(5)); delay and
//      success notices return the headers only, as Postfix does.
//
//   dsn::Notice n; n.kind = dsn::Kind::kFailure; n.queue_id = id; ...
//   std::vector<std::string> lines = dsn::Compose(n);
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "global/delivery_log.h"

namespace dsn {

enum class Kind { kFailure, kDelay, kSuccess };

struct Notice {
  Kind kind = Kind::kFailure;
  bool postmaster_copy = false;  // Postmaster-Subject instead of Subject
  std::string queue_id;          // of the original message
  std::string new_queue_id;      // of the notice (Message-Id)
  std::string myhostname;
  std::string mail_name = "Postfix";
  std::string to;      // the notice's recipient (To:)
  std::string sender;  // the original envelope sender
  long arrival_sec = 0;
  time_t now = 0;
  std::string dsn_envid;
  bool ret_headers = false;           // RET=HDRS
  bool eight_bit = false;             // the original's encoding attribute is 8bit
  bool utf8 = false;                  // smtputf8_enable: utf-8 templates, 8bit
  long long delay_warning_hours = 0;  // for the delay template
  long long max_queue_days = 5;       // ditto, and Will-Retry-Until
  long long bounce_size_limit = 50000;
  unsigned long long original_size = 0;
  std::vector<std::string> original;  // the original's content lines
  std::vector<delivery_log::Entry> recipients;
};

// The notice's lines (see the file comment).
std::vector<std::string> Compose(const Notice& n);

// Whether a recipient with these DSN NOTIFY bits (queue_file::DsnNotify,
// 0 = not specified) wants this kind of notice: failure when unspecified
// or FAILURE; delay when unspecified or DELAY; success only for SUCCESS;
// never with NEVER.
bool Wants(Kind kind, int dsn_notify);

// Wraps `text` into lines of at most `width` columns of text at spaces;
// lines after the first start with `indent` more spaces (not counted, as in
// Postfix's notices). Words longer than a line are kept whole.
std::vector<std::string> Wrap(std::string_view text, size_t width, size_t indent);

}  // namespace dsn

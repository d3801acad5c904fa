// mailbox_result: what a delivery agent (virtual, local) decided for one
// recipient, and the message it copies, shared by the mailbox writers
// (global/maildir.h, global/mbox.h, global/mail_copy.h) and the agents'
// per-recipient logic.
//
//   Result r = Result::Defer("4.2.0", "maildir delivery failed: ...");
//   switch (r.outcome) { case Outcome::kSent: rep.Sent(i, "virtual", r.dsn, r.text); ... }
//
// A Message names the envelope fields the agent writes into the mailbox
// (Return-Path, X-Original-To, Delivered-To, the mbox "From " line) and a
// content function that streams the queue file's content lines (without
// line terminators), as queue_file::Reader::ReadContent does.
#pragma once

#include <ctime>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "util/status.h"

namespace mailbox {

enum class Outcome { kSent, kDeferred, kBounced };

struct Result {
  Outcome outcome = Outcome::kDeferred;
  std::string dsn;   // X.Y.Z
  std::string text;  // the reason logged and put in the DSN

  static Result Sent(std::string text) { return {Outcome::kSent, "2.0.0", std::move(text)}; }
  static Result Defer(std::string dsn, std::string text) {
    return {Outcome::kDeferred, std::move(dsn), std::move(text)};
  }
  static Result Bounce(std::string dsn, std::string text) {
    return {Outcome::kBounced, std::move(dsn), std::move(text)};
  }
  // Deferred or bounced by the class digit of `dsn` ('5' bounces).
  static Result Fail(std::string dsn, std::string text) {
    bool bounce = !dsn.empty() && dsn[0] == '5';
    return {bounce ? Outcome::kBounced : Outcome::kDeferred, std::move(dsn), std::move(text)};
  }
};

using LineFn = std::function<void(std::string_view line)>;
// Calls the LineFn with every content line; a read error is the result.
using ContentFn = std::function<util::Status(const LineFn&)>;

struct Message {
  std::string sender;     // envelope sender, "" for the null sender
  std::string recipient;  // envelope recipient: Delivered-To
  std::string original;   // as given to the mail system: X-Original-To ("" = none)
  ContentFn content;
  std::time_t now = 0;  // delivery time for the mbox "From " line (0: time(nullptr))
  // false: no Delivered-To: header is written (local(8)'s
  // prepend_delivered_header without "command" or "file"); the loop check
  // against `recipient` stays.
  bool delivered_to = true;
};

// The DSN for a failed mailbox write: EDQUOT and EFBIG (over a file size
// or disk quota) are "5.2.2" (the mailbox is full: bounce), anything
// else `default_dsn`.
std::string MailboxDsn(int err, std::string_view default_dsn);

}  // namespace mailbox

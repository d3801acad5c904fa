#include "bounce/dsn.h"

#include <cstdio>

#include "global/mail_date.h"
#include "global/queue_file.h"
#include "util/strings.h"

namespace dsn {

namespace {

constexpr const char* kFailureText[] = {
    "I'm sorry to have to inform you that your message could not",
    "be delivered to one or more recipients. It's attached below.",
    "",
    "For further assistance, please send mail to postmaster.",
    "",
    "If you do so, please include this problem report. You can",
    "delete your own text from the attached returned message.",
};

constexpr const char* kSuccessText[] = {
    "Your message was successfully delivered to the destination(s)",
    "listed below. If the message was delivered to mailbox you will",
    "receive no further notifications. Otherwise you may still receive",
    "notifications of mail delivery errors from other systems.",
};

void TemplateText(const Notice& n, std::vector<std::string>* out) {
  out->push_back("This is the mail system at host " + n.myhostname + ".");
  out->push_back("");
  switch (n.kind) {
    case Kind::kFailure:
      for (const char* l : kFailureText) out->push_back(l);
      break;
    case Kind::kDelay:
      out->push_back("####################################################################");
      out->push_back("# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #");
      out->push_back("####################################################################");
      out->push_back("");
      out->push_back("Your message could not be delivered for more than " +
                     std::to_string(n.delay_warning_hours) + " hour(s).");
      out->push_back("It will be retried until it is " + std::to_string(n.max_queue_days) +
                     " day(s) old.");
      out->push_back("");
      for (size_t i = 2; i < std::size(kFailureText); ++i) out->push_back(kFailureText[i]);
      break;
    case Kind::kSuccess:
      for (const char* l : kSuccessText) out->push_back(l);
      break;
  }
  out->push_back("");
  out->push_back("                   The mail system");
}

std::string Subject(const Notice& n) {
  switch (n.kind) {
    case Kind::kFailure:
      return n.postmaster_copy ? "Postmaster Copy: Undelivered Mail"
                               : "Undelivered Mail Returned to Sender";
    case Kind::kDelay:
      return n.postmaster_copy ? "Postmaster Warning: Delayed Mail"
                               : "Delayed Mail (still being retried)";
    case Kind::kSuccess:
      return "Successful Mail Delivery Report";
  }
  return "";
}

std::string Description(const Notice& n, bool headers) {
  std::string what = n.kind == Kind::kFailure ? "Undelivered Message"
                     : n.kind == Kind::kDelay ? "Delayed Message"
                                              : "Delivered Message";
  return headers ? what + " Headers" : what;
}

}  // namespace

bool Wants(Kind kind, int notify) {
  if (notify & queue_file::kNotifyNever) return false;
  switch (kind) {
    case Kind::kFailure:
      return notify == 0 || (notify & queue_file::kNotifyFailure);
    case Kind::kDelay:
      return notify == 0 || (notify & queue_file::kNotifyDelay);
    case Kind::kSuccess:
      return (notify & queue_file::kNotifySuccess) != 0;
  }
  return false;
}

std::vector<std::string> Wrap(std::string_view text, size_t width, size_t indent) {
  std::vector<std::string> out;
  std::string line;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') ++pos;
    if (pos >= text.size()) break;
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(pos, end - pos);
    pos = end;
    // As Postfix's notices: `width` counts the text of a line, not the
    // indent of a continuation line.
    size_t lead = out.empty() ? 0 : indent;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out.push_back(std::string(lead, ' ') + line);
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty() || out.empty())
    out.push_back(std::string(out.empty() ? 0 : indent, ' ') + line);
  return out;
}

std::vector<std::string> Compose(const Notice& n) {
  std::vector<std::string> out;
  const std::string boundary =
      n.queue_id + "." + std::to_string(static_cast<long long>(n.now)) + "/" + n.myhostname;
  char stamp[32];
  {
    struct tm lt;
    localtime_r(&n.now, &lt);
    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &lt);
  }

  out.push_back("Received: by " + n.myhostname + " (" + n.mail_name + ")");
  out.push_back("\tid " + n.new_queue_id + "; " + mail_date::MailDate(n.now));
  out.push_back("Date: " + mail_date::MailDate(n.now));
  out.push_back("From: Mail Delivery System <MAILER-DAEMON@" + n.myhostname + ">");
  out.push_back("Subject: " + Subject(n));
  out.push_back("To: " + n.to);
  out.push_back("Auto-Submitted: auto-replied");
  out.push_back("MIME-Version: 1.0");
  out.push_back("Content-Type: multipart/report; report-type=delivery-status;");
  out.push_back("\tboundary=\"" + boundary + "\"");
  const bool eight_bit = n.eight_bit || n.utf8;
  if (eight_bit) out.push_back("Content-Transfer-Encoding: 8bit");
  out.push_back("Message-Id: <" + std::string(stamp) + "." + n.new_queue_id + "@" + n.myhostname +
                ">");
  out.push_back("");
  out.push_back("This is a MIME-encapsulated message.");
  out.push_back("");

  // 1. The human-readable part.
  out.push_back("--" + boundary);
  out.push_back("Content-Description: Notification");
  if (n.utf8) {
    out.push_back("Content-Type: text/plain; charset=utf-8");
    out.push_back("Content-Transfer-Encoding: 8bit");
  } else {
    out.push_back("Content-Type: text/plain; charset=us-ascii");
  }
  out.push_back("");
  TemplateText(n, &out);
  out.push_back("");
  for (const delivery_log::Entry& e : n.recipients) {
    std::string text = "<" + e.recipient + ">";
    if (!e.original_recipient.empty() && e.original_recipient != e.recipient)
      text += " (expanded from <" + e.original_recipient + ">)";
    text += ": " + e.reason;
    for (std::string& l : Wrap(text, 76, 4)) out.push_back(std::move(l));
    out.push_back("");
  }

  // 2. The machine-readable part.
  out.push_back("--" + boundary);
  out.push_back("Content-Description: Delivery report");
  out.push_back("Content-Type: message/delivery-status");
  out.push_back("");
  out.push_back("Reporting-MTA: dns; " + n.myhostname);
  out.push_back("X-Postfix-Queue-ID: " + n.queue_id);
  out.push_back("X-Postfix-Sender: rfc822; " + n.sender);
  if (!n.dsn_envid.empty()) out.push_back("Original-Envelope-Id: " + n.dsn_envid);
  out.push_back("Arrival-Date: " + mail_date::MailDate(n.arrival_sec));
  for (const delivery_log::Entry& e : n.recipients) {
    out.push_back("");
    out.push_back("Final-Recipient: rfc822; " + e.recipient);
    if (!e.dsn_orcpt.empty()) {
      out.push_back("Original-Recipient: " + e.dsn_orcpt);
    } else if (!e.original_recipient.empty()) {
      out.push_back("Original-Recipient: rfc822;" + e.original_recipient);
    }
    out.push_back("Action: " + e.action);
    out.push_back("Status: " + e.status);
    if (!e.mta_type.empty() && !e.mta_name.empty())
      out.push_back("Remote-MTA: " + e.mta_type + "; " + e.mta_name);
    std::string diag = !e.diag_type.empty() && !e.diag_text.empty()
                           ? e.diag_type + "; " + e.diag_text
                           : "X-Postfix; " + e.reason;
    std::vector<std::string> wrapped = Wrap("Diagnostic-Code: " + diag, 76, 4);
    for (std::string& l : wrapped) out.push_back(std::move(l));
    if (e.action == "delayed")
      out.push_back("Will-Retry-Until: " +
                    mail_date::MailDate(n.arrival_sec + n.max_queue_days * 86400));
  }
  out.push_back("");

  // Everything above comes from envelopes, logs and remote replies (ENVID,
  // ORCPT, addresses, reasons): no control character may reach a line of
  // the notice, which may be sent to another server.
  // (A tab stays: it is the folding white space of our own headers.)
  for (std::string& l : out)
    for (char& c : l)
      if (c != '\t' && util::IsControl(static_cast<unsigned char>(c))) c = '?';

  // 3. The original message, or its header section.
  bool headers_only = n.kind != Kind::kFailure || n.ret_headers ||
                      n.original_size > static_cast<unsigned long long>(n.bounce_size_limit);
  out.push_back("--" + boundary);
  out.push_back("Content-Description: " + Description(n, headers_only));
  out.push_back(headers_only ? "Content-Type: text/rfc822-headers"
                             : "Content-Type: message/rfc822");
  if (eight_bit) out.push_back("Content-Transfer-Encoding: 8bit");
  out.push_back("");
  out.push_back("Return-Path: <" + n.sender + ">");
  for (const std::string& l : n.original) {
    if (headers_only && l.empty()) break;
    out.push_back(l);
  }
  out.push_back("");
  out.push_back("--" + boundary + "--");
  return out;
}

}  // namespace dsn

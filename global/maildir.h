// maildir: delivery of one message into a qmail Maildir, shared by the
// virtual(8) and local(8) agents, with the VDA patch's Maildir++ quota
// (virtual only: local passes no quota).
//
//   MaildirOptions o; o.hostname = SafeHostname(); o.file_limit = 51200000;
//   Result r = DeliverMaildir(msg, "/var/spool/virtual/example.jp/bob/", o);
//
// Steps: create DIR/{tmp,new,cur} (mode 0700) when missing; write the
// message (copy.h, Maildir style) to tmp/ under a unique name
// "SEC.M<usec>P<pid>Q<n>.HOST"; fsync it; with a quota, check
// the Maildir++ usage (maildir_quota.h) plus this message's size against
// the limit; link it into new/ as "SEC.M<usec>P<pid>Q<n>.HOST[,S=SIZE]"
// (",S=" with `extended_names`, the Maildir++ size attribute that lets
// readers compute quota from the name); remove the tmp/ name; fsync new/
// (unless queue_device says the journal orders it);
// with maildirsize upkeep, append the message's line to DIR/maildirsize.
// The tmp/ file is removed on every failure.
//
// Outcomes (texts as Postfix's):
//   sent      2.0.0 "delivered to maildir"
//   loop      5.4.6 "mail forwarding loop for RCPT" (bounced)
//   errors    "maildir delivery failed: create maildir file PATH: ERROR",
//             "maildir delivery failed: error writing message: ERROR",
//             "maildir delivery failed: link to PATH: ERROR"; DSN 5.2.2
//             (bounce) for EDQUOT/EFBIG (over the file size limit or the
//             disk quota), else 4.2.0 (defer: disk full, permissions...)
//   quota     virtual_maildir_limit_message as "5.2.2" (bounce) with
//             overquota_bounce, else "4.2.2" (defer)
#pragma once

#include <sys/types.h>  // dev_t

#include <cstdint>
#include <string>

#include "global/mailbox_result.h"

namespace mailbox {

struct MaildirOptions {
  std::string hostname;     // for unique names (SafeHostname())
  uint64_t file_limit = 0;  // maximal size of one message file, 0 = none
  // Maildir++ quota (VDA patch). quota_limit > 0 turns the check on.
  int64_t quota_limit = 0;
  bool create_maildirsize = false;  // keep DIR/maildirsize up to date
  bool extended_names = false;      // ",S=SIZE" in the new/ name
  bool overquota_bounce = false;
  std::string limit_message =
      "Sorry, the user's maildir has overdrawn his diskspace quota, please try again later.";
  // The queue's file system when its journal commits names in order
  // (QueueDevice()). A Maildir on that same file system gets no sync of
  // new/: the queue file's update after the delivery is reported never
  // reaches the disk without the new name. 0: new/ is always synced.
  dev_t queue_device = 0;
};

// st_dev of `queue_directory` when its file system's journal commits names
// in order (util::JournalOrdersNames), else (or when it cannot be read) 0.
dev_t QueueDevice(const std::string& queue_directory);

// The system's host name with '/' and ':' written as "\057" and "\072",
// as the Maildir specification asks.
std::string SafeHostname(std::string_view host);

// Delivers `msg` into `dir` (a path that may end in '/').
Result DeliverMaildir(const Message& msg, const std::string& dir, const MaildirOptions& options);

}  // namespace mailbox

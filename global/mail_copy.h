// mail_copy: writes one message into an open mailbox file the way Postfix's
// delivery agents do (mail_copy): the envelope headers first, then the
// queue file's content, with mbox quoting when asked.
//
//   FileWriter w(fd, /*limit=*/51200000);          // 0 = no size limit
//   CopyResult c = CopyMessage(msg, CopyStyle::kMbox, &w);
//   if (c.loop) ... "mail forwarding loop" ...;
//   else if (c.err) ... errno c.err, c.what names the step ...;
//
// What is written:
//   kMbox:    "From SENDER  Www Mmm dd hh:mm:ss yyyy" (MAILER-DAEMON for
//             the null sender), Return-Path: <SENDER>, X-Original-To:
//             (when known), Delivered-To: RECIPIENT, the content with
//             ">" before lines that begin with "From ", and one empty line.
//   kMaildir: the same without the "From " line, quoting and empty line.
//   kCommand: the "From " line, then as kMaildir (local(8) commands).
// Every line ends in "\n"; 8-bit content is copied byte for byte.
//
// Loop detection: a Delivered-To: header in the message's own header
// (before the first empty line) whose value equals the recipient, case
// insensitively, stops the copy with `loop` set; the caller discards what
// was written and bounces (5.4.6).
//
// FileWriter buffers writes to a descriptor and enforces a size limit on
// the bytes it writes, starting at `start` (the file's size before the
// copy, for mbox files): a write that would pass the limit fails with
// EFBIG, as Postfix's file size limit does, and nothing past it is written.
#pragma once

#include <cstdint>
#include <string>

#include "global/mailbox_result.h"

namespace mailbox {

class FileWriter {
 public:
  FileWriter(int fd, uint64_t limit, uint64_t start = 0) : fd_(fd), limit_(limit), size_(start) {}
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Appends; false (and err() set) after the first error.
  bool Write(std::string_view data);
  // Writes out the buffer.
  bool Flush();
  int err() const { return err_; }
  // Bytes accepted so far plus `start`.
  uint64_t size() const { return size_; }

 private:
  int fd_;
  uint64_t limit_;
  uint64_t size_;
  std::string buf_;
  int err_ = 0;
};

enum class CopyStyle { kMbox, kMaildir, kCommand };

struct CopyResult {
  bool loop = false;  // Delivered-To loop found
  int err = 0;        // errno of the first write or read failure
  std::string
      what;  // Postfix's wording: "error writing message: ..." / "error reading message: ..."
};

// Whether the message's own header has "Delivered-To: RCPT" (any case),
// the loop test of CopyMessage, for agents that forward (local(8)).
util::StatusOr<bool> HasDeliveredTo(const Message& msg, std::string_view rcpt);

// Copies `msg` through `w` (flushed at the end). Does not sync.
CopyResult CopyMessage(const Message& msg, CopyStyle style, FileWriter* w);

}  // namespace mailbox

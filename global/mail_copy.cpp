#include "global/mail_copy.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <ctime>

#include "util/strings.h"

namespace mailbox {

std::string MailboxDsn(int err, std::string_view default_dsn) {
  if (err == EDQUOT || err == EFBIG) return "5.2.2";
  return std::string(default_dsn);
}

bool FileWriter::Write(std::string_view data) {
  if (err_) return false;
  if (limit_ > 0 && size_ + data.size() > limit_) {
    err_ = EFBIG;
    return false;
  }
  size_ += data.size();
  buf_.append(data);
  if (buf_.size() >= 64 * 1024) return Flush();
  return true;
}

bool FileWriter::Flush() {
  if (err_) return false;
  size_t off = 0;
  while (off < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      err_ = errno;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  buf_.clear();
  return true;
}

namespace {

// Whether `line` is a Delivered-To: header naming `rcpt`.
bool IsDeliveredToFor(std::string_view line, std::string_view rcpt) {
  constexpr std::string_view kName = "delivered-to:";
  if (line.size() < kName.size() || !util::EqualsIgnoreCase(line.substr(0, kName.size()), kName))
    return false;
  return util::EqualsIgnoreCase(util::Trim(line.substr(kName.size())), rcpt);
}

}  // namespace

util::StatusOr<bool> HasDeliveredTo(const Message& msg, std::string_view rcpt) {
  bool in_header = true, found = false;
  util::Status read = msg.content([&](std::string_view line) {
    if (!in_header) return;
    if (line.empty())
      in_header = false;
    else if (IsDeliveredToFor(line, rcpt))
      found = true;
  });
  if (!read.ok()) return read;
  return found;
}

CopyResult CopyMessage(const Message& msg, CopyStyle style, FileWriter* w) {
  CopyResult r;
  bool mbox = style == CopyStyle::kMbox;
  std::string head;
  if (mbox || style == CopyStyle::kCommand) {
    std::time_t now = msg.now ? msg.now : std::time(nullptr);
    char date[64];
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
    head += "From " + (msg.sender.empty() ? std::string("MAILER-DAEMON") : msg.sender) + "  " +
            date + "\n";
  }
  head += "Return-Path: <" + msg.sender + ">\n";
  if (!msg.original.empty()) head += "X-Original-To: " + msg.original + "\n";
  if (msg.delivered_to) head += "Delivered-To: " + msg.recipient + "\n";
  w->Write(head);
  bool in_header = true;
  bool loop = false;
  util::Status read = msg.content([&](std::string_view line) {
    if (loop || w->err()) return;
    if (in_header) {
      if (line.empty()) {
        in_header = false;
      } else if (IsDeliveredToFor(line, msg.recipient)) {
        loop = true;
        return;
      }
    }
    if (mbox && line.substr(0, 5) == "From ") w->Write(">");
    w->Write(line);
    w->Write("\n");
  });
  if (loop) {
    r.loop = true;
    return r;
  }
  if (!read.ok()) {
    r.err = EIO;
    r.what = "error reading message: " + read.message();
    return r;
  }
  if (mbox) w->Write("\n");
  w->Flush();
  if (w->err()) {
    r.err = w->err();
    r.what = std::string("error writing message: ") + strerror(r.err);
  }
  return r;
}

}  // namespace mailbox

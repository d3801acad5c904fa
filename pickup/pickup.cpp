#include "pickup/pickup.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "global/maildrop_stream.h"
#include "global/queue_file.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/strings.h"

namespace pickup {
namespace {

enum class Outcome { kQueued, kKeep, kStop, kCorrupt };

// Moves a maildrop file to corrupt/ without ever replacing a file there.
void MoveToCorrupt(const mail_queue::Layout& layout, const std::string& id,
                   const std::string& why) {
  std::string from = layout.Path(mail_queue::kMaildrop, id);
  std::string to = layout.Path(mail_queue::kCorrupt, id);
  // The file belongs to the submitting user, so link(2) may be refused
  // (protected_hardlinks); rename without replacing instead.
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    msg::Warn("maildrop/%s: %s; cannot move it to corrupt/: %s", id.c_str(), why.c_str(),
              strerror(errno));
    return;
  }
  msg::Warn("maildrop/%s: %s; moved to corrupt/%s", id.c_str(), why.c_str(), id.c_str());
}

Outcome PickupFile(const mail_queue::Layout& layout, const std::string& id, const OpenCleanup& open,
                   const std::string& content_filter, std::string* why) {
  std::string path = layout.Path(mail_queue::kMaildrop, id);
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return Outcome::kKeep;  // gone meanwhile
  auto reader = queue_file::Reader::Open(path);
  if (!reader.ok()) {
    // Not ready, gone meanwhile, or not yet readable (postdrop's chmod).
    if (reader.status().code() == util::Code::kUnavailable) return Outcome::kKeep;
    if (!util::FileExists(path) || access(path.c_str(), R_OK) != 0) return Outcome::kKeep;
    *why = reader.status().message();
    return Outcome::kCorrupt;
  }
  const queue_file::Envelope& env = reader->envelope();
  if (util::Status s = maildrop::CheckEnvelope(env); !s.ok()) {
    *why = "invalid maildrop file: " + s.message();
    return Outcome::kCorrupt;
  }
  unsigned flags = cleanup_client::kFlagLocal | cleanup_client::kFlagBounce;
  if (env.Attr(maildrop::kAttrExtract)) flags |= cleanup_client::kFlagExtract;

  auto client = open(flags);
  if (!client.ok()) {
    msg::Warn("maildrop/%s: cleanup service is unavailable: %s", id.c_str(),
              client.status().message().c_str());
    return Outcome::kStop;
  }
  cleanup_client::CleanupClient& c = **client;
  msg::Info("%s: uid=%lu from=<%s>", c.queue_id().c_str(), static_cast<unsigned long>(st.st_uid),
            env.sender.c_str());
  c.Arrival(env.arrival_sec, env.arrival_usec);
  // content_filter (FILTER_README): before the file's own attributes, so a
  // header check's FILTER in cleanup still wins.
  if (!content_filter.empty()) c.Attr(cleanup_client::kAttrFilter, content_filter);
  for (const auto& [name, value] : env.attrs) {
    if (name != maildrop::kAttrExtract) c.Attr(name, value);
  }
  c.Sender(env.sender);
  for (const queue_file::Recipient& r : env.recipients) {
    if (!r.done) c.Recipient(r);
  }
  c.BeginContent();
  util::Status s = reader->ReadContent([&](std::string_view line) { c.Line(line); });
  if (!s.ok()) {  // dropping the client without Finish() discards the message
    *why = s.message();
    return Outcome::kCorrupt;
  }
  auto result = c.Finish();
  if (!result.ok()) {
    msg::Warn("maildrop/%s: cleanup failed: %s", id.c_str(), result.status().message().c_str());
    return Outcome::kStop;
  }
  if (result->status == 0) {
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
      msg::Warn("remove maildrop/%s: %s", id.c_str(), strerror(errno));
    return Outcome::kQueued;
  }
  if (result->status == 4) {
    msg::Warn("maildrop/%s: cleanup deferred the message: %s %s; will retry", id.c_str(),
              result->dsn.c_str(), result->reason.c_str());
    return Outcome::kKeep;
  }
  *why = util::StrFormat("message rejected by cleanup: %s %s", result->dsn.c_str(),
                         result->reason.c_str());
  return Outcome::kCorrupt;
}

}  // namespace

ScanStats ScanMaildrop(const mail_queue::Layout& layout, const OpenCleanup& open,
                       const std::string& content_filter) {
  ScanStats stats;
  auto ids = mail_queue::ListQueue(layout, mail_queue::kMaildrop);
  if (!ids.ok()) {
    msg::Warn("scan maildrop: %s", ids.status().message().c_str());
    return stats;
  }
  for (const std::string& id : *ids) {
    if (!queue_file::Reader::IsReady(layout.Path(mail_queue::kMaildrop, id))) continue;
    std::string why;
    switch (PickupFile(layout, id, open, content_filter, &why)) {
      case Outcome::kQueued:
        ++stats.queued;
        break;
      case Outcome::kKeep:
        ++stats.kept;
        break;
      case Outcome::kCorrupt:
        ++stats.corrupt;
        MoveToCorrupt(layout, id, why);
        break;
      case Outcome::kStop:
        ++stats.kept;
        return stats;
    }
  }
  return stats;
}

}  // namespace pickup

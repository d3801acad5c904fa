#include "postsuper/operations.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "global/cleanup_client.h"
#include "global/delivery_log.h"
#include "global/queue_file.h"
#include "util/fd.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/strings.h"

namespace postsuper {
namespace {

constexpr std::string_view kBase52 = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
// A temporary name of mail_queue::CreateQueueFile lives for microseconds:
// one this old is left over from a crash.
constexpr time_t kTempFileAge = 60;
// Postfix's age limit for leftovers (MAX_TEMP_AGE): one day.
constexpr time_t kIncompleteAge = 24 * 60 * 60;

// Creates the hash directories of `path` when missing.
void MakeParent(const mail_queue::Layout& layout, std::string_view queue, const std::string& path) {
  std::string dir = util::Dirname(path);
  if (dir != layout.QueueDir(queue)) util::MakeDirs(dir, 0700);
}

bool IsShortId(std::string_view id) {
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
}

// The name a message file with this name and inode should have.
std::string WantedId(const mail_queue::Layout& layout, const std::string& id, ino_t ino) {
  if (IsShortId(id)) return id.substr(0, 5) + util::StrFormat("%llX", (unsigned long long)ino);
  if (layout.long_ids) return id.substr(0, 10) + mail_queue::LongId(0, 0, ino).substr(10);
  // Long name, short IDs wanted: keep the microseconds (characters 6..9).
  unsigned usec = 0;
  for (size_t i = 6; i < 10; ++i) usec = usec * 52 + static_cast<unsigned>(kBase52.find(id[i]));
  return mail_queue::ShortId(usec, ino);
}

struct Entry {
  std::string path;  // absolute
  std::string rel;   // relative to queue_directory, for messages
  std::string name;
  struct stat st;
};

// Every regular file under queue (any depth up to 4), and the directories
// (deepest first) in *dirs.
std::vector<Entry> Walk(const mail_queue::Layout& layout, std::string_view queue,
                        std::vector<std::pair<std::string, int>>* dirs) {
  std::vector<Entry> out;
  std::vector<std::pair<std::string, int>> todo = {{std::string(queue), 0}};
  while (!todo.empty()) {
    auto [rel, level] = todo.back();
    todo.pop_back();
    std::string dir = layout.queue_directory + "/" + rel;
    DIR* d = opendir(dir.c_str());
    if (!d) {
      if (errno != ENOENT) msg::Warn("open directory %s: %s", dir.c_str(), strerror(errno));
      continue;
    }
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      Entry en;
      en.path = dir + "/" + name;
      en.rel = rel + "/" + name;
      en.name = name;
      if (lstat(en.path.c_str(), &en.st) < 0) continue;
      if (S_ISDIR(en.st.st_mode)) {
        if (level < 4) {
          todo.emplace_back(en.rel, level + 1);
          if (dirs) dirs->emplace_back(en.path, level + 1);
        }
      } else if (S_ISREG(en.st.st_mode)) {
        out.push_back(std::move(en));
      }
    }
    closedir(d);
  }
  if (dirs) {
    std::stable_sort(dirs->begin(), dirs->end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
  }
  return out;
}

}  // namespace

bool IdOk(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return isalnum(static_cast<unsigned char>(c)) != 0; });
}

std::vector<std::string> Operations::List(std::string_view queue) {
  auto ids = mail_queue::ListQueue(layout_, queue);
  if (!ids.ok()) {
    if (ids.status().code() != util::Code::kNotFound)
      msg::Warn("%s", ids.status().message().c_str());
    return {};
  }
  std::sort(ids->begin(), ids->end());
  return *ids;
}

void Operations::RemoveLogs(const std::string& id) {
  for (std::string_view q : mail_queue::LogQueues()) {
    if (util::Status st = delivery_log::Remove(layout_, q, id); !st.ok())
      msg::Warn("%s", st.message().c_str());
  }
}

bool Operations::RemoveFrom(std::string_view q, const std::string& id, bool named, Totals* t) {
  if (unlink(layout_.Path(q, id).c_str()) == 0) {
    ++t->changed;
    if (named) msg::Info("%s: removed", id.c_str());
    return true;
  }
  if (errno != ENOENT) {
    msg::Warn("remove %s/%s: %s", std::string(q).c_str(), id.c_str(), strerror(errno));
    t->errors = true;
  }
  return false;
}

void Operations::Delete(const std::vector<std::string_view>& queues, const std::string& id,
                        bool named, Totals* t, std::string_view listed_in) {
  bool removed = !listed_in.empty() && RemoveFrom(listed_in, id, named, t);
  if (!removed)
    for (std::string_view q : queues)
      if (q != listed_in) removed |= RemoveFrom(q, id, named, t);
  if (removed) RemoveLogs(id);
}

bool Operations::Move(std::string_view from, std::string_view to, const std::string& id,
                      Totals* t) {
  std::string src = layout_.Path(from, id);
  std::string dst = layout_.Path(to, id);
  MakeParent(layout_, to, dst);
  if (util::RenameNoReplace(src, dst) == 0) return true;
  if (errno == ENOENT) return false;
  msg::Warn("rename %s/%s to %s/%s: %s", std::string(from).c_str(), id.c_str(),
            std::string(to).c_str(), id.c_str(), strerror(errno));
  t->errors = true;
  return false;
}

void Operations::Hold(const std::vector<std::string_view>& queues, const std::string& id,
                      bool named, Totals* t) {
  for (std::string_view q : queues) {
    if (q == mail_queue::kHold) continue;
    if (Move(q, mail_queue::kHold, id, t)) {
      ++t->changed;
      if (named) msg::Info("%s: placed on hold", id.c_str());
      return;
    }
  }
}

void Operations::Release(const std::vector<std::string_view>& queues, const std::string& id,
                         bool named, Totals* t) {
  for (std::string_view q : queues) {
    if (q == mail_queue::kDeferred) continue;
    if (Move(q, mail_queue::kDeferred, id, t)) {
      ++t->changed;
      if (named) msg::Info("%s: released from hold", id.c_str());
      return;
    }
  }
}

void Operations::Expire(const std::vector<std::string_view>& queues, const std::string& id,
                        bool named, bool release, Totals* t, Totals* released) {
  for (std::string_view q : queues) {
    std::string path = layout_.Path(q, id);
    struct stat st;
    if (lstat(path.c_str(), &st) < 0) {
      if (errno == ENOENT) continue;
      msg::Warn("expire file %s: %s", path.c_str(), strerror(errno));
      t->errors = true;
      return;
    }
    if (!S_ISREG(st.st_mode)) continue;
    // A file expired already is not counted again (as Postfix).
    if (!(st.st_mode & mail_queue::kStatExpire)) {
      if (chmod(path.c_str(), (st.st_mode & 07777) | mail_queue::kStatExpire) < 0) {
        if (errno == ENOENT) continue;  // moved meanwhile
        msg::Warn("expire file %s: cannot set permission: %s", path.c_str(), strerror(errno));
        t->errors = true;
        return;
      }
      ++t->changed;
      if (named) msg::Info("%s: expired", id.c_str());
    }
    if (release && q == mail_queue::kHold && Move(q, mail_queue::kDeferred, id, released)) {
      ++released->changed;
      if (named) msg::Info("%s: released from hold", id.c_str());
    }
    return;
  }
}

void Operations::Requeue(const std::vector<std::string_view>& queues, const std::string& id,
                         bool named, Totals* t) {
  if (cleanup_down_) return;
  for (std::string_view q : queues) {
    std::string path = layout_.Path(q, id);
    util::Fd lock(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!lock) {
      if (errno == ENOENT) continue;
      msg::Warn("open %s/%s: %s", std::string(q).c_str(), id.c_str(), strerror(errno));
      t->errors = true;
      return;
    }
    if (flock(lock.get(), LOCK_EX | LOCK_NB) < 0) {
      msg::Warn("%s: not requeued: the queue manager is delivering it; try again later",
                id.c_str());
      t->errors = true;
      return;
    }
    auto reader = queue_file::Reader::Open(path);
    if (!reader.ok()) {
      if (reader.status().code() == util::Code::kNotFound) continue;
      msg::Warn("%s: not requeued: %s", id.c_str(), reader.status().message().c_str());
      t->errors = true;
      return;
    }
    const queue_file::Envelope& env = reader->envelope();
    if (env.LiveRecipients() == 0) {
      msg::Warn("%s: not requeued: no recipients left", id.c_str());
      return;
    }
    auto client = cleanup_client::CleanupClient::Open(cfg_, cleanup_client::kFlagNone);
    if (!client.ok()) {
      msg::Warn("%s: not requeued: cleanup service unavailable: %s", id.c_str(),
                client.status().message().c_str());
      t->errors = true;
      cleanup_down_ = true;  // do not try every other message
      return;
    }
    cleanup_client::CleanupClient& c = **client;
    c.Arrival(env.arrival_sec, env.arrival_usec);
    for (const auto& [name, value] : env.attrs) c.Attr(name, value);
    c.Sender(env.sender);
    for (const queue_file::Recipient& r : env.recipients)
      if (!r.done) c.Recipient(r);
    c.BeginContent();
    util::Status st = reader->ReadContent([&](std::string_view line) { c.Line(line); });
    if (!st.ok()) {
      msg::Warn("%s: not requeued: %s", id.c_str(), st.message().c_str());
      t->errors = true;
      return;  // dropping the client without Finish: cleanup discards
    }
    auto result = c.Finish();
    if (!result.ok() || result->status != 0) {
      std::string why =
          result.ok() ? result->dsn + " " + result->reason : std::string(result.status().message());
      msg::Warn("%s: not requeued: %s", id.c_str(), why.c_str());
      t->errors = true;
      return;
    }
    // The copy is durable: only now remove the original. A crash in
    // between leaves both (a duplicate, never a loss).
    if (unlink(path.c_str()) < 0 && errno != ENOENT)
      msg::Warn("remove %s/%s: %s", std::string(q).c_str(), id.c_str(), strerror(errno));
    RemoveLogs(id);
    ++t->changed;
    if (named) msg::Info("%s: requeued", id.c_str());
    return;
  }
}

int Operations::CheckStructure(Totals* t) {
  int renamed = 0;
  std::vector<std::string_view> queues = {mail_queue::kMaildrop, mail_queue::kIncoming,
                                          mail_queue::kActive, mail_queue::kDeferred,
                                          mail_queue::kHold};
  for (std::string_view q : mail_queue::LogQueues()) queues.push_back(q);
  for (std::string_view queue : queues) {
    bool message_queue = std::find(mail_queue::LogQueues().begin(), mail_queue::LogQueues().end(),
                                   queue) == mail_queue::LogQueues().end();
    std::vector<std::pair<std::string, int>> dirs;
    for (Entry& e : Walk(layout_, queue, &dirs)) {
      if (e.name.rfind(".tmp.", 0) == 0) continue;  // -p's business
      if (!mail_queue::IsValidId(e.name)) {
        msg::Warn("bogus file name: %s", e.rel.c_str());
        continue;
      }
      // A file not ready yet may be being written under this very name
      // (cleanup reports the ID to its client): hands off; -p deals with
      // old ones.
      if (message_queue && !(e.st.st_mode & S_IXUSR)) continue;
      std::string id = e.name;
      std::string current = e.path;
      if (message_queue) {
        std::string want = WantedId(layout_, id, e.st.st_ino);
        if (want != id) {
          std::string dst = layout_.Path(queue, want);
          MakeParent(layout_, queue, dst);
          if (util::RenameNoReplace(current, dst) < 0) {
            msg::Warn("rename %s as %s: %s", e.rel.c_str(), want.c_str(), strerror(errno));
            t->errors = true;
            continue;
          }
          msg::Info("%s: renamed to %s to match its inode number", e.rel.c_str(), want.c_str());
          for (std::string_view lq : mail_queue::LogQueues()) {
            std::string from = layout_.Path(lq, id), to = layout_.Path(lq, want);
            MakeParent(layout_, lq, to);
            if (util::RenameNoReplace(from, to) < 0 && errno != ENOENT)
              msg::Warn("rename %s as %s: %s", from.c_str(), to.c_str(), strerror(errno));
          }
          ++renamed;
          continue;  // now in its right place
        }
      }
      std::string right = layout_.Path(queue, id);
      if (right != current) {
        MakeParent(layout_, queue, right);
        if (util::RenameNoReplace(current, right) < 0) {
          msg::Warn("rename %s as %s: %s", e.rel.c_str(), right.c_str(), strerror(errno));
          t->errors = true;
        }
      }
    }
    // Subdirectories the current layout does not use (hash_queue_depth or
    // hash_queue_names changed) are removed once empty. Directories the
    // layout uses stay: a writer may be about to put a file there.
    for (const auto& [dir, level] : dirs) {
      bool used =
          layout_.IsHashed(queue) && level <= layout_.hash_depth && util::Basename(dir).size() == 1;
      if (!used) rmdir(dir.c_str());  // fails harmlessly unless empty
    }
  }
  return renamed;
}

void Operations::Purge(Totals* t) {
  time_t now = time(nullptr);
  time_t incomplete_age = std::max<time_t>(kIncompleteAge, cfg_.GetTime("daemon_timeout") + 3600);
  for (std::string_view queue : {mail_queue::kMaildrop, mail_queue::kIncoming, mail_queue::kActive,
                                 mail_queue::kDeferred, mail_queue::kHold}) {
    for (Entry& e : Walk(layout_, queue, nullptr)) {
      bool temp = e.name.rfind(".tmp.", 0) == 0;
      bool remove = false;
      if (temp) {
        // A second link means the file already has its queue ID name.
        remove = e.st.st_nlink > 1 || e.st.st_mtime < now - kTempFileAge;
      } else if (mail_queue::IsValidId(e.name) && !(e.st.st_mode & S_IXUSR)) {
        remove = e.st.st_mtime < now - incomplete_age;
      }
      if (!remove) continue;
      if (unlink(e.path.c_str()) < 0) {
        if (errno != ENOENT) {
          msg::Warn("remove %s: %s", e.rel.c_str(), strerror(errno));
          t->errors = true;
        }
        continue;
      }
      msg::Warn(temp ? "removed temporary file: %s" : "removed incomplete queue file: %s",
                e.rel.c_str());
    }
  }
}

}  // namespace postsuper

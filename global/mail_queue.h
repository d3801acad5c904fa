// mail_queue: queue names, queue IDs and queue file paths.
//
// Queues (directories under queue_directory): maildrop incoming active
// deferred hold corrupt, and the per-message logs defer bounce trace. A
// queue listed in hash_queue_names (default "deferred, defer") spreads its
// files over hash_queue_depth levels of one-character subdirectories taken
// from the start of the queue ID ("deferred/A/A1B2C3D4E5").
//
// Queue IDs are derived, like Postfix's, from the arrival time's
// microseconds and the file's inode number, which together are unique in
// one queue while the file exists:
//   short (default):  5 upper-case hex digits of microseconds + the inode in
//                     hex: "3F2A1B2C"       (scripts grep ^[0-9A-F]+)
//   long (enable_long_queue_ids = yes): seconds and microseconds in base 52,
//                     'z', the inode in base 51: "4QkQpJ1Ydqz4Rs2"
// CreateQueueFile() makes a file whose name never replaces an existing
// one. Where the system allows it the file starts unnamed (O_TMPFILE): its
// inode decides the ID, and the writer gives it that name only when it is
// complete and synced (LinkUnnamed), so nobody ever sees it half-written
// and a crash leaves nothing behind; creating it also takes no lock on the
// directory, which cleanup, qmgr and the listing tools share. Elsewhere it
// is created under a temporary name and renamed (without replacing) to its
// ID at once, and the queue file's ready bit tells when it is complete.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "util/fd.h"
#include "util/status.h"

namespace mail_queue {

inline constexpr std::string_view kMaildrop = "maildrop";
inline constexpr std::string_view kIncoming = "incoming";
inline constexpr std::string_view kActive = "active";
inline constexpr std::string_view kDeferred = "deferred";
inline constexpr std::string_view kHold = "hold";
inline constexpr std::string_view kCorrupt = "corrupt";
inline constexpr std::string_view kDefer = "defer";
inline constexpr std::string_view kBounce = "bounce";
inline constexpr std::string_view kTrace = "trace";

// The queue file mode bit that asks for forced expiration (postsuper -e
// and -f; Postfix's group execute bit): qmgr returns such a message to its
// sender at its next attempt instead of delivering it. The owner execute
// bit is the ready bit (queue_file.h).
inline constexpr mode_t kStatExpire = 0010;

// Message queues (hold queue files) and log queues (hold per-message logs).
const std::vector<std::string_view>& MessageQueues();
const std::vector<std::string_view>& LogQueues();

// Queue layout of one instance, from main.cf.
struct Layout {
  std::string queue_directory;
  int hash_depth = 1;               // hash_queue_depth
  std::vector<std::string> hashed;  // hash_queue_names
  bool long_ids = false;            // enable_long_queue_ids
  // New files start unnamed where the system allows it (CreateQueueFile);
  // false forces the temporary-name way everywhere (tests of that way).
  bool unnamed_files = true;

  // The layout main.cf describes (queue_directory, hash_queue_depth,
  // hash_queue_names, enable_long_queue_ids).
  static Layout FromConfig(const config::Config& cfg);

  bool IsHashed(std::string_view queue) const;
  // queue_directory/QUEUE
  std::string QueueDir(std::string_view queue) const;
  // queue_directory/QUEUE[/h1[/h2]]/ID
  std::string Path(std::string_view queue, std::string_view id) const;
  // The hash subdirectory part for an ID ("A/1" for depth 2), possibly "".
  std::string HashDirs(std::string_view queue, std::string_view id) const;
};

// Short and long IDs; the characters each form may contain.
std::string ShortId(unsigned usec, ino_t inode);
std::string LongId(long sec, unsigned usec, ino_t inode);
bool IsValidId(std::string_view id);

// A newly created, empty queue file (mode 0600: not yet ready, see
// queue_file.h), under its final name or still unnamed.
struct NewFile {
  util::Fd fd;
  std::string id;
  std::string path;      // its name, or the name LinkUnnamed will give it
  bool unnamed = false;  // not in the directory yet
};
// Creates a queue file in `queue`, creating hash subdirectories as needed.
util::StatusOr<NewFile> CreateQueueFile(const Layout& layout, std::string_view queue);
// Names an unnamed file (NewFile::unnamed); fails with EEXIST rather than
// replace anything.
util::Status LinkUnnamed(int fd, const std::string& path);

// Every queue ID in a queue (walking hash subdirectories), unordered; file
// names that are not queue IDs are skipped (postsuper -s reports them).
util::StatusOr<std::vector<std::string>> ListQueue(const Layout& layout, std::string_view queue);
// The parts of a queue a scan can list one at a time, in the order of the
// IDs they hold: the top-level hash subdirectories of a hashed queue
// ("0".."F"), {""} (the whole queue) for another. ListPart lists one part
// ("": the whole queue); with due_by >= 0 only the files whose
// modification time (a deferred file's retry time) is at most due_by, and
// files that cannot be examined (whoever opens them decides). A scan of a
// large queue then keeps a part, and only what is due, in memory at a time
// and starts feeding after the first.
std::vector<std::string> QueueParts(const Layout& layout, std::string_view queue);
util::StatusOr<std::vector<std::string>> ListPart(const Layout& layout, std::string_view queue,
                                                  const std::string& part, time_t due_by);

}  // namespace mail_queue

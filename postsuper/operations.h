// operations: what postsuper does to the queue (postsuper/main.cpp has the
// command line and the messages' contract).
//
// Moves between queues are rename(2)s that never replace an existing file
// (renameat2 RENAME_NOREPLACE), so a message is always in exactly one
// queue and nothing is overwritten. LOCKING, the contract with qmgr:
//   - qmgr holds flock(2) LOCK_EX on a queue file for as long as the
//     message is in its memory (from taking it into active/ until it is
//     moved back to deferred/ or removed), and takes that lock with
//     LOCK_NB *before* moving a file from incoming/ or deferred/ into
//     active/: a file it cannot lock is left for its next scan.
//   - qmgr treats ENOENT when it renames or removes active/ID as "moved or
//     removed by postsuper" and forgets the message (delivery agents that
//     still hold the file open update the same inode through their
//     descriptor, so recipients they mark done stay done wherever the
//     file went).
//   - postsuper -d and -h act on active files even while qmgr holds them
//     (as Postfix: deletion is what the administrator asked for; a held
//     file keeps the done marks of deliveries that finish meanwhile).
//   - postsuper -r takes the lock (LOCK_NB) for the whole re-injection: a
//     file qmgr is delivering is skipped with a warning (re-injecting it
//     then could deliver twice), and qmgr cannot pick the file up while it
//     is being copied.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "global/mail_queue.h"

namespace postsuper {

// Per-operation outcome counts, and whether anything failed.
struct Totals {
  int changed = 0;
  bool errors = false;
};

class Operations {
 public:
  Operations(const config::Config& cfg, mail_queue::Layout layout)
      : cfg_(cfg), layout_(std::move(layout)) {}

  // One message by ID (`named`: say "ID: removed" etc.) or every message
  // (ALL) in `queues`. Delete acts on every queue holding the ID; the others
  // on the first. For ALL, `listed_in` is the queue the ID was listed in:
  // Delete removes it there alone (ALL visits every other queue anyway, one
  // failed unlink per queue and message is what made it slow), and only if
  // it has gone from there meanwhile (moved) looks in the others.
  void Delete(const std::vector<std::string_view>& queues, const std::string& id, bool named,
              Totals* t, std::string_view listed_in = {});
  void Hold(const std::vector<std::string_view>& queues, const std::string& id, bool named,
            Totals* t);
  void Release(const std::vector<std::string_view>& queues, const std::string& id, bool named,
               Totals* t);
  void Requeue(const std::vector<std::string_view>& queues, const std::string& id, bool named,
               Totals* t);
  // -e (release = false) and -f: sets the forced-expiration bit
  // (mail_queue::kStatExpire) on the first file found, "ID: expired" (not
  // for a file that has it already); -f
  // also moves a held message into deferred/ ("ID: released from hold",
  // counted in *released).
  void Expire(const std::vector<std::string_view>& queues, const std::string& id, bool named,
              bool release, Totals* t, Totals* released);

  // -s: structure check and repair; returns the number of files renamed to
  // match their inode.
  int CheckStructure(Totals* t);
  // -p: removes leftover temporary files and old incomplete queue files.
  void Purge(Totals* t);

  // The IDs in `queue` (sorted), for ALL.
  std::vector<std::string> List(std::string_view queue);

 private:
  bool Move(std::string_view from, std::string_view to, const std::string& id, Totals* t);
  void RemoveLogs(const std::string& id);
  // Removes `id` from queue `q` (says so when `named`): false when it was
  // not there, or could not be removed (a warning, t->errors).
  bool RemoveFrom(std::string_view q, const std::string& id, bool named, Totals* t);

  const config::Config& cfg_;
  mail_queue::Layout layout_;
  bool cleanup_down_ = false;
};

// Whether `id` may name a queue file (letters and digits, as Postfix's
// mail_queue_id_ok): anything else could be a path.
bool IdOk(std::string_view id);

}  // namespace postsuper

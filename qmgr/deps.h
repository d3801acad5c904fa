// deps: everything qmgr reaches outside its own memory, behind small
// interfaces, so that tests drive the queue manager with fakes and a fake
// clock (as smtpd::Deps does for smtpd). Production implementations are in
// deps.cpp; main.cpp wires them:
//
//   auto prod = qmgr::ProductionDeps::Create(cfg, loop);
//   qmgr::QueueManager manager(cfg, prod->deps());
//
//   QueueStore  the queue directory: list a queue; take a file (lock it,
//               rename it into active/, read it); read it again; move it to
//               deferred/ with its retry time, remove it, or move it to
//               corrupt/; read and remove a message's delivery logs.
//   Clock       Now() and timers (the event loop's in production).
//   Notices     the bounce side: bounce_client::Request for non-delivery,
//               delay and success notices, and the defer/ and bounce/ log
//               entries qmgr writes itself (deliver_status::Reporter).
//   Resolve     trivial-rewrite's resolve (global/resolve_client.h), a
//               batch in one round trip.
//   Agents      the delivery agents: one global/deliver_request.h request
//               on private/TRANSPORT, its reply delivered later from the
//               event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "global/bounce_client.h"
#include "global/config.h"
#include "global/deliver_request.h"
#include "global/delivery_log.h"
#include "global/queue_file.h"
#include "global/resolve_client.h"
#include "util/event_loop.h"
#include "util/status.h"

namespace qmgr {

class QueueStore {
 public:
  // A file taken into active/: locked for as long as the object lives.
  class File {
   public:
    virtual ~File() = default;
  };
  enum class TakeResult {
    kTaken,
    kSkipped,  // gone, not due yet, not ready: nothing to do
    kBusy,     // locked by someone else or still being delivered: look again soon
  };

  virtual ~QueueStore() = default;
  // Whether the taken file asks for forced expiration (postsuper -e/-f:
  // mail_queue::kStatExpire).
  virtual bool ExpireRequested(File& file) {
    (void)file;
    return false;
  }
  // The IDs in `queue`, in any order.
  virtual util::StatusOr<std::vector<std::string>> List(std::string_view queue) = 0;
  // The parts of `queue` a scan lists one at a time (mail_queue::QueueParts;
  // {""}: the whole queue), and one part's IDs: all of them, or with `due`
  // those whose retry time has come by `now` (and any that cannot be
  // examined; Take decides), so a scan of a large deferred queue keeps
  // only what is due in memory.
  virtual std::vector<std::string> Parts(std::string_view queue) = 0;
  virtual util::StatusOr<std::vector<std::string>> ListPart(std::string_view queue,
                                                            const std::string& part, bool due,
                                                            double now) = 0;
  // Takes `queue`/`id` into active/: only a regular file with its ready
  // bit, whose retry time (mtime) has come unless `all`, that nobody else
  // has locked. *file holds the lock when kTaken.
  virtual TakeResult Take(std::string_view queue, const std::string& id, bool all, double now,
                          std::unique_ptr<File>* file) = 0;
  // Reads the taken file (through the descriptor held). Errors:
  // kInvalidArgument for a corrupt file, others for I/O.
  virtual util::StatusOr<queue_file::Envelope> ReadTaken(const std::string& id, File& file) = 0;
  // Reads active/`id` again (done marks agents wrote). kNotFound when it was
  // moved or removed meanwhile.
  virtual util::StatusOr<queue_file::Envelope> Read(const std::string& id) = 0;
  // Moves active/`id` to corrupt/.
  virtual util::Status MoveToCorrupt(const std::string& id) = 0;
  // Syncs the done marks an agent left unsynced (kFlagLastDelivery).
  virtual util::Status Sync(const std::string& id, File& file) = 0;
  // Sets the retry time (mtime) and moves active/`id` to deferred/. kNotFound
  // when the file is gone.
  virtual util::Status Defer(const std::string& id, File& file, double retry_time) = 0;
  // Removes active/`id`. kNotFound when it was gone already.
  virtual util::Status Remove(const std::string& id) = 0;
  // Done with a file; `removed`: it was unlinked, so the last close frees
  // its inode (production closes it on a thread of its own).
  virtual void Release(std::unique_ptr<File> file, bool removed) = 0;

  // The message's delivery log in `log_queue` (defer, bounce, trace): when
  // it was last written (nullopt when there is none), its entries, removal.
  virtual std::optional<double> LogTime(std::string_view log_queue, const std::string& id) = 0;
  virtual util::StatusOr<std::vector<delivery_log::Entry>> ReadLog(std::string_view log_queue,
                                                                   const std::string& id) = 0;
  virtual void RemoveLog(std::string_view log_queue, const std::string& id) = 0;
};

class Clock {
 public:
  using Handle = util::EventLoop::Handle;
  static constexpr Handle kNoHandle = util::EventLoop::kNoHandle;
  virtual ~Clock() = default;
  // Seconds since the epoch.
  virtual double Now() = 0;
  // Runs `cb` once after `delay` (0: on the next turn of the loop).
  virtual Handle After(std::chrono::milliseconds delay, std::function<void()> cb) = 0;
  virtual Handle Every(std::chrono::milliseconds interval, std::function<void()> cb) = 0;
  virtual void Cancel(Handle handle) = 0;
};

class Notices {
 public:
  virtual ~Notices() = default;
  // bounce_client::Request on active/`id`: kUnavailable when the bounce
  // service could not do it.
  virtual util::Status Notify(bounce_client::Notice kind, const std::string& id) = 0;
  // Reports every recipient of `req` deferred (or bounced) with `dsn` and
  // `reason`: the log line, the defer/ (bounce/) log entry, and for a
  // bounce the done mark. An error when the queue file cannot be opened
  // (the recipients stay live).
  virtual util::Status Report(const deliver_request::Request& req, double now, bool bounce,
                              const std::string& dsn, const std::string& reason) = 0;
};

class Agents {
 public:
  // The agent's reply; an error (its message says what happened: "T service
  // is not available: ...", "lost connection with T service (it
  // crashed?)", "malformed reply from T service: ...") when there is none.
  using Done = std::function<void(util::StatusOr<deliver_request::Reply>)>;
  virtual ~Agents() = default;
  // Sends `req` to private/`transport`; `done` runs later from the event
  // loop, once. An error when the request could not be sent (then `done`
  // never runs).
  virtual util::Status Send(const std::string& transport, const deliver_request::Request& req,
                            Done done) = 0;
};

using Resolve = std::function<std::vector<util::StatusOr<resolve_client::ResolveResult>>(
    const std::vector<resolve_client::ResolveClient::Query>&)>;

// All required; they must outlive the QueueManager.
// Descriptors qmgr keeps for everything but queue files: connections to
// delivery agents, trivial-rewrite and bounce, listeners, the log.
inline constexpr size_t kReservedFds = 256;

struct Deps {
  QueueStore* store = nullptr;
  Clock* clock = nullptr;
  Notices* notices = nullptr;
  Resolve resolve;
  Agents* agents = nullptr;
  // Each message in memory holds its queue file open (and locked): at
  // most this many are taken, whatever qmgr_message_active_limit says
  // (0: no bound). ProductionDeps: the open-file limit less kReservedFds.
  size_t max_open_files = 0;
};

// The real thing: the queue directory of `cfg`, the event loop, the bounce
// and trivial-rewrite services, private/TRANSPORT sockets.
class ProductionDeps {
 public:
  static std::unique_ptr<ProductionDeps> Create(const config::Config& cfg, util::EventLoop* loop);
  virtual ~ProductionDeps() = default;
  virtual Deps deps() = 0;
};

}  // namespace qmgr

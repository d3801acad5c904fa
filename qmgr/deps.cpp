#include "qmgr/deps.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "global/deliver_status.h"
#include "global/flush_client.h"
#include "global/mail_queue.h"
#include "util/attr.h"
#include "util/fd.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/process.h"
#include "util/sockets.h"

namespace qmgr {
namespace {

// A file's modification time in seconds, nullopt when it is not there.
std::optional<double> Mtime(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
}

util::Status ErrnoStatus(const std::string& what) {
  int e = errno;
  std::string text = what + ": " + strerror(e);
  return e == ENOENT ? util::NotFound(text) : util::Unavailable(text);
}

// Closes the descriptors of removed queue files on a thread of its own.
// The last close of an unlinked file frees its inode and blocks (with
// online discard, the freed blocks are discarded synchronously): in the
// one qmgr process that would hold up every delivery; Postfix has the
// delivery agent, which still holds the file, pay for it. The lock goes
// with the close, which is harmless: the file has no name any more.
class Closer {
 public:
  Closer() : thread_([this] { Run(); }) {}
  ~Closer() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Close(util::Fd fd) {
    int raw = fd.release();
    if (raw < 0) return;
    bool was_idle;
    {
      std::lock_guard<std::mutex> l(mu_);
      was_idle = fds_.empty();
      fds_.push_back(raw);
    }
    if (was_idle) cv_.notify_one();
  }

 private:
  // Woken by the first descriptor, the thread collects for kBatch more
  // before closing them all: one wake-up per batch instead of a context
  // switch away from qmgr's loop per message.
  static constexpr std::chrono::milliseconds kBatch{10};
  void Run() {
    for (;;) {
      std::vector<int> batch;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [this] { return stop_ || !fds_.empty(); });
        if (!stop_) cv_.wait_for(l, kBatch, [this] { return stop_; });
        if (fds_.empty()) return;  // stopped, nothing left
        batch.swap(fds_);
      }
      for (int fd : batch) close(fd);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> fds_;
  bool stop_ = false;
  std::thread thread_;
};

class DiskFile : public QueueStore::File {
 public:
  explicit DiskFile(util::Fd fd) : fd(std::move(fd)) {}
  util::Fd fd;  // holds the lock
};

class DiskStore : public QueueStore {
 public:
  explicit DiskStore(const config::Config& cfg) : layout_(mail_queue::Layout::FromConfig(cfg)) {}

  util::StatusOr<std::vector<std::string>> List(std::string_view queue) override {
    return mail_queue::ListQueue(layout_, queue);
  }

  std::vector<std::string> Parts(std::string_view queue) override {
    return mail_queue::QueueParts(layout_, queue);
  }

  util::StatusOr<std::vector<std::string>> ListPart(std::string_view queue, const std::string& part,
                                                    bool due, double now) override {
    // Take's test: due when the mtime is not after now (whole seconds).
    return mail_queue::ListPart(layout_, queue, part, due ? static_cast<time_t>(now) : -1);
  }

  TakeResult Take(std::string_view queue, const std::string& id, bool all, double now,
                  std::unique_ptr<File>* file) override {
    std::string path = layout_.Path(queue, id);
    int raw = open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) return TakeResult::kSkipped;
    util::Fd fd(raw);
    struct stat st;
    if (fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode)) return TakeResult::kSkipped;
    if (!all && st.st_mtime > static_cast<time_t>(now)) return TakeResult::kSkipped;  // not yet
    // Still being written (queue_file.h's ready bit).
    if (!(st.st_mode & S_IXUSR)) return TakeResult::kSkipped;
    if (flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
      // postsuper has it, or the qmgr before us (draining after a reload)
      // still holds it: an active/ file is looked at again soon.
      return queue == mail_queue::kActive ? TakeResult::kBusy : TakeResult::kSkipped;
    }
    if (queue_file::DeliveryInProgress(fd.get())) {
      // An agent of an earlier qmgr (before a reload or a crash) is still
      // delivering it: taking it now would deliver it twice. Look again soon.
      msg::Info("%s: skipped, still being delivered", id.c_str());
      return TakeResult::kBusy;
    }
    if (queue != mail_queue::kActive) {
      if (util::RenameNoReplace(path, layout_.Path(mail_queue::kActive, id)) < 0) {
        if (errno != ENOENT)
          msg::Warn("%s: move %s to active: %s", id.c_str(), std::string(queue).c_str(),
                    strerror(errno));
        return TakeResult::kSkipped;
      }
    }
    *file = std::make_unique<DiskFile>(std::move(fd));
    return TakeResult::kTaken;
  }

  util::StatusOr<queue_file::Envelope> ReadTaken(const std::string& id, File& file) override {
    // Read through the descriptor we hold (no second path lookup).
    std::string active = layout_.Path(mail_queue::kActive, id);
    util::Fd copy(dup(static_cast<DiskFile&>(file).fd.get()));
    auto reader = copy ? queue_file::Reader::FromFd(std::move(copy), active)
                       : queue_file::Reader::Open(active);
    if (!reader.ok()) return reader.status();
    return reader->envelope();
  }

  bool ExpireRequested(File& file) override {
    struct stat st;
    return fstat(static_cast<DiskFile&>(file).fd.get(), &st) == 0 &&
           (st.st_mode & mail_queue::kStatExpire) != 0;
  }

  util::StatusOr<queue_file::Envelope> Read(const std::string& id) override {
    auto reader = queue_file::Reader::Open(layout_.Path(mail_queue::kActive, id));
    if (!reader.ok()) return reader.status();
    return reader->envelope();
  }

  util::Status MoveToCorrupt(const std::string& id) override {
    std::string corrupt = layout_.Path(mail_queue::kCorrupt, id);
    util::MakeDirs(util::Dirname(corrupt), 0700);
    if (util::RenameNoReplace(layout_.Path(mail_queue::kActive, id), corrupt) < 0)
      return util::Unavailable(strerror(errno));
    return util::Status();
  }

  util::Status Sync(const std::string&, File& file) override {
    return util::FsyncFile(static_cast<DiskFile&>(file).fd.get());
  }

  util::Status Defer(const std::string& id, File& file, double retry_time) override {
    struct timespec times[2];
    times[0].tv_sec = static_cast<time_t>(retry_time);
    times[0].tv_nsec = 0;
    times[1] = times[0];
    if (futimens(static_cast<DiskFile&>(file).fd.get(), times) < 0)
      msg::Warn("%s: set the retry time: %s", id.c_str(), strerror(errno));
    std::string to = layout_.Path(mail_queue::kDeferred, id);
    std::string dir = util::Dirname(to);
    if (dir != layout_.QueueDir(mail_queue::kDeferred)) util::MakeDirs(dir, 0700);
    if (util::RenameNoReplace(layout_.Path(mail_queue::kActive, id), to) < 0)
      return ErrnoStatus("move to deferred");
    return util::Status();
  }

  util::Status Remove(const std::string& id) override {
    std::string path = layout_.Path(mail_queue::kActive, id);
    if (unlink(path.c_str()) < 0) return ErrnoStatus("remove " + path);
    return util::Status();
  }

  void Release(std::unique_ptr<File> file, bool removed) override {
    if (removed && file) closer_.Close(std::move(static_cast<DiskFile&>(*file).fd));
    // Otherwise the close (with the lock) happens here.
  }

  std::optional<double> LogTime(std::string_view log_queue, const std::string& id) override {
    return Mtime(delivery_log::Path(layout_, log_queue, id));
  }
  util::StatusOr<std::vector<delivery_log::Entry>> ReadLog(std::string_view log_queue,
                                                           const std::string& id) override {
    return delivery_log::Read(delivery_log::Path(layout_, log_queue, id));
  }
  void RemoveLog(std::string_view log_queue, const std::string& id) override {
    (void)delivery_log::Remove(layout_, log_queue, id);
  }

  const mail_queue::Layout& layout() const { return layout_; }

 private:
  mail_queue::Layout layout_;
  Closer closer_;
};

class LoopClock : public Clock {
 public:
  explicit LoopClock(util::EventLoop* loop) : loop_(loop) {}
  double Now() override {
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    return tv.tv_sec + tv.tv_usec / 1e6;
  }
  Handle After(std::chrono::milliseconds delay, std::function<void()> cb) override {
    return loop_->AddTimer(delay, std::move(cb));
  }
  Handle Every(std::chrono::milliseconds interval, std::function<void()> cb) override {
    return loop_->AddPeriodic(interval, std::move(cb));
  }
  void Cancel(Handle handle) override { loop_->Cancel(handle); }

 private:
  util::EventLoop* loop_;
};

class BounceNotices : public Notices {
 public:
  BounceNotices(const config::Config& cfg, const mail_queue::Layout& layout)
      : cfg_(cfg), layout_(layout) {}
  util::Status Notify(bounce_client::Notice kind, const std::string& id) override {
    return bounce_client::Request(cfg_, kind, mail_queue::kActive, id);
  }
  util::Status Report(const deliver_request::Request& req, double now, bool bounce,
                      const std::string& dsn, const std::string& reason) override {
    // qmgr is mail_owner, as the bounce daemon: it appends the logs itself
    // rather than wait on the bounce service inside its event loop.
    auto rep = deliver_status::Reporter::Open(
        layout_, req, now,
        [this](std::string_view q, const std::string& id, const delivery_log::Entry& e) {
          util::Status st = delivery_log::Append(layout_, q, id, e);
          if (st.ok() && q == mail_queue::kDefer) flush_client::NoteDeferred(cfg_, e.recipient, id);
          return st;
        });
    if (!rep.ok()) return rep.status();
    for (size_t i = 0; i < req.recipients.size(); i++) {
      if (bounce)
        rep->Bounced(i, "none", dsn, reason);
      else
        rep->Deferred(i, "none", dsn, reason);
    }
    return util::Status();
  }

 private:
  const config::Config& cfg_;
  const mail_queue::Layout& layout_;
};

// One request on private/TRANSPORT, answered without blocking the loop.
class SocketAgents : public Agents {
 public:
  SocketAgents(util::EventLoop* loop, std::string queue_directory)
      : loop_(loop), queue_directory_(std::move(queue_directory)) {}
  util::Status Send(const std::string& transport, const deliver_request::Request& req,
                    Done done) override {
    std::string path = queue_directory_ + "/private/" + transport;
    auto fd = util::ConnectUnix(path, std::chrono::seconds(5));
    if (!fd.ok())
      return util::Unavailable(transport + " service is not available: " + fd.status().message());
    if (util::Status st = util::WriteAll(fd->get(), deliver_request::Encode(req), path); !st.ok())
      return util::Unavailable(transport + " service is not available: " + st.message());
    uint64_t id = next_++;
    auto f = std::make_unique<Flight>();
    f->transport = transport;
    f->fd = std::move(*fd);
    f->done = std::move(done);
    f->watch = loop_->WatchRead(f->fd.get(), [this, id] { OnReadable(id); });
    flights_[id] = std::move(f);
    return util::Status();
  }

 private:
  struct Flight {
    std::string transport;
    util::Fd fd;
    util::EventLoop::Handle watch = util::EventLoop::kNoHandle;
    util::AttrDecoder dec;
    Done done;
  };

  void OnReadable(uint64_t id) {
    auto it = flights_.find(id);
    if (it == flights_.end()) return;
    Flight& f = *it->second;
    char buf[4096];
    ssize_t n = read(f.fd.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
      End(id, util::Unavailable("lost connection with " + f.transport + " service (it crashed?)"));
      return;
    }
    f.dec.Feed(std::string_view(buf, static_cast<size_t>(n)));
    util::AttrList l;
    util::StatusOr<bool> got = f.dec.Next(&l);
    if (got.ok() && !*got) return;
    if (!got.ok()) {
      End(id, util::Unavailable("malformed reply from " + f.transport +
                                " service: " + got.status().message()));
      return;
    }
    auto reply = deliver_request::ParseReply(l);
    if (!reply.ok()) {
      End(id, util::Unavailable("malformed reply from " + f.transport +
                                " service: " + reply.status().message()));
      return;
    }
    End(id, std::move(*reply));
  }

  void End(uint64_t id, util::StatusOr<deliver_request::Reply> result) {
    auto it = flights_.find(id);
    std::unique_ptr<Flight> f = std::move(it->second);
    flights_.erase(it);
    loop_->Cancel(f->watch);
    f->fd = util::Fd();
    f->done(std::move(result));
  }

  util::EventLoop* loop_;
  std::string queue_directory_;
  uint64_t next_ = 1;
  std::map<uint64_t, std::unique_ptr<Flight>> flights_;
};

class Production : public ProductionDeps {
 public:
  Production(const config::Config& cfg, util::EventLoop* loop)
      : store_(cfg),
        clock_(loop),
        notices_(cfg, store_.layout()),
        resolver_(cfg),
        agents_(loop, store_.layout().queue_directory) {
    size_t limit = util::RaiseOpenLimit();
    if (limit != SIZE_MAX)
      max_open_files_ = limit > 2 * kReservedFds ? limit - kReservedFds : limit / 2;
  }
  Deps deps() override {
    Deps d;
    d.store = &store_;
    d.clock = &clock_;
    d.notices = &notices_;
    d.resolve = [this](const std::vector<resolve_client::ResolveClient::Query>& q) {
      return resolver_.ResolveMany(q);
    };
    d.agents = &agents_;
    d.max_open_files = max_open_files_;
    return d;
  }

 private:
  DiskStore store_;
  LoopClock clock_;
  BounceNotices notices_;
  resolve_client::ResolveClient resolver_;
  SocketAgents agents_;
  size_t max_open_files_ = 0;
};

}  // namespace

std::unique_ptr<ProductionDeps> ProductionDeps::Create(const config::Config& cfg,
                                                       util::EventLoop* loop) {
  return std::make_unique<Production>(cfg, loop);
}

}  // namespace qmgr

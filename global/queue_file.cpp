#include "global/queue_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>

#include "util/attr.h"
#include "util/files.h"
#include "util/strings.h"

namespace queue_file {
namespace {

// Fixed width so that the size record can be rewritten in place.
constexpr const char* kSizeFormat = "%15" PRIu64 " %15" PRIu64 " %15" PRIu64 " %15" PRIu64;

util::Status Corrupt(const std::string& path, const std::string& why) {
  return util::InvalidArgument("corrupt queue file " + path + ": " + why);
}

// Calls fn(record, offset) for each record from `start` until fn returns
// false. Reaching the end of the file first is an error (truncated file).
util::Status ScanRecords(int fd, const std::string& path, uint64_t start,
                         const std::function<bool(const util::Record&, uint64_t)>& fn) {
  util::RecordDecoder dec(kMaxSegment + 1024);
  uint64_t pos = start;
  char buf[65536];
  util::Record rec;
  for (;;) {
    for (;;) {
      uint64_t offset = start + dec.consumed();
      auto got = dec.Next(&rec);
      if (!got.ok()) return Corrupt(path, got.status().message());
      if (!*got) break;
      if (!fn(rec, offset)) return util::OkStatus();
    }
    ssize_t n = pread(fd, buf, sizeof buf, static_cast<off_t>(pos));
    if (n < 0) {
      if (errno == EINTR) continue;
      return util::ErrnoStatus(errno, "read " + path);
    }
    if (n == 0) return Corrupt(path, "unexpected end of file (no end record)");
    pos += static_cast<uint64_t>(n);
    dec.Feed(std::string_view(buf, static_cast<size_t>(n)));
  }
}

}  // namespace

std::optional<std::string_view> Envelope::Attr(std::string_view name) const {
  for (const auto& [n, v] : attrs) {
    if (n == name) return v;
  }
  return std::nullopt;
}

size_t Envelope::LiveRecipients() const {
  size_t n = 0;
  for (const Recipient& r : recipients) n += !r.done;
  return n;
}

// ---- Writer ----

util::StatusOr<Writer> Writer::Create(const mail_queue::Layout& layout, std::string_view queue) {
  auto f = mail_queue::CreateQueueFile(layout, queue);
  if (!f.ok()) return f.status();
  Writer w;
  w.fd_ = std::move(f->fd);
  w.id_ = f->id;
  w.path_ = f->path;
  w.unnamed_ = f->unnamed;
  w.Put(kSize, util::StrFormat(kSizeFormat, uint64_t{0}, uint64_t{0}, uint64_t{0}, uint64_t{0}));
  return w;
}

Writer::~Writer() { Abort(); }

util::Status Writer::MoveTo(const mail_queue::Layout& layout, std::string_view queue) {
  std::string to = layout.Path(queue, id_);
  if (util::Status s = util::MakeDirs(util::Dirname(to), 0700); !s.ok()) return s;
  if (!unnamed_ && rename(path_.c_str(), to.c_str()) != 0)
    return util::ErrnoStatus(errno, "rename " + path_ + " to " + to);
  path_ = to;
  return util::OkStatus();
}

void Writer::Abort() {
  if (!finished_ && fd_.valid()) {
    if (!unnamed_) unlink(path_.c_str());
    fd_.Close();
  }
}

void Writer::Put(char type, std::string_view data) {
  if (!error_.ok()) return;
  util::AppendRecord(&buf_, type, data);
  if (buf_.size() >= 65536) error_ = Flush();
}

util::Status Writer::Flush() {
  if (buf_.empty()) return util::OkStatus();
  util::Status s = util::WriteAll(fd_.get(), buf_, path_);
  written_ += buf_.size();
  buf_.clear();
  return s;
}

void Writer::EnvelopeRecord() {
  // Envelope records that follow the content go into the extra section.
  if (in_content_ && !extra_started_) StartExtra();
}

void Writer::StartExtra() {
  extra_offset_ = written_ + buf_.size();
  Put(kExtra, "");
  extra_started_ = true;
}

void Writer::SetArrival(long sec, long usec) {
  EnvelopeRecord();
  Put(kTime, util::StrFormat("%ld %ld", sec, usec));
}

void Writer::AddAttr(std::string_view name, std::string_view value) {
  EnvelopeRecord();
  Put(kAttr, std::string(name) + "=" + std::string(value));
}

void Writer::SetSender(std::string_view sender) {
  EnvelopeRecord();
  Put(kSender, sender);
}

void Writer::AddRecipient(const Recipient& r) {
  EnvelopeRecord();
  if (!r.original.empty()) Put(kOriginal, r.original);
  if (!r.dsn_orcpt.empty()) Put(kDsnOrcpt, r.dsn_orcpt);
  if (r.dsn_notify) Put(kDsnNotify, std::to_string(r.dsn_notify));
  if (!r.done) recipient_offsets_.push_back(written_ + buf_.size());
  Put(r.done ? kDone : kRecipient, r.address);
  if (!r.done) ++recipients_;
}

void Writer::CancelRecipients() {
  for (uint64_t off : recipient_offsets_) {
    if (!error_.ok()) break;
    if (off >= written_) {
      buf_[off - written_] = kDone;
    } else {
      char done = kDone;
      if (pwrite(fd_.get(), &done, 1, static_cast<off_t>(off)) != 1)
        error_ = util::ErrnoStatus(errno, "write " + path_);
    }
  }
  recipients_ = 0;
  recipient_offsets_.clear();
}

void Writer::BeginContent() {
  if (in_content_) return;
  content_offset_ = written_ + buf_.size();
  Put(kMessage, "");
  in_content_ = true;
}

void Writer::AddLine(std::string_view line) {
  content_size_ += line.size() + 1;
  while (line.size() > kMaxSegment) {
    Put(kSegment, line.substr(0, kMaxSegment));
    line.remove_prefix(kMaxSegment);
  }
  Put(kLine, line);
}

void Writer::AddSegment(std::string_view part) {
  content_size_ += part.size();
  while (!part.empty()) {
    size_t n = std::min(part.size(), kMaxSegment);
    Put(kSegment, part.substr(0, n));
    part.remove_prefix(n);
  }
}

util::StatusOr<std::string> Writer::Finish() {
  if (!in_content_) BeginContent();
  if (!extra_started_) StartExtra();
  Put(kEnd, "");
  util::Status s = error_.ok() ? Flush() : error_;
  if (s.ok()) {
    std::string size = util::EncodeRecord(
        kSize, util::StrFormat(kSizeFormat, content_offset_, content_size_,
                               static_cast<uint64_t>(recipients_), extra_offset_));
    if (pwrite(fd_.get(), size.data(), size.size(), 0) != static_cast<ssize_t>(size.size()))
      s = util::ErrnoStatus(errno, "write " + path_);
  }
  // On a file system whose journal commits names in order
  // (util::JournalOrdersNames), one fsync after the last name change makes
  // content, ready bit and name durable, as with Postfix's one fsync per
  // queue file; elsewhere the directory is synced too.
  bool journal = s.ok() && util::JournalOrdersNames(fd_.get());
  if (unnamed_ && journal) {
    // Ready, named, then one sync for all three. (qmgr may see the file
    // before the sync, as with Postfix; the client has no 250 before it.)
    if (s.ok() && fchmod(fd_.get(), 0700) != 0) s = util::ErrnoStatus(errno, "chmod " + path_);
    if (s.ok()) s = mail_queue::LinkUnnamed(fd_.get(), path_);
    if (s.ok()) unnamed_ = false;  // named now: a failure below removes the name
    if (s.ok()) s = util::FsyncFile(fd_.get());
  } else if (unnamed_) {
    // Nobody sees the file before it has a name: ready bit and content are
    // synced together, then the name, then the directory.
    if (s.ok() && fchmod(fd_.get(), 0700) != 0) s = util::ErrnoStatus(errno, "chmod " + path_);
    if (s.ok()) s = util::FsyncFile(fd_.get());
    if (s.ok()) s = mail_queue::LinkUnnamed(fd_.get(), path_);
    if (s.ok()) unnamed_ = false;  // named now: a failure below removes the name
  } else {
    // Durable content first, then the ready bit, then the ready bit itself.
    if (s.ok()) s = util::FsyncFile(fd_.get());
    if (s.ok() && fchmod(fd_.get(), 0700) != 0) s = util::ErrnoStatus(errno, "chmod " + path_);
    if (s.ok()) s = util::FsyncFile(fd_.get());
  }
  // A directory this process may write but not read (maildrop/, mode 730,
  // for a local user's postdrop) cannot be opened to be synced: the synced
  // file and its name then rest on the file system's own ordering, as with
  // Postfix, which never syncs a directory.
  std::string dir = util::Dirname(path_);
  if (s.ok() && !journal && faccessat(AT_FDCWD, dir.c_str(), R_OK, AT_EACCESS) == 0)
    s = util::FsyncDir(dir);
  if (!s.ok()) {
    Abort();
    return s;
  }
  finished_ = true;
  fd_.Close();
  return id_;
}

// ---- Reader ----

bool Reader::IsReady(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR);
}

util::StatusOr<Reader> Reader::Open(const std::string& path) { return OpenMode(path, false); }

util::StatusOr<Reader> Reader::OpenForUpdate(const std::string& path) {
  return OpenMode(path, true);
}

util::StatusOr<bool> AddEnvelopeRecord(const util::Record& rec, Envelope* env, Recipient* pending) {
  switch (rec.type) {
    case kAttr: {
      size_t eq = rec.data.find('=');
      if (eq == std::string::npos) return util::InvalidArgument("bad attribute record");
      env->attrs.emplace_back(rec.data.substr(0, eq), rec.data.substr(eq + 1));
      return true;
    }
    case kSender:
      env->sender = rec.data;
      return true;
    case kOriginal:
      pending->original = rec.data;
      return true;
    case kDsnOrcpt:
      pending->dsn_orcpt = rec.data;
      return true;
    case kDsnNotify:
      pending->dsn_notify = static_cast<int>(util::ParseInt(rec.data).value_or(0));
      return true;
    case kRecipient:
    case kDone:
      pending->address = rec.data;
      pending->done = rec.type == kDone;
      env->recipients.push_back(std::move(*pending));
      *pending = Recipient();
      return true;
    default:
      return false;
  }
}

util::StatusOr<Reader> Reader::OpenMode(const std::string& path, bool update) {
  util::Fd fd(open(path.c_str(), (update ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return util::ErrnoStatus(errno, "open queue file " + path);
  return FromFd(std::move(fd), path);
}

util::StatusOr<Reader> Reader::FromFd(util::Fd fd, const std::string& path) {
  Reader r;
  r.path_ = path;
  r.fd_ = std::move(fd);
  struct stat st;
  if (fstat(r.fd_.get(), &st) != 0) return util::ErrnoStatus(errno, "fstat " + path);
  if (!S_ISREG(st.st_mode)) return Corrupt(path, "not a regular file");
  if (!(st.st_mode & S_IXUSR)) return util::Unavailable("queue file " + path + " is not ready");

  Envelope& env = r.envelope_;
  uint64_t extra_offset = 0;
  Recipient pending;
  bool have_size = false;
  util::Status bad;
  auto handle = [&](const util::Record& rec, uint64_t offset, bool extra) -> bool {
    switch (rec.type) {
      case kSize: {
        unsigned long long a, b, c, d;
        if (extra || sscanf(rec.data.c_str(), "%llu %llu %llu %llu", &a, &b, &c, &d) != 4) {
          bad = Corrupt(path, "bad size record");
          return false;
        }
        env.content_offset = a;
        env.content_size = b;
        extra_offset = d;
        have_size = true;
        return true;
      }
      case kTime:
        if (sscanf(rec.data.c_str(), "%ld %ld", &env.arrival_sec, &env.arrival_usec) != 2) {
          bad = Corrupt(path, "bad time record");
          return false;
        }
        return true;
      case kAttr:
      case kSender:
      case kOriginal:
      case kDsnOrcpt:
      case kDsnNotify:
      case kRecipient:
      case kDone: {
        if (rec.type == kRecipient || rec.type == kDone) pending.offset = offset;
        util::StatusOr<bool> added = AddEnvelopeRecord(rec, &env, &pending);
        if (!added.ok()) {
          bad = Corrupt(path, added.status().message());
          return false;
        }
        return true;
      }
      case kMessage:
        return false;  // end of the envelope section
      case kExtra:
        return extra;  // start of the extra section
      case kEnd:
        return false;
      default:
        bad = Corrupt(path, util::StrFormat("unexpected record type '%c'", rec.type));
        return false;
    }
  };
  uint64_t message_offset = 0;  // where the envelope's M record is
  util::Status s = ScanRecords(r.fd_.get(), path, 0, [&](const util::Record& rec, uint64_t off) {
    if (rec.type == kMessage) message_offset = off;
    return handle(rec, off, false);
  });
  if (!s.ok()) return s;
  if (!bad.ok()) return bad;
  if (!have_size || extra_offset == 0 || env.content_offset == 0)
    return Corrupt(path, "missing size record");
  // The offsets must be those of the M and X records the writer put
  // there: an offset into the middle of a record would read its data as
  // records, and MarkDone would then rewrite a byte of that data.
  if (env.content_offset != message_offset || extra_offset <= env.content_offset)
    return Corrupt(path, "bad offsets in size record");
  bool ended = false;
  bool first = true;
  s = ScanRecords(r.fd_.get(), path, extra_offset, [&](const util::Record& rec, uint64_t off) {
    if (first) {
      first = false;
      if (rec.type != kExtra) {
        bad = Corrupt(path, "bad offsets in size record");
        return false;
      }
    }
    if (rec.type == kEnd) {
      ended = true;
      return false;
    }
    return handle(rec, off, true);
  });
  if (!s.ok()) return s;
  if (!bad.ok()) return bad;
  if (!ended) return Corrupt(path, "no end record");
  return r;
}

util::Status Reader::ReadContent(const std::function<void(std::string_view)>& line) const {
  std::string partial;
  util::Status bad;
  util::Status s = ScanRecords(fd_.get(), path_, envelope_.content_offset,
                               [&](const util::Record& rec, uint64_t) {
                                 switch (rec.type) {
                                   case kMessage:
                                     return true;
                                   case kSegment:
                                     partial += rec.data;
                                     return true;
                                   case kLine:
                                     if (partial.empty()) {
                                       line(rec.data);
                                     } else {
                                       partial += rec.data;
                                       line(partial);
                                       partial.clear();
                                     }
                                     return true;
                                   case kExtra:
                                     return false;
                                   default:
                                     bad = Corrupt(path_, "unexpected record in content");
                                     return false;
                                 }
                               });
  return s.ok() ? bad : s;
}

util::Status Reader::MarkDone(Recipient& r, bool sync) {
  char type = 0;
  if (pread(fd_.get(), &type, 1, static_cast<off_t>(r.offset)) != 1)
    return util::ErrnoStatus(errno, "read " + path_);
  if (type != kRecipient && type != kDone)
    return Corrupt(path_, "no recipient record at offset " + std::to_string(r.offset));
  char done = kDone;
  if (pwrite(fd_.get(), &done, 1, static_cast<off_t>(r.offset)) != 1)
    return util::ErrnoStatus(errno, "write " + path_);
  util::Status s = sync ? util::FsyncFile(fd_.get()) : util::OkStatus();
  if (s.ok()) r.done = true;
  return s;
}

util::Status Reader::LockForDelivery() {
  struct flock fl = {};
  fl.l_type = F_RDLCK;
  fl.l_whence = SEEK_SET;
  if (fcntl(fd_.get(), F_OFD_SETLK, &fl) < 0)
    return util::ErrnoStatus(errno, "lock queue file " + path_);
  return util::OkStatus();
}

bool DeliveryInProgress(int fd) {
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (fcntl(fd, F_OFD_GETLK, &fl) < 0) return false;
  return fl.l_type != F_UNLCK;
}

}  // namespace queue_file

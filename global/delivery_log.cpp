#include "global/delivery_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "util/fd.h"
#include "util/files.h"

namespace delivery_log {
namespace {

// A log holds one entry per recipient and attempt; a bound keeps a damaged
// file from exhausting memory.
constexpr size_t kMaxLogSize = 256u << 20;

void SetIfNotEmpty(util::AttrList& list, std::string_view name, const std::string& value) {
  if (!value.empty()) list.Set(name, value);
}

std::string GetOr(const util::AttrList& list, std::string_view name) {
  auto v = list.Get(name);
  return v ? std::string(*v) : std::string();
}

}  // namespace

util::AttrList ToAttrs(const Entry& e) {
  util::AttrList list;
  list.Set(kRecipient, e.recipient);
  SetIfNotEmpty(list, kOriginalRecipient, e.original_recipient);
  SetIfNotEmpty(list, kDsnOrcpt, e.dsn_orcpt);
  if (e.dsn_notify) list.SetInt(kDsnNotify, e.dsn_notify);
  if (e.offset >= 0) list.SetInt(kOffset, e.offset);
  list.Set(kStatus, e.status);
  list.Set(kAction, e.action);
  list.Set(kReason, e.reason);
  SetIfNotEmpty(list, kDiagType, e.diag_type);
  SetIfNotEmpty(list, kDiagText, e.diag_text);
  SetIfNotEmpty(list, kMtaType, e.mta_type);
  SetIfNotEmpty(list, kMtaName, e.mta_name);
  return list;
}

util::StatusOr<Entry> FromAttrs(const util::AttrList& attrs) {
  if (util::Status st = attrs.Require({kRecipient, kStatus, kAction, kReason}); !st.ok()) return st;
  Entry e;
  e.recipient = GetOr(attrs, kRecipient);
  e.status = GetOr(attrs, kStatus);
  e.action = GetOr(attrs, kAction);
  e.reason = GetOr(attrs, kReason);
  e.original_recipient = GetOr(attrs, kOriginalRecipient);
  e.dsn_orcpt = GetOr(attrs, kDsnOrcpt);
  if (attrs.Has(kDsnNotify)) {
    auto n = attrs.GetInt(kDsnNotify);
    if (!n.ok()) return n.status();
    e.dsn_notify = static_cast<int>(*n);
  }
  if (attrs.Has(kOffset)) {
    auto n = attrs.GetInt(kOffset);
    if (!n.ok()) return n.status();
    e.offset = *n;
  }
  e.diag_type = GetOr(attrs, kDiagType);
  e.diag_text = GetOr(attrs, kDiagText);
  e.mta_type = GetOr(attrs, kMtaType);
  e.mta_name = GetOr(attrs, kMtaName);
  return e;
}

std::string Path(const mail_queue::Layout& layout, std::string_view log_queue,
                 std::string_view id) {
  return layout.Path(log_queue, id);
}

util::Status Append(const mail_queue::Layout& layout, std::string_view log_queue,
                    std::string_view id, const Entry& e) {
  if (!mail_queue::IsValidId(id))
    return util::InvalidArgument("invalid queue ID: " + std::string(id));
  std::string path = Path(layout, log_queue, id);
  std::string dir = util::Dirname(path);
  if (dir != layout.QueueDir(log_queue)) {
    if (util::Status st = util::MakeDirs(dir, 0700); !st.ok()) return st;
  }
  util::Fd fd(open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return util::ErrnoStatus(errno, "append " + path);
  std::string bytes = util::EncodeAttrList(ToAttrs(e));
  // One write(2): O_APPEND places it atomically after every other append.
  ssize_t n = write(fd.get(), bytes.data(), bytes.size());
  if (n < 0) return util::ErrnoStatus(errno, "append " + path);
  if (static_cast<size_t>(n) != bytes.size()) {
    // Out of space mid-entry: the partial entry is cut off by Read.
    return util::ResourceExhausted("append " + path + ": short write");
  }
  if (util::Status st = util::FsyncFile(fd.get()); !st.ok()) return st;
  return fd.Close();
}

util::StatusOr<std::vector<Entry>> Read(const std::string& path) {
  auto text = util::ReadFile(path, kMaxLogSize);
  if (!text.ok()) return text.status();
  util::AttrDecoder dec;
  dec.Feed(*text);
  std::vector<Entry> out;
  util::AttrList list;
  for (;;) {
    util::StatusOr<bool> got = dec.Next(&list);
    if (!got.ok()) {
      return util::InvalidArgument("corrupt delivery log " + path + ": " +
                                   std::string(got.status().message()));
    }
    if (!*got) break;  // the end, or a truncated last entry
    auto e = FromAttrs(list);
    if (!e.ok()) {
      return util::InvalidArgument("corrupt delivery log " + path + ": " +
                                   std::string(e.status().message()));
    }
    out.push_back(std::move(*e));
  }
  return out;
}

util::Status Remove(const mail_queue::Layout& layout, std::string_view log_queue,
                    std::string_view id) {
  std::string path = Path(layout, log_queue, id);
  if (unlink(path.c_str()) < 0 && errno != ENOENT)
    return util::ErrnoStatus(errno, "remove " + path);
  return util::OkStatus();
}

}  // namespace delivery_log

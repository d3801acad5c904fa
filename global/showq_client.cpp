#include "global/showq_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cerrno>
#include <cstring>

#include "util/strings.h"

namespace showq_client {
namespace {

std::string Asctime(long long t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  char buf[64];
  if (!localtime_r(&tt, &tm) || !asctime_r(&tm, buf)) return "?";
  return buf;
}

util::Status Malformed() { return util::InvalidArgument("malformed showq server response"); }

}  // namespace

util::AttrList Encode(const Message& m) {
  util::AttrList list;
  list.Set(kQueueName, m.queue_name);
  list.Set(kQueueId, m.queue_id);
  list.SetInt(kArrivalTime, m.arrival_time);
  list.SetInt(kMessageSize, m.message_size);
  list.SetInt(kForcedExpire, m.forced_expire ? 1 : 0);
  list.Set(kSender, m.sender);
  list.SetInt(kRecipientCount, static_cast<long long>(m.recipients.size()));
  for (size_t i = 0; i < m.recipients.size(); ++i) {
    std::string n = std::to_string(i);
    list.Set(std::string(kRecipientPrefix) + n, m.recipients[i].address);
    if (!m.recipients[i].delay_reason.empty())
      list.Set(std::string(kDelayReasonPrefix) + n, m.recipients[i].delay_reason);
  }
  return list;
}

util::StatusOr<Message> Decode(const util::AttrList& list) {
  if (util::Status st = list.Require({kQueueName, kQueueId, kArrivalTime, kMessageSize,
                                      kForcedExpire, kSender, kRecipientCount});
      !st.ok())
    return st;
  Message m;
  m.queue_name = std::string(*list.Get(kQueueName));
  m.queue_id = std::string(*list.Get(kQueueId));
  m.sender = std::string(*list.Get(kSender));
  auto arrival = list.GetInt(kArrivalTime);
  if (!arrival.ok()) return arrival.status();
  m.arrival_time = *arrival;
  auto size = list.GetInt(kMessageSize);
  if (!size.ok()) return size.status();
  m.message_size = *size;
  auto expire = list.GetInt(kForcedExpire);
  if (!expire.ok()) return expire.status();
  m.forced_expire = *expire != 0;
  auto count = list.GetInt(kRecipientCount);
  if (!count.ok()) return count.status();
  if (*count < 0 || static_cast<size_t>(*count) > list.size())
    return util::InvalidArgument("bad numerical attribute recipient_count=" +
                                 std::to_string(*count));
  size_t seen = 7;
  for (long long i = 0; i < *count; ++i) {
    std::string n = std::to_string(i);
    auto addr = list.GetRequired(std::string(kRecipientPrefix) + n);
    if (!addr.ok()) return addr.status();
    Recipient r;
    r.address = std::string(*addr);
    ++seen;
    if (auto why = list.Get(std::string(kDelayReasonPrefix) + n)) {
      r.delay_reason = std::string(*why);
      ++seen;
    }
    m.recipients.push_back(std::move(r));
  }
  if (seen != list.size()) {
    for (const auto& [name, value] : list) {
      (void)value;
      bool known = name == kQueueName || name == kQueueId || name == kArrivalTime ||
                   name == kMessageSize || name == kForcedExpire || name == kSender ||
                   name == kRecipientCount;
      for (std::string_view prefix : {kRecipientPrefix, kDelayReasonPrefix}) {
        if (known || name.compare(0, prefix.size(), prefix) != 0) continue;
        auto idx = util::ParseInt(std::string_view(name).substr(prefix.size()));
        known = idx && *idx >= 0 && *idx < *count;
      }
      if (!known) return util::InvalidArgument("unknown attribute: " + name);
    }
  }
  return m;
}

util::AttrLimits ListingLimits() {
  util::AttrLimits limits;
  limits.max_attrs = 2u * 1000 * 1000 + 16;
  limits.max_value_size = 1 << 20;
  limits.max_list_size = 1u << 30;
  return limits;
}

std::string ServicePath(const config::Config& cfg) {
  return cfg.Get("queue_directory") + "/public/" + cfg.Get("showq_service_name");
}

util::StatusOr<util::Fd> Connect(const std::string& path, std::chrono::milliseconds timeout) {
  struct sockaddr_un sun = {};
  if (path.size() >= sizeof sun.sun_path) return util::InvalidArgument("File name too long");
  sun.sun_family = AF_UNIX;
  memcpy(sun.sun_path, path.data(), path.size());
  util::Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return util::ErrnoStatus(errno, "socket");
  struct timeval tv = {};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  for (;;) {
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0) break;
    if (errno == EINTR) continue;
    int err = errno == EINPROGRESS || errno == EAGAIN ? ETIMEDOUT : errno;
    util::Status st = util::ErrnoStatus(err, "x");
    return util::Status(st.code(), strerror(err));
  }
  tv = {};
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

util::Status ReadListing(util::Stream& s, const std::function<util::Status(const Message&)>& each) {
  util::AttrDecoder dec(ListingLimits());
  util::AttrList list;
  std::string chunk;
  for (;;) {
    for (;;) {
      util::StatusOr<bool> got = dec.Next(&list);
      if (!got.ok()) return Malformed();
      if (!*got) break;
      if (list.empty()) return util::OkStatus();  // the end
      auto m = Decode(list);
      if (!m.ok()) return Malformed();
      if (util::Status st = each(*m); !st.ok()) return st;
    }
    chunk.clear();
    util::Status st = s.ReadSome(&chunk);
    if (!st.ok()) {
      if (s.eof()) return Malformed();  // no end marker
      return st;
    }
    dec.Feed(chunk);
  }
}

std::string PrintableUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
      ++i;
    } else if (size_t n = util::Utf8Length(s, i)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      if (size_t n = util::Utf8Length(s, i)) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += '?';
        ++i;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += util::StrFormat("\\u%04X", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string MailqFormatter::Format(const Message& m) {
  // Postfix's column layout: ID (with status marks) left-aligned in 11
  // columns (17 with long IDs), size right-aligned in 7 (8), the first 20
  // (19) characters of asctime(3), then the sender.
  const int id_width = long_ids_ ? 17 : 11;
  const int size_width = long_ids_ ? 8 : 7;
  const int date_width = long_ids_ ? 19 : 20;
  std::string out;
  if (count_ == 0) {
    out += long_ids_ ? util::StrFormat("%-*s %*s %-*s %s\n", id_width, "----Queue ID-----",
                                       size_width, "--Size--", date_width, "---Arrival Time----",
                                       "--Sender/Recipient------")
                     : util::StrFormat("%-*s %*s %-*s %s\n", id_width, "-Queue ID-", size_width,
                                       "--Size--", date_width, "----Arrival Time----",
                                       "-Sender/Recipient-------");
  } else {
    out += "\n";
  }
  std::string id = PrintableUtf8(m.queue_id);
  if (m.queue_name == "active") {
    id += '*';
  } else if (m.queue_name == "hold") {
    id += '!';
  }
  if (m.forced_expire) id += '#';
  std::string date = Asctime(m.arrival_time);
  out += util::StrFormat("%-*s %*lld %-*.*s %s\n", id_width, id.c_str(), size_width, m.message_size,
                         date_width, date_width, date.c_str(), PrintableUtf8(m.sender).c_str());
  std::string saved_reason;
  for (const Recipient& r : m.recipients) {
    std::string why = PrintableUtf8(r.delay_reason);
    if (why != saved_reason) {
      saved_reason = why;
      std::string show = why.empty() ? "reason unavailable" : why;
      int padding = 76 - static_cast<int>(show.size());
      if (padding < 0) padding = 0;
      out += util::StrFormat("%*s(%s)\n", padding, "", show.c_str());
    }
    out += util::StrFormat("%-*s %*s %-*s %s\n", id_width, "", size_width, "", date_width, "",
                           PrintableUtf8(r.address).c_str());
  }
  ++count_;
  bytes_ += m.message_size > 0 ? static_cast<unsigned long long>(m.message_size) : 0;
  return out;
}

std::string MailqFormatter::Finish() const {
  if (count_ == 0) return "Mail queue is empty\n";
  return util::StrFormat("\n-- %llu Kbytes in %llu Request%s.\n", bytes_ / 1024, count_,
                         count_ == 1 ? "" : "s");
}

std::string FormatJson(const Message& m) {
  std::string out = "{\"queue_name\": " + JsonQuote(m.queue_name) +
                    ", \"queue_id\": " + JsonQuote(m.queue_id) +
                    ", \"arrival_time\": " + std::to_string(m.arrival_time) +
                    ", \"message_size\": " + std::to_string(m.message_size) +
                    ", \"forced_expire\": " + (m.forced_expire ? "true" : "false") +
                    ", \"sender\": " + JsonQuote(m.sender) + ", \"recipients\": [";
  for (size_t i = 0; i < m.recipients.size(); ++i) {
    if (i) out += ", ";
    out += "{\"address\": " + JsonQuote(m.recipients[i].address);
    if (!m.recipients[i].delay_reason.empty())
      out += ", \"delay_reason\": " + JsonQuote(m.recipients[i].delay_reason);
    out += "}";
  }
  out += "]}\n";
  return out;
}

}  // namespace showq_client

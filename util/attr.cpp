#include "util/attr.h"

#include <string>

#include "util/msg.h"
#include "util/strings.h"

namespace util {
namespace {

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Quote(char c) { return "'" + Printable(std::string_view(&c, 1)) + "'"; }

void AppendLength(std::string* out, size_t n) { *out += std::to_string(n); }

// Parses `length ":"` at *pos. true: *len set and *pos after the ':'; false:
// more bytes are needed. `what` prefixes error messages.
StatusOr<bool> ParseLength(std::string_view in, size_t* pos, size_t limit, const std::string& what,
                           size_t* len) {
  size_t i = *pos;
  if (i >= in.size()) return false;
  if (!IsDigit(in[i])) return InvalidArgument(what + ": bad length " + Quote(in[i]));
  if (in[i] == '0' && i + 1 < in.size() && IsDigit(in[i + 1])) {
    return InvalidArgument(what + ": length has a leading zero");
  }
  size_t val = 0;
  for (; i < in.size() && IsDigit(in[i]); ++i) {
    size_t d = static_cast<size_t>(in[i] - '0');
    if (val > limit / 10 || d > limit - val * 10) {
      return ResourceExhausted(what + ": length exceeds limit " + std::to_string(limit));
    }
    val = val * 10 + d;
  }
  if (i >= in.size()) return false;
  if (in[i] != ':') return InvalidArgument(what + ": missing ':' after length");
  *len = val;
  *pos = i + 1;
  return true;
}

}  // namespace

bool IsValidAttrName(std::string_view name, size_t max_size) {
  if (name.empty() || name.size() > max_size) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

// ---- AttrList ----

AttrList::AttrList(std::initializer_list<std::pair<std::string_view, std::string_view>> entries) {
  for (const auto& [name, value] : entries) Set(name, value);
}

const std::string* AttrList::Find(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.first == name) return &e.second;
  }
  return nullptr;
}

void AttrList::Set(std::string_view name, std::string_view value) {
  if (!IsValidAttrName(name)) {
    msg::Panic("AttrList::Set: invalid attribute name \"%s\"", Printable(name).c_str());
  }
  for (auto& e : entries_) {
    if (e.first == name) {
      e.second.assign(value);
      return;
    }
  }
  entries_.emplace_back(std::string(name), std::string(value));
}

void AttrList::SetInt(std::string_view name, long long value) { Set(name, std::to_string(value)); }

bool AttrList::Erase(std::string_view name) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == name) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

std::optional<std::string_view> AttrList::Get(std::string_view name) const {
  const std::string* v = Find(name);
  if (v == nullptr) return std::nullopt;
  return std::string_view(*v);
}

StatusOr<std::string_view> AttrList::GetRequired(std::string_view name) const {
  const std::string* v = Find(name);
  if (v == nullptr) return InvalidArgument("missing attribute: " + std::string(name));
  return std::string_view(*v);
}

StatusOr<long long> AttrList::GetInt(std::string_view name) const {
  const std::string* v = Find(name);
  if (v == nullptr) return InvalidArgument("missing attribute: " + std::string(name));
  std::optional<long long> n = ParseInt(*v);
  if (!n) {
    std::string shown = Printable(std::string_view(*v).substr(0, 64));
    if (v->size() > 64) shown += "...";
    return InvalidArgument("bad numerical attribute " + std::string(name) + "=" + shown);
  }
  return *n;
}

Status AttrList::Require(std::initializer_list<std::string_view> names) const {
  for (std::string_view n : names) {
    if (!Has(n)) return InvalidArgument("missing attribute: " + std::string(n));
  }
  return OkStatus();
}

Status AttrList::RefuseUnknown(std::initializer_list<std::string_view> allowed) const {
  for (const auto& e : entries_) {
    bool ok = false;
    for (std::string_view a : allowed) {
      if (e.first == a) {
        ok = true;
        break;
      }
    }
    if (!ok) return InvalidArgument("unknown attribute: " + e.first);
  }
  return OkStatus();
}

Status AttrList::Expect(std::initializer_list<std::string_view> required,
                        std::initializer_list<std::string_view> optional) const {
  if (Status s = Require(required); !s.ok()) return s;
  for (const auto& e : entries_) {
    bool ok = false;
    for (std::string_view a : required) ok = ok || e.first == a;
    for (std::string_view a : optional) ok = ok || e.first == a;
    if (!ok) return InvalidArgument("unknown attribute: " + e.first);
  }
  return OkStatus();
}

std::string AttrList::DebugString() const {
  std::string out = "{";
  for (const auto& e : entries_) {
    if (out.size() > 1) out += ", ";
    out += e.first;
    out += '=';
    out += Printable(std::string_view(e.second).substr(0, 64));
    if (e.second.size() > 64) out += "...";
  }
  out += '}';
  return out;
}

// ---- Attribute lists on the wire ----

void AppendAttrList(std::string* out, const AttrList& list) {
  for (const auto& [name, value] : list) {
    *out += name;
    *out += '=';
    AppendLength(out, value.size());
    *out += ':';
    *out += value;
    *out += '\n';
  }
  *out += '\n';
}

std::string EncodeAttrList(const AttrList& list) {
  std::string out;
  AppendAttrList(&out, list);
  return out;
}

void AttrDecoder::Feed(std::string_view bytes) {
  if (!error_.ok()) return;
  // Drop consumed bytes once they make up half the buffer (amortized O(1)).
  if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_.erase(0, start_);
    pos_ -= start_;
    start_ = 0;
  }
  buf_.append(bytes);
}

StatusOr<bool> AttrDecoder::Next(AttrList* out) {
  if (!error_.ok()) return error_;
  std::string_view in(buf_);
  auto fail = [this](Status s) -> StatusOr<bool> {
    error_ = std::move(s);
    buf_.clear();
    start_ = pos_ = 0;
    partial_.Clear();
    return error_;
  };
  for (;;) {
    size_t i = pos_;
    if (i >= in.size()) return false;
    if (in[i] == '\n') {  // end of list
      if (i + 1 - start_ > limits_.max_list_size) {
        return fail(ResourceExhausted("attribute list exceeds " +
                                      std::to_string(limits_.max_list_size) + " bytes"));
      }
      *out = std::move(partial_);
      partial_.Clear();
      start_ = pos_ = i + 1;
      return true;
    }
    if (partial_.size() >= limits_.max_attrs) {
      return fail(ResourceExhausted("too many attributes (limit " +
                                    std::to_string(limits_.max_attrs) + ")"));
    }
    // name "="
    size_t name_start = i;
    while (i < in.size() && IsNameChar(in[i])) {
      if (i - name_start >= limits_.max_name_size) {
        return fail(ResourceExhausted("attribute name longer than " +
                                      std::to_string(limits_.max_name_size) + " bytes"));
      }
      ++i;
    }
    if (i >= in.size()) return false;
    std::string_view name = in.substr(name_start, i - name_start);
    if (in[i] != '=') {
      return fail(InvalidArgument("bad character " + Quote(in[i]) + " in attribute name"));
    }
    if (name.empty()) return fail(InvalidArgument("empty attribute name"));
    if (partial_.Has(name)) {
      return fail(InvalidArgument("duplicate attribute: " + std::string(name)));
    }
    ++i;
    // length ":"
    std::string what = "attribute " + std::string(name);
    size_t len = 0;
    StatusOr<bool> got = ParseLength(in, &i, limits_.max_value_size, what, &len);
    if (!got.ok()) return fail(got.status());
    if (!*got) return false;
    // value "\n"; check the list limit before waiting for the value.
    if (i - start_ + len + 1 > limits_.max_list_size) {
      return fail(ResourceExhausted("attribute list exceeds " +
                                    std::to_string(limits_.max_list_size) + " bytes"));
    }
    if (in.size() - i < len + 1) return false;
    if (in[i + len] != '\n') return fail(InvalidArgument(what + ": missing newline after value"));
    partial_.entries_.emplace_back(std::string(name), std::string(in.substr(i, len)));
    pos_ = i + len + 1;
  }
}

Status AttrDecoder::AtEof() const {
  if (!error_.ok()) return error_;
  if (buffered() > 0) {
    return InvalidArgument("truncated attribute list (" + std::to_string(buffered()) +
                           " bytes at end of input)");
  }
  return OkStatus();
}

StatusOr<AttrList> DecodeAttrList(std::string_view bytes, const AttrLimits& limits) {
  AttrDecoder dec(limits);
  dec.Feed(bytes);
  AttrList list;
  StatusOr<bool> got = dec.Next(&list);
  if (!got.ok()) return got.status();
  if (!*got) {
    return InvalidArgument("truncated attribute list (" + std::to_string(dec.buffered()) +
                           " bytes at end of input)");
  }
  if (dec.buffered() > 0) return InvalidArgument("trailing bytes after attribute list");
  return list;
}

// ---- Records ----

bool IsValidRecordType(char type) { return type >= '!' && type <= '~'; }

void AppendRecord(std::string* out, char type, std::string_view data) {
  if (!IsValidRecordType(type)) {
    msg::Panic("AppendRecord: invalid record type %s", Quote(type).c_str());
  }
  *out += type;
  AppendLength(out, data.size());
  *out += ':';
  *out += data;
  *out += '\n';
}

std::string EncodeRecord(char type, std::string_view data) {
  std::string out;
  AppendRecord(&out, type, data);
  return out;
}

void RecordDecoder::Feed(std::string_view bytes) {
  if (!error_.ok()) return;
  if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_.erase(0, start_);
    start_ = 0;
  }
  buf_.append(bytes);
}

StatusOr<bool> RecordDecoder::Next(Record* out) {
  if (!error_.ok()) return error_;
  auto fail = [this](Status s) -> StatusOr<bool> {
    error_ = std::move(s);
    buf_.clear();
    start_ = 0;
    return error_;
  };
  std::string_view in(buf_);
  size_t i = start_;
  if (i >= in.size()) return false;
  char type = in[i];
  if (!IsValidRecordType(type)) return fail(InvalidArgument("bad record type " + Quote(type)));
  ++i;
  std::string what = "record " + Quote(type);
  size_t len = 0;
  StatusOr<bool> got = ParseLength(in, &i, max_record_size_, what, &len);
  if (!got.ok()) return fail(got.status());
  if (!*got) return false;
  if (in.size() - i < len + 1) return false;
  if (in[i + len] != '\n') return fail(InvalidArgument(what + ": missing newline after data"));
  out->type = type;
  out->data.assign(in.substr(i, len));
  consumed_ += i + len + 1 - start_;
  start_ = i + len + 1;
  return true;
}

Status RecordDecoder::AtEof() const {
  if (!error_.ok()) return error_;
  if (buffered() > 0) {
    return InvalidArgument("truncated record (" + std::to_string(buffered()) +
                           " bytes at end of input)");
  }
  return OkStatus();
}

}  // namespace util

// attr: the codec of every request and reply between our daemons.
//
// A request is an attribute list (ordered name/value pairs) sent over a UNIX
// stream socket, answered by one attribute list; message content travels as
// a sequence of typed, length-prefixed records. This module only converts
// between values and bytes: it does no I/O, so the same decoder serves a
// blocking stream and a libevent buffer. Each service's names live in one
// small protocol header in global/, and its client stub builds the lists.
//
// WIRE FORMAT (all lengths are decimal ASCII, no sign, no leading zeros
// except "0" itself):
//
//   attribute list  = *attribute "\n"
//   attribute       = name "=" length ":" value "\n"
//   name            = 1*[a-z0-9_]            (at most max_name_size bytes)
//   value           = exactly `length` arbitrary bytes (NUL, "\n" are fine)
//   record          = type length ":" data "\n"
//   type            = one byte in "!".."~" (printable ASCII, not space)
//
// Example: {queue_id="3F2A1", size="512"} is "queue_id=5:3F2A1\nsize=3:512\n\n"
// and a content record of type 'N' holding "hi" is "N2:hi\n".
// A name appears at most once per list. The encoding is canonical: one list
// has exactly one encoding, so encoded lists can be compared as bytes.
//
// Decoding is strict and bounded: anything else (a bad name character, a
// missing '=' ':' or "\n", a non-digit or leading-zero length, a duplicate
// name) is kInvalidArgument, and exceeding a limit (AttrLimits, the record
// size) is kResourceExhausted, reported as soon as the offending bytes
// arrive, before any value memory is reserved. A decoder that has failed
// stays failed: the connection must be dropped. At end of input, AtEof()
// reports a list or record cut short.
//
//   util::AttrDecoder dec;
//   dec.Feed(bytes_read);
//   util::AttrList req;
//   util::StatusOr<bool> got = dec.Next(&req);
//   if (!got.ok()) { drop connection; }
//   else if (*got) {
//     if (Status s = req.Expect({"queue_id", "size"}, {"flags"}); !s.ok()) ...
//     util::StatusOr<long long> size = req.GetInt("size");
//   }   // else: read more bytes and Feed() them
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace util {

// Names longer than this cannot be Set (and, by default, not decoded).
inline constexpr size_t kMaxAttrNameSize = 64;

// True when `name` is a valid attribute name (1*[a-z0-9_], at most
// `max_size` bytes).
bool IsValidAttrName(std::string_view name, size_t max_size = kMaxAttrNameSize);

// Ordered name/value pairs, each name at most once. Names are constants of a
// protocol header; an invalid name passed to Set is a programming error and
// aborts (msg::Panic).
class AttrList {
 public:
  using Entry = std::pair<std::string, std::string>;

  AttrList() = default;
  AttrList(std::initializer_list<std::pair<std::string_view, std::string_view>> entries);

  // Sets `name` to `value`; an existing name keeps its position.
  void Set(std::string_view name, std::string_view value);
  void SetInt(std::string_view name, long long value);
  // Removes `name`; returns whether it was present.
  bool Erase(std::string_view name);
  void Clear() { entries_.clear(); }

  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  std::optional<std::string_view> Get(std::string_view name) const;
  // The value as a decimal integer: kInvalidArgument "missing attribute: X"
  // or "bad numerical attribute X=VALUE".
  StatusOr<long long> GetInt(std::string_view name) const;
  // The value, or kInvalidArgument "missing attribute: X".
  StatusOr<std::string_view> GetRequired(std::string_view name) const;

  // kInvalidArgument "missing attribute: X" for the first absent name.
  Status Require(std::initializer_list<std::string_view> names) const;
  // kInvalidArgument "unknown attribute: X" for the first name not allowed.
  Status RefuseUnknown(std::initializer_list<std::string_view> allowed) const;
  // Both at once: every `required` name present, every name either required
  // or `optional` (OpenSMTPD's "refuse missing or unknown fields").
  Status Expect(std::initializer_list<std::string_view> required,
                std::initializer_list<std::string_view> optional = {}) const;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }

  // "{name=value, ...}" with unprintable bytes escaped and values longer
  // than 64 bytes shortened, for logs.
  std::string DebugString() const;

  bool operator==(const AttrList& other) const = default;

 private:
  friend class AttrDecoder;
  const std::string* Find(std::string_view name) const;

  std::vector<Entry> entries_;
};

// Limits on one decoded list. Exceeding one is kResourceExhausted.
struct AttrLimits {
  size_t max_attrs = 1024;                  // attributes per list
  size_t max_name_size = kMaxAttrNameSize;  // bytes per name
  size_t max_value_size = 1 << 20;          // bytes per value
  size_t max_list_size = 4 << 20;           // encoded bytes per list
};

// The wire form of `list` (see the file comment).
std::string EncodeAttrList(const AttrList& list);
void AppendAttrList(std::string* out, const AttrList& list);

// Decodes exactly one complete list from `bytes`; trailing bytes or a
// truncated list are kInvalidArgument.
StatusOr<AttrList> DecodeAttrList(std::string_view bytes, const AttrLimits& limits = {});

// Incremental decoder: Feed() bytes as they arrive, then call Next() until it
// returns false. Copying makes no sense (half-parsed state).
class AttrDecoder {
 public:
  explicit AttrDecoder(const AttrLimits& limits = {}) : limits_(limits) {}
  AttrDecoder(const AttrDecoder&) = delete;
  AttrDecoder& operator=(const AttrDecoder&) = delete;

  // Appends bytes to the input buffer.
  void Feed(std::string_view bytes);
  // true: a complete list was decoded into *out (replacing its contents).
  // false: more bytes are needed. Error: malformed or over a limit; the
  // decoder stays failed and returns the same error from now on.
  StatusOr<bool> Next(AttrList* out);
  // At end of input: OK when no partial list is buffered, otherwise
  // kInvalidArgument "truncated attribute list" (or the sticky error).
  Status AtEof() const;
  // Bytes fed but not yet consumed by a complete list.
  size_t buffered() const { return buf_.size() - start_; }

 private:
  AttrLimits limits_;
  std::string buf_;
  size_t start_ = 0;  // first byte of the list being decoded
  size_t pos_ = 0;    // first byte of its next, not yet decoded, attribute
  AttrList partial_;  // the attributes decoded so far
  Status error_;
};

// One content record.
struct Record {
  char type = 0;
  std::string data;
  bool operator==(const Record& other) const = default;
};

inline constexpr size_t kDefaultMaxRecordSize = 1 << 20;

// True when `type` is a valid record type byte ('!'..'~').
bool IsValidRecordType(char type);
// The wire form of one record; an invalid type aborts (msg::Panic).
std::string EncodeRecord(char type, std::string_view data);
void AppendRecord(std::string* out, char type, std::string_view data);

// Incremental record decoder, the counterpart of AttrDecoder: a bad type
// byte, length or terminator is kInvalidArgument, data longer than
// `max_record_size` is kResourceExhausted, and errors are sticky.
class RecordDecoder {
 public:
  explicit RecordDecoder(size_t max_record_size = kDefaultMaxRecordSize)
      : max_record_size_(max_record_size) {}
  RecordDecoder(const RecordDecoder&) = delete;
  RecordDecoder& operator=(const RecordDecoder&) = delete;

  void Feed(std::string_view bytes);
  // true: *out holds the next record; false: more bytes are needed.
  StatusOr<bool> Next(Record* out);
  // OK when no partial record is buffered, else "truncated record".
  Status AtEof() const;
  size_t buffered() const { return buf_.size() - start_; }
  // Bytes of complete records returned so far: the offset, in the input,
  // of the next record (queue files use it to rewrite a record in place).
  uint64_t consumed() const { return consumed_; }

 private:
  size_t max_record_size_;
  std::string buf_;
  size_t start_ = 0;
  uint64_t consumed_ = 0;
  Status error_;
};

}  // namespace util

// Fuzz target: the IPC codec (util/attr.h): AttrDecoder (attribute lists),
// DecodeAttrList and RecordDecoder (content records), fed in one piece and
// in chunks of varying size, as reads from a socket arrive.
//
// Input: byte 0 the limits (small ones, so that each is reached), byte 1
// seeds the chunk sizes; the rest is the byte stream, decoded both as
// attribute lists and as records.
//
// Checked: the encoding is canonical (each decoded list or record encodes
// back to exactly the bytes it came from); chunking changes nothing (same
// lists, same records, same error); a failed decoder stays failed; lists
// respect the limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_util.h"
#include "util/attr.h"

namespace {

struct AttrOutcome {
  std::vector<util::AttrList> lists;
  bool failed = false;
  util::Code code = util::Code::kOk;
  size_t buffered = 0;
};

// Decodes `stream` fed in chunks (chunk_seed 0: all at once).
AttrOutcome DecodeAttrs(std::string_view stream, const util::AttrLimits& limits,
                        uint32_t chunk_seed) {
  AttrOutcome out;
  util::AttrDecoder dec(limits);
  size_t fed = 0;
  uint32_t seed = chunk_seed;
  size_t consumed = 0;  // bytes of the lists decoded so far
  while (fed < stream.size() && !out.failed) {
    size_t chunk = stream.size() - fed;
    if (chunk_seed != 0) {
      seed = seed * 1103515245u + 12345u;
      chunk = std::min<size_t>(chunk, 1 + (seed >> 16) % 40);
    }
    dec.Feed(stream.substr(fed, chunk));
    fed += chunk;
    for (;;) {
      util::AttrList list;
      util::StatusOr<bool> got = dec.Next(&list);
      if (!got.ok()) {
        out.failed = true;
        out.code = got.status().code();
        // Sticky: the same error again, and Feed() is ignored.
        dec.Feed("x=1:y\n\n");
        util::StatusOr<bool> again = dec.Next(&list);
        FUZZ_CHECK(!again.ok() && again.status().code() == out.code);
        FUZZ_CHECK(!dec.AtEof().ok());
        break;
      }
      if (!*got) break;
      std::string encoded = util::EncodeAttrList(list);
      FUZZ_CHECK(stream.substr(consumed, encoded.size()) == encoded);
      consumed += encoded.size();
      FUZZ_CHECK(list.size() <= limits.max_attrs);
      FUZZ_CHECK(encoded.size() <= limits.max_list_size);
      for (const auto& [name, value] : list) {
        FUZZ_CHECK(util::IsValidAttrName(name, limits.max_name_size));
        FUZZ_CHECK(value.size() <= limits.max_value_size);
      }
      out.lists.push_back(std::move(list));
    }
  }
  if (!out.failed) {
    out.buffered = dec.buffered();
    FUZZ_CHECK(consumed + dec.buffered() == stream.size());
    FUZZ_CHECK(dec.AtEof().ok() == (dec.buffered() == 0));
  }
  return out;
}

struct RecordOutcome {
  std::vector<util::Record> records;
  bool failed = false;
  util::Code code = util::Code::kOk;
};

RecordOutcome DecodeRecords(std::string_view stream, size_t max_size, uint32_t chunk_seed) {
  RecordOutcome out;
  util::RecordDecoder dec(max_size);
  size_t fed = 0;
  uint32_t seed = chunk_seed;
  while (fed < stream.size() && !out.failed) {
    size_t chunk = stream.size() - fed;
    if (chunk_seed != 0) {
      seed = seed * 1103515245u + 12345u;
      chunk = std::min<size_t>(chunk, 1 + (seed >> 16) % 40);
    }
    dec.Feed(stream.substr(fed, chunk));
    fed += chunk;
    for (;;) {
      util::Record rec;
      uint64_t offset = dec.consumed();
      util::StatusOr<bool> got = dec.Next(&rec);
      if (!got.ok()) {
        out.failed = true;
        out.code = got.status().code();
        util::StatusOr<bool> again = dec.Next(&rec);
        FUZZ_CHECK(!again.ok() && again.status().code() == out.code);
        break;
      }
      if (!*got) break;
      FUZZ_CHECK(util::IsValidRecordType(rec.type));
      FUZZ_CHECK(rec.data.size() <= max_size);
      std::string encoded = util::EncodeRecord(rec.type, rec.data);
      FUZZ_CHECK(offset + encoded.size() == dec.consumed());
      FUZZ_CHECK(stream.substr(offset, encoded.size()) == encoded);
      out.records.push_back(std::move(rec));
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  uint8_t l = in.Byte();
  uint32_t seed = in.Byte() * 2654435761u | 1;
  std::string_view stream = in.Rest();

  util::AttrLimits limits;
  if (l & 0x80) {  // small limits
    limits.max_attrs = 1 + (l & 3);
    limits.max_name_size = 1 + ((l >> 2) & 7);
    limits.max_value_size = (l >> 5) & 3 ? 8 : 0;
    limits.max_list_size = 16 + (l & 0x1f);
  }
  AttrOutcome whole = DecodeAttrs(stream, limits, 0);
  AttrOutcome pieces = DecodeAttrs(stream, limits, seed);
  // Errors show at the offending byte, so the lists before it are the same too.
  FUZZ_CHECK(whole.failed == pieces.failed && whole.code == pieces.code);
  FUZZ_CHECK(whole.lists == pieces.lists);
  FUZZ_CHECK(whole.buffered == pieces.buffered);

  // One list alone: DecodeAttrList agrees with the incremental decoder.
  util::StatusOr<util::AttrList> one = util::DecodeAttrList(stream, limits);
  if (one.ok()) {
    FUZZ_CHECK(!whole.failed && whole.lists.size() == 1 && whole.buffered == 0);
    FUZZ_CHECK(*one == whole.lists[0]);
  }

  size_t max_record = (l & 0x80) ? (l & 0x3f) : util::kDefaultMaxRecordSize;
  RecordOutcome rwhole = DecodeRecords(stream, max_record, 0);
  RecordOutcome rpieces = DecodeRecords(stream, max_record, seed);
  FUZZ_CHECK(rwhole.failed == rpieces.failed && rwhole.code == rpieces.code);
  FUZZ_CHECK(rwhole.records == rpieces.records);
  return 0;
}

// Fuzz target: cleanup's processing of one message (cleanup/message.h), the
// records a client sends (envelope, headers and body, extracted
// recipients), with canonical and virtual alias tables (inline:) and small
// limits so that every limit is reached.
//
// Input: byte 0 the client flags (kFlagLocal, kFlagExtract,
// kFlagNoAddressMaps; 8: a fail: table after the aliases), bytes 1-4 the
// settings (see below), then one record per line: its type byte, then its
// data ("T1700000000 0", "Sbob", "M", "NSubject: hi", "E"). A line
// "~" TYPE COUNT DATA is the record TYPE with DATA repeated (COUNT + 1) * 512
// times, up to the largest record the cleanup service accepts (kMaxRecord):
// long lines and headers beyond queue_file::kMaxSegment without huge inputs.
//
// Checked: nothing is written after a rejection; a message is accepted only
// with a recipient and within message_size_limit; a line is held only up to
// the bound the header promises (a segment passed on is at most that bound
// plus one record); Add() after done() changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cleanup/message.h"
#include "global/cleanup_client.h"
#include "global/maps.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// The largest record cleanup/service.cpp decodes.
constexpr size_t kMaxRecord = queue_file::kMaxSegment + 4096;

// Checks each write against the message's state; counts what it got.
class CheckingOutput : public cleanup::Output {
 public:
  const cleanup::Message* message = nullptr;
  size_t segment_bound = 0;
  size_t recipients = 0;
  bool content = false;

  void Write() const { FUZZ_CHECK(message == nullptr || message->verdict().ok()); }
  void SetArrival(long sec, long usec) override {
    Write();
    FUZZ_CHECK(sec >= 0 && usec >= 0 && usec <= 999999);
  }
  void AddAttr(std::string_view name, std::string_view) override {
    Write();
    FUZZ_CHECK(!name.empty());
  }
  void SetSender(std::string_view) override { Write(); }
  void AddRecipient(const queue_file::Recipient& r) override {
    Write();
    FUZZ_CHECK(r.dsn_notify >= 0 && r.dsn_notify <= 15);
    ++recipients;
  }
  void BeginContent() override {
    Write();
    FUZZ_CHECK(!content);
    content = true;
  }
  void AddLine(std::string_view) override {
    Write();
    FUZZ_CHECK(content);
  }
  void AddSegment(std::string_view part) override {
    Write();
    FUZZ_CHECK(content);
    FUZZ_CHECK(part.size() <= segment_bound);
  }
  void CancelRecipients() override {
    Write();
    recipients = 0;
  }
};

maps::Maps OpenMaps(const char* title, const char* list) {
  auto m = maps::Maps::Open(title, list, tables::OpenOptions{});
  if (!m.ok()) fuzz::Fail(__FILE__, __LINE__, "cannot open the fuzz tables");
  return *m;
}

// The tables are opened once (the table cache keeps them anyway); with
// `failing`, an address without alias meets a fail: table (a temporary
// lookup error).
cleanup::AddressMapper* MakeMapper(bool failing) {
  cleanup::AddressMapper::Options o;
  o.rules.myorigin = "origin.example";
  o.rules.mydomain = "origin.example";
  o.find.steps = maps::kCanonicalSteps;
  o.find.delimiters = "+";
  o.find.is_local = [](std::string_view d) { return d == "origin.example"; };
  o.recursion_limit = 5;
  o.expansion_limit = 8;
  o.address_length_limit = 200;
  std::string aliases =
      "inline:{sales@origin.example=alice@origin.example,bob@origin.example, "
      "loop@origin.example=loop@origin.example,other@origin.example, "
      "a@origin.example=b@origin.example, b@origin.example=a@origin.example, "
      "big@origin.example=1@x,2@x,3@x,4@x,5@x,6@x,7@x,8@x,9@x}";
  if (failing) aliases += ", fail:{temporary alias failure}";
  return new cleanup::AddressMapper(
      o,
      OpenMaps("canonical_maps",
               "inline:{old@origin.example=new@origin.example, @old.example=@origin.example}"),
      OpenMaps("sender_canonical_maps", "inline:{root=postmaster}"), maps::Maps(),
      OpenMaps("virtual_alias_maps", aliases.c_str()));
}

cleanup::AddressMapper& Mapper(bool failing) {
  static cleanup::AddressMapper* plain = MakeMapper(false);
  static cleanup::AddressMapper* with_fail = MakeMapper(true);
  return failing ? *with_fail : *plain;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  uint8_t f = in.Byte();
  unsigned flags = 0;
  if (f & 1) flags |= cleanup_client::kFlagLocal;
  if (f & 2) flags |= cleanup_client::kFlagExtract;
  if (f & 4) flags |= cleanup_client::kFlagNoAddressMaps;

  cleanup::Settings s;
  uint8_t b1 = in.Byte(), b2 = in.Byte(), b3 = in.Byte(), b4 = in.Byte();
  s.header_size_limit = b1 == 0 ? 102400 : b1 * 4;                      // 4..1020, or the default
  s.message_size_limit = b2 == 0 ? 0 : b2 == 255 ? 10240000 : b2 * 64;  // 0: no limit
  s.hopcount_limit = b3 & 7;
  s.duplicate_filter_limit = (b3 >> 3) & 3;  // 0: no limit
  s.always_add_missing_headers = (b3 & 0x20) != 0;
  s.obsolete_from_format = (b3 & 0x40) != 0;
  s.enable_original_recipient = (b3 & 0x80) == 0;
  s.attribute_count_limit = b4 & 7;
  s.remote_header_rewrite = (b4 & 0x08) != 0;
  if (b4 & 0x10) s.undisclosed_recipients_header = "To: undisclosed-recipients:;";
  s.myhostname = "mail.origin.example";

  CheckingOutput out;
  out.segment_bound =
      std::max<size_t>(static_cast<size_t>(s.header_size_limit), queue_file::kMaxSegment) +
      kMaxRecord;
  cleanup::Message m(s, Mapper((f & 8) != 0), out, flags, "4A5B6C7D");
  out.message = &m;

  for (std::string_view line : fuzz::Lines(in.Rest())) {
    if (line.empty()) continue;
    util::Record rec;
    if (line[0] == '~' && line.size() >= 3) {
      rec.type = line[1];
      size_t count = (static_cast<uint8_t>(line[2]) + 1) * 512;
      std::string_view unit = line.substr(3);
      if (unit.empty()) unit = "x";
      while (rec.data.size() + unit.size() <= kMaxRecord && count-- > 0) rec.data += unit;
    } else {
      rec.type = line[0];
      rec.data = std::string(line.substr(1, kMaxRecord));
    }
    bool was_done = m.done();
    size_t before = out.recipients;
    m.Add(rec);
    if (was_done) FUZZ_CHECK(out.recipients == before);
  }
  if (m.done() && m.verdict().ok()) {
    FUZZ_CHECK(m.recipients() > 0);
    FUZZ_CHECK(m.recipients() == out.recipients);
    if (s.message_size_limit > 0)
      FUZZ_CHECK(m.content_size() <= static_cast<uint64_t>(s.message_size_limit));
  }
  if (!m.verdict().ok()) {
    FUZZ_CHECK(m.verdict().status == 4 || m.verdict().status == 5);
    FUZZ_CHECK(!m.verdict().dsn.empty() && !m.verdict().reason.empty());
  }
  return 0;
}

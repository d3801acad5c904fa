// Fuzz target: the checks of a local submission (global/maildrop_stream.h):
// maildrop::Validator over the records sendmail sends to postdrop (any
// local user can send anything), and CheckEnvelope, which pickup applies to
// the file postdrop wrote.
//
// Input: one record per line, its type byte then its data ("T1700000000 0",
// "Aextract_recipients=yes", "Salice", "Rbob", "M", "Nhi", "X", "E"), as in
// the cleanup_message target.
//
// Checked: the validator stays failed after an error; a stream it accepts
// gives an envelope that CheckEnvelope accepts too (else pickup would drop
// mail that postdrop took), and that envelope has a recipient or asks for
// extraction.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "global/maildrop_stream.h"
#include "global/queue_file.h"
#include "tests/fuzz/fuzz_util.h"
#include "util/strings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  maildrop::Validator v;
  queue_file::Envelope env;  // what postdrop would write, as pickup reads it
  queue_file::Recipient pending;
  bool failed = false;
  std::string error;
  for (std::string_view line : fuzz::Lines(in.Rest())) {
    if (line.empty()) continue;
    util::Record rec{line[0], std::string(line.substr(1))};
    util::Status s = v.Next(rec);
    if (failed) {
      FUZZ_CHECK(!s.ok() && s.message() == error);
      continue;
    }
    if (!s.ok()) {
      failed = true;
      error = s.message();
      continue;
    }
    // What the validator passes, the queue file reader takes (an A record
    // it lets through has its '=').
    FUZZ_CHECK(queue_file::AddEnvelopeRecord(rec, &env, &pending).ok());
  }
  util::Status finish = v.Finish();
  if (failed) FUZZ_CHECK(!finish.ok());
  if (finish.ok()) {
    FUZZ_CHECK(v.done());
    util::Status s = maildrop::CheckEnvelope(env);
    if (!s.ok()) std::fprintf(stderr, "CheckEnvelope: %s\n", s.message().c_str());
    FUZZ_CHECK(s.ok());
    FUZZ_CHECK(!env.recipients.empty() || v.extract());
    FUZZ_CHECK(env.recipients.size() == v.recipients());
  }
  return 0;
}

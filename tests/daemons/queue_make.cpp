// queue-make: writes one message into a queue for the system tests of the
// queue tools (global/queue_file.h Writer), optionally with defer-log
// entries (global/delivery_log.h), and prints its queue ID.
//
//   queue-make -c CONFIG_DIR -q QUEUE [-f SENDER] [-t ARRIVAL_SEC]
//              [-s CONTENT_BYTES] [-D RECIPIENT] [-r RECIPIENT=REASON]...
//              RECIPIENT...
//
//   -f   the envelope sender (default: the null sender)
//   -t   the arrival time in seconds (default: now)
//   -s   at least this many bytes of content (default: a short message)
//   -D   the recipient is marked done after writing
//   -r   appends a defer-log entry (status 4.4.1, action delayed)
// The queue layout comes from CONFIG_DIR/main.cf. Errors: a message on
// stderr and exit status 1.
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "global/config.h"
#include "global/delivery_log.h"
#include "global/queue_file.h"

namespace {

int Fail(const std::string& m) {
  std::fprintf(stderr, "queue-make: %s\n", m.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_dir, queue = "incoming", sender;
  long arrival = 0;
  long size = 0;
  std::set<std::string> done;
  std::vector<std::pair<std::string, std::string>> reasons;
  int c;
  while ((c = getopt(argc, argv, "c:q:f:t:s:D:r:")) != -1) {
    switch (c) {
      case 'c':
        config_dir = optarg;
        break;
      case 'q':
        queue = optarg;
        break;
      case 'f':
        sender = optarg;
        break;
      case 't':
        arrival = std::stol(optarg);
        break;
      case 's':
        size = std::stol(optarg);
        break;
      case 'D':
        done.insert(optarg);
        break;
      case 'r': {
        std::string a = optarg;
        size_t eq = a.find('=');
        if (eq == std::string::npos) return Fail("bad -r argument: " + a);
        reasons.emplace_back(a.substr(0, eq), a.substr(eq + 1));
        break;
      }
      default:
        return Fail(
            "usage: queue-make -c DIR -q QUEUE [-f S] [-t T] [-s N] [-D R] [-r R=WHY] RCPT...");
    }
  }
  auto cfg = config::Config::Load(config::ConfigDirectory(config_dir));
  if (!cfg.ok()) return Fail(cfg.status().message());
  mail_queue::Layout layout = mail_queue::Layout::FromConfig(*cfg);

  auto w = queue_file::Writer::Create(layout, queue);
  if (!w.ok()) return Fail(w.status().message());
  struct timeval now;
  gettimeofday(&now, nullptr);
  w->SetArrival(arrival ? arrival : now.tv_sec, arrival ? 0 : now.tv_usec);
  w->AddAttr("protocol", "ESMTP");
  w->SetSender(sender);
  for (int i = optind; i < argc; ++i) {
    queue_file::Recipient r;
    r.address = argv[i];
    w->AddRecipient(r);
  }
  w->BeginContent();
  w->AddLine("Subject: test");
  w->AddLine("");
  long written = 0;
  do {
    std::string line(70, 'x');
    w->AddLine(line);
    written += 71;
  } while (written < size);
  auto id = w->Finish();
  if (!id.ok()) return Fail(id.status().message());
  if (!done.empty()) {
    auto r = queue_file::Reader::OpenForUpdate(layout.Path(queue, *id));
    if (!r.ok()) return Fail(r.status().message());
    std::vector<queue_file::Recipient> rcpts = r->envelope().recipients;
    for (queue_file::Recipient& rc : rcpts) {
      if (!done.count(rc.address)) continue;
      if (auto st = r->MarkDone(rc); !st.ok()) return Fail(st.message());
    }
  }
  for (const auto& [rcpt, why] : reasons) {
    delivery_log::Entry e;
    e.recipient = rcpt;
    e.status = "4.4.1";
    e.action = "delayed";
    e.reason = why;
    if (auto st = delivery_log::Append(layout, mail_queue::kDefer, *id, e); !st.ok())
      return Fail(st.message());
  }
  std::printf("%s\n", id->c_str());
  return 0;
}

// tls_source_bench: a load generator like Postfix's smtp-source that does
// STARTTLS in every session (smtp-source has no TLS): SESSIONS parallel
// sessions send MESSAGES messages of SIZE bytes in total, one message per
// connection, each after EHLO, STARTTLS, EHLO. With -r each session
// thread offers the TLS session it got last time (resumption, as a client
// with a session cache would). Prints the seconds until every message was
// accepted, how many handshakes resumed and how many messages had to be
// sent again. Used by bench/inbound.py (TLS=1).
//
//   tls_source_bench -s 10 -m 2000 -l 2048 [-r] -f sender@example.org
//                    -t user@bench.example.jp [-N] 127.0.0.1:2525
//   -N numbers the recipients as smtp-source does: 1user@..., 2user@...
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "global/smtp_reply.h"
#include "util/sockets.h"
#include "util/stream.h"
#include "util/tls.h"

namespace {

struct Options {
  int sessions = 10;
  int messages = 1000;
  int size = 2048;
  bool resume = false;
  bool numbered = false;
  std::string from = "sender@example.org";
  std::string to = "user@example.org";
  std::string host = "127.0.0.1";
  int port = 25;
};

std::atomic<int> next_message{0};
std::atomic<int> resumed{0};
std::atomic<int> failed{0};

// The code of the next (possibly multi-line) reply, or -1.
int Reply(util::Stream& s) {
  smtp_reply::Reply r;
  return smtp_reply::Read(s, &r).ok() ? r.code : -1;
}

bool Command(util::Stream& s, const std::string& cmd, int want) {
  if (!s.Write(cmd + "\r\n").ok() || !s.Flush().ok()) return false;
  return Reply(s) == want;
}

// One connection, one message.
bool OneMessage(const Options& o, const util::tls::ClientContext& ctx,
                const std::shared_ptr<util::tls::ResumptionSlot>& slot, const std::string& body,
                int n) {
  auto fd = util::ConnectTcp(o.host, o.port, util::InetProtocols::kAll, std::chrono::seconds(10));
  if (!fd.ok()) return false;
  util::Stream s(std::move(*fd));
  s.set_timeout(30);
  if (Reply(s) != 220 || !Command(s, "EHLO tls-source.example", 250) ||
      !Command(s, "STARTTLS", 220))
    return false;
  util::tls::ConnectOptions co;
  co.resumption = slot;
  util::tls::Summary sum;
  auto t = util::tls::Connect(ctx, s.fd(), std::chrono::seconds(30), co, &sum, nullptr);
  if (!t.ok() || !s.set_transport(std::move(*t)).ok()) return false;
  if (sum.resumed) resumed++;
  std::string to = (o.numbered ? std::to_string(n + 1) : "") + o.to;
  if (!Command(s, "EHLO tls-source.example", 250) ||
      !Command(s, "MAIL FROM:<" + o.from + ">", 250) || !Command(s, "RCPT TO:<" + to + ">", 250) ||
      !Command(s, "DATA", 354))
    return false;
  if (!s.Write(body).ok() || !Command(s, ".", 250)) return false;
  (void)Command(s, "QUIT", 221);
  return true;
}

std::atomic<int> retried{0};

// A message whose session failed (a busy machine: a timeout, a 4xx) is
// sent again, at most three times, as a real client would.
void Worker(const Options& o, const util::tls::ClientContext& ctx, const std::string& body) {
  auto slot = o.resume ? util::tls::NewResumptionSlot() : nullptr;
  for (int n; (n = next_message++) < o.messages;) {
    int attempt = 0;
    while (!OneMessage(o, ctx, slot, body, n)) {
      if (++attempt == 3) {
        failed++;
        break;
      }
      retried++;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options o;
  int c;
  while ((c = getopt(argc, argv, "s:m:l:rNf:t:")) != -1) {
    switch (c) {
      case 's':
        o.sessions = atoi(optarg);
        break;
      case 'm':
        o.messages = atoi(optarg);
        break;
      case 'l':
        o.size = atoi(optarg);
        break;
      case 'r':
        o.resume = true;
        break;
      case 'N':
        o.numbered = true;
        break;
      case 'f':
        o.from = optarg;
        break;
      case 't':
        o.to = optarg;
        break;
      default:
        fprintf(stderr,
                "usage: %s [-s sessions] [-m messages] [-l size] [-r] [-N] [-f from] "
                "[-t to] host:port\n",
                argv[0]);
        return 2;
    }
  }
  if (optind + 1 != argc) {
    fprintf(stderr, "%s: host:port expected\n", argv[0]);
    return 2;
  }
  std::string target = argv[optind];
  size_t colon = target.rfind(':');
  if (colon == std::string::npos) return 2;
  o.host = target.substr(0, colon);
  o.port = atoi(target.substr(colon + 1).c_str());

  // A body of about SIZE bytes in lines of 78 characters, as smtp-source.
  std::string body = "From: <" + o.from + ">\r\nTo: <" + o.to + ">\r\nSubject: tls bench\r\n\r\n";
  while (body.size() + 80 < static_cast<size_t>(o.size)) body += std::string(78, 'X') + "\r\n";
  auto ctx = util::tls::ClientContext::Create(util::tls::ClientSettings());
  if (!ctx.ok()) {
    fprintf(stderr, "%s: %s\n", argv[0], ctx.status().message().c_str());
    return 1;
  }
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < o.sessions; i++)
    threads.emplace_back(Worker, std::cref(o), std::cref(**ctx), std::cref(body));
  for (std::thread& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  printf("messages %d seconds %.3f resumed %d failed %d retried %d\n", o.messages, secs,
         resumed.load(), failed.load(), retried.load());
  return failed.load() == 0 ? 0 : 1;
}

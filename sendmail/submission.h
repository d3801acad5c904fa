// submission: one message handed to postdrop, for sendmail's -bm and -bs
// modes.
//
// Start() runs `$command_directory/postdrop -r` with a pipe on its standard
// input and output (MAIL_CONFIG tells it the configuration directory) and
// writes the envelope as a maildrop record stream (global/maildrop_stream.h);
// Line() adds content; Finish() writes the end, waits for postdrop and
// returns the maildrop queue ID or a failure with its sysexits code.
// postdrop's own diagnostics go to the shared standard error. Abort() stops
// postdrop with SIGTERM, which makes it remove its file.
//
//   auto sub = Submission::Start(cfg, envelope);
//   if (!sub.ok()) fatal(sub.status());            // cannot run postdrop
//   (*sub)->Line("Subject: hi", true); ...
//   Submission::Outcome done = (*sub)->Finish();  // done.exit_status == 0: queued
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "global/queue_file.h"
#include "util/status.h"

namespace sendmail {

struct Envelope {
  std::string sender;     // internal form, "" = null sender
  std::string full_name;  // -F / $NAME; "" = none
  std::string rewrite_context = "local";
  std::string encoding;   // "7bit" / "8bit" / ""
  std::string dsn_envid;  // -V
  std::string dsn_ret;    // "FULL" / "HDRS" / ""
  bool extract = false;   // -t
  std::vector<queue_file::Recipient> recipients;
};

class Submission {
 public:
  struct Outcome {
    int exit_status = 0;   // 0, or a sysexits code
    std::string queue_id;  // the maildrop file's ID when queued
    std::string reason;    // why not
  };

  // Errors: kUnavailable "unable to execute PATH: ..." (EX_UNAVAILABLE).
  static util::StatusOr<std::unique_ptr<Submission>> Start(const config::Config& cfg,
                                                           const Envelope& env);
  ~Submission();
  Submission(const Submission&) = delete;
  Submission& operator=(const Submission&) = delete;

  // One piece of a content line (complete: the line ends here).
  void Line(std::string_view data, bool complete);
  // Content bytes so far (lines plus one newline each).
  uint64_t size() const { return size_; }
  Outcome Finish();
  void Abort();

 private:
  Submission() = default;
  void Put(char type, std::string_view data);
  void Flush();
  int Wait();

  pid_t pid_ = -1;
  int to_ = -1;    // postdrop's standard input
  int from_ = -1;  // postdrop's standard output
  std::string buf_;
  bool write_failed_ = false;
  uint64_t size_ = 0;
};

}  // namespace sendmail

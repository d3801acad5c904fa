// postdrop_client: one message handed to postdrop, the way local programs
// submit without the mail system's privileges (sendmail -bm, and smtpd -S
// when sendmail -bs runs it as a user other than mail_owner).
//
// Start() runs `$command_directory/postdrop -r` with pipes on its standard
// input and output (MAIL_CONFIG tells it the configuration directory) and
// reads the queue ID postdrop reports as soon as its maildrop file exists
// ({queue_id=ID}, util/attr.h). The caller then writes the maildrop record
// stream (global/maildrop_stream.h): WriteEnvelope() for the envelope of a
// sendmail Envelope, or Record() one record at a time; Line() adds content.
// Finish() writes the end, waits for postdrop and returns its verdict with
// a sysexits code. postdrop's own diagnostics go to the shared standard
// error. Abort() (and the destructor) stops postdrop with SIGTERM, which
// makes it remove its file.
//
//   auto sub = postdrop_client::Submission::Start(cfg);
//   if (!sub.ok()) fatal(sub.status());             // cannot run postdrop
//   (*sub)->WriteEnvelope(envelope);
//   (*sub)->Line("Subject: hi", true); ...
//   postdrop_client::Outcome done = (*sub)->Finish();  // done.exit_status == 0: queued
//
// queue_id() is empty when postdrop ended before creating its file (not
// allowed to submit, no maildrop directory ...); Finish() then says why.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "global/queue_file.h"
#include "util/status.h"

namespace postdrop_client {

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

struct Outcome {
  int exit_status = 0;   // 0, or a sysexits code
  std::string queue_id;  // the maildrop file's ID when queued
  std::string reason;    // why not
};

class Submission {
 public:
  // Errors: kUnavailable "unable to execute PATH: ..." (EX_UNAVAILABLE).
  static util::StatusOr<std::unique_ptr<Submission>> Start(const config::Config& cfg);
  ~Submission();
  Submission(const Submission&) = delete;
  Submission& operator=(const Submission&) = delete;

  // The maildrop file's ID, as postdrop reported it; "" when it failed first.
  const std::string& queue_id() const { return queue_id_; }
  // The envelope part of the stream: T, the attributes, S, the
  // recipients, M.
  void WriteEnvelope(const Envelope& env);
  // One record of the stream as is (queue_file::RecordType).
  void Record(char type, std::string_view data);
  // One piece of a content line (complete: the line ends here).
  void Line(std::string_view data, bool complete);
  // Content bytes so far (lines plus one newline each).
  uint64_t size() const { return size_; }
  Outcome Finish();
  void Abort();

 private:
  Submission() = default;
  void Flush();
  int Wait();
  void ReadQueueId();

  pid_t pid_ = -1;
  int to_ = -1;    // postdrop's standard input
  int from_ = -1;  // postdrop's standard output
  std::string queue_id_;
  std::string buf_;
  bool write_failed_ = false;
  uint64_t size_ = 0;
};

}  // namespace postdrop_client

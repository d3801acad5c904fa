#include "global/postdrop_client.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "global/maildrop_stream.h"
#include "util/attr.h"
#include "util/fd.h"
#include "util/files.h"
#include "util/strings.h"

namespace postdrop_client {

util::StatusOr<std::unique_ptr<Submission>> Submission::Start(const config::Config& cfg) {
  std::string path = cfg.Get("command_directory") + "/postdrop";
  if (access(path.c_str(), X_OK) != 0)
    return util::Unavailable("unable to execute " + path + ": " + strerror(errno));
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return util::ErrnoStatus(errno, "pipe");
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return util::ErrnoStatus(errno, "pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
    return util::ErrnoStatus(err, "fork");
  }
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    setenv("MAIL_CONFIG", cfg.config_dir().c_str(), 1);
    signal(SIGPIPE, SIG_DFL);
    execl(path.c_str(), "postdrop", "-r", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  std::unique_ptr<Submission> sub(new Submission);
  sub->pid_ = pid;
  sub->to_ = in[1];
  sub->from_ = out[0];
  sub->ReadQueueId();
  return sub;
}

// postdrop reports the ID once its file exists; EOF first means it failed.
void Submission::ReadQueueId() {
  util::AttrDecoder decoder;
  util::AttrList list;
  char buf[512];
  for (;;) {
    ssize_t n = read(from_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
    util::StatusOr<bool> got = decoder.Next(&list);
    if (!got.ok()) return;
    if (*got) break;
  }
  if (auto id = list.Get("queue_id")) queue_id_ = std::string(*id);
}

Submission::~Submission() { Abort(); }

void Submission::WriteEnvelope(const Envelope& env) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  Record(queue_file::kTime,
         util::StrFormat("%ld %ld", static_cast<long>(tv.tv_sec), static_cast<long>(tv.tv_usec)));
  auto attr = [&](std::string_view name, std::string_view value) {
    if (!value.empty()) Record(queue_file::kAttr, std::string(name) + "=" + std::string(value));
  };
  attr(maildrop::kAttrRewriteContext, env.rewrite_context);
  attr(maildrop::kAttrFullName, env.full_name);
  attr(maildrop::kAttrEncoding, env.encoding);
  attr(maildrop::kAttrDsnEnvid, env.dsn_envid);
  attr(maildrop::kAttrDsnRet, env.dsn_ret);
  if (env.extract) attr(maildrop::kAttrExtract, "yes");
  Record(queue_file::kSender, env.sender);
  for (const queue_file::Recipient& r : env.recipients) {
    if (!r.original.empty()) Record(queue_file::kOriginal, r.original);
    if (!r.dsn_orcpt.empty()) Record(queue_file::kDsnOrcpt, r.dsn_orcpt);
    if (r.dsn_notify) Record(queue_file::kDsnNotify, std::to_string(r.dsn_notify));
    Record(queue_file::kRecipient, r.address);
  }
  Record(queue_file::kMessage, "");
}

void Submission::Record(char type, std::string_view data) {
  util::AppendRecord(&buf_, type, data);
  if (buf_.size() >= 65536) Flush();
}

void Submission::Flush() {
  if (!write_failed_ && !buf_.empty() && !util::WriteAll(to_, buf_, "postdrop").ok())
    write_failed_ = true;  // postdrop died; Finish reports its status
  buf_.clear();
}

void Submission::Line(std::string_view data, bool complete) {
  size_ += data.size() + (complete ? 1 : 0);
  Record(complete ? queue_file::kLine : queue_file::kSegment, data);
}

int Submission::Wait() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) {
      status = -1;
      break;
    }
  }
  pid_ = -1;
  return status;
}

Outcome Submission::Finish() {
  Outcome out;
  Record(queue_file::kExtra, "");
  Record(queue_file::kEnd, "");
  Flush();
  close(to_);
  to_ = -1;
  char buf[512];
  for (;;) {  // nothing more is expected; read to postdrop's end
    ssize_t n = read(from_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
  }
  close(from_);
  from_ = -1;
  int status = Wait();
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !queue_id_.empty()) {
    out.queue_id = queue_id_;
    return out;
  }
  if (status != -1 && WIFEXITED(status)) {
    switch (WEXITSTATUS(status)) {
      case EX_TEMPFAIL:
        out.exit_status = EX_TEMPFAIL;
        out.reason = "queue file write error";
        break;
      case EX_DATAERR:
        out.exit_status = EX_DATAERR;
        out.reason = "message rejected by postdrop";
        break;
      case 127:
        out.exit_status = EX_UNAVAILABLE;
        out.reason = "unable to execute postdrop";
        break;
      default:
        out.exit_status = EX_SOFTWARE;
        out.reason = util::StrFormat("postdrop failed with exit status %d", WEXITSTATUS(status));
        break;
    }
  } else {
    out.exit_status = EX_TEMPFAIL;
    out.reason = status == -1 ? "lost track of postdrop"
                              : util::StrFormat("postdrop killed by signal %d", WTERMSIG(status));
  }
  return out;
}

void Submission::Abort() {
  if (pid_ > 0) kill(pid_, SIGTERM);
  if (to_ >= 0) close(to_);
  if (from_ >= 0) close(from_);
  to_ = from_ = -1;
  if (pid_ > 0) Wait();
}

}  // namespace postdrop_client

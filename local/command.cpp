#include "local/command.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <thread>

#include "util/strings.h"

namespace local_agent {
namespace {

struct SysExit {
  int code;
  const char* dsn;
  const char* text;
};

// sysexits.h codes with Postfix's DSN and text (sys_exits.c).
constexpr SysExit kSysExits[] = {
    {64, "5.3.0", "command line usage error"},  {65, "5.6.0", "data format error"},
    {66, "5.3.0", "cannot open input"},         {67, "5.1.1", "user unknown"},
    {68, "5.1.2", "host name unknown"},         {69, "5.3.0", "service unavailable"},
    {70, "5.3.0", "internal software error"},   {71, "4.3.0", "system resource problem"},
    {72, "5.3.0", "critical OS file missing"},  {73, "5.2.0", "can't create user output file"},
    {74, "5.3.0", "input/output error"},        {75, "4.3.0", "temporary failure"},
    {76, "5.5.0", "remote error in protocol"},  {77, "5.7.0", "permission denied"},
    {78, "5.3.5", "local configuration error"},
};

constexpr size_t kMaxOutput = 2000;

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

[[noreturn]] void Child(const CommandSpec& spec, int in_fd, int out_fd) {
  setpgid(0, 0);
  dup2(in_fd, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  for (int fd = 3; fd < 1024; fd++) close(fd);
  signal(SIGPIPE, SIG_DFL);
  if (geteuid() == 0 || getuid() == 0) {
    // Become the user for good: real and effective IDs.
    if (seteuid(0) < 0) _exit(75);
    if (!spec.user.empty() ? initgroups(spec.user.c_str(), spec.gid) < 0
                           : setgroups(1, &spec.gid) < 0)
      _exit(75);
    if (setgid(spec.gid) < 0 || setuid(spec.uid) < 0) _exit(75);
  }
  if (spec.cwd.empty() || chdir(spec.cwd.c_str()) < 0) (void)!chdir("/");
  std::vector<char*> env;
  for (const std::string& e : spec.env) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  const char* argv[] = {spec.shell.c_str(), "-c", spec.command.c_str(), nullptr};
  execve(spec.shell.c_str(), const_cast<char**>(argv), env.data());
  _exit(75);
}

// The output as Postfix puts it in the reason: control characters
// (newlines) become spaces, nothing else changes.
std::string Folded(const std::string& out) {
  std::string s = out;
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return s;
}

}  // namespace

mailbox::Result RunCommand(const CommandSpec& spec, const std::function<int(int fd)>& feed) {
  // A command that exits without reading its input must give EPIPE, not
  // end this process.
  signal(SIGPIPE, SIG_IGN);
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) < 0)
    return mailbox::Result::Defer("4.3.0", std::string("pipe: ") + strerror(errno));
  if (pipe2(out, O_CLOEXEC) < 0) {
    int err = errno;
    close(in[0]);
    close(in[1]);
    return mailbox::Result::Defer("4.3.0", std::string("pipe: ") + strerror(err));
  }
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
    return mailbox::Result::Defer("4.3.0", std::string("fork: ") + strerror(err));
  }
  if (pid == 0) Child(spec, in[0], out[1]);
  setpgid(pid, pid);  // also in the parent: no race with the kill below
  close(in[0]);
  close(out[1]);

  // Feed the message from a thread while this one collects the output, so
  // that a command writing much before reading cannot deadlock us.
  int feed_err = 0;
  std::thread writer([&] {
    feed_err = feed(in[1]);
    close(in[1]);
  });
  std::string output;
  bool timed_out = false;
  double deadline = Now() + static_cast<double>(spec.time_limit);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  for (;;) {
    double left = deadline - Now();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd p = {out[0], POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(std::min(left * 1000 + 1, 60000.0)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    ssize_t r = read(out[0], buf, sizeof(buf));
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) break;  // every writer closed: the command is (nearly) done
    if (output.size() < kMaxOutput)
      output.append(buf, std::min<size_t>(static_cast<size_t>(r), kMaxOutput - output.size()));
  }
  if (timed_out) kill(-pid, SIGKILL);
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  writer.join();

  std::string quoted = "\"" + spec.command + "\"";
  std::string text;
  std::string dsn = "5.3.0";
  if (timed_out) {
    text = "Command time limit exceeded: " + quoted;
  } else if (WIFSIGNALED(status)) {
    text = util::StrFormat("Command died with signal %d: ", WTERMSIG(status)) + quoted;
  } else if (WEXITSTATUS(status) == 0) {
    if (feed_err != 0 && feed_err != EPIPE)
      return mailbox::Result::Defer(
          "4.3.0", std::string("error writing message to command: ") + strerror(feed_err));
    return mailbox::Result::Sent("delivered to command: " + spec.command);
  } else {
    int code = WEXITSTATUS(status);
    text = util::StrFormat("Command died with status %d: ", code) + quoted;
    for (const SysExit& s : kSysExits) {
      if (s.code == code) {
        text = s.text;
        dsn = s.dsn;
      }
    }
  }
  std::string folded = Folded(output);
  if (!folded.empty()) text += ". Command output: " + folded;
  return mailbox::Result::Fail(dsn, text);
}

}  // namespace local_agent

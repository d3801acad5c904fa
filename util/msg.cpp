#include "util/msg.h"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "util/strings.h"

namespace msg {
namespace {

struct State {
  std::string program = "unknown";
  std::string syslog_name = "postfix";
  std::string hostname;  // first label of myhostname, for file log lines
  std::string ident;     // storage for openlog(), which keeps the pointer
  bool to_stderr = true;
  bool to_syslog = false;
  int file_fd = -1;
  LineHook hook = nullptr;
  int verbose = 0;
  int fatal_status = 1;
  void (*fatal_cleanup)() = nullptr;
};

State& S() {
  static State s;
  return s;
}

const char* Prefix(Level level) {
  switch (level) {
    case Level::kInfo:
      return "";
    case Level::kWarning:
      return "warning: ";
    case Level::kError:
      return "error: ";
    case Level::kFatal:
      return "fatal: ";
    case Level::kPanic:
      return "panic: ";
  }
  return "";
}

int SyslogPriority(Level level) {
  switch (level) {
    case Level::kInfo:
      return LOG_INFO;
    case Level::kWarning:
      return LOG_WARNING;
    case Level::kError:
      return LOG_ERR;
    case Level::kFatal:
      return LOG_CRIT;
    case Level::kPanic:
      return LOG_CRIT;
  }
  return LOG_INFO;
}

void WriteAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s.remove_prefix(static_cast<size_t>(n));
  }
}

void ReopenSyslog() {
  State& s = S();
  if (!s.to_syslog) return;
  closelog();
  s.ident = s.syslog_name + "/" + s.program;
  openlog(s.ident.c_str(), LOG_PID | LOG_NDELAY, LOG_MAIL);
}

}  // namespace

void Init(std::string_view program) {
  State& s = S();
  auto slash = program.rfind('/');
  s.program = std::string(slash == std::string_view::npos ? program : program.substr(slash + 1));
  s.to_stderr = true;
  ReopenSyslog();
}

const std::string& Program() { return S().program; }

void SetHostname(std::string_view hostname) {
  S().hostname = std::string(hostname.substr(0, hostname.find('.')));
}

void SetSyslogName(std::string_view syslog_name) {
  S().syslog_name = std::string(syslog_name);
  ReopenSyslog();
}

const std::string& SyslogName() { return S().syslog_name; }

void UseStderr(bool on) { S().to_stderr = on; }

void UseSyslog(bool on) {
  State& s = S();
  if (s.to_syslog == on) return;
  s.to_syslog = on;
  if (on)
    ReopenSyslog();
  else
    closelog();
}

bool UseFile(const std::string& path) {
  State& s = S();
  if (s.file_fd >= 0) {
    close(s.file_fd);
    s.file_fd = -1;
  }
  if (path.empty()) return true;
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return false;
  s.file_fd = fd;
  return true;
}

void SetHook(LineHook hook) { S().hook = hook; }

void SetVerbose(int level) { S().verbose = level; }
int Verbose() { return S().verbose; }

std::string Stamp(time_t when) {
  struct tm tm;
  localtime_r(&when, &tm);
  char buf[32];
  if (strftime(buf, sizeof buf, "%b %e %H:%M:%S", &tm) == 0) return "?";
  return buf;
}

std::string FormatFileLine(std::string_view text) {
  State& s = S();
  std::string stamp = Stamp(time(nullptr));
  if (s.hostname.empty()) {  // no myhostname given: this system's name, once
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    SetHostname(host);
  }
  const std::string& h = s.hostname;
  return util::StrFormat("%s %s %s/%s[%ld]: ", stamp.c_str(), h.c_str(), s.syslog_name.c_str(),
                         s.program.c_str(), static_cast<long>(getpid())) +
         std::string(text);
}

void Log(Level level, std::string_view text) {
  State& s = S();
  int saved_errno = errno;
  std::string body = std::string(Prefix(level)) + std::string(text);
  if (s.to_stderr) WriteAll(2, s.program + ": " + body + "\n");
  if (s.to_syslog) syslog(SyslogPriority(level), "%s", body.c_str());
  if (s.file_fd >= 0 || s.hook) {
    std::string line = FormatFileLine(body);
    if (s.hook) s.hook(level, line);
    if (s.file_fd >= 0) WriteAll(s.file_fd, line + "\n");
  }
  errno = saved_errno;
  if (level == Level::kFatal) {
    if (auto cleanup = s.fatal_cleanup) {
      s.fatal_cleanup = nullptr;
      cleanup();
    }
    exit(s.fatal_status);
  }
  if (level == Level::kPanic) abort();
}

#define MSG_FORMAT_AND_LOG(level)               \
  va_list ap;                                   \
  va_start(ap, fmt);                            \
  std::string text = util::StrVFormat(fmt, ap); \
  va_end(ap);                                   \
  Log(level, text)

void Info(const char* fmt, ...) { MSG_FORMAT_AND_LOG(Level::kInfo); }
void Warn(const char* fmt, ...) { MSG_FORMAT_AND_LOG(Level::kWarning); }
void Error(const char* fmt, ...) { MSG_FORMAT_AND_LOG(Level::kError); }
void Fatal(const char* fmt, ...) {
  MSG_FORMAT_AND_LOG(Level::kFatal);
  exit(1);
}
void FatalStatus(int status, const char* fmt, ...) {
  S().fatal_status = status;
  MSG_FORMAT_AND_LOG(Level::kFatal);
  exit(status);
}

void SetFatalCleanup(void (*cleanup)()) { S().fatal_cleanup = cleanup; }

void Panic(const char* fmt, ...) {
  MSG_FORMAT_AND_LOG(Level::kPanic);
  abort();
}

}  // namespace msg

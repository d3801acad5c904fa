// msg: the one logging module of every program, in Postfix's formats.
//
// Programs call msg::Init("postconf") once, then msg::Info/Warn/Error/Fatal/
// Panic with printf-style arguments. Where the text goes is chosen by the
// sinks in effect:
//   - stderr: "program: warning: text" (commands run by a person);
//   - syslog: facility mail, ident "syslog_name/program", LOG_PID, so the
//     system logger writes "Mon DD HH:MM:SS host postfix/smtpd[123]: text";
//   - a file (maillog_file): the same line format, written with one append
//     of the whole line so that concurrent writers never interleave.
// Fatal logs and exits 1 (so master throttles and restarts); Panic logs and
// aborts (a broken invariant). Verbose() is the count of -v flags; callers
// guard debug output with `if (msg::Verbose()) msg::Info(...)`.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace msg {

enum class Level { kInfo, kWarning, kError, kFatal, kPanic };

// Sets the program name (e.g. "smtpd"); syslog_name defaults to "postfix".
void Init(std::string_view program);
const std::string& Program();
void SetSyslogName(std::string_view syslog_name);
const std::string& SyslogName();
// The host name in file log lines (Postfix writes the first label of
// myhostname there); without it, the first label of gethostname().
void SetHostname(std::string_view hostname);

// Sinks; any combination may be on. Init turns stderr on and the rest off.
void UseStderr(bool on);
void UseSyslog(bool on);
// Appends to `path`; an empty path turns the file sink off. Returns false
// (and leaves the sink off) when the file cannot be opened.
bool UseFile(const std::string& path);

// A sink supplied by a higher layer (e.g. the postlogd client). It receives
// whole formatted lines without the trailing newline.
using LineHook = void (*)(Level level, std::string_view line);
void SetHook(LineHook hook);

void SetVerbose(int level);
int Verbose();

// Formats the timestamped file line "Mon DD HH:MM:SS host name/prog[pid]: text".
std::string FormatFileLine(std::string_view text);
// "Mon DD HH:MM:SS" in local time, the stamp of log lines (ctime's
// characters 4..18), also for times in statistics lines (anvil, scache).
std::string Stamp(time_t when);

void Info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void Warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void Error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void Fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void Panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Fatal with a given exit status (the sysexits codes of sendmail, postdrop,
// postqueue) instead of 1.
[[noreturn]] void FatalStatus(int status, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));
// A function run once before a fatal exit (e.g. remove a half-written
// file); nullptr to remove it.
void SetFatalCleanup(void (*cleanup)());

// Logs already-formatted text at a level (Fatal/Panic still end the process).
void Log(Level level, std::string_view text);

}  // namespace msg

#include "util/process.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>

#include "util/msg.h"

namespace util {

void OpenStandardFds() {
  for (int fd = 0; fd < 3; ++fd) {
    struct stat st;
    if (fstat(fd, &st) == 0) continue;
    int got = open("/dev/null", O_RDWR);
    if (got != fd) msg::FatalStatus(EX_OSERR, "open /dev/null: %s", strerror(errno));
  }
}

void CleanEnvironment(const std::vector<std::string>& import) {
  std::map<std::string, std::string> keep;
  for (const std::string& item : import) {
    if (auto eq = item.find('='); eq != std::string::npos) {
      keep[item.substr(0, eq)] = item.substr(eq + 1);
    } else if (const char* v = getenv(item.c_str())) {
      keep[item] = v;
    }
  }
  clearenv();
  for (const auto& [name, value] : keep) setenv(name.c_str(), value.c_str(), 1);
}

size_t RaiseOpenLimit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return SIZE_MAX;
  if (rl.rlim_cur != rl.rlim_max) {
    struct rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<size_t>(rl.rlim_cur);
}

}  // namespace util

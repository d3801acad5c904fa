// mail_flow: see mail_flow.h.
#include "global/mail_flow.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "global/master_proto.h"

namespace mail_flow {
namespace {

bool IsFifo(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

}  // namespace

bool Available() {
  static const bool available =
      IsFifo(master_proto::kFlowReadFd) && IsFifo(master_proto::kFlowWriteFd);
  return available;
}

ssize_t Count() {
  if (!Available()) return -1;
  int n = 0;
  if (ioctl(master_proto::kFlowReadFd, FIONREAD, &n) < 0) return -1;
  return n;
}

ssize_t Get(size_t n) {
  if (!Available()) return -1;
  char buf[256];
  size_t left = n;
  while (left > 0) {
    ssize_t r = read(master_proto::kFlowReadFd, buf, std::min(left, sizeof buf));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    left -= static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(n);
}

ssize_t Put(size_t n) {
  if (!Available()) return -1;
  char buf[256] = {};
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(master_proto::kFlowWriteFd, buf, std::min(n - done, sizeof buf));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;  // full
    done += static_cast<size_t>(w);
  }
  return static_cast<ssize_t>(done);
}

void ConsumeOrWait(std::chrono::milliseconds delay) {
  if (delay.count() <= 0 || !Available()) return;
  if (Get(1) < 0) std::this_thread::sleep_for(delay);
}

void Regulate(size_t taken_from_incoming, bool incoming_idle, size_t limit) {
  ssize_t count = Count();
  if (count < 0) return;
  size_t have = static_cast<size_t>(count);
  if (have < limit) {
    if (taken_from_incoming > 0)
      Put(std::min(taken_from_incoming, limit - have));
    else if (incoming_idle)
      Put(limit - have);
  } else if (have > limit) {
    Get(have - limit);
  }
}

}  // namespace mail_flow

// fuzz_util: what the fuzz targets share (tests/fuzz/README.md).
//
// Every target is one LLVMFuzzerTestOneInput over the project's own code.
// Built with clang and libFuzzer (cmake -DMTA_FUZZ=ON, `make fuzz`) it is
// fuzzed; built with the normal compiler it is linked with replay_main.cpp
// and CTest runs each file of tests/fuzz/corpus/TARGET/ through it once.
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     fuzz::Init();                          // logging off, TZ fixed
//     fuzz::Input in(data, size);
//     uint8_t mode = in.Byte();              // knobs first, then text
//     for (std::string_view line : fuzz::Lines(in.Rest())) ...
//     FUZZ_CHECK(result.size() <= limit);    // a broken promise aborts
//   }
//
// FUZZ_CHECK states a property the code documents; when it does not hold
// the target aborts, so libFuzzer keeps the input as a crash.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "util/msg.h"

#define FUZZ_CHECK(cond)                                \
  do {                                                  \
    if (!(cond)) fuzz::Fail(__FILE__, __LINE__, #cond); \
  } while (0)

namespace fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
  std::abort();
}

// Once per process: no log output (warnings about bad input are expected
// and would only slow the fuzzer down), a fixed time zone.
inline void Init() {
  static bool done = [] {
    msg::Init("fuzz");
    msg::UseStderr(false);
    setenv("TZ", "UTC", 1);
    return true;
  }();
  (void)done;
}

// Reads knobs and text from the fuzz input; past the end, bytes are 0.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : text_(reinterpret_cast<const char*>(data), size) {}
  bool empty() const { return pos_ >= text_.size(); }
  uint8_t Byte() { return empty() ? 0 : static_cast<uint8_t>(text_[pos_++]); }
  // Up to the next '\n' (not included) or the end.
  std::string_view Line() {
    size_t nl = text_.find('\n', pos_);
    size_t end = nl == std::string_view::npos ? text_.size() : nl;
    std::string_view out = text_.substr(std::min(pos_, text_.size()), end - std::min(pos_, end));
    pos_ = end + 1;
    return out;
  }
  // Up to the first NUL byte (not included) or the end.
  std::string_view UntilNul() {
    size_t nul = text_.find('\0', pos_);
    size_t end = nul == std::string_view::npos ? text_.size() : nul;
    std::string_view out = text_.substr(std::min(pos_, text_.size()), end - std::min(pos_, end));
    pos_ = end + 1;
    return out;
  }
  std::string_view Rest() {
    std::string_view out = empty() ? std::string_view() : text_.substr(pos_);
    pos_ = text_.size();
    return out;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// `text` split at '\n' (a final line without one included; no empty last piece).
inline std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// A temporary file in memory holding `bytes` (memfd: nothing is left on
// disk, even when the target crashes). The caller owns the descriptor;
// -1 when it cannot be made.
inline int MemFile(std::string_view bytes) {
  int fd = memfd_create("mta-fuzz", MFD_CLOEXEC);
  if (fd < 0) return -1;
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

// The path by which code that opens files by name reads a MemFile.
inline std::string MemFilePath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace fuzz

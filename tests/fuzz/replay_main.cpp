// replay_main: runs saved inputs through a fuzz target without libFuzzer,
// so that the normal build (g++, no sanitizers) replays every corpus file
// once in `make test` (CTest fuzz.replay.TARGET).
//
//   fuzz_smtpd_command tests/fuzz/corpus/smtpd_command     # a directory: every file in it
//   fuzz_smtpd_command crash-1234 other-input              # single files
//
// Prints one line per argument ("replayed N inputs from DIR"); exits 1 when
// an argument cannot be read or a directory holds no input. A failing input aborts inside the
// target, and CTest reports the test as failed; run the file alone to see which.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

bool RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly the input's size, as libFuzzer passes it, so that a
  // read past the end is as visible as it can be without ASan.
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(arg, ec)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      if (ec) {
        std::fprintf(stderr, "replay: cannot list %s: %s\n", arg.c_str(), ec.message().c_str());
        status = 1;
        continue;
      }
      std::sort(files.begin(), files.end());
      size_t n = 0;
      for (const auto& f : files) {
        if (RunFile(f))
          ++n;
        else
          status = 1;
      }
      std::printf("replayed %zu inputs from %s\n", n, arg.c_str());
      if (files.empty()) {
        std::fprintf(stderr, "replay: no inputs in %s\n", arg.c_str());
        status = 1;
      }
    } else if (RunFile(arg)) {
      std::printf("replayed %s\n", arg.c_str());
    } else {
      status = 1;
    }
  }
  return status;
}

#include "sendmail/line_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace sendmail {
namespace {

// Reads `input` through a pipe with pieces of at most `max` bytes; each
// piece is shown as its data, then "|" for a complete line or "+" for a
// piece that continues.
std::string ReadAll(const std::string& input, LineReader::CrMode mode, size_t max) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    for (size_t i = 0; i < input.size(); i += 3) {  // in small writes
      EXPECT_GT(write(fds[1], input.data() + i, std::min<size_t>(3, input.size() - i)), 0);
    }
    close(fds[1]);
  });
  LineReader in(fds[0], mode, max);
  LineReader::Piece p;
  std::string out;
  for (;;) {
    util::StatusOr<bool> got = in.Next(&p);
    EXPECT_TRUE(got.ok());
    if (!got.ok() || !*got) break;
    out += p.data + (p.complete ? "|" : "+");
  }
  writer.join();
  close(fds[0]);
  return out;
}

TEST(LineReaderTest, Table) {
  using M = LineReader::CrMode;
  struct Case {
    std::string name, input;
    M mode;
    size_t max;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"lf", "a\nbc\n\nd\n", M::kAlways, 100, "a|bc||d|"},
      {"crlf", "a\r\nb\r\n", M::kAlways, 100, "a|b|"},
      {"mixed", "a\r\nb\nc\rd\n", M::kAlways, 100, "a|b|c\rd|"},
      {"never", "a\r\nb\n", M::kNever, 100, "a\r|b|"},
      {"strict crlf", "a\r\nb\r\n", M::kStrict, 100, "a|b|"},
      {"strict lf", "a\nb\r\n", M::kStrict, 100, "a|b\r|"},
      {"no final newline", "a\nlast", M::kAlways, 100, "a|last|"},
      {"8bit", "\xc3\xa4\xff\n", M::kAlways, 100, "\xc3\xa4\xff|"},
      {"long line", "abcdefghij\nk\n", M::kAlways, 4, "abcd+efgh+ij|k|"},
      {"exact pieces", "abcdefgh\n", M::kAlways, 4, "abcd+efgh|"},
      {"cr at the piece edge", "abcd\r\n", M::kAlways, 4, "abcd|"},
      {"long last line", "abcdefghi", M::kAlways, 4, "abcd+efgh+i|"},
      {"empty", "", M::kAlways, 4, ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ReadAll(c.input, c.mode, c.max), c.want) << c.name;
  }
}

}  // namespace
}  // namespace sendmail

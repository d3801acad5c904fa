#include "global/smtp_data.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace smtp_data {
namespace {

// Writes `lines` through a DataWriter and returns the bytes sent.
std::string Send(const std::vector<std::string>& lines, size_t limit) {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  std::string got;
  {
    util::Stream s(sv[0], util::Stream::Ownership::kOwned);
    DataWriter w(s, limit);
    for (const std::string& l : lines) EXPECT_TRUE(w.Line(l).ok());
    EXPECT_TRUE(w.Finish().ok());
    EXPECT_EQ(w.bytes(), s.buffered_output());
    EXPECT_TRUE(s.Close().ok());
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(sv[1], buf, sizeof(buf))) > 0) got.append(buf, n);
  close(sv[1]);
  return got;
}

TEST(SmtpDataTest, Lines) {
  struct Case {
    const char* name;
    std::vector<std::string> lines;
    size_t limit;
    std::string want;
  } cases[] = {
      {"empty message", {}, 998, ".\r\n"},
      {"plain", {"Subject: x", "", "body"}, 998, "Subject: x\r\n\r\nbody\r\n.\r\n"},
      {"dot stuffing", {".", "..x", "a.b", ". "}, 998, "..\r\n...x\r\na.b\r\n.. \r\n.\r\n"},
      {"fold", {"abcdefghij"}, 4, "abcd\r\n efg\r\n hij\r\n.\r\n"},
      {"fold exact", {"abcd"}, 4, "abcd\r\n.\r\n"},
      {"fold dot first", {".abcde"}, 4, "..abc\r\n de\r\n.\r\n"},
      {"no limit", {std::string(2000, 'x')}, 0, std::string(2000, 'x') + "\r\n.\r\n"},
      // No bare CR or LF ever leaves inside a line; what follows one is a
      // line of its own, dot-stuffed (no early end of DATA).
      {"bare cr", {"a\rb"}, 998, "a\r\nb\r\n.\r\n"},
      {"bare lf", {"a\nb"}, 998, "a\r\nb\r\n.\r\n"},
      {"trailing cr", {"a\r"}, 998, "a\r\n.\r\n"},
      {"injection",
       {"x\r\n.\r\nMAIL FROM:<evil@example>"},
       998,
       "x\r\n..\r\nMAIL FROM:<evil@example>\r\n.\r\n"},
      {"lf dot lf", {"x\n.\nQUIT"}, 998, "x\r\n..\r\nQUIT\r\n.\r\n"},
      {"cr dot cr", {"x\r.\r"}, 998, "x\r\n..\r\n.\r\n"},
  };
  for (const Case& c : cases) EXPECT_EQ(Send(c.lines, c.limit), c.want) << c.name;
}

}  // namespace
}  // namespace smtp_data

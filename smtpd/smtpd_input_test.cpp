#include "smtpd/smtpd_input.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtpd_input {
namespace {

std::string Show(const Piece& p) {
  const char* e = p.end == End::kCrLf ? "crlf" : p.end == End::kLf ? "lf" : "seg";
  return p.text + "|" + e;
}

std::vector<std::string> Split(const std::vector<std::string>& chunks, size_t max_len) {
  LineSplitter s;
  std::vector<std::string> out;
  for (const std::string& c : chunks) {
    s.Append(c);
    Piece p;
    while (s.Next(max_len, &p)) out.push_back(Show(p));
  }
  if (s.buffered()) out.push_back("rest:" + s.TakeAll());
  return out;
}

TEST(LineSplitterTest, Lines) {
  struct {
    const char* name;
    std::vector<std::string> chunks;
    size_t max_len;
    std::vector<std::string> want;
  } rows[] = {
      {"crlf and lf", {"a\r\nb\nc\r\n"}, 100, {"a|crlf", "b|lf", "c|crlf"}},
      {"split across reads", {"ab", "c\r", "\nd"}, 100, {"abc|crlf", "rest:d"}},
      {"lone CR is data", {"a\rb\r\n"}, 100, {"a\rb|crlf"}},
      {"empty lines", {"\r\n\n"}, 100, {"|crlf", "|lf"}},
      {"long line segments", {"abcdefghij\r\n"}, 4, {"abcd|seg", "efgh|seg", "ij|crlf"}},
      {"exactly max", {"abcd\r\n"}, 4, {"abcd|crlf"}},
      {"max then CR waits", {"abcd\r", "\n"}, 4, {"abcd|crlf"}},
      {"segment without newline", {"abcdef"}, 4, {"abcd|seg", "rest:ef"}},
      {"max+1 with LF", {"abcde\n"}, 4, {"abcd|seg", "e|lf"}},
  };
  for (const auto& r : rows) EXPECT_EQ(Split(r.chunks, r.max_len), r.want) << r.name;
}

TEST(LineSplitterTest, Take) {
  LineSplitter s;
  s.Append("0123456789QUIT\r\n");
  std::string out;
  EXPECT_EQ(s.Take(10, &out), 10u);
  EXPECT_EQ(out, "0123456789");
  Piece p;
  ASSERT_TRUE(s.Next(100, &p));
  EXPECT_EQ(Show(p), "QUIT|crlf");
  EXPECT_EQ(s.Take(5, &out), 0u);
}

TEST(LineSplitterTest, ParseBareLf) {
  BareLf m;
  ASSERT_TRUE(ParseBareLf("normalize", &m));
  EXPECT_EQ(m, BareLf::kNormalize);
  ASSERT_TRUE(ParseBareLf("yes", &m));
  EXPECT_EQ(m, BareLf::kNormalize);
  ASSERT_TRUE(ParseBareLf("Reject", &m));
  EXPECT_EQ(m, BareLf::kReject);
  ASSERT_TRUE(ParseBareLf("no", &m));
  EXPECT_EQ(m, BareLf::kAllow);
  EXPECT_FALSE(ParseBareLf("maybe", &m));
}

// Runs raw DATA content through the splitter and the filter; returns the
// content lines and how it ended ("end", "reject" or "more").
std::pair<std::vector<std::string>, std::string> RunData(BareLf mode, const std::string& raw,
                                                         size_t max_len = 100) {
  LineSplitter s;
  s.Append(raw);
  DataFilter f(mode, End::kCrLf);
  std::vector<std::string> lines;
  Piece p;
  while (s.Next(max_len, &p)) {
    std::string line;
    bool seg = false;
    switch (f.Feed(p, &line, &seg)) {
      case DataFilter::Action::kContent:
        lines.push_back(line + (seg ? "+" : ""));
        break;
      case DataFilter::Action::kEnd:
        return {lines, "end:" + s.TakeAll()};
      case DataFilter::Action::kReject:
        return {lines, "reject"};
    }
  }
  return {lines, "more"};
}

TEST(DataFilterTest, EndOfData) {
  using V = std::vector<std::string>;
  struct {
    const char* name;
    BareLf mode;
    std::string raw;
    V lines;
    std::string how;
    size_t max_len = 100;
  } rows[] = {
      {"plain", BareLf::kNormalize, "a\r\nb\r\n.\r\nQUIT\r\n", V{"a", "b"}, "end:QUIT\r\n"},
      {"dot unstuffing", BareLf::kNormalize, "..x\r\n.\r\n\r\n.\r\n", V{".x"}, "end:\r\n.\r\n"},
      {"double dot alone", BareLf::kNormalize, "..\r\n.\r\n", V{"."}, "end:"},
      {"empty message", BareLf::kNormalize, ".\r\n", V{}, "end:"},
      {"bare LF line normalized", BareLf::kNormalize, "a\nb\r\n.\r\n", V{"a", "b"}, "end:"},
      {"smuggle LF.CRLF", BareLf::kNormalize, "a\n.\r\nMAIL FROM:<x>\r\n.\r\n",
       V{"a", ".", "MAIL FROM:<x>"}, "end:"},
      {"smuggle LF.LF", BareLf::kNormalize, "a\r\n.\nMAIL FROM:<x>\r\n.\r\n",
       V{"a", ".", "MAIL FROM:<x>"}, "end:"},
      {"smuggle CRLF.LF", BareLf::kNormalize, "a\r\n.\n.\r\n", V{"a", ".", "."}, "more"},
      {"legacy no accepts LF.LF", BareLf::kAllow, "a\n.\nrest", V{"a"}, "end:rest"},
      {"reject bare LF", BareLf::kReject, "a\r\nb\nc\r\n.\r\n", V{"a"}, "reject"},
      {"reject ok with CRLF", BareLf::kReject, "a\r\n.\r\n", V{"a"}, "end:"},
      {"segment then dot", BareLf::kNormalize, "abcd.\r\n.\r\n", V{"abcd+", "."}, "end:", 4},
      {"dot line split", BareLf::kNormalize, ".abcdef\r\n.\r\n", V{"abcd+", "ef"}, "end:", 5},
  };
  for (const auto& r : rows) {
    auto [lines, how] = RunData(r.mode, r.raw, r.max_len);
    EXPECT_EQ(lines, r.lines) << r.name;
    EXPECT_EQ(how, r.how) << r.name;
  }
}

TEST(DataFilterTest, DataCommandEndedInBareLf) {
  // "DATA\n" then ".\r\n": the dot does not follow a CR LF.
  DataFilter f(BareLf::kNormalize, End::kLf);
  std::string line;
  bool seg;
  EXPECT_EQ(f.Feed({".", End::kCrLf}, &line, &seg), DataFilter::Action::kContent);
  EXPECT_EQ(f.Feed({".", End::kCrLf}, &line, &seg), DataFilter::Action::kEnd);
}

}  // namespace
}  // namespace smtpd_input

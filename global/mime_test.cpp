#include "global/mime.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mime {
namespace {

// Feeds a message (primary headers one per line, no folding) and gives
// each item as "H<class> text" or "B text".
std::vector<std::string> Classify(const std::vector<std::string>& primary,
                                  const std::vector<std::string>& body, Mime::Limits limits = {}) {
  std::vector<std::string> out;
  Mime mime(limits);
  auto name = [](Mime::Class c) {
    return c == Mime::Class::kPrimary ? "P" : c == Mime::Class::kMime ? "M" : "N";
  };
  for (const std::string& h : primary)
    out.push_back(std::string("H") + name(mime.PrimaryHeader(h)) + " " + h);
  mime.EndPrimaryHeaders();
  auto sink = [&](const Mime::Item& it) {
    out.push_back((it.header ? std::string("H") + name(it.cls) : std::string("B")) + " " +
                  std::string(it.text));
  };
  for (const std::string& l : body) mime.BodyLine(l, sink);
  mime.End(sink);
  return out;
}

TEST(MimeTest, ContentType) {
  std::string type, boundary;
  Mime::ParseContentType(" Multipart/Mixed; charset=x;\n\tboundary=\"a \\\"b\"; boundary=c", &type,
                         &boundary);
  EXPECT_EQ(type, "multipart/mixed");
  EXPECT_EQ(boundary, "a \"b");
  Mime::ParseContentType("text/plain; boundary=tok; x=\"unterminated", &type, &boundary);
  EXPECT_EQ(type, "text/plain");
  EXPECT_EQ(boundary, "tok");
  Mime::ParseContentType("", &type, &boundary);
  EXPECT_EQ(type, "");
  EXPECT_EQ(boundary, "");
  EXPECT_TRUE(Mime::IsMimeHeader("Content-Type"));
  EXPECT_TRUE(Mime::IsMimeHeader("mime-version"));
  EXPECT_FALSE(Mime::IsMimeHeader("Subject"));
}

TEST(MimeTest, MultipartAndAttachedMessage) {
  EXPECT_EQ(Classify({"Subject: s", "Content-Type: multipart/mixed; boundary=b"},
                     {"pre", "--b", "X-Part: 1", "", "text", "--b", "Content-Type: message/rfc822",
                      "", "Subject: inner", " folded", "Content-Type: text/plain", "", "inner text",
                      "--b--", "epilogue"}),
            std::vector<std::string>(
                {"HP Subject: s", "HM Content-Type: multipart/mixed; boundary=b", "B pre", "B --b",
                 "HM X-Part: 1", "B ", "B text", "B --b", "HM Content-Type: message/rfc822", "B ",
                 "HN Subject: inner\n folded", "HM Content-Type: text/plain", "B ", "B inner text",
                 "B --b--", "B epilogue"}));
}

TEST(MimeTest, DigestPartsAreMessages) {
  EXPECT_EQ(Classify({"Content-Type: multipart/digest; boundary=d"},
                     {"--d", "", "Subject: in digest", "", "x", "--d--"}),
            std::vector<std::string>({"HM Content-Type: multipart/digest; boundary=d", "B --d",
                                      "B ", "HN Subject: in digest", "B ", "B x", "B --d--"}));
}

TEST(MimeTest, Disabled) {
  Mime::Limits l;
  l.disabled = true;
  EXPECT_EQ(Classify({"Content-Type: multipart/mixed; boundary=b"}, {"--b", "X: y"}, l),
            std::vector<std::string>(
                {"HP Content-Type: multipart/mixed; boundary=b", "B --b", "B X: y"}));
}

TEST(MimeTest, LimitsHold) {
  Mime::Limits l;
  l.nesting_limit = 2;
  l.boundary_length = 4;
  l.header_size_limit = 100;
  // The third level is not opened; boundaries compare on 4 bytes.
  std::vector<std::string> out = Classify({"Content-Type: multipart/mixed; boundary=aaaaXX"},
                                          {"--aaaaYY", "Content-Type: multipart/mixed; boundary=b",
                                           "", "--b", "Content-Type: multipart/mixed; boundary=c",
                                           "", "--c", "X-Not: header", "--aaaa--", "after"},
                                          l);
  EXPECT_EQ(out,
            std::vector<std::string>({"HM Content-Type: multipart/mixed; boundary=aaaaXX",
                                      "B --aaaaYY", "HM Content-Type: multipart/mixed; boundary=b",
                                      "B ", "B --b", "HM Content-Type: multipart/mixed; boundary=c",
                                      "B ", "B --c", "B X-Not: header", "B --aaaa--", "B after"}));
  // A part header is held up to header_size_limit; the excess is dropped.
  l.header_size_limit = 12;
  EXPECT_EQ(Classify({"Content-Type: multipart/mixed; boundary=b"},
                     {"--b", "X-Long: 0123456789", " more", "", "x"}, l),
            std::vector<std::string>({"HM Content-Type: multipart/mixed; boundary=b", "B --b",
                                      "HM X-Long: 0123", "B ", "B x"}));
}

}  // namespace
}  // namespace mime

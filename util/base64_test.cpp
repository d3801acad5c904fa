#include "util/base64.h"

#include <gtest/gtest.h>

namespace util::base64 {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; i++) {
    EXPECT_EQ(Encode(plain[i]), coded[i]);
    EXPECT_EQ(Decode(coded[i]), plain[i]);
  }
}

TEST(Base64Test, BinaryRoundTrip) {
  std::string all;
  for (int c = 0; c < 256; c++) all += static_cast<char>(c);
  EXPECT_EQ(Decode(Encode(all)), all);
  EXPECT_EQ(Encode(std::string("\0bob\0secret", 11)), "AGJvYgBzZWNyZXQ=");
}

TEST(Base64Test, HostileInput) {
  EXPECT_EQ(Decode("Zm9"), std::nullopt);       // length
  EXPECT_EQ(Decode("Zm=v"), std::nullopt);      // padding inside
  EXPECT_EQ(Decode("Zg==Zm8="), std::nullopt);  // padding before the end
  EXPECT_EQ(Decode("Zm9v\r\n"), std::nullopt);  // no white space
  EXPECT_EQ(Decode("Zm9*"), std::nullopt);      // bad character
  EXPECT_EQ(Decode("===="), std::nullopt);
  EXPECT_TRUE(Valid("Zm9vYg=="));
  EXPECT_TRUE(Valid(""));
  EXPECT_FALSE(Valid("Zm 9v"));
  EXPECT_FALSE(Valid("Zm9v\n"));
}

}  // namespace
}  // namespace util::base64

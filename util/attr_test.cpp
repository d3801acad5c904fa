#include "util/attr.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/strings.h"

namespace util {
namespace {

using namespace std::string_literals;

// What decoding a byte string produced: the complete lists in order, then
// either an error or the end-of-input verdict.
struct AttrResult {
  std::vector<AttrList> lists;
  Status status;  // the Next() error, else AtEof()
};

// Feeds `in` in chunks of `chunk` bytes (0: all at once), draining Next()
// after each chunk.
AttrResult DecodeAll(std::string_view in, size_t chunk, const AttrLimits& limits = {}) {
  AttrDecoder dec(limits);
  AttrResult r;
  size_t step = chunk == 0 ? std::max<size_t>(in.size(), 1) : chunk;
  for (size_t off = 0; off < in.size() || off == 0; off += step) {
    dec.Feed(in.substr(off, step));
    for (;;) {
      AttrList list;
      StatusOr<bool> got = dec.Next(&list);
      if (!got.ok()) {
        r.status = got.status();
        return r;
      }
      if (!*got) break;
      r.lists.push_back(std::move(list));
    }
    if (in.empty()) break;
  }
  r.status = dec.AtEof();
  return r;
}

struct RecordResult {
  std::vector<Record> records;
  Status status;
};

RecordResult DecodeRecords(std::string_view in, size_t chunk, size_t max = kDefaultMaxRecordSize) {
  RecordDecoder dec(max);
  RecordResult r;
  size_t step = chunk == 0 ? std::max<size_t>(in.size(), 1) : chunk;
  for (size_t off = 0; off < in.size(); off += step) {
    dec.Feed(in.substr(off, step));
    for (;;) {
      Record rec;
      StatusOr<bool> got = dec.Next(&rec);
      if (!got.ok()) {
        r.status = got.status();
        return r;
      }
      if (!*got) break;
      r.records.push_back(std::move(rec));
    }
  }
  r.status = dec.AtEof();
  return r;
}

AttrList ManyAttrs(size_t n) {
  AttrList l;
  for (size_t i = 0; i < n; ++i) l.SetInt("a" + std::to_string(i), static_cast<long long>(i));
  return l;
}

// ---- AttrList ----

TEST(AttrListTest, SetGetKeepsOrder) {
  AttrList l;
  l.Set("b", "1");
  l.Set("a", "2");
  l.Set("b", "3");  // replaced in place
  l.SetInt("n", -42);
  std::vector<AttrList::Entry> want = {{"b", "3"}, {"a", "2"}, {"n", "-42"}};
  EXPECT_EQ(std::vector<AttrList::Entry>(l.begin(), l.end()), want);
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l.Get("a"), "2");
  EXPECT_EQ(l.Get("zz"), std::nullopt);
  EXPECT_TRUE(l.Has("n"));
  EXPECT_TRUE(l.Erase("a"));
  EXPECT_FALSE(l.Erase("a"));
  EXPECT_EQ(l.size(), 2u);
  EXPECT_EQ(l, (AttrList{{"b", "3"}, {"n", "-42"}}));
  EXPECT_NE(l, (AttrList{{"n", "-42"}, {"b", "3"}}));  // order matters
  l.Clear();
  EXPECT_TRUE(l.empty());
}

TEST(AttrListTest, GetInt) {
  AttrList l{{"ok", "123"},
             {"neg", "-5"},
             {"bad", "12x"},
             {"empty", ""},
             {"big", "1e9"},
             {"ctl", "1\n2"},
             {"huge", "99999999999999999999"}};
  struct {
    const char* name;
    Code code;
    long long want;
    const char* message;
  } rows[] = {
      {"ok", Code::kOk, 123, ""},
      {"neg", Code::kOk, -5, ""},
      {"bad", Code::kInvalidArgument, 0, "bad numerical attribute bad=12x"},
      {"empty", Code::kInvalidArgument, 0, "bad numerical attribute empty="},
      {"big", Code::kInvalidArgument, 0, "bad numerical attribute big=1e9"},
      {"ctl", Code::kInvalidArgument, 0, "bad numerical attribute ctl=1\\0122"},
      {"huge", Code::kInvalidArgument, 0, "bad numerical attribute huge=99999999999999999999"},
      {"missing", Code::kInvalidArgument, 0, "missing attribute: missing"},
  };
  for (const auto& r : rows) {
    StatusOr<long long> v = l.GetInt(r.name);
    EXPECT_EQ(v.status().code(), r.code) << r.name;
    if (v.ok()) {
      EXPECT_EQ(*v, r.want) << r.name;
    } else {
      EXPECT_EQ(v.status().message(), r.message) << r.name;
    }
  }
  EXPECT_EQ(*l.GetRequired("ok"), "123");
  EXPECT_EQ(l.GetRequired("nope").status().message(), "missing attribute: nope");
}

TEST(AttrListTest, RequireAndRefuseUnknown) {
  AttrList l{{"queue_id", "X"}, {"size", "1"}, {"flags", "0"}};
  struct {
    const char* name;
    Status got;
    const char* want;  // "" means OK
  } rows[] = {
      {"require ok", l.Require({"queue_id", "size"}), ""},
      {"require missing", l.Require({"queue_id", "sender", "nrcpt"}), "missing attribute: sender"},
      {"allowed ok", l.RefuseUnknown({"flags", "size", "queue_id", "extra"}), ""},
      {"unknown", l.RefuseUnknown({"queue_id", "size"}), "unknown attribute: flags"},
      {"expect ok", l.Expect({"queue_id", "size"}, {"flags"}), ""},
      {"expect all required", l.Expect({"queue_id", "size", "flags"}), ""},
      {"expect unknown", l.Expect({"queue_id"}, {"size"}), "unknown attribute: flags"},
      {"expect missing", l.Expect({"queue_id", "x"}, {"size", "flags"}), "missing attribute: x"},
      {"empty list", AttrList().Expect({}, {"a"}), ""},
  };
  for (const auto& r : rows) {
    if (*r.want == '\0') {
      EXPECT_TRUE(r.got.ok()) << r.name << ": " << r.got.message();
    } else {
      EXPECT_EQ(r.got.code(), Code::kInvalidArgument) << r.name;
      EXPECT_EQ(r.got.message(), r.want) << r.name;
    }
  }
}

TEST(AttrListTest, DebugString) {
  AttrList l{{"a", "x\ny"}, {"b", std::string(70, 'z')}};
  EXPECT_EQ(l.DebugString(), "{a=x\\012y, b=" + std::string(64, 'z') + "...}");
  EXPECT_EQ(AttrList().DebugString(), "{}");
}

TEST(AttrListTest, NameValidation) {
  struct {
    const char* name;
    bool valid;
  } rows[] = {{"a", true},    {"queue_id", true}, {"x_9", true}, {"", false},        {"A", false},
              {"a-b", false}, {"a b", false},     {"a=", false}, {"\xc3\xa9", false}};
  for (const auto& r : rows) EXPECT_EQ(IsValidAttrName(r.name), r.valid) << r.name;
  EXPECT_TRUE(IsValidAttrName(std::string(kMaxAttrNameSize, 'a')));
  EXPECT_FALSE(IsValidAttrName(std::string(kMaxAttrNameSize + 1, 'a')));
  EXPECT_TRUE(IsValidAttrName("abcd", 4));
  EXPECT_FALSE(IsValidAttrName("abcde", 4));
}

TEST(AttrListDeathTest, SetRefusesBadName) {
  AttrList l;
  EXPECT_DEATH(l.Set("Bad", "x"), "invalid attribute name \"Bad\"");
  EXPECT_DEATH(l.Set("", "x"), "invalid attribute name");
}

// ---- Attribute list wire format ----

TEST(AttrCodecTest, EncodeExact) {
  struct {
    const char* name;
    AttrList list;
    std::string want;
  } rows[] = {
      {"empty list", {}, "\n"},
      {"doc example", {{"queue_id", "3F2A1"}, {"size", "512"}}, "queue_id=5:3F2A1\nsize=3:512\n\n"},
      {"empty value", {{"a", ""}}, "a=0:\n\n"},
      {"binary", {{"v", "\0\n="s}}, "v=3:\0\n=\n\n"s},
      {"ten bytes", {{"x_1", "0123456789"}}, "x_1=10:0123456789\n\n"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(EncodeAttrList(r.list), r.want) << r.name;
    std::string appended = "prefix";
    AppendAttrList(&appended, r.list);
    EXPECT_EQ(appended, "prefix" + r.want) << r.name;
  }
}

TEST(AttrCodecTest, RoundTrips) {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes += static_cast<char>(c);
  struct {
    const char* name;
    AttrList list;
  } rows[] = {
      {"empty list", {}},
      {"empty value", {{"a", ""}}},
      {"nul and newline", {{"v", "a\0b\nc\n\n"s}, {"w", "\n"}}},
      {"separators in value", {{"v", "x=1:y\n\nz=0:\n"}}},
      {"all bytes", {{"bytes", all_bytes}}},
      {"large value", {{"big", std::string(100000, 'q')}}},
      {"many attrs", ManyAttrs(1024)},
      {"long name", {{std::string(kMaxAttrNameSize, 'n'), "v"}}},
  };
  for (const auto& r : rows) {
    std::string wire = EncodeAttrList(r.list);
    StatusOr<AttrList> one = DecodeAttrList(wire);
    ASSERT_TRUE(one.ok()) << r.name << ": " << one.status().message();
    EXPECT_EQ(*one, r.list) << r.name;
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{4096}}) {
      if (chunk == 1 && wire.size() > 20000) continue;  // keep the test fast
      // Two copies back to back: lists are delimited correctly.
      AttrResult got = DecodeAll(wire + wire, chunk);
      EXPECT_TRUE(got.status.ok()) << r.name << " chunk " << chunk << ": " << got.status.message();
      ASSERT_EQ(got.lists.size(), 2u) << r.name << " chunk " << chunk;
      EXPECT_EQ(got.lists[0], r.list) << r.name;
      EXPECT_EQ(got.lists[1], r.list) << r.name;
    }
  }
}

TEST(AttrCodecTest, SeveralListsInOneFeed) {
  AttrResult got = DecodeAll("a=1:x\n\n\nb=0:\n\n", 0);
  ASSERT_TRUE(got.status.ok()) << got.status.message();
  ASSERT_EQ(got.lists.size(), 3u);
  EXPECT_EQ(got.lists[0], (AttrList{{"a", "x"}}));
  EXPECT_EQ(got.lists[1], AttrList());
  EXPECT_EQ(got.lists[2], (AttrList{{"b", ""}}));
}

AttrLimits Limits(size_t attrs, size_t name, size_t value, size_t list) {
  AttrLimits l;
  l.max_attrs = attrs;
  l.max_name_size = name;
  l.max_value_size = value;
  l.max_list_size = list;
  return l;
}

struct MalformedRow {
  const char* name;
  std::string in;
  AttrLimits limits;
  Code code;
  std::string message;
};

std::vector<MalformedRow> MalformedRows() {
  const AttrLimits d;
  return {
      {"upper case name", "Ab=1:x\n\n", d, Code::kInvalidArgument,
       "bad character 'A' in attribute name"},
      {"dash in name", "a-b=1:x\n\n", d, Code::kInvalidArgument,
       "bad character '-' in attribute name"},
      {"control in name", "a\x01=1:x\n\n", d, Code::kInvalidArgument,
       "bad character '\\001' in attribute name"},
      {"empty name", "=1:x\n\n", d, Code::kInvalidArgument, "empty attribute name"},
      {"missing '='", "abc:1:x\n\n", d, Code::kInvalidArgument,
       "bad character ':' in attribute name"},
      {"newline in name", "ab\n\n", d, Code::kInvalidArgument,
       "bad character '\\012' in attribute name"},
      {"non-digit length", "a=x:1\n\n", d, Code::kInvalidArgument, "attribute a: bad length 'x'"},
      {"empty length", "a=:\n\n", d, Code::kInvalidArgument, "attribute a: bad length ':'"},
      {"negative length", "a=-1:x\n\n", d, Code::kInvalidArgument, "attribute a: bad length '-'"},
      {"space in length", "a= 1:x\n\n", d, Code::kInvalidArgument, "attribute a: bad length ' '"},
      {"leading zero", "a=01:x\n\n", d, Code::kInvalidArgument,
       "attribute a: length has a leading zero"},
      {"double zero", "a=00:\n\n", d, Code::kInvalidArgument,
       "attribute a: length has a leading zero"},
      {"missing ':'", "a=1;x\n\n", d, Code::kInvalidArgument,
       "attribute a: missing ':' after length"},
      {"missing ':' before newline", "a=1\nx\n\n", d, Code::kInvalidArgument,
       "attribute a: missing ':' after length"},
      {"value too long for length", "a=1:xy\n\n", d, Code::kInvalidArgument,
       "attribute a: missing newline after value"},
      {"value too short for length", "a=3:x\n\nb=0:\n\n", d, Code::kInvalidArgument,
       "attribute a: missing newline after value"},
      {"duplicate", "a=1:x\nb=0:\na=1:y\n\n", d, Code::kInvalidArgument, "duplicate attribute: a"},
      {"value over limit", "a=5:hello\n\n", Limits(10, 10, 4, 100), Code::kResourceExhausted,
       "attribute a: length exceeds limit 4"},
      {"huge length", "a=99999999999999999999999999:", d, Code::kResourceExhausted,
       "attribute a: length exceeds limit 1048576"},
      {"too many attributes", "a=0:\nb=0:\nc=0:\n\n", Limits(2, 10, 10, 100),
       Code::kResourceExhausted, "too many attributes (limit 2)"},
      {"zero attributes limit", "a=0:\n\n", Limits(0, 10, 10, 100), Code::kResourceExhausted,
       "too many attributes (limit 0)"},
      {"name over limit", "abcd=0:\n\n", Limits(10, 3, 10, 100), Code::kResourceExhausted,
       "attribute name longer than 3 bytes"},
      {"list over limit at value", "a=5:hello\nb=20:", Limits(10, 10, 100, 20),
       Code::kResourceExhausted, "attribute list exceeds 20 bytes"},
      {"list over limit at end", "a=5:hello\n\n", Limits(10, 10, 10, 10), Code::kResourceExhausted,
       "attribute list exceeds 10 bytes"},
      {"truncated name", "a=1:x\nbc", d, Code::kInvalidArgument,
       "truncated attribute list (8 bytes at end of input)"},
      {"truncated length", "a=12", d, Code::kInvalidArgument,
       "truncated attribute list (4 bytes at end of input)"},
      {"truncated value", "a=5:he", d, Code::kInvalidArgument,
       "truncated attribute list (6 bytes at end of input)"},
      {"missing terminator", "a=1:x\n", d, Code::kInvalidArgument,
       "truncated attribute list (6 bytes at end of input)"},
      {"second list truncated", "a=1:x\n\nb", d, Code::kInvalidArgument,
       "truncated attribute list (1 bytes at end of input)"},
  };
}

TEST(AttrCodecTest, MalformedWholeAndByteByByte) {
  for (const MalformedRow& r : MalformedRows()) {
    for (size_t chunk : {size_t{0}, size_t{1}, size_t{2}}) {
      AttrResult got = DecodeAll(r.in, chunk, r.limits);
      EXPECT_EQ(got.status.code(), r.code) << r.name << " chunk " << chunk;
      EXPECT_EQ(got.status.message(), r.message) << r.name << " chunk " << chunk;
    }
    StatusOr<AttrList> one = DecodeAttrList(r.in, r.limits);
    EXPECT_FALSE(one.ok()) << r.name;
  }
}

TEST(AttrCodecTest, DecodeAttrListRefusesTrailingBytes) {
  StatusOr<AttrList> one = DecodeAttrList("a=0:\n\nx");
  EXPECT_EQ(one.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(one.status().message(), "trailing bytes after attribute list");
  one = DecodeAttrList("");
  EXPECT_EQ(one.status().message(), "truncated attribute list (0 bytes at end of input)");
}

TEST(AttrCodecTest, LimitsAtAndOverBoundary) {
  struct {
    const char* name;
    std::string in;
    AttrLimits limits;
    bool ok;
  } rows[] = {
      {"value at limit", "a=4:abcd\n\n", Limits(10, 10, 4, 100), true},
      {"value over limit", "a=5:abcde\n\n", Limits(10, 10, 4, 100), false},
      {"attrs at limit", "a=0:\nb=0:\n\n", Limits(2, 10, 10, 100), true},
      {"attrs over limit", "a=0:\nb=0:\nc=0:\n\n", Limits(2, 10, 10, 100), false},
      {"name at limit", "abc=0:\n\n", Limits(10, 3, 10, 100), true},
      {"name over limit", "abcd=0:\n\n", Limits(10, 3, 10, 100), false},
      {"list at limit", "a=5:hello\n\n", Limits(10, 10, 10, 11), true},
      {"list over limit", "a=5:hello\n\n", Limits(10, 10, 10, 10), false},
      {"default value at limit", "v=1048576:" + std::string(1 << 20, 'x') + "\n\n", {}, true},
      {"default value over limit",
       "v=1048577:" + std::string((1 << 20) + 1, 'x') + "\n\n",
       {},
       false},
  };
  for (const auto& r : rows) {
    for (size_t chunk : {size_t{0}, size_t{1000}}) {
      AttrResult got = DecodeAll(r.in, chunk, r.limits);
      EXPECT_EQ(got.status.ok(), r.ok) << r.name << ": " << got.status.message();
      if (r.ok) {
        EXPECT_EQ(got.lists.size(), 1u) << r.name;
      } else {
        EXPECT_EQ(got.status.code(), Code::kResourceExhausted) << r.name;
      }
    }
  }
  EXPECT_TRUE(DecodeAll(EncodeAttrList(ManyAttrs(1024)), 0).status.ok());
  EXPECT_EQ(DecodeAll(EncodeAttrList(ManyAttrs(1025)), 0).status.code(), Code::kResourceExhausted);
}

TEST(AttrCodecTest, LimitsReportedBeforeValueArrives) {
  AttrDecoder dec;
  AttrList l;
  dec.Feed("a=1048577:");
  StatusOr<bool> got = dec.Next(&l);
  EXPECT_EQ(got.status().code(), Code::kResourceExhausted);

  AttrDecoder small(Limits(10, 10, 1000, 50));
  small.Feed("a=100:");
  got = small.Next(&l);
  EXPECT_EQ(got.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(got.status().message(), "attribute list exceeds 50 bytes");
}

TEST(AttrCodecTest, ErrorsAreSticky) {
  AttrDecoder dec;
  AttrList l;
  dec.Feed("A");
  EXPECT_FALSE(dec.Next(&l).ok());
  dec.Feed("a=0:\n\n");
  StatusOr<bool> got = dec.Next(&l);
  EXPECT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "bad character 'A' in attribute name");
  EXPECT_EQ(dec.AtEof().message(), "bad character 'A' in attribute name");
}

TEST(AttrCodecTest, IncrementalState) {
  AttrDecoder dec;
  AttrList l{{"stale", "x"}};
  dec.Feed("a=3:x");
  EXPECT_EQ(dec.Next(&l).value(), false);
  EXPECT_EQ(dec.buffered(), 5u);
  EXPECT_FALSE(dec.AtEof().ok());
  dec.Feed("yz\nb=0:\n");
  EXPECT_EQ(dec.Next(&l).value(), false);
  dec.Feed("\nc=");
  EXPECT_EQ(dec.Next(&l).value(), true);
  EXPECT_EQ(l, (AttrList{{"a", "xyz"}, {"b", ""}}));
  EXPECT_EQ(dec.buffered(), 2u);
  dec.Feed("0:\n\n");
  EXPECT_EQ(dec.Next(&l).value(), true);
  EXPECT_EQ(l, (AttrList{{"c", ""}}));
  EXPECT_EQ(dec.Next(&l).value(), false);
  EXPECT_TRUE(dec.AtEof().ok());
  EXPECT_EQ(dec.buffered(), 0u);
}

// ---- Records ----

TEST(RecordTest, EncodeExact) {
  struct {
    char type;
    std::string data;
    std::string want;
  } rows[] = {
      {'N', "hi", "N2:hi\n"}, {'E', "", "E0:\n"},   {'>', "a\0\nb"s, ">4:a\0\nb\n"s},
      {'!', "x", "!1:x\n"},   {'~', "x", "~1:x\n"}, {'9', "0123456789", "910:0123456789\n"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(EncodeRecord(r.type, r.data), r.want) << r.type;
    std::string out = "p";
    AppendRecord(&out, r.type, r.data);
    EXPECT_EQ(out, "p" + r.want);
  }
  EXPECT_TRUE(IsValidRecordType('A'));
  EXPECT_FALSE(IsValidRecordType(' '));
  EXPECT_FALSE(IsValidRecordType('\x7f'));
  EXPECT_FALSE(IsValidRecordType('\0'));
  EXPECT_FALSE(IsValidRecordType('\xff'));
}

TEST(RecordDeathTest, EncodeRefusesBadType) {
  EXPECT_DEATH(EncodeRecord(' ', "x"), "invalid record type");
}

TEST(RecordTest, RoundTrip) {
  std::vector<Record> recs = {
      {'M', ""},           {'N', "Subject: hi"},
      {'N', "a\0b\n\nc"s}, {'N', std::string(5000, 'z')},
      {'X', ""},           {'E', ""},
  };
  std::string wire;
  for (const Record& r : recs) AppendRecord(&wire, r.type, r.data);
  for (size_t chunk : {size_t{0}, size_t{1}, size_t{7}, size_t{4096}}) {
    RecordResult got = DecodeRecords(wire, chunk);
    EXPECT_TRUE(got.status.ok()) << chunk << ": " << got.status.message();
    EXPECT_EQ(got.records, recs) << chunk;
  }
}

TEST(RecordTest, Malformed) {
  struct {
    const char* name;
    std::string in;
    size_t max;
    Code code;
    std::string message;
  } rows[] = {
      {"space type", " 1:x\n", 100, Code::kInvalidArgument, "bad record type ' '"},
      {"control type",
       "\x01"
       "1:x\n",
       100, Code::kInvalidArgument, "bad record type '\\001'"},
      {"newline type", "\n", 100, Code::kInvalidArgument, "bad record type '\\012'"},
      {"bad length", "Nx:\n", 100, Code::kInvalidArgument, "record 'N': bad length 'x'"},
      {"empty length", "N:\n", 100, Code::kInvalidArgument, "record 'N': bad length ':'"},
      {"leading zero", "N01:x\n", 100, Code::kInvalidArgument,
       "record 'N': length has a leading zero"},
      {"missing ':'", "N1;x\n", 100, Code::kInvalidArgument,
       "record 'N': missing ':' after length"},
      {"missing newline", "N1:xy", 100, Code::kInvalidArgument,
       "record 'N': missing newline after data"},
      {"second bad", "N1:x\nN1:xy\n", 100, Code::kInvalidArgument,
       "record 'N': missing newline after data"},
      {"over limit", "N5:hello\n", 4, Code::kResourceExhausted,
       "record 'N': length exceeds limit 4"},
      {"huge length", "N999999999999999999999999", 100, Code::kResourceExhausted,
       "record 'N': length exceeds limit 100"},
      {"truncated data", "N5:he", 100, Code::kInvalidArgument,
       "truncated record (5 bytes at end of input)"},
      {"truncated type only", "N1:x\nN", 100, Code::kInvalidArgument,
       "truncated record (1 bytes at end of input)"},
  };
  for (const auto& r : rows) {
    for (size_t chunk : {size_t{0}, size_t{1}}) {
      RecordResult got = DecodeRecords(r.in, chunk, r.max);
      EXPECT_EQ(got.status.code(), r.code) << r.name << " chunk " << chunk;
      EXPECT_EQ(got.status.message(), r.message) << r.name << " chunk " << chunk;
    }
  }
  // At the limit exactly.
  RecordResult got = DecodeRecords("N4:abcd\n", 0, 4);
  EXPECT_TRUE(got.status.ok());
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.records[0].data, "abcd");
  // Sticky error.
  RecordDecoder dec;
  Record rec;
  dec.Feed(" ");
  EXPECT_FALSE(dec.Next(&rec).ok());
  dec.Feed("N0:\n");
  EXPECT_FALSE(dec.Next(&rec).ok());
  EXPECT_FALSE(dec.AtEof().ok());
}

// ---- Random input: never a crash; either valid lists or an error ----

std::string RandomInput(std::mt19937& rng) {
  static const char kAlphabet[] = "ab_z09=:\n\n\n12345X\x01\xff";
  std::string s;
  unsigned kind = rng() % 3;
  if (kind == 0) {  // syntax-heavy noise
    size_t n = rng() % 60;
    for (size_t i = 0; i < n; ++i) s += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  } else if (kind == 1) {  // raw bytes
    size_t n = rng() % 60;
    for (size_t i = 0; i < n; ++i) s += static_cast<char>(rng() & 0xff);
  } else {  // a valid encoding with a few mutations
    AttrList l;
    size_t n = rng() % 5;
    for (size_t i = 0; i < n; ++i) {
      std::string v;
      size_t len = rng() % 8;
      for (size_t j = 0; j < len; ++j) v += static_cast<char>(rng() & 0xff);
      l.Set(std::string(1, static_cast<char>('a' + rng() % 4)), v);
    }
    s = EncodeAttrList(l);
    size_t mutations = rng() % 3;
    for (size_t i = 0; i < mutations && !s.empty(); ++i) {
      s[rng() % s.size()] = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    }
  }
  return s;
}

TEST(AttrFuzzTest, RandomBytes) {
  std::mt19937 rng(12345);
  AttrLimits limits = Limits(8, 8, 64, 256);
  int ok_lists = 0, errors = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string in = RandomInput(rng);
    AttrResult whole = DecodeAll(in, 0, limits);
    AttrResult bytewise = DecodeAll(in, 1 + rng() % 4, limits);
    // Chunking never changes the outcome.
    ASSERT_EQ(whole.lists, bytewise.lists) << Printable(in);
    ASSERT_EQ(whole.status.code(), bytewise.status.code()) << Printable(in);
    ASSERT_EQ(whole.status.message(), bytewise.status.message()) << Printable(in);
    if (!whole.status.ok()) {
      ASSERT_TRUE(whole.status.code() == Code::kInvalidArgument ||
                  whole.status.code() == Code::kResourceExhausted);
      ++errors;
    }
    // The encoding is canonical: decoded lists re-encode to the input bytes.
    std::string again;
    for (const AttrList& l : whole.lists) {
      ASSERT_LE(l.size(), limits.max_attrs);
      AppendAttrList(&again, l);
    }
    ASSERT_EQ(in.substr(0, again.size()), again) << Printable(in);
    if (whole.status.ok()) {
      ASSERT_EQ(again, in);
    }
    ok_lists += static_cast<int>(whole.lists.size());
  }
  // The generator exercises both outcomes.
  EXPECT_GT(ok_lists, 100);
  EXPECT_GT(errors, 100);
}

TEST(RecordFuzzTest, RandomBytes) {
  std::mt19937 rng(54321);
  static const char kAlphabet[] = "NX05:\n\n1 \x01";
  for (int iter = 0; iter < 3000; ++iter) {
    std::string in;
    size_t n = rng() % 40;
    for (size_t i = 0; i < n; ++i) {
      in += (rng() % 2) ? kAlphabet[rng() % (sizeof(kAlphabet) - 1)]
                        : static_cast<char>(rng() & 0xff);
    }
    RecordResult whole = DecodeRecords(in, 0, 16);
    RecordResult bytewise = DecodeRecords(in, 1, 16);
    ASSERT_EQ(whole.records, bytewise.records) << Printable(in);
    ASSERT_EQ(whole.status.message(), bytewise.status.message()) << Printable(in);
    std::string again;
    for (const Record& r : whole.records) AppendRecord(&again, r.type, r.data);
    ASSERT_EQ(in.substr(0, again.size()), again) << Printable(in);
    if (whole.status.ok()) {
      ASSERT_EQ(again, in);
    }
  }
}

}  // namespace
}  // namespace util

namespace util {
namespace {

TEST(RecordDecoderOffsetTest, ConsumedCountsWholeRecords) {
  RecordDecoder dec;
  std::string wire = EncodeRecord('S', "sender") + EncodeRecord('R', "rcpt@x") + "N5:hel";
  dec.Feed(wire);
  Record r;
  EXPECT_EQ(dec.consumed(), 0u);
  ASSERT_TRUE(*dec.Next(&r));
  EXPECT_EQ(dec.consumed(), EncodeRecord('S', "sender").size());
  uint64_t rcpt_offset = dec.consumed();
  ASSERT_TRUE(*dec.Next(&r));
  EXPECT_EQ(wire[rcpt_offset], 'R');
  EXPECT_FALSE(*dec.Next(&r));  // partial record: not counted
  EXPECT_EQ(dec.consumed(), rcpt_offset + EncodeRecord('R', "rcpt@x").size());
}

}  // namespace
}  // namespace util

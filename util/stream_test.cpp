#include "util/stream.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace util {
namespace {

using LineEnd = Stream::LineEnd;
using Clock = std::chrono::steady_clock;

struct Pair {
  Fd a;  // for pipes: the read end
  Fd b;  // for pipes: the write end
};

Pair MakePipe() {
  int p[2];
  EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
  return {Fd(p[0]), Fd(p[1])};
}

Pair MakeSocketPair() {
  int s[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
  return {Fd(s[0]), Fd(s[1])};
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    ASSERT_GT(n, 0) << strerror(errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads everything until EOF from a raw descriptor.
std::string ReadAll(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

const char* EndName(LineEnd e) {
  switch (e) {
    case LineEnd::kNone:
      return "none";
    case LineEnd::kLf:
      return "lf";
    case LineEnd::kCrLf:
      return "crlf";
  }
  return "?";
}

struct Want {
  Code code;
  std::string line;
  LineEnd end;
};

TEST(StreamTest, ReadLineTable) {
  const Code ok = Code::kOk, eof = Code::kNotFound, big = Code::kResourceExhausted;
  struct {
    const char* name;
    std::string input;
    size_t max_len;
    std::vector<Want> want;
  } rows[] = {
      {"empty input", "", 10, {{eof, "", LineEnd::kNone}}},
      {"crlf",
       "a\r\nbc\r\n",
       10,
       {{ok, "a", LineEnd::kCrLf}, {ok, "bc", LineEnd::kCrLf}, {eof, "", LineEnd::kNone}}},
      {"bare lf",
       "a\nbc\n",
       10,
       {{ok, "a", LineEnd::kLf}, {ok, "bc", LineEnd::kLf}, {eof, "", LineEnd::kNone}}},
      {"mixed and empty lines",
       "\r\n\nx\r\n",
       10,
       {{ok, "", LineEnd::kCrLf}, {ok, "", LineEnd::kLf}, {ok, "x", LineEnd::kCrLf}}},
      {"lone cr is data", "a\rb\r\n", 10, {{ok, "a\rb", LineEnd::kCrLf}}},
      {"cr cr lf", "a\r\r\n", 10, {{ok, "a\r", LineEnd::kCrLf}}},
      {"lf then dot crlf (smuggling shape)",
       "x\n.\r\n",
       10,
       {{ok, "x", LineEnd::kLf}, {ok, ".", LineEnd::kCrLf}}},
      {"eof mid-line",
       "ab\r\ncd",
       10,
       {{ok, "ab", LineEnd::kCrLf}, {ok, "cd", LineEnd::kNone}, {eof, "", LineEnd::kNone}}},
      {"eof after cr", "ab\r", 10, {{ok, "ab\r", LineEnd::kNone}, {eof, "", LineEnd::kNone}}},
      {"exact limit crlf", "12345\r\n", 5, {{ok, "12345", LineEnd::kCrLf}}},
      {"exact limit lf", "12345\n", 5, {{ok, "12345", LineEnd::kLf}}},
      {"exact limit at eof", "12345", 5, {{ok, "12345", LineEnd::kNone}}},
      {"one over limit",
       "123456\r\nok\r\n",
       5,
       {{big, "12345", LineEnd::kCrLf}, {ok, "ok", LineEnd::kCrLf}, {eof, "", LineEnd::kNone}}},
      {"one over limit lf",
       "123456\nok\n",
       5,
       {{big, "12345", LineEnd::kLf}, {ok, "ok", LineEnd::kLf}}},
      {"far over limit stays in sync",
       std::string(1000, 'x') + "\r\nnext\r\n",
       10,
       {{big, "xxxxxxxxxx", LineEnd::kCrLf}, {ok, "next", LineEnd::kCrLf}}},
      {"over limit at eof", "abcdefgh", 3, {{eof, "abc", LineEnd::kNone}}},
      {"limit plus cr at eof", "abc\r", 3, {{big, "abc", LineEnd::kNone}}},
      {"zero limit", "\r\nx\r\n", 0, {{ok, "", LineEnd::kCrLf}, {big, "", LineEnd::kCrLf}}},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    Pair p = MakePipe();
    WriteAll(p.b.get(), r.input);
    p.b.reset();
    Stream s(std::move(p.a));
    s.set_timeout(5);
    for (size_t i = 0; i < r.want.size(); ++i) {
      std::string line = "garbage";
      LineEnd end = LineEnd::kCrLf;
      Status st = s.ReadLine(&line, r.max_len, &end);
      EXPECT_EQ(st.code(), r.want[i].code) << "line " << i << ": " << st.message();
      EXPECT_EQ(line, r.want[i].line) << "line " << i;
      EXPECT_EQ(EndName(end), EndName(r.want[i].end)) << "line " << i;
      EXPECT_EQ(EndName(s.last_line_end()), EndName(r.want[i].end)) << "line " << i;
      if (st.code() == Code::kNotFound) {
        EXPECT_TRUE(s.eof());
        EXPECT_EQ(st.message(), "end of file");
      }
    }
  }
}

TEST(StreamTest, LongLinesAcrossManyReads) {
  struct {
    const char* name;
    size_t line_len;
    size_t max_len;
    Code want;
  } rows[] = {
      {"fits", 200000, 200000, Code::kOk},
      {"one over", 200001, 200000, Code::kResourceExhausted},
      {"far over", 300000, 1000, Code::kResourceExhausted},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    Pair p = MakeSocketPair();
    std::string data = std::string(r.line_len, 'x') + "\r\nnext\r\n";
    std::thread writer([&] {
      WriteAll(p.b.get(), data);
      p.b.reset();
    });
    Stream s(std::move(p.a));
    s.set_timeout(10);
    std::string line;
    Status st = s.ReadLine(&line, r.max_len);
    EXPECT_EQ(st.code(), r.want) << st.message();
    EXPECT_EQ(line.size(), std::min(r.line_len, r.max_len));
    ASSERT_TRUE(s.ReadLine(&line, r.max_len).ok());
    EXPECT_EQ(line, "next");
    EXPECT_EQ(s.ReadLine(&line, r.max_len).code(), Code::kNotFound);
    writer.join();
  }
}

TEST(StreamTest, ReadTimeoutKeepsPartialInput) {
  Pair p = MakeSocketPair();
  Stream s(std::move(p.a));
  s.set_timeout(1);
  WriteAll(p.b.get(), "ab");
  auto start = Clock::now();
  std::string line;
  Status st = s.ReadLine(&line, 100);
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(st.code(), Code::kDeadlineExceeded) << st.message();
  EXPECT_GE(elapsed, std::chrono::milliseconds(950));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_FALSE(s.eof());
  EXPECT_EQ(s.buffered_input(), 2u);
  // The rest of the line arrives later: nothing was lost.
  WriteAll(p.b.get(), "c\r\n");
  ASSERT_TRUE(s.ReadLine(&line, 100).ok());
  EXPECT_EQ(line, "abc");
}

TEST(StreamTest, TimeoutsOfEachReadOperation) {
  struct {
    const char* name;
    std::function<Status(Stream*)> op;
  } rows[] = {
      {"ReadLine",
       [](Stream* s) {
         std::string l;
         return s->ReadLine(&l, 10);
       }},
      {"ReadExact",
       [](Stream* s) {
         std::string l;
         return s->ReadExact(4, &l);
       }},
      {"ReadSome",
       [](Stream* s) {
         std::string l;
         return s->ReadSome(&l);
       }},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    Pair p = MakeSocketPair();
    Stream s(std::move(p.a));
    s.set_timeout(std::chrono::milliseconds(100));
    EXPECT_EQ(r.op(&s).code(), Code::kDeadlineExceeded);
  }
}

TEST(StreamTest, TricklingPeerCannotExtendTheDeadline) {
  Pair p = MakeSocketPair();
  Stream s(std::move(p.a));
  s.set_timeout(std::chrono::milliseconds(300));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    // One byte every 50 ms, never a newline, until the reader gives up.
    while (!done) {
      if (::write(p.b.get(), "x", 1) != 1) break;
      struct pollfd none = {-1, 0, 0};
      ::poll(&none, 0, 50);
    }
  });
  auto start = Clock::now();
  std::string line;
  Status st = s.ReadLine(&line, 100000);
  auto elapsed = Clock::now() - start;
  done = true;
  writer.join();
  EXPECT_EQ(st.code(), Code::kDeadlineExceeded);
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(StreamTest, ReadExact) {
  struct {
    const char* name;
    std::string input;
    std::vector<size_t> sizes;
    std::vector<Want> want;  // line = bytes appended by that call
  } rows[] = {
      {"whole", "hello world", {11}, {{Code::kOk, "hello world", LineEnd::kNone}}},
      {"pieces",
       "hello world",
       {5, 0, 6, 1},
       {{Code::kOk, "hello", LineEnd::kNone},
        {Code::kOk, "", LineEnd::kNone},
        {Code::kOk, " world", LineEnd::kNone},
        {Code::kNotFound, "", LineEnd::kNone}}},
      {"short", "abc", {5}, {{Code::kNotFound, "abc", LineEnd::kNone}}},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    Pair p = MakePipe();
    WriteAll(p.b.get(), r.input);
    p.b.reset();
    Stream s(std::move(p.a));
    for (size_t i = 0; i < r.sizes.size(); ++i) {
      std::string out;
      Status st = s.ReadExact(r.sizes[i], &out);
      EXPECT_EQ(st.code(), r.want[i].code) << i << ": " << st.message();
      EXPECT_EQ(out, r.want[i].line) << i;
    }
  }
  Pair p = MakePipe();
  WriteAll(p.b.get(), "abc");
  p.b.reset();
  Stream s(std::move(p.a));
  std::string out;
  EXPECT_EQ(s.ReadExact(5, &out).message(), "end of file after 3 of 5 bytes");
}

TEST(StreamTest, MixedLineAndBlockReads) {
  Pair p = MakePipe();
  WriteAll(p.b.get(), "DATA 5\r\n12345QUIT\r\n");
  p.b.reset();
  Stream s(std::move(p.a));
  std::string line, block, some;
  ASSERT_TRUE(s.ReadLine(&line, 100).ok());
  EXPECT_EQ(line, "DATA 5");
  EXPECT_EQ(s.buffered_input(), 11u);
  ASSERT_TRUE(s.ReadExact(5, &block).ok());
  EXPECT_EQ(block, "12345");
  ASSERT_TRUE(s.ReadSome(&some, 2).ok());
  EXPECT_EQ(some, "QU");
  ASSERT_TRUE(s.ReadSome(&some).ok());
  EXPECT_EQ(some, "QUIT\r\n");
  EXPECT_EQ(s.ReadSome(&some).code(), Code::kNotFound);
  EXPECT_TRUE(s.eof());
}

TEST(StreamTest, NonBlockingDescriptorWaitsByPolling) {
  for (bool timed : {false, true}) {
    SCOPED_TRACE(timed ? "with timeout" : "no timeout");
    Pair p = MakeSocketPair();
    ASSERT_EQ(::fcntl(p.a.get(), F_SETFL, O_NONBLOCK), 0);
    Stream s(std::move(p.a));
    if (timed) s.set_timeout(10);
    std::thread writer([&] {
      struct pollfd none = {-1, 0, 0};
      ::poll(&none, 0, 50);  // the reader must wait, whatever the timing
      WriteAll(p.b.get(), "late line\r\n");
    });
    std::string line;
    Status st = s.ReadLine(&line, 100);
    writer.join();
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(line, "late line");
  }
}

TEST(StreamTest, WriteAndFlush) {
  for (bool use_pipe : {true, false}) {
    SCOPED_TRACE(use_pipe ? "pipe" : "socketpair");
    Pair p = use_pipe ? MakePipe() : MakeSocketPair();
    // For a pipe a is the read end; for a socketpair either end works.
    Stream s(std::move(p.b));
    s.set_timeout(5);
    ASSERT_TRUE(s.Write("220 ready\r\n").ok());
    ASSERT_TRUE(s.WriteF("%d %s %zu\r\n", 250, "ok", size_t{42}).ok());
    EXPECT_EQ(s.buffered_output(), 22u);
    struct pollfd pfd = {p.a.get(), POLLIN, 0};
    EXPECT_EQ(::poll(&pfd, 1, 0), 0) << "nothing written before Flush";
    ASSERT_TRUE(s.Flush().ok());
    EXPECT_EQ(s.buffered_output(), 0u);
    ASSERT_TRUE(s.Close().ok());
    EXPECT_EQ(ReadAll(p.a.get()), "220 ready\r\n250 ok 42\r\n");
  }
}

TEST(StreamTest, LargeWritesAreCompleteAndOrdered) {
  for (bool use_pipe : {true, false}) {
    for (bool timed : {true, false}) {
      SCOPED_TRACE(std::string(use_pipe ? "pipe" : "socketpair") + (timed ? " timed" : ""));
      Pair p = use_pipe ? MakePipe() : MakeSocketPair();
      std::string want;
      for (int i = 0; want.size() < 3 * 1024 * 1024; ++i)
        want += "line " + std::to_string(i) + "\n";
      std::string got;
      std::thread reader([&] { got = ReadAll(p.a.get()); });
      {
        Stream s(std::move(p.b));
        if (timed) s.set_timeout(30);
        for (size_t off = 0; off < want.size(); off += 1000) {
          ASSERT_TRUE(s.Write(std::string_view(want).substr(off, 1000)).ok());
        }
        ASSERT_TRUE(s.Close().ok());
      }
      reader.join();
      EXPECT_EQ(got.size(), want.size());
      EXPECT_TRUE(got == want);
    }
  }
}

TEST(StreamTest, FlushTimeoutWhenPeerDoesNotRead) {
  for (bool use_pipe : {true, false}) {
    SCOPED_TRACE(use_pipe ? "pipe" : "socketpair");
    Pair p = use_pipe ? MakePipe() : MakeSocketPair();
    Stream s(std::move(p.b));  // blocking descriptor: the deadline must still hold
    s.set_timeout(std::chrono::milliseconds(200));
    std::string chunk(Stream::kBufferSize, 'x');
    auto start = Clock::now();
    Status st;
    for (int i = 0; i < 1000 && st.ok(); ++i) st = s.Write(chunk);
    EXPECT_EQ(st.code(), Code::kDeadlineExceeded) << st.message();
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
    EXPECT_GT(s.buffered_output(), 0u);
    s.DiscardOutput();
    EXPECT_EQ(s.buffered_output(), 0u);
  }
}

TEST(StreamTest, WriteToClosedSocketIsAnErrorNotSigpipe) {
  Pair p = MakeSocketPair();
  p.a.reset();
  Stream s(std::move(p.b));
  s.set_timeout(1);
  ASSERT_TRUE(s.Write("hello\r\n").ok());
  Status st = s.Flush();
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_NE(st.message().find("write"), std::string::npos) << st.message();
}

TEST(StreamTest, OwnershipAndMove) {
  Pair p = MakePipe();
  const int raw = p.a.get();
  WriteAll(p.b.get(), "one\n");
  {
    Stream borrowed(raw, Stream::Ownership::kBorrowed);
    std::string line;
    ASSERT_TRUE(borrowed.ReadLine(&line, 10).ok());
    EXPECT_EQ(line, "one");
  }
  EXPECT_NE(::fcntl(raw, F_GETFD), -1) << "borrowed descriptor must stay open";
  WriteAll(p.b.get(), "two\n");
  {
    Stream owned(p.a.release(), Stream::Ownership::kOwned);
    std::string line;
    ASSERT_TRUE(owned.ReadLine(&line, 10).ok());
    EXPECT_EQ(line, "two");
    WriteAll(p.b.get(), "three\nfour\n");
    ASSERT_TRUE(owned.ReadLine(&line, 10).ok());
    EXPECT_EQ(line, "three");
    Stream moved(std::move(owned));
    EXPECT_EQ(owned.fd(), -1);  // NOLINT: testing moved-from state
    EXPECT_EQ(moved.fd(), raw);
    EXPECT_EQ(moved.buffered_input(), 5u) << "buffered input moves too";
    Stream assigned;
    assigned = std::move(moved);
    ASSERT_TRUE(assigned.ReadLine(&line, 10).ok());
    EXPECT_EQ(line, "four");
    std::string l;
    EXPECT_EQ(owned.ReadLine(&l, 10).code(), Code::kInternal);  // NOLINT
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1) << "owned descriptor must be closed";
  EXPECT_EQ(errno, EBADF);
}

TEST(StreamTest, SeparateReadAndWriteDescriptors) {
  Pair in = MakePipe();   // the peer writes in.b; the stream reads in.a
  Pair out = MakePipe();  // the stream writes out.b; the peer reads out.a
  {
    Stream s(in.a.get(), out.b.get());
    s.set_timeout(5);
    EXPECT_EQ(s.fd(), in.a.get());
    EXPECT_EQ(s.write_fd(), out.b.get());
    WriteAll(in.b.get(), "EHLO x\r\n");
    std::string line;
    ASSERT_TRUE(s.ReadLine(&line, 100).ok());
    EXPECT_EQ(line, "EHLO x");
    ASSERT_TRUE(s.Write("250 ok\r\n").ok());
    Stream moved(std::move(s));
    EXPECT_EQ(moved.write_fd(), out.b.get());
    ASSERT_TRUE(moved.Close().ok());
  }
  EXPECT_NE(::fcntl(in.a.get(), F_GETFD), -1) << "both descriptors are borrowed";
  EXPECT_NE(::fcntl(out.b.get(), F_GETFD), -1);
  out.b.reset();
  EXPECT_EQ(ReadAll(out.a.get()), "250 ok\r\n");
}

}  // namespace
}  // namespace util

TEST(StreamTest, DescriptorPassing) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  util::Stream a(util::Fd{sv[0]}), b(util::Fd{sv[1]});
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  util::Fd pr(p[0]), pw(p[1]);
  std::vector<util::Fd> got;
  b.CollectFds(&got);
  a.AttachFd(pw.get());
  ASSERT_TRUE(a.Write("with fd\n").ok());
  ASSERT_TRUE(a.Flush().ok());
  ASSERT_TRUE(a.Write("plain\n").ok());  // the descriptor went with the first flush only
  ASSERT_TRUE(a.Flush().ok());
  pw.reset();
  std::string line;
  ASSERT_TRUE(b.ReadLine(&line, 100).ok());
  EXPECT_EQ(line, "with fd");
  ASSERT_TRUE(b.ReadLine(&line, 100).ok());
  EXPECT_EQ(line, "plain");
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(write(got[0].get(), "x", 1), 1);
  char c;
  ASSERT_EQ(read(pr.get(), &c, 1), 1);
}

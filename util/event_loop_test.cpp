#include "util/event_loop.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/fd.h"

namespace util {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct Pipe {
  Fd r, w;
};

Pipe MakePipe() {
  int p[2];
  EXPECT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  return {Fd(p[0]), Fd(p[1])};
}

// Runs the loop until `done` holds or `limit` passes; returns `done()`.
template <typename Pred>
bool RunUntil(EventLoop& loop, Pred done, milliseconds limit = milliseconds(5000)) {
  auto deadline = Clock::now() + limit;
  while (!done() && Clock::now() < deadline) {
    EXPECT_TRUE(loop.RunOnce(milliseconds(100)).ok());
  }
  return done();
}

TEST(EventLoopTest, TimersFireInOrderOfDelay) {
  struct {
    const char* name;
    std::vector<int> delays_ms;
    std::string want;  // labels 'a'+index, in firing order
  } rows[] = {
      {"one", {5}, "a"},
      {"ascending", {5, 15, 30}, "abc"},
      {"descending", {30, 15, 5}, "cba"},
      {"mixed with zero", {20, 0, 40, 10}, "bdac"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    EventLoop loop;
    std::string got;
    for (size_t i = 0; i < r.delays_ms.size(); ++i) {
      char label = static_cast<char>('a' + i);
      loop.AddTimer(milliseconds(r.delays_ms[i]), [&got, label] { got += label; });
    }
    EXPECT_EQ(loop.size(), r.delays_ms.size());
    ASSERT_TRUE(loop.Run().ok());  // returns when no event is left
    EXPECT_EQ(got, r.want);
    EXPECT_EQ(loop.size(), 0u) << "one-shot timers are gone after firing";
  }
}

TEST(EventLoopTest, TimerWaitsItsDelay) {
  EventLoop loop;
  auto start = Clock::now();
  Clock::time_point fired;
  loop.AddTimer(milliseconds(50), [&] { fired = Clock::now(); });
  ASSERT_TRUE(loop.Run().ok());
  EXPECT_GE(fired - start, milliseconds(45));
}

TEST(EventLoopTest, CancelledTimerDoesNotFire) {
  EventLoop loop;
  std::string got;
  EventLoop::Handle a = loop.AddTimer(milliseconds(10), [&] { got += 'a'; });
  EventLoop::Handle b = loop.AddTimer(milliseconds(5), [&] { got += 'b'; });
  EventLoop::Handle c = loop.AddTimer(milliseconds(20), [&] { got += 'c'; });
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_TRUE(loop.Cancel(b));
  EXPECT_FALSE(loop.Cancel(b)) << "second cancel is a no-op";
  EXPECT_FALSE(loop.Cancel(EventLoop::kNoHandle));
  EXPECT_FALSE(loop.Cancel(12345));
  ASSERT_TRUE(loop.Run().ok());
  EXPECT_EQ(got, "ac");
  EXPECT_FALSE(loop.Cancel(a)) << "a fired one-shot timer is gone";
}

TEST(EventLoopTest, CancelFromOwnCallback) {
  EventLoop loop;
  int count = 0;
  EventLoop::Handle h = EventLoop::kNoHandle;
  std::string captured = "state that must outlive the cancel";
  h = loop.AddPeriodic(milliseconds(1), [&, captured] {
    ++count;
    if (count == 3) {
      EXPECT_TRUE(loop.Cancel(h));
      EXPECT_FALSE(loop.Cancel(h));
      // The callback object (and `captured`) must still be alive here.
      EXPECT_EQ(captured, "state that must outlive the cancel");
    }
  });
  ASSERT_TRUE(loop.Run().ok());
  EXPECT_EQ(count, 3);
  EXPECT_EQ(loop.size(), 0u);
}

TEST(EventLoopTest, CancelAnotherEventDueInTheSameIteration) {
  EventLoop loop;
  int fired = 0;
  EventLoop::Handle x = 0, y = 0;
  x = loop.AddTimer(milliseconds(10), [&] {
    ++fired;
    loop.Cancel(y);
  });
  y = loop.AddTimer(milliseconds(10), [&] {
    ++fired;
    loop.Cancel(x);
  });
  ASSERT_TRUE(loop.Run().ok());
  EXPECT_EQ(fired, 1);
}

TEST(EventLoopTest, ResetTimer) {
  EventLoop loop;
  std::string got;
  EventLoop::Handle a = loop.AddTimer(milliseconds(500), [&] { got += 'a'; });
  loop.AddTimer(milliseconds(20), [&] { got += 'b'; });
  EXPECT_TRUE(loop.ResetTimer(a, milliseconds(1)));
  // A one-shot timer re-armed from its own callback stays registered.
  int again = 0;
  EventLoop::Handle c = 0;
  c = loop.AddTimer(milliseconds(30), [&] {
    if (++again < 3) {
      EXPECT_TRUE(loop.ResetTimer(c, milliseconds(1)));
    }
  });
  ASSERT_TRUE(loop.Run().ok());
  EXPECT_EQ(got, "ab");
  EXPECT_EQ(again, 3);
  EXPECT_FALSE(loop.ResetTimer(a, milliseconds(1))) << "fired timer is gone";

  Pipe p = MakePipe();
  EventLoop::Handle w = loop.WatchRead(p.r.get(), [] {});
  EXPECT_FALSE(loop.ResetTimer(w, milliseconds(1))) << "not a timer";
  loop.Cancel(w);
}

TEST(EventLoopTest, ReadWatchOnPipe) {
  EventLoop loop;
  Pipe p = MakePipe();
  std::string got;
  int calls = 0;
  EventLoop::Handle h = loop.WatchRead(p.r.get(), [&] {
    ++calls;
    char buf[64];
    ssize_t n;
    while ((n = read(p.r.get(), buf, sizeof buf)) > 0) got.append(buf, n);
  });
  ASSERT_TRUE(loop.RunOnce(milliseconds(30)).ok());
  EXPECT_EQ(calls, 0) << "nothing written yet";

  struct {
    const char* data;
    std::string want;
  } rows[] = {{"hello", "hello"}, {" world", "hello world"}, {"!", "hello world!"}};
  for (const auto& r : rows) {
    ASSERT_EQ(write(p.w.get(), r.data, strlen(r.data)), static_cast<ssize_t>(strlen(r.data)));
    EXPECT_TRUE(RunUntil(loop, [&] { return got == r.want; })) << got;
  }
  int before = calls;
  EXPECT_TRUE(loop.Cancel(h));
  ASSERT_EQ(write(p.w.get(), "x", 1), 1);
  ASSERT_TRUE(loop.RunOnce(milliseconds(30)).ok());
  EXPECT_EQ(calls, before) << "cancelled watch must not fire";
}

TEST(EventLoopTest, WriteWatchFiresWhenWritable) {
  int s[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
  Fd a(s[0]), b(s[1]);
  EventLoop loop;
  int calls = 0;
  EventLoop::Handle h = 0;
  h = loop.WatchWrite(a.get(), [&] {
    ++calls;
    loop.Cancel(h);  // one-shot use of a persistent watch
  });
  EXPECT_TRUE(RunUntil(loop, [&] { return calls > 0; }));
  ASSERT_TRUE(loop.Run().ok()) << "nothing left: Run returns";
  EXPECT_EQ(calls, 1);
}

TEST(EventLoopTest, SignalCallbackRunsInTheLoop) {
  EventLoop loop;
  int usr1 = 0, usr2 = 0;
  EventLoop::Handle h1 = loop.OnSignal(SIGUSR1, [&] { ++usr1; });
  EventLoop::Handle h2 = loop.OnSignal(SIGUSR2, [&] { ++usr2; });
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_EQ(usr1, 0) << "callbacks run from the loop, not the handler";
  EXPECT_TRUE(RunUntil(loop, [&] { return usr1 == 1; }));
  ASSERT_EQ(raise(SIGUSR2), 0);
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_TRUE(RunUntil(loop, [&] { return usr1 == 2 && usr2 == 1; }));
  EXPECT_TRUE(loop.Cancel(h1));
  EXPECT_TRUE(loop.Cancel(h2));
  EXPECT_EQ(loop.size(), 0u);
}

TEST(EventLoopTest, StopFromCallback) {
  EventLoop loop;
  Pipe p = MakePipe();
  // A read watch that never fires keeps Run from ending by itself.
  loop.WatchRead(p.r.get(), [] { ADD_FAILURE() << "nothing was written"; });
  int ticks = 0;
  loop.AddPeriodic(milliseconds(1), [&] {
    if (++ticks % 5 == 0) loop.Stop();
  });
  for (int want : {5, 10}) {
    ASSERT_TRUE(loop.Run().ok());
    EXPECT_EQ(ticks, want);
  }
}

TEST(EventLoopTest, StopOutsideRunIsForgotten) {
  EventLoop loop;
  loop.Stop();
  bool fired = false;
  loop.AddTimer(milliseconds(1), [&] { fired = true; });
  ASSERT_TRUE(loop.Run().ok());
  EXPECT_TRUE(fired);
}

TEST(EventLoopTest, RunOnceTimesOutWithNothingToDo) {
  EventLoop loop;
  Pipe p = MakePipe();
  loop.WatchRead(p.r.get(), [] {});
  auto start = Clock::now();
  ASSERT_TRUE(loop.RunOnce(milliseconds(50)).ok());
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, milliseconds(45));
  EXPECT_LT(elapsed, milliseconds(5000));
  // The internal timeout timer does not stay behind.
  EXPECT_EQ(loop.size(), 1u);
}

TEST(EventLoopTest, CallbacksMayAddEvents) {
  EventLoop loop;
  std::string got;
  loop.AddTimer(milliseconds(1), [&] {
    got += '1';
    loop.AddTimer(milliseconds(1), [&] {
      got += '2';
      loop.AddTimer(milliseconds(0), [&] { got += '3'; });
    });
  });
  ASSERT_TRUE(loop.Run().ok());
  EXPECT_EQ(got, "123");
}

TEST(EventLoopTest, DestroyWithPendingEvents) {
  Pipe p = MakePipe();
  {
    EventLoop loop;
    loop.WatchRead(p.r.get(), [] {});
    loop.AddTimer(milliseconds(100000), [] {});
    loop.AddPeriodic(milliseconds(100000), [] {});
    EXPECT_EQ(loop.size(), 3u);
  }
  EXPECT_NE(fcntl(p.r.get(), F_GETFD), -1) << "the loop never closes descriptors";
}

}  // namespace
}  // namespace util

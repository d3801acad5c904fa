#include "util/sockets.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/scratch_dir.h"
#include "util/stream.h"

namespace util {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST(SocketsTest, ParseHostPortTable) {
  const BareWord P = BareWord::kPort, H = BareWord::kHost;
  struct {
    const char* in;
    BareWord bare;
    bool ok;
    const char* host;
    int port;
    bool has_port;
    bool bracketed;
  } rows[] = {
      {"25", P, true, "", 25, true, false},
      {"smtp", P, true, "", 25, true, false},
      {"submission", P, true, "", 587, true, false},
      {"smtps", P, true, "", 465, true, false},
      {"submissions", P, true, "", 465, true, false},
      {"lmtp", P, true, "", 24, true, false},
      {"0", P, true, "", 0, true, false},
      {"65535", P, true, "", 65535, true, false},
      {"127.0.0.1:25", P, true, "127.0.0.1", 25, true, false},
      {"mail.example.com:smtp", P, true, "mail.example.com", 25, true, false},
      {"mail.example.com:", P, true, "mail.example.com", 0, false, false},
      {":2525", P, true, "", 2525, true, false},
      {"[mail.example.com]:587", P, true, "mail.example.com", 587, true, true},
      {"[mail.example.com]", H, true, "mail.example.com", 0, false, true},
      {"[mail.example.com]:", H, true, "mail.example.com", 0, false, true},
      {"[::1]:25", P, true, "::1", 25, true, true},
      {"[2001:db8::1]:submission", P, true, "2001:db8::1", 587, true, true},
      {"[::1]", P, true, "::1", 0, false, true},
      {"relay.example.com", H, true, "relay.example.com", 0, false, false},
      {"relay.example.com:2525", H, true, "relay.example.com", 2525, true, false},
      // Malformed.
      {"", P, false, "", 0, false, false},
      {"[::1", P, false, "", 0, false, false},
      {"[]:25", P, false, "", 0, false, false},
      {"[::1]x", P, false, "", 0, false, false},
      {"[::1]25", P, false, "", 0, false, false},
      {":", P, false, "", 0, false, false},
      {"host:99999", P, false, "", 0, false, false},
      {"host:65536", P, false, "", 0, false, false},
      {"host:12345678901234567890", P, false, "", 0, false, false},
      {"host:abc", P, false, "", 0, false, false},
      {"host:-1", P, false, "", 0, false, false},
      {"nosuchservice", P, false, "", 0, false, false},
      {"::1:25", P, false, "", 0, false, false},
      {"a b:25", P, false, "", 0, false, false},
      {"ho]st:25", P, false, "", 0, false, false},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.in);
    StatusOr<HostPort> hp = ParseHostPort(r.in, r.bare);
    ASSERT_EQ(hp.ok(), r.ok) << (hp.ok() ? "" : hp.status().message());
    if (!r.ok) {
      EXPECT_EQ(hp.status().code(), Code::kInvalidArgument);
      EXPECT_NE(hp.status().message().find(std::string("\"") + r.in + "\""), std::string::npos)
          << hp.status().message();
      continue;
    }
    EXPECT_EQ(hp->host, r.host);
    EXPECT_EQ(hp->port, r.port);
    EXPECT_EQ(hp->has_port, r.has_port);
    EXPECT_EQ(hp->bracketed, r.bracketed);
  }
}

TEST(SocketsTest, ParseHostPortDefaultPort) {
  StatusOr<HostPort> hp = ParseHostPort("[relay.example.com]", BareWord::kHost, 25);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->port, 25);
  EXPECT_FALSE(hp->has_port);
  hp = ParseHostPort("relay.example.com:587", BareWord::kHost, 25);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->port, 587);
}

TEST(SocketsTest, ParseHostPortMessages) {
  struct {
    const char* in;
    const char* want;
  } rows[] = {
      {"[::1", "missing \"]\""},      {":", "no host and no port"},
      {"host:99999", "out of range"}, {"host:abc", "unknown service \"abc\""},
      {"::1:25", "[address]:port"},
  };
  for (const auto& r : rows) {
    StatusOr<HostPort> hp = ParseHostPort(r.in);
    ASSERT_FALSE(hp.ok()) << r.in;
    EXPECT_NE(hp.status().message().find(r.want), std::string::npos) << hp.status().message();
  }
}

TEST(SocketsTest, ParseInetProtocols) {
  struct {
    const char* in;
    bool ok;
    InetProtocols want;
  } rows[] = {
      {"all", true, InetProtocols::kAll},
      {"ALL", true, InetProtocols::kAll},
      {"ipv4", true, InetProtocols::kIpv4},
      {"ipv6", true, InetProtocols::kIpv6},
      {"ipv4, ipv6", true, InetProtocols::kAll},
      {"ipv6 ipv4", true, InetProtocols::kAll},
      {"", false, InetProtocols::kAll},
      {"ipv5", false, InetProtocols::kAll},
      {"ipv4, bogus", false, InetProtocols::kAll},
  };
  for (const auto& r : rows) {
    StatusOr<InetProtocols> p = ParseInetProtocols(r.in);
    ASSERT_EQ(p.ok(), r.ok) << r.in;
    if (r.ok) {
      EXPECT_EQ(*p, r.want) << r.in;
    } else {
      EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << r.in;
    }
  }
}

TEST(SocketsTest, FormatAddressTable) {
  struct {
    const char* in;
    int port;
    const char* address;
    const char* str;
  } rows[] = {
      {"127.0.0.1", 25, "127.0.0.1", "127.0.0.1:25"},
      {"192.0.2.200", 65535, "192.0.2.200", "192.0.2.200:65535"},
      {"::1", 25, "::1", "[::1]:25"},
      {"2001:DB8:0:0::1", 587, "2001:db8::1", "[2001:db8::1]:587"},
      {"::ffff:10.1.2.3", 25, "10.1.2.3", "10.1.2.3:25"},
      {"::", 0, "::", "[::]:0"},
  };
  for (const auto& r : rows) {
    StatusOr<SockAddr> a = SockAddr::FromNumeric(r.in, r.port);
    ASSERT_TRUE(a.ok()) << r.in;
    EXPECT_EQ(a->Address(), r.address);
    EXPECT_EQ(FormatAddress(a->get()), r.address);
    EXPECT_EQ(a->port(), r.port);
    EXPECT_EQ(AddressPort(a->get()), r.port);
    EXPECT_EQ(a->ToString(), r.str);
  }
  EXPECT_FALSE(SockAddr::FromNumeric("localhost", 25).ok());
  EXPECT_FALSE(SockAddr::FromNumeric("127.0.0.1", 70000).ok());
}

TEST(SocketsTest, ResolveNumeric) {
  struct {
    const char* host;
    InetProtocols protocols;
    Code code;
    std::vector<std::string> want;
  } rows[] = {
      {"127.0.0.1", InetProtocols::kAll, Code::kOk, {"127.0.0.1:25"}},
      {"127.0.0.1", InetProtocols::kIpv4, Code::kOk, {"127.0.0.1:25"}},
      {"::1", InetProtocols::kIpv6, Code::kOk, {"[::1]:25"}},
      {"", InetProtocols::kIpv4, Code::kOk, {"0.0.0.0:25"}},
      {"", InetProtocols::kIpv6, Code::kOk, {"[::]:25"}},
      {"::1", InetProtocols::kIpv4, Code::kInvalidArgument, {}},
      {"127.0.0.1", InetProtocols::kIpv6, Code::kInvalidArgument, {}},
      {"not.numeric.example", InetProtocols::kAll, Code::kInvalidArgument, {}},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.host);
    StatusOr<std::vector<SockAddr>> addrs = Resolve(r.host, 25, r.protocols, true);
    ASSERT_EQ(addrs.ok() ? Code::kOk : addrs.status().code(), r.code)
        << (addrs.ok() ? "" : addrs.status().message());
    if (!addrs.ok()) continue;
    std::vector<std::string> got;
    for (const SockAddr& a : *addrs) got.push_back(a.ToString());
    EXPECT_EQ(got, r.want);
  }
}

TEST(SocketsTest, ResolveLocalhost) {
  StatusOr<std::vector<SockAddr>> addrs = Resolve("localhost", 2525, InetProtocols::kIpv4);
  ASSERT_TRUE(addrs.ok()) << addrs.status().message();
  ASSERT_FALSE(addrs->empty());
  EXPECT_EQ((*addrs)[0].Address(), "127.0.0.1");
  EXPECT_EQ((*addrs)[0].port(), 2525);
  EXPECT_FALSE(Resolve("localhost", 70000, InetProtocols::kAll).ok());
}

TEST(SocketsTest, DescriptorFlags) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  Fd r(p[0]), w(p[1]);
  struct {
    bool nonblock;
    bool cloexec;
  } rows[] = {{true, true}, {false, false}, {true, false}, {false, true}, {true, true}};
  for (const auto& row : rows) {
    ASSERT_TRUE(SetNonBlocking(r.get(), row.nonblock).ok());
    ASSERT_TRUE(SetCloseOnExec(r.get(), row.cloexec).ok());
    EXPECT_EQ((fcntl(r.get(), F_GETFL) & O_NONBLOCK) != 0, row.nonblock);
    EXPECT_EQ((fcntl(r.get(), F_GETFD) & FD_CLOEXEC) != 0, row.cloexec);
  }
  EXPECT_FALSE(SetNonBlocking(-1, true).ok());
  EXPECT_FALSE(SetCloseOnExec(-1, true).ok());
}

// Connects to `listener`, accepts, and echoes a line both ways.
void EchoOver(const Fd& listener, const std::string& want_peer_address) {
  StatusOr<SockAddr> local = LocalAddress(listener.get());
  ASSERT_TRUE(local.ok()) << local.status().message();
  ASSERT_NE(local->port(), 0);
  StatusOr<Fd> client = ConnectTcp(*local, std::chrono::seconds(5));
  ASSERT_TRUE(client.ok()) << client.status().message();
  EXPECT_EQ(fcntl(client->get(), F_GETFL) & O_NONBLOCK, 0) << "returned blocking";
  EXPECT_NE(fcntl(client->get(), F_GETFD) & FD_CLOEXEC, 0);
  SockAddr peer;
  StatusOr<Fd> server = Accept(listener.get(), &peer);
  ASSERT_TRUE(server.ok()) << server.status().message();
  EXPECT_EQ(peer.Address(), want_peer_address);
  StatusOr<SockAddr> client_local = LocalAddress(client->get());
  ASSERT_TRUE(client_local.ok());
  EXPECT_EQ(peer.port(), client_local->port());
  StatusOr<SockAddr> client_peer = PeerAddress(client->get());
  ASSERT_TRUE(client_peer.ok());
  EXPECT_EQ(client_peer->ToString(), local->ToString());

  Stream c(std::move(*client)), s(std::move(*server));
  c.set_timeout(5);
  s.set_timeout(5);
  ASSERT_TRUE(c.Write("EHLO client\r\n").ok());
  ASSERT_TRUE(c.Flush().ok());
  std::string line;
  ASSERT_TRUE(s.ReadLine(&line, 100).ok());
  EXPECT_EQ(line, "EHLO client");
  ASSERT_TRUE(s.WriteF("250 %s\r\n", line.c_str() + 5).ok());
  ASSERT_TRUE(s.Flush().ok());
  ASSERT_TRUE(c.ReadLine(&line, 100).ok());
  EXPECT_EQ(line, "250 client");
}

TEST(SocketsTest, TcpIpv4ListenConnectEcho) {
  StatusOr<SockAddr> addr = SockAddr::FromNumeric("127.0.0.1", 0);
  ASSERT_TRUE(addr.ok());
  StatusOr<Fd> listener = ListenTcp(*addr);
  ASSERT_TRUE(listener.ok()) << listener.status().message();
  EchoOver(*listener, "127.0.0.1");
}

TEST(SocketsTest, TcpIpv6ListenConnectEcho) {
  StatusOr<SockAddr> addr = SockAddr::FromNumeric("::1", 0);
  ASSERT_TRUE(addr.ok());
  StatusOr<Fd> listener = ListenTcp(*addr);
  if (!listener.ok()) GTEST_SKIP() << "no IPv6 loopback: " << listener.status().message();
  int v6only = 0;
  socklen_t len = sizeof v6only;
  ASSERT_EQ(getsockopt(listener->get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len), 0);
  EXPECT_EQ(v6only, 1);
  EchoOver(*listener, "::1");
}

TEST(SocketsTest, TcpListenByHostAndConnectByHost) {
  StatusOr<std::vector<Fd>> listeners = ListenTcp("127.0.0.1", 0, InetProtocols::kIpv4);
  ASSERT_TRUE(listeners.ok()) << listeners.status().message();
  ASSERT_EQ(listeners->size(), 1u);
  int reuse = 0;
  socklen_t len = sizeof reuse;
  ASSERT_EQ(getsockopt((*listeners)[0].get(), SOL_SOCKET, SO_REUSEADDR, &reuse, &len), 0);
  EXPECT_NE(reuse, 0);
  StatusOr<SockAddr> local = LocalAddress((*listeners)[0].get());
  ASSERT_TRUE(local.ok());
  StatusOr<Fd> client =
      ConnectTcp("127.0.0.1", local->port(), InetProtocols::kAll, std::chrono::seconds(5));
  ASSERT_TRUE(client.ok()) << client.status().message();
  EXPECT_TRUE(Accept((*listeners)[0].get()).ok());
}

TEST(SocketsTest, ConnectEndpoint) {
  StatusOr<std::vector<Fd>> tcp = ListenTcp("127.0.0.1", 0, InetProtocols::kIpv4);
  ASSERT_TRUE(tcp.ok()) << tcp.status().message();
  int port = LocalAddress((*tcp)[0].get())->port();
  auto t = std::chrono::seconds(5);
  EXPECT_TRUE(ConnectEndpoint("inet:127.0.0.1:" + std::to_string(port), t).ok());
  EXPECT_TRUE(Accept((*tcp)[0].get()).ok());
  EXPECT_FALSE(ConnectEndpoint("inet:127.0.0.1", t).ok());  // no port
  util::testing::ScratchDir dir;
  const std::string path = dir.path() + "/policy";
  StatusOr<Fd> unix_listener = ListenUnix(path, 0600);
  ASSERT_TRUE(unix_listener.ok());
  for (std::string endpoint : {"unix:" + path, "local:" + path, path}) {
    EXPECT_TRUE(ConnectEndpoint(endpoint, t).ok()) << endpoint;
    EXPECT_TRUE(Accept(unix_listener->get()).ok());
  }
  EXPECT_FALSE(ConnectEndpoint("unix:" + dir.path() + "/none", t).ok());
}

TEST(SocketsTest, ConnectRefusedFailsQuickly) {
  StatusOr<SockAddr> addr = SockAddr::FromNumeric("127.0.0.1", 0);
  ASSERT_TRUE(addr.ok());
  int port;
  {
    StatusOr<Fd> listener = ListenTcp(*addr);
    ASSERT_TRUE(listener.ok());
    StatusOr<SockAddr> local = LocalAddress(listener->get());
    ASSERT_TRUE(local.ok());
    port = local->port();
  }  // closed: nothing listens on `port` now
  StatusOr<SockAddr> target = SockAddr::FromNumeric("127.0.0.1", port);
  ASSERT_TRUE(target.ok());
  auto start = Clock::now();
  StatusOr<Fd> client = ConnectTcp(*target, std::chrono::seconds(10));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Code::kUnavailable);
  EXPECT_EQ(client.status().message(),
            "connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST(SocketsTest, ConnectTimesOutWhenListenQueueIsFull) {
  // A listener that never accepts, with the smallest backlog: once its
  // accept queue is full Linux drops further SYNs, so connects hang.
  StatusOr<SockAddr> addr = SockAddr::FromNumeric("127.0.0.1", 0);
  ASSERT_TRUE(addr.ok());
  StatusOr<Fd> listener = ListenTcp(*addr, 0);
  ASSERT_TRUE(listener.ok());
  StatusOr<SockAddr> local = LocalAddress(listener->get());
  ASSERT_TRUE(local.ok());
  std::vector<Fd> held;
  Status last;
  for (int i = 0; i < 8; ++i) {
    auto start = Clock::now();
    StatusOr<Fd> c = ConnectTcp(*local, milliseconds(200));
    if (c.ok()) {
      held.push_back(std::move(*c));
      continue;
    }
    last = c.status();
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
    break;
  }
  ASSERT_FALSE(last.ok()) << "every connect succeeded; the kernel queued them all";
  EXPECT_EQ(last.code(), Code::kDeadlineExceeded) << last.message();
  EXPECT_NE(last.message().find("timed out"), std::string::npos);
}

TEST(SocketsTest, AcceptOnNonBlockingListenerWithNothingPending) {
  StatusOr<std::vector<Fd>> listeners = ListenTcp("127.0.0.1", 0, InetProtocols::kIpv4);
  ASSERT_TRUE(listeners.ok());
  ASSERT_TRUE(SetNonBlocking((*listeners)[0].get(), true).ok());
  StatusOr<Fd> conn = Accept((*listeners)[0].get());
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), Code::kUnavailable);
}

TEST(SocketsTest, UnixListenConnectEcho) {
  util::testing::ScratchDir dir;
  const std::string path = dir.path() + "/rewrite";
  struct {
    mode_t mode;
  } rows[] = {{0666}, {0600}, {0660}};
  for (const auto& r : rows) {
    SCOPED_TRACE(r.mode);
    // Each row listens again on the same path: the stale socket file left
    // by the previous row must be replaced.
    StatusOr<Fd> listener = ListenUnix(path, r.mode);
    ASSERT_TRUE(listener.ok()) << listener.status().message();
    struct stat st;
    ASSERT_EQ(lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, r.mode);
    StatusOr<Fd> client = ConnectUnix(path, std::chrono::seconds(5));
    ASSERT_TRUE(client.ok()) << client.status().message();
    StatusOr<Fd> server = Accept(listener->get());
    ASSERT_TRUE(server.ok()) << server.status().message();
    EXPECT_NE(fcntl(server->get(), F_GETFD) & FD_CLOEXEC, 0);
    StatusOr<SockAddr> local = LocalAddress(listener->get());
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(local->ToString(), path);

    Stream c(std::move(*client)), s(std::move(*server));
    c.set_timeout(5);
    s.set_timeout(5);
    ASSERT_TRUE(c.Write("request=resolve\n").ok());
    ASSERT_TRUE(c.Flush().ok());
    std::string line;
    ASSERT_TRUE(s.ReadLine(&line, 100).ok());
    EXPECT_EQ(line, "request=resolve");
  }
}

TEST(SocketsTest, UnixErrors) {
  util::testing::ScratchDir dir;
  const std::string file = dir.path() + "/regular";
  {
    Fd f(open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    ASSERT_TRUE(f.valid());
  }
  struct {
    const char* name;
    std::string path;
    Code code;
  } rows[] = {
      {"regular file is not replaced", file, Code::kFailedPrecondition},
      {"path too long", dir.path() + "/" + std::string(200, 'x'), Code::kInvalidArgument},
      {"empty path", "", Code::kInvalidArgument},
      {"missing directory", dir.path() + "/no/such/dir/sock", Code::kNotFound},
  };
  for (const auto& r : rows) {
    StatusOr<Fd> l = ListenUnix(r.path, 0666);
    ASSERT_FALSE(l.ok()) << r.name;
    EXPECT_EQ(l.status().code(), r.code) << r.name << ": " << l.status().message();
  }
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));

  StatusOr<Fd> c = ConnectUnix(dir.path() + "/nobody", milliseconds(500));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kNotFound) << c.status().message();
  // A socket file with no listener behind it: connection refused.
  {
    StatusOr<Fd> l = ListenUnix(dir.path() + "/gone", 0666);
    ASSERT_TRUE(l.ok());
  }
  c = ConnectUnix(dir.path() + "/gone", milliseconds(500));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnavailable) << c.status().message();
  EXPECT_NE(c.status().message().find("Connection refused"), std::string::npos);
}

}  // namespace
}  // namespace util

TEST(SocketsTest, DescriptorPassing) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  util::Fd a(sv[0]), b(sv[1]);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  util::Fd pr(p[0]), pw(p[1]);
  ASSERT_EQ(util::SendWithFd(a.get(), "req", 3, pw.get()), 3);
  pw.reset();  // the receiver's copy keeps the pipe open
  ASSERT_EQ(util::SendWithFd(a.get(), "more", 4, -1), 4);
  char buf[16];
  std::vector<util::Fd> fds;
  // The bytes that came with the descriptor end the read.
  ssize_t n = util::ReceiveWithFds(b.get(), buf, sizeof buf, &fds);
  ASSERT_EQ(n, 3);
  ASSERT_EQ(fds.size(), 1u);
  EXPECT_EQ(fcntl(fds[0].get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  ASSERT_EQ(write(fds[0].get(), "ok", 2), 2);
  ASSERT_EQ(read(pr.get(), buf, sizeof buf), 2);
  EXPECT_EQ(std::string(buf, 2), "ok");
  n = util::ReceiveWithFds(b.get(), buf, sizeof buf, &fds);
  EXPECT_EQ(n, 4);
  EXPECT_EQ(fds.size(), 1u);
}

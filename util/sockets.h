// sockets: listening, connecting and naming of UNIX-domain and TCP sockets.
//
// The plumbing under master (which owns every listening socket), the
// clients of internal services (UNIX sockets under the queue directory) and
// the SMTP/LMTP clients (TCP with a connect timeout). Every descriptor comes
// back as a util::Fd with FD_CLOEXEC set and in blocking mode (callers that
// want non-blocking I/O call SetNonBlocking); errors are Status values with
// messages in Postfix's style ("connect to 192.0.2.1:25: Connection
// refused"), codes from ErrnoStatus (util/fd.h): refused/reset/in-use are
// kUnavailable, timeouts kDeadlineExceeded, missing socket files kNotFound,
// permission problems kFailedPrecondition.
//
//   util::StatusOr<util::HostPort> hp = util::ParseHostPort("[::1]:smtp");
//   auto addrs = util::Resolve(hp->host, hp->port, util::InetProtocols::kAll);
//   auto fd = util::ConnectTcp((*addrs)[0], std::chrono::seconds(30));
//
//   auto lfd = util::ListenUnix("private/rewrite", 0666);
//   auto conn = util::Accept(lfd->get(), &peer);
//
// Addresses. ParseHostPort reads the address forms of master.cf and of
// relayhost-like parameters: "port", "host:port", "[host]:port",
// "[ipv6addr]:port", "[host]", "host:" and ":port". A port is a number
// 0..65535 or a service name looked up with getservbyname(3), falling back
// to a built-in table (smtp 25, lmtp 24, submission 587, smtps and
// submissions 465) when /etc/services lacks it. An IPv6 address must be in
// brackets when a port follows; a bare word with no colon is a port for
// master.cf (BareWord::kPort, the default) or a host name for relayhost
// (BareWord::kHost). `bracketed` records the "[...]" form, which in
// Postfix means "do not look up MX records".
//
// FormatAddress prints the numeric host part the way Postfix logs it:
// "192.0.2.1", "2001:db8::1", and an IPv4-mapped IPv6 address
// (::ffff:192.0.2.1) as plain "192.0.2.1". SockAddr::ToString adds the
// port: "192.0.2.1:25", "[2001:db8::1]:25"; a UNIX socket prints its path.
//
// ListenUnix removes a stale socket file left by a previous run, but never
// another kind of file (that is kFailedPrecondition: a misconfiguration).
// The socket's mode is set with chmod(2) between bind(2) and listen(2).
// IPv6 TCP listeners set IPV6_V6ONLY, so "all" protocols means one IPv4 and
// one IPv6 socket, as in Postfix; all TCP listeners set SO_REUSEADDR.
// A connect timeout of zero waits as long as the kernel does.
//
// Descriptor passing (the connection cache, scache): SendWithFd writes
// bytes with one descriptor attached (SCM_RIGHTS); ReceiveWithFds reads
// like read(2) and collects the descriptors that came with the bytes
// (close-on-exec). A reader must use ReceiveWithFds wherever a descriptor
// may arrive: read(2) would close it unseen.
#pragma once

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "util/fd.h"
#include "util/status.h"

namespace util {

inline constexpr int kDefaultBacklog = 100;

// Which address families to use, as main.cf's inet_protocols says.
enum class InetProtocols { kIpv4, kIpv6, kAll };

// Parses inet_protocols: "all", "ipv4", "ipv6", or a list of the latter
// two ("ipv4, ipv6" means kAll). Anything else is kInvalidArgument.
StatusOr<InetProtocols> ParseInetProtocols(std::string_view value);

// A socket address of any family (IPv4, IPv6 or UNIX), copyable.
class SockAddr {
 public:
  SockAddr() = default;
  SockAddr(const struct sockaddr* sa, socklen_t len);

  // Numeric address plus port: FromNumeric("::1", 25). No DNS.
  static StatusOr<SockAddr> FromNumeric(std::string_view host, int port);

  const struct sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t len() const { return len_; }
  int family() const { return storage_.ss_family; }
  int port() const;
  // Host part ("192.0.2.1", "::1") or the path of a UNIX socket.
  std::string Address() const;
  // "192.0.2.1:25", "[::1]:25", or the path of a UNIX socket.
  std::string ToString() const;

  bool operator==(const SockAddr& other) const;

 private:
  struct sockaddr_storage storage_ = {};
  socklen_t len_ = 0;
};

// The numeric host part of an IPv4 or IPv6 address ("" for other families).
std::string FormatAddress(const struct sockaddr* sa);
// The port of an IPv4 or IPv6 address in host byte order (0 otherwise).
int AddressPort(const struct sockaddr* sa);

struct HostPort {
  std::string host;        // without brackets; empty when only a port was given
  int port = 0;            // the default port when has_port is false
  bool has_port = false;   // a port (number or service name) was given
  bool bracketed = false;  // written as "[host]"
};

enum class BareWord { kPort, kHost };

// Parses the address forms listed above. Malformed input ("[::1", ":",
// "host:99999", "host:nosuchservice", "::1:25") is kInvalidArgument with a
// message that quotes the input.
StatusOr<HostPort> ParseHostPort(std::string_view text, BareWord bare = BareWord::kPort,
                                 int default_port = 0);

// A port number or TCP service name to a port number.
StatusOr<int> ParsePort(std::string_view service);

// getaddrinfo(3) for TCP: every address of `host` in the allowed families,
// in the resolver's order, without duplicates. An empty host gives the
// wildcard addresses (for listening). With numeric_only, host names are
// refused (no DNS). A name that does not exist is kNotFound; a temporary
// resolver failure is kUnavailable.
StatusOr<std::vector<SockAddr>> Resolve(std::string_view host, int port, InetProtocols protocols,
                                        bool numeric_only = false);

Status SetNonBlocking(int fd, bool on);

// See the top. Both return what sendmsg(2)/recvmsg(2) return (-1 with
// errno). SendWithFd with fd < 0 attaches nothing; `flags` are added to
// MSG_NOSIGNAL (e.g. MSG_DONTWAIT).
ssize_t SendWithFd(int sock, const void* data, size_t len, int fd, int flags = 0);
ssize_t ReceiveWithFds(int sock, void* buf, size_t len, std::vector<Fd>* fds);
Status SetCloseOnExec(int fd, bool on);

// The address this socket is bound to / connected to.
StatusOr<SockAddr> LocalAddress(int fd);
StatusOr<SockAddr> PeerAddress(int fd);

// UNIX-domain stream sockets.
StatusOr<Fd> ListenUnix(const std::string& path, mode_t mode, int backlog = kDefaultBacklog);
// A full listen backlog waits up to `timeout`, then kDeadlineExceeded; a
// zero timeout does not wait at all (fire-and-forget triggers).
StatusOr<Fd> ConnectUnix(const std::string& path, std::chrono::milliseconds timeout);

// TCP. ListenTcp(addr) binds one address; the host form binds every address
// Resolve returns (all of them or none: on error nothing stays open).
StatusOr<Fd> ListenTcp(const SockAddr& addr, int backlog = kDefaultBacklog);
StatusOr<std::vector<Fd>> ListenTcp(std::string_view host, int port, InetProtocols protocols,
                                    int backlog = kDefaultBacklog);
// Non-blocking connect plus poll(2); the timeout applies to this address.
StatusOr<Fd> ConnectTcp(const SockAddr& addr, std::chrono::milliseconds timeout);
// Tries each address of `host` in turn (timeout per address) and returns
// the first connection, or the last error.
StatusOr<Fd> ConnectTcp(std::string_view host, int port, InetProtocols protocols,
                        std::chrono::milliseconds timeout);

// Postfix's client endpoints: "inet:HOST:PORT" (TCP; a port alone means
// localhost), "unix:PATH" or "local:PATH", or a bare PATH (UNIX-domain).
StatusOr<Fd> ConnectEndpoint(std::string_view endpoint, std::chrono::milliseconds timeout);

// Accepts one connection (retrying on EINTR). On a non-blocking listener
// with nothing pending this is kUnavailable (EAGAIN). `peer` may be null.
StatusOr<Fd> Accept(int listen_fd, SockAddr* peer = nullptr);

}  // namespace util

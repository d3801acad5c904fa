#include "util/sockets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "util/strings.h"

namespace util {

namespace {

using Clock = std::chrono::steady_clock;

// Ports for services that /etc/services may lack.
struct BuiltinService {
  const char* name;
  int port;
};
constexpr BuiltinService kBuiltinServices[] = {
    {"smtp", 25}, {"lmtp", 24}, {"submission", 587}, {"smtps", 465}, {"submissions", 465},
};

// Waits until `fd` is ready for `events` or the deadline passes
// (time_point::max(): no deadline). Returns false on timeout.
StatusOr<bool> PollUntil(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    int ms = -1;
    if (deadline != Clock::time_point::max()) {
      auto now = Clock::now();
      if (now >= deadline) return false;
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
      ms = static_cast<int>(std::min<long long>(left, INT_MAX));
    }
    struct pollfd p = {fd, events, 0};
    int r = ::poll(&p, 1, ms);
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return ErrnoStatus(errno, "poll");
  }
}

Clock::time_point DeadlineAfter(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return Clock::time_point::max();
  return Clock::now() + timeout;
}

StatusOr<struct sockaddr_un> UnixAddress(const std::string& path) {
  struct sockaddr_un sun = {};
  sun.sun_family = AF_UNIX;
  if (path.empty()) return InvalidArgument("empty UNIX-domain socket path");
  if (path.size() >= sizeof(sun.sun_path)) {
    return InvalidArgument(StrFormat("UNIX-domain socket path too long (%zu > %zu): %s",
                                     path.size(), sizeof(sun.sun_path) - 1, path.c_str()));
  }
  memcpy(sun.sun_path, path.data(), path.size());
  return sun;
}

// "bind 192.0.2.1 port 25" / "bind [::1] port 25" as Postfix words it.
std::string Where(const SockAddr& addr) {
  return addr.Address() + " port " + std::to_string(addr.port());
}

}  // namespace

StatusOr<InetProtocols> ParseInetProtocols(std::string_view value) {
  bool v4 = false, v6 = false;
  std::vector<std::string> words = SplitList(value);
  for (const std::string& w : words) {
    std::string l = Lowercase(w);
    if (l == "all") {
      v4 = v6 = true;
    } else if (l == "ipv4") {
      v4 = true;
    } else if (l == "ipv6") {
      v6 = true;
    } else {
      return InvalidArgument("invalid inet_protocols value \"" + std::string(value) +
                             "\": unknown protocol \"" + w + "\"");
    }
  }
  if (v4 && v6) return InetProtocols::kAll;
  if (v4) return InetProtocols::kIpv4;
  if (v6) return InetProtocols::kIpv6;
  return InvalidArgument("invalid inet_protocols value \"" + std::string(value) +
                         "\": no protocol given");
}

// ---- SockAddr

SockAddr::SockAddr(const struct sockaddr* sa, socklen_t len) {
  len_ = std::min<socklen_t>(len, sizeof(storage_));
  memcpy(&storage_, sa, len_);
}

StatusOr<SockAddr> SockAddr::FromNumeric(std::string_view host, int port) {
  if (port < 0 || port > 65535) return InvalidArgument(StrFormat("port %d out of range", port));
  std::string h(host);
  SockAddr out;
  struct sockaddr_in sin = {};
  struct sockaddr_in6 sin6 = {};
  if (inet_pton(AF_INET, h.c_str(), &sin.sin_addr) == 1) {
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    return SockAddr(reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  }
  if (inet_pton(AF_INET6, h.c_str(), &sin6.sin6_addr) == 1) {
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(static_cast<uint16_t>(port));
    return SockAddr(reinterpret_cast<sockaddr*>(&sin6), sizeof sin6);
  }
  return InvalidArgument("not a numeric IP address: \"" + h + "\"");
}

int SockAddr::port() const { return AddressPort(get()); }

std::string SockAddr::Address() const {
  if (family() == AF_UNIX) {
    const auto* sun = reinterpret_cast<const struct sockaddr_un*>(&storage_);
    size_t max = len_ > offsetof(struct sockaddr_un, sun_path)
                     ? len_ - offsetof(struct sockaddr_un, sun_path)
                     : 0;
    return std::string(sun->sun_path, strnlen(sun->sun_path, std::min(max, sizeof sun->sun_path)));
  }
  return FormatAddress(get());
}

std::string SockAddr::ToString() const {
  std::string host = Address();
  switch (family()) {
    case AF_INET:
      return host + ":" + std::to_string(port());
    case AF_INET6:
      if (host.find(':') == std::string::npos) return host + ":" + std::to_string(port());
      return "[" + host + "]:" + std::to_string(port());
    default:
      return host;
  }
}

bool SockAddr::operator==(const SockAddr& other) const {
  return len_ == other.len_ && memcmp(&storage_, &other.storage_, len_) == 0;
}

std::string FormatAddress(const struct sockaddr* sa) {
  char buf[NI_MAXHOST];
  if (sa->sa_family == AF_INET) {
    const auto* sin = reinterpret_cast<const struct sockaddr_in*>(sa);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf) == nullptr) return "";
    return buf;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const struct sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      if (inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf, sizeof buf) == nullptr) return "";
      return buf;
    }
    // getnameinfo adds "%scope" to link-local addresses.
    if (getnameinfo(sa, sizeof(struct sockaddr_in6), buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) !=
        0) {
      return "";
    }
    return buf;
  }
  return "";
}

int AddressPort(const struct sockaddr* sa) {
  if (sa->sa_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
  if (sa->sa_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port);
  }
  return 0;
}

// ---- Parsing

StatusOr<int> ParsePort(std::string_view service) {
  if (service.empty()) return InvalidArgument("empty port");
  if (util::AllDigits(service)) {
    std::optional<long long> n = service.size() <= 6 ? ParseInt(service) : std::nullopt;
    if (!n || *n > 65535) {
      return InvalidArgument("port " + std::string(service) + " out of range (0..65535)");
    }
    return static_cast<int>(*n);
  }
  std::string name(service);
  struct servent ent, *result = nullptr;
  char buf[4096];
  if (getservbyname_r(name.c_str(), "tcp", &ent, buf, sizeof buf, &result) == 0 && result) {
    return static_cast<int>(ntohs(static_cast<uint16_t>(result->s_port)));
  }
  for (const BuiltinService& s : kBuiltinServices) {
    if (name == s.name) return s.port;
  }
  return InvalidArgument("unknown service \"" + name + "\" (not a port number or TCP service)");
}

StatusOr<HostPort> ParseHostPort(std::string_view text, BareWord bare, int default_port) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("malformed address \"" + std::string(text) + "\": " + why);
  };
  if (text.empty()) return bad("empty address");
  for (unsigned char c : text) {
    if (c <= ' ' || c == 0x7f) return bad("contains white space or control characters");
  }
  HostPort hp;
  std::string_view port;
  bool want_port = false;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("missing \"]\"");
    hp.host = std::string(text.substr(1, close - 1));
    hp.bracketed = true;
    if (hp.host.empty()) return bad("empty host name in \"[]\"");
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("text after \"]\" must be \":port\"");
      port = rest.substr(1);
      want_port = !port.empty();
    }
  } else {
    size_t colons = std::count(text.begin(), text.end(), ':');
    if (colons == 0) {
      if (bare == BareWord::kPort) {
        port = text;
        want_port = true;
      } else {
        hp.host = std::string(text);
      }
    } else if (colons == 1) {
      size_t at = text.find(':');
      hp.host = std::string(text.substr(0, at));
      port = text.substr(at + 1);
      want_port = !port.empty();
      if (hp.host.empty() && !want_port) return bad("no host and no port");
    } else {
      return bad("an IPv6 address must be written as \"[address]:port\"");
    }
  }
  if (hp.host.find_first_of("[]/") != std::string::npos) return bad("invalid host name");
  if (want_port) {
    StatusOr<int> p = ParsePort(port);
    if (!p.ok()) return bad(p.status().message());
    hp.port = *p;
    hp.has_port = true;
  } else {
    hp.port = default_port;
  }
  return hp;
}

// ---- Resolver

StatusOr<std::vector<SockAddr>> Resolve(std::string_view host, int port, InetProtocols protocols,
                                        bool numeric_only) {
  if (port < 0 || port > 65535) return InvalidArgument(StrFormat("port %d out of range", port));
  struct addrinfo hints = {};
  hints.ai_family = protocols == InetProtocols::kIpv4   ? AF_INET
                    : protocols == InetProtocols::kIpv6 ? AF_INET6
                                                        : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV;
  if (numeric_only) hints.ai_flags |= AI_NUMERICHOST;
  std::string h(host);
  if (h.empty()) hints.ai_flags |= AI_PASSIVE;
  std::string service = std::to_string(port);
  struct addrinfo* res = nullptr;
  int err = getaddrinfo(h.empty() ? nullptr : h.c_str(), service.c_str(), &hints, &res);
  if (err != 0) {
    std::string what = "resolve \"" + h + "\": ";
    switch (err) {
      case EAI_NONAME:
#ifdef EAI_NODATA
      case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
      case EAI_ADDRFAMILY:
#endif
        if (numeric_only) return InvalidArgument(what + "not a numeric address of that family");
        return NotFound(what + "host or domain name not found");
      case EAI_AGAIN:
        return Unavailable(what + gai_strerror(err));
      case EAI_SYSTEM:
        return ErrnoStatus(errno, "resolve \"" + h + "\"");
      case EAI_MEMORY:
        return ResourceExhausted(what + gai_strerror(err));
      default:
        return Unavailable(what + gai_strerror(err));
    }
  }
  std::vector<SockAddr> out;
  for (struct addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    SockAddr a(ai->ai_addr, ai->ai_addrlen);
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  freeaddrinfo(res);
  if (out.empty()) return NotFound("resolve \"" + h + "\": no address of the allowed families");
  return out;
}

// ---- Descriptor flags and names

ssize_t SendWithFd(int sock, const void* data, size_t len, int fd, int flags) {
  struct iovec iov;
  iov.iov_base = const_cast<void*>(data);
  iov.iov_len = len;
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    struct cmsghdr* cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  }
  return sendmsg(sock, &mh, MSG_NOSIGNAL | flags);
}

ssize_t ReceiveWithFds(int sock, void* buf, size_t len, std::vector<Fd>* fds) {
  struct iovec iov;
  iov.iov_base = buf;
  iov.iov_len = len;
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  for (struct cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm != nullptr; cm = CMSG_NXTHDR(&mh, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int got;
      memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
      fds->emplace_back(got);
    }
  }
  return n;
}

Status SetNonBlocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return ErrnoStatus(errno, "fcntl F_GETFL");
  int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (want != flags && fcntl(fd, F_SETFL, want) < 0) return ErrnoStatus(errno, "fcntl F_SETFL");
  return OkStatus();
}

Status SetCloseOnExec(int fd, bool on) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return ErrnoStatus(errno, "fcntl F_GETFD");
  int want = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (want != flags && fcntl(fd, F_SETFD, want) < 0) return ErrnoStatus(errno, "fcntl F_SETFD");
  return OkStatus();
}

StatusOr<SockAddr> LocalAddress(int fd) {
  struct sockaddr_storage ss = {};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    return ErrnoStatus(errno, "getsockname");
  }
  return SockAddr(reinterpret_cast<sockaddr*>(&ss), len);
}

StatusOr<SockAddr> PeerAddress(int fd) {
  struct sockaddr_storage ss = {};
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    return ErrnoStatus(errno, "getpeername");
  }
  return SockAddr(reinterpret_cast<sockaddr*>(&ss), len);
}

// ---- UNIX-domain sockets

StatusOr<Fd> ListenUnix(const std::string& path, mode_t mode, int backlog) {
  StatusOr<struct sockaddr_un> sun = UnixAddress(path);
  if (!sun.ok()) return sun.status();
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return FailedPrecondition("listen on " + path + ": file exists and is not a socket");
    }
    if (unlink(path.c_str()) < 0 && errno != ENOENT) {
      return ErrnoStatus(errno, "remove stale socket " + path);
    }
  }
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus(errno, "socket");
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&*sun), sizeof *sun) < 0) {
    return ErrnoStatus(errno, "bind " + path);
  }
  if (chmod(path.c_str(), mode) < 0) return ErrnoStatus(errno, "chmod " + path);
  if (listen(fd.get(), backlog) < 0) return ErrnoStatus(errno, "listen " + path);
  return fd;
}

StatusOr<Fd> ConnectEndpoint(std::string_view endpoint, std::chrono::milliseconds timeout) {
  if (endpoint.starts_with("inet:")) {
    StatusOr<HostPort> hp = ParseHostPort(endpoint.substr(5));
    if (!hp.ok()) return hp.status();
    if (!hp->has_port) return InvalidArgument("no port in \"" + std::string(endpoint) + "\"");
    return ConnectTcp(hp->host.empty() ? "localhost" : hp->host, hp->port, InetProtocols::kAll,
                      timeout);
  }
  for (std::string_view prefix : {"unix:", "local:"})
    if (endpoint.starts_with(prefix)) endpoint.remove_prefix(prefix.size());
  return ConnectUnix(std::string(endpoint), timeout);
}

StatusOr<Fd> ConnectUnix(const std::string& path, std::chrono::milliseconds timeout) {
  StatusOr<struct sockaddr_un> sun = UnixAddress(path);
  if (!sun.ok()) return sun.status();
  // A zero timeout never waits: the socket is non-blocking while it
  // connects, so a full backlog fails at once (EAGAIN).
  const bool no_wait = timeout.count() == 0;
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (no_wait ? SOCK_NONBLOCK : 0), 0));
  if (!fd) return ErrnoStatus(errno, "socket");
  // Linux completes UNIX connects at once or, when the listener's backlog
  // is full, blocks for up to SO_SNDTIMEO: use that as the timeout.
  struct timeval tv = {};
  if (timeout.count() > 0) {
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    if (setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) {
      return ErrnoStatus(errno, "setsockopt SO_SNDTIMEO");
    }
  }
  const Clock::time_point deadline = DeadlineAfter(timeout);
  for (;;) {
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&*sun), sizeof *sun) == 0) break;
    if (errno == EINTR && Clock::now() < deadline) continue;
    if (errno == EAGAIN || errno == EINPROGRESS || errno == EINTR) {
      return DeadlineExceeded("connect to " + path + ": timed out");
    }
    return ErrnoStatus(errno, "connect to " + path);
  }
  if (timeout.count() > 0) {
    tv = {};
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  if (no_wait) {
    if (Status st = SetNonBlocking(fd.get(), false); !st.ok()) return st;
  }
  return fd;
}

// ---- TCP

StatusOr<Fd> ListenTcp(const SockAddr& addr, int backlog) {
  if (addr.family() != AF_INET && addr.family() != AF_INET6) {
    return InvalidArgument("ListenTcp: not an IPv4 or IPv6 address");
  }
  Fd fd(socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus(errno, "socket");
  int on = 1;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) {
    return ErrnoStatus(errno, "setsockopt SO_REUSEADDR");
  }
  if (addr.family() == AF_INET6 &&
      setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0) {
    return ErrnoStatus(errno, "setsockopt IPV6_V6ONLY");
  }
  if (bind(fd.get(), addr.get(), addr.len()) < 0) return ErrnoStatus(errno, "bind " + Where(addr));
  if (listen(fd.get(), backlog) < 0) return ErrnoStatus(errno, "listen " + Where(addr));
  return fd;
}

StatusOr<std::vector<Fd>> ListenTcp(std::string_view host, int port, InetProtocols protocols,
                                    int backlog) {
  StatusOr<std::vector<SockAddr>> addrs = Resolve(host, port, protocols);
  if (!addrs.ok()) return addrs.status();
  std::vector<Fd> fds;
  for (const SockAddr& a : *addrs) {
    StatusOr<Fd> fd = ListenTcp(a, backlog);
    if (!fd.ok()) return fd.status();  // fds closes what was opened
    fds.push_back(std::move(*fd));
  }
  return fds;
}

StatusOr<Fd> ConnectTcp(const SockAddr& addr, std::chrono::milliseconds timeout) {
  const std::string where = "connect to " + addr.ToString();
  if (addr.family() != AF_INET && addr.family() != AF_INET6) {
    return InvalidArgument(where + ": not an IPv4 or IPv6 address");
  }
  const Clock::time_point deadline = DeadlineAfter(timeout);
  Fd fd(socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return ErrnoStatus(errno, "socket");
  if (connect(fd.get(), addr.get(), addr.len()) < 0) {
    // EINTR: the connect goes on in the background, as with EINPROGRESS.
    if (errno != EINPROGRESS && errno != EINTR) return ErrnoStatus(errno, where);
    StatusOr<bool> ready = PollUntil(fd.get(), POLLOUT, deadline);
    if (!ready.ok()) return ready.status();
    if (!*ready) return DeadlineExceeded(where + ": timed out");
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err != 0) return ErrnoStatus(err, where);
  }
  Status st = SetNonBlocking(fd.get(), false);
  if (!st.ok()) return st;
  return fd;
}

StatusOr<Fd> ConnectTcp(std::string_view host, int port, InetProtocols protocols,
                        std::chrono::milliseconds timeout) {
  StatusOr<std::vector<SockAddr>> addrs = Resolve(host, port, protocols);
  if (!addrs.ok()) return addrs.status();
  Status last;
  for (const SockAddr& a : *addrs) {
    StatusOr<Fd> fd = ConnectTcp(a, timeout);
    if (fd.ok()) return fd;
    last = fd.status();
  }
  if (last.ok()) return NotFound("connect to \"" + std::string(host) + "\": no address");
  return last;
}

StatusOr<Fd> Accept(int listen_fd, SockAddr* peer) {
  struct sockaddr_storage ss = {};
  for (;;) {
    socklen_t len = sizeof ss;
    int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
    if (fd >= 0) {
      if (peer != nullptr) *peer = SockAddr(reinterpret_cast<sockaddr*>(&ss), len);
      return Fd(fd);
    }
    if (errno == EINTR) continue;
    return ErrnoStatus(errno, "accept");
  }
}

}  // namespace util

#include "util/name_service.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace util {

namespace {

using util::dns::Answer;
using util::dns::Record;
using util::dns::Result;
using util::dns::Type;

Answer Failure(Result status, std::string error) {
  Answer a;
  a.status = status;
  a.error = std::move(error);
  return a;
}

Answer FromGaiError(int err, std::string_view name) {
  std::string text = std::string(name) + ": " + gai_strerror(err);
  switch (err) {
    case EAI_NONAME:
      return Failure(Result::kNxDomain, text);
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
      return Failure(Result::kNoData, text);
    default:
      return Failure(Result::kTempFail, text);
  }
}

Answer Reverse(std::string_view addr) {
  std::string text(addr);
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    len = sizeof(*v6);
  } else {
    return Failure(Result::kNxDomain, "not an address: " + text);
  }
  char host[NI_MAXHOST];
  int err = getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof(host), nullptr, 0,
                        NI_NAMEREQD);
  if (err != 0) return FromGaiError(err, text);
  Answer a;
  a.status = Result::kFound;
  std::string name = host;
  while (!name.empty() && name.back() == '.') name.pop_back();
  a.records.push_back(Record{util::dns::ReverseName(text), name, 0, 0});
  return a;
}

Answer Forward(std::string_view name, int family) {
  std::string host(name);
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int err = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (err != 0) return FromGaiError(err, host);
  Answer a;
  for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
    char buf[INET6_ADDRSTRLEN];
    const void* src =
        p->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr);
    if (inet_ntop(p->ai_family, src, buf, sizeof(buf)) == nullptr) continue;
    bool dup = false;
    for (const Record& r : a.records) dup = dup || r.value == buf;
    if (!dup) a.records.push_back(Record{host, buf, 0, 0});
  }
  freeaddrinfo(res);
  a.status = a.records.empty() ? Result::kNoData : Result::kFound;
  return a;
}

class NameService : public util::dns::Resolver {
 public:
  Answer Lookup(std::string_view name, Type type) override {
    if (std::getenv("MTA_DNS_NAMESERVER") != nullptr)
      return util::dns::SystemResolver().Lookup(name, type);
    switch (type) {
      case Type::kPtr:
        return Reverse(name);
      case Type::kA:
        return Forward(name, AF_INET);
      case Type::kAaaa:
        return Forward(name, AF_INET6);
      default:
        return Failure(Result::kTempFail, "the name service answers address and name lookups only");
    }
  }
};

}  // namespace

util::dns::Resolver& NameServiceResolver() {
  static NameService resolver;
  return resolver;
}

}  // namespace util

#include "tables/proxy_table.h"

#include <fcntl.h>

#include <chrono>
#include <memory>

#include "tables/proxy_protocol.h"
#include "tables/types.h"
#include "util/attr_client.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/strings.h"

namespace tables {
namespace {

std::string Param(const OpenOptions& options, std::string_view name, std::string_view def) {
  if (options.params) {
    std::optional<std::string> v = options.params(name);
    if (v && !v->empty()) return *v;
  }
  return std::string(def);
}

std::chrono::seconds IpcTimeout(const OpenOptions& options) {
  std::optional<long long> t = util::ParseTime(Param(options, "ipc_timeout", "3600s"));
  return std::chrono::seconds(t && *t > 0 ? *t : 3600);
}

class ProxyTable : public Table {
 public:
  ProxyTable(std::string_view name, const OpenOptions& options)
      : Table("proxy", std::string(name), options.flags),
        path_(ProxySocketPath(options)),
        service_(util::Basename(path_)),
        client_(path_, service_, IpcTimeout(options)) {}

  LookupResult Lookup(std::string_view key) override {
    util::StatusOr<ProxyReply> reply =
        Call({ProxyOp::kLookup, name(), flags(), std::string(key), {}});
    if (!reply.ok()) return LookupResult::TempError(reply.status().message());
    switch (reply->status) {
      case ProxyStatus::kOk:
        return LookupResult::Found(std::move(reply->value));
      case ProxyStatus::kNotFound:
        return LookupResult::NotFound();
      default:
        return LookupResult::TempError(StatusFromReply(*reply).message());
    }
  }

  util::Status Update(std::string_view key, std::string_view value) override {
    util::StatusOr<ProxyReply> reply =
        Call({ProxyOp::kUpdate, name(), flags(), std::string(key), std::string(value)});
    if (!reply.ok()) return reply.status();
    return StatusFromReply(*reply);
  }

  util::Status Delete(std::string_view key) override {
    util::StatusOr<ProxyReply> reply =
        Call({ProxyOp::kDelete, name(), flags(), std::string(key), {}});
    if (!reply.ok()) return reply.status();
    if (reply->status == ProxyStatus::kNotFound)
      return util::NotFound("key not found: " + std::string(key));
    return StatusFromReply(*reply);
  }

 private:
  util::Status StatusFromReply(const ProxyReply& reply) const {
    std::string why = reply.value.empty() ? "" : ": " + reply.value;
    switch (reply.status) {
      case ProxyStatus::kOk:
        return util::OkStatus();
      case ProxyStatus::kNotFound:
        return util::NotFound("not found");
      case ProxyStatus::kRetry:
        return util::Unavailable(spec() + ": table lookup failed" + why);
      case ProxyStatus::kBad: {
        std::string m = service_ + " service rejected the request for " + spec() + why;
        msg::Warn("%s", m.c_str());
        return util::Unavailable(m);
      }
      case ProxyStatus::kDenied: {
        std::string m = util::StrFormat("%s service is not configured for table \"%s\"",
                                        service_.c_str(), name().c_str());
        msg::Warn("%s", m.c_str());
        return util::Unavailable(m);
      }
    }
    return util::Unavailable("bad proxymap status");
  }

  // One request and its reply (util::AttrClient reconnects once when the
  // connection broke; every failure is kUnavailable: the caller defers).
  util::StatusOr<ProxyReply> Call(const ProxyRequest& request) {
    util::StatusOr<util::AttrList> list = client_.Call(EncodeProxyRequest(request));
    if (!list.ok()) return list.status();
    util::StatusOr<ProxyReply> reply = DecodeProxyReply(*list);
    if (!reply.ok()) {
      client_.Disconnect();
      return util::Unavailable(service_ + " service is not available: bad reply from " + path_ +
                               ": " + reply.status().message());
    }
    return reply;
  }

  std::string path_;
  std::string service_;
  util::AttrClient client_;
};

}  // namespace

std::string ProxySocketPath(const OpenOptions& options) {
  bool write = (options.open_flags & O_ACCMODE) != O_RDONLY;
  std::string service = write ? Param(options, "proxywrite_service_name", "proxywrite")
                              : Param(options, "proxymap_service_name", "proxymap");
  return Param(options, "queue_directory", "/var/spool/postfix") + "/private/" + service;
}

util::StatusOr<std::unique_ptr<Table>> OpenProxy(std::string_view name,
                                                 const OpenOptions& options) {
  if (options.flags & kNoProxy)
    return util::FailedPrecondition("proxy:" + std::string(name) +
                                    ": proxy: tables are not allowed here");
  size_t colon = name.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == name.size())
    return util::FailedPrecondition("bad syntax: \"proxy:" + std::string(name) +
                                    "\"; need \"proxy:type:name\"");
  if (name.substr(0, colon) == "proxy")
    return util::FailedPrecondition("proxy:" + std::string(name) + ": nested proxy: tables");
  return std::unique_ptr<Table>(new ProxyTable(name, options));
}

}  // namespace tables

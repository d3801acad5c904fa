#include "tables/proxy_table.h"

#include <fcntl.h>

#include <chrono>
#include <memory>

#include "tables/proxy_protocol.h"
#include "tables/types.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/sockets.h"
#include "util/stream.h"
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

class ProxyTable : public Table {
 public:
  ProxyTable(std::string_view name, const OpenOptions& options)
      : Table("proxy", std::string(name), options.flags),
        path_(ProxySocketPath(options)),
        service_(util::Basename(path_)) {
    std::optional<long long> t = util::ParseTime(Param(options, "ipc_timeout", "3600s"));
    timeout_ = std::chrono::seconds(t && *t > 0 ? *t : 3600);
  }

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

  // One request and its reply; when the connection breaks (the server
  // restarted, or closed it mid-request) it is reopened and the request
  // sent once more.
  util::StatusOr<ProxyReply> Call(const ProxyRequest& request) {
    const std::string wire = util::EncodeAttrList(EncodeProxyRequest(request));
    for (int attempt = 0;; ++attempt) {
      if (stream_.fd() < 0) {
        util::StatusOr<util::Fd> fd = util::ConnectUnix(path_, timeout_);
        if (!fd.ok())
          return util::Unavailable(service_ +
                                   " service is not available: " + fd.status().message());
        stream_ = util::Stream(std::move(*fd));
        stream_.set_timeout(timeout_);
      }
      util::StatusOr<ProxyReply> reply = Exchange(wire);
      if (reply.ok()) return reply;
      stream_ = util::Stream();
      if (reply.status().code() == util::Code::kInvalidArgument || attempt > 0)
        return util::Unavailable(service_ +
                                 " service is not available: " + reply.status().message());
      if (msg::Verbose())
        msg::Info("%s: reconnecting: %s", path_.c_str(), reply.status().message().c_str());
    }
  }

  util::StatusOr<ProxyReply> Exchange(const std::string& wire) {
    util::Status st = stream_.Write(wire);
    if (st.ok()) st = stream_.Flush();
    if (!st.ok()) return util::Unavailable("send to " + path_ + ": " + st.message());
    util::AttrDecoder decoder;
    util::AttrList list;
    for (;;) {
      util::StatusOr<bool> got = decoder.Next(&list);
      if (!got.ok())
        return util::InvalidArgument("bad reply from " + path_ + ": " + got.status().message());
      if (*got) break;
      std::string chunk;
      st = stream_.ReadSome(&chunk);
      if (!st.ok()) {
        if (stream_.eof()) return util::Unavailable("read from " + path_ + ": connection closed");
        return util::Unavailable("read from " + path_ + ": " + st.message());
      }
      decoder.Feed(chunk);
    }
    if (decoder.buffered() != 0)
      return util::InvalidArgument("bad reply from " + path_ + ": unexpected data after reply");
    util::StatusOr<ProxyReply> reply = DecodeProxyReply(list);
    if (!reply.ok())
      return util::InvalidArgument("bad reply from " + path_ + ": " + reply.status().message());
    return reply;
  }

  std::string path_;
  std::string service_;
  std::chrono::milliseconds timeout_;
  util::Stream stream_;
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

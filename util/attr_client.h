// attr_client: the client end of a request/reply attribute service
// (util/attr.h lists over a UNIX stream socket), shared by the client
// stubs of the multi-server services (rewrite_client.h, resolve_client.h).
//
//   util::AttrClient c("/var/spool/postfix/private/rewrite", "rewrite",
//                             std::chrono::seconds(30));
//   StatusOr<AttrList> reply = c.Call({{"request", "resolve"}, ...});
//   if (!reply.ok()) defer(reply.status());      // always kUnavailable
//
// The connection is made at the first call and kept for the next ones.
// When it breaks (the server exited after max_idle/max_use, was restarted,
// or died mid-request) the request is sent once more on a new connection
// (requests must be idempotent: lookups are); a second failure, a refused connect, a timeout (the
// per-call deadline covers the send and the whole reply), or a malformed reply is kUnavailable
// "SERVICE service is not available: ...", and the connection is dropped.
// One AttrClient is used by one thread at a time.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "util/attr.h"
#include "util/status.h"
#include "util/stream.h"

namespace util {

class AttrClient {
 public:
  AttrClient(std::string socket_path, std::string service, std::chrono::milliseconds timeout);
  AttrClient(const AttrClient&) = delete;
  AttrClient& operator=(const AttrClient&) = delete;

  // One request, one reply.
  StatusOr<AttrList> Call(const AttrList& request);
  // Several requests sent at once (pipelined), their replies in order: one
  // round trip instead of one per request. All or nothing: an error is as
  // for Call, and the whole batch is retried once on a new connection.
  StatusOr<std::vector<AttrList>> CallMany(const std::vector<AttrList>& requests);
  // Call with descriptor passing (a server with MultiServerHooks::pass_fds,
  // such as scache): `send_fd` (>= 0) goes with the request; a descriptor
  // that comes with the reply is put in *received (when not null; else it
  // is closed). The retry after a broken connection sends it again.
  StatusOr<AttrList> CallPassing(const AttrList& request, int send_fd, Fd* received);

  // Closes the connection (the next Call reconnects).
  void Disconnect() { stream_ = Stream(); }
  bool connected() const { return stream_.fd() >= 0; }
  const std::string& socket_path() const { return path_; }
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

 private:
  StatusOr<std::vector<AttrList>> Exchange(const std::string& wire, size_t replies,
                                           std::chrono::steady_clock::time_point deadline,
                                           int send_fd);
  StatusOr<std::vector<AttrList>> Run(const std::vector<AttrList>& requests, int send_fd);

  std::string path_;
  std::string service_;
  std::chrono::milliseconds timeout_;
  Stream stream_;
  std::vector<Fd> received_;  // descriptors that came with replies (CallPassing)
};

}  // namespace util

// multi_server: the skeleton of event-driven daemons that serve many
// clients at once from one process (trivial-rewrite, proxymap, anvil,
// bounce), as Postfix's multi_server, on util/event_loop.h (libevent).
//
// The protocol is fixed: on each connection the client sends requests,
// each an attribute list (util/attr.h), and gets one attribute list back
// per request, in order; a connection carries any number of rounds (the
// client stubs in global/ keep their connection open). The daemon supplies
// the request handler only:
//
//   int main(int argc, char** argv) {
//     server::MultiServerHooks hooks;
//     hooks.request = [](const util::AttrList& req, server::Connection& conn,
//                        server::Server& s) -> util::StatusOr<util::AttrList> {
//       if (util::Status st = req.Expect({"request", "address"}); !st.ok()) return st;
//       return util::AttrList{{"status", "0"}, {"address", Rewrite(*req.Get("address"))}};
//     };
//     server::RunMultiServer(argc, argv, hooks);
//   }
//
// An error returned by the handler, a malformed request, or one over
// hooks.limits is logged ("warning: SERVICE: CONNECTION: message") and the
// connection is closed (the client reconnects). on_connect (e.g. to send a
// greeting with Connection::Send) and on_disconnect (to forget
// per-connection state keyed by Connection::id()) are optional.
//
// Flow control: replies are written without blocking; while more than
// 1 MB of replies waits for a slow reader, its requests are not read.
//
// Lifetime (see daemon.h for the rest): max_use counts connections; the
// process exits when max_use is reached and its last client has gone
// (it keeps accepting until then, as Postfix does), or after max_idle
// seconds with no client at all. Master tells it "taken" while it handles
// a batch of requests and "available" otherwise. When master closes the
// lifeline (or RequestExit is called) it stops accepting, closes every
// connection that is between requests, closes each remaining one as soon
// as its request has been answered, and exits when none is left, or after
// max_idle seconds (100 if max_idle is 0) at most. Service types: inet, unix.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "server/daemon.h"
#include "util/attr.h"
#include "util/event_loop.h"
#include "util/fd.h"

namespace server {

class MultiServer;

// One client connection; the skeleton owns it.
class Connection {
 public:
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Unique within the process, never reused.
  uint64_t id() const { return id_; }
  int fd() const { return fd_.get(); }
  // Queues an attribute list for the client, written when the hook in
  // progress returns (handlers normally just return their reply; this is
  // for greetings from on_connect).
  void Send(const util::AttrList& list);
  // Closes the connection once queued output has been written.
  void Close() { close_after_output_ = true; }
  // With MultiServerHooks::pass_fds: the oldest descriptor the client
  // sent (with the bytes of its request), or an empty Fd; and a
  // descriptor to send with the reply the running request hook returns.
  util::Fd TakeFd();
  void AttachFd(util::Fd fd) { fd_out_ = std::move(fd); }

 private:
  friend class MultiServer;
  Connection(MultiServer* owner, uint64_t id, util::Fd fd, const util::AttrLimits& limits)
      : owner_(owner), id_(id), fd_(std::move(fd)), decoder_(limits) {}

  MultiServer* owner_;
  uint64_t id_;
  util::Fd fd_;
  util::AttrDecoder decoder_;
  std::string out_;
  size_t out_pos_ = 0;
  util::EventLoop::Handle read_handle_ = util::EventLoop::kNoHandle;
  util::EventLoop::Handle write_handle_ = util::EventLoop::kNoHandle;
  bool close_after_output_ = false;
  bool reading_paused_ = false;
  bool read_any_ = false;
  std::vector<util::Fd> fds_in_;
  util::Fd fd_out_;
  std::deque<std::pair<size_t, util::Fd>> fds_out_;  // offset in out_ of the reply it goes with
};

struct MultiServerHooks : ServerHooks {
  std::function<util::StatusOr<util::AttrList>(const util::AttrList& request, Connection& conn,
                                               Server& server)>
      request;
  std::function<void(Connection& conn, Server& server)> on_connect;
  std::function<void(Connection& conn, Server& server)> on_disconnect;
  // Set: a connection whose first byte is master's wakeup request
  // (master_proto::kTriggerWakeup, which never starts an attribute list:
  // master.cf's wakeup column, e.g. tlsmgr's "1000?") is a wakeup, not a
  // client: this runs and the connection closes without a warning.
  std::function<void(Server& server)> wakeup;
  util::AttrLimits limits;
  // Clients may pass descriptors (util::SendWithFd) with their requests
  // and receive them with replies (Connection::TakeFd, AttachFd): scache.
  bool pass_fds = false;
};

// Runs the daemon; does not return (exits 0 at the end of its life, 1 on
// a fatal error).
[[noreturn]] void RunMultiServer(int argc, char** argv, const MultiServerHooks& hooks);

}  // namespace server

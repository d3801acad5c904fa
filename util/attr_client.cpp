#include "util/attr_client.h"

#include "util/msg.h"
#include "util/sockets.h"

namespace util {

using Clock = std::chrono::steady_clock;

AttrClient::AttrClient(std::string socket_path, std::string service,
                       std::chrono::milliseconds timeout)
    : path_(std::move(socket_path)), service_(std::move(service)), timeout_(timeout) {}

StatusOr<AttrList> AttrClient::Call(const AttrList& request) {
  StatusOr<std::vector<AttrList>> replies = CallMany({request});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

StatusOr<AttrList> AttrClient::CallPassing(const AttrList& request, int send_fd, Fd* received) {
  StatusOr<std::vector<AttrList>> replies = Run({request}, send_fd);
  if (received != nullptr) *received = received_.empty() ? Fd() : std::move(received_.front());
  received_.clear();
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

StatusOr<std::vector<AttrList>> AttrClient::CallMany(const std::vector<AttrList>& requests) {
  return Run(requests, -1);
}

StatusOr<std::vector<AttrList>> AttrClient::Run(const std::vector<AttrList>& requests,
                                                int send_fd) {
  received_.clear();
  if (requests.empty()) return std::vector<AttrList>();
  std::string wire;
  for (const AttrList& r : requests) wire += EncodeAttrList(r);
  const Clock::time_point deadline = Clock::now() + timeout_;
  for (int attempt = 0;; ++attempt) {
    if (stream_.fd() < 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      StatusOr<Fd> fd = ConnectUnix(path_, std::max(left, std::chrono::milliseconds(1)));
      if (!fd.ok())
        return Unavailable(service_ + " service is not available: " + fd.status().message());
      stream_ = Stream(std::move(*fd));
      stream_.CollectFds(&received_);
    }
    StatusOr<std::vector<AttrList>> replies = Exchange(wire, requests.size(), deadline, send_fd);
    if (replies.ok()) return replies;
    stream_ = Stream();
    // Retry once when the connection broke (the server went away between
    // calls, or died mid-request); not after a timeout or a bad reply.
    if (attempt > 0 || replies.status().code() != Code::kUnavailable)
      return Unavailable(service_ + " service is not available: " + replies.status().message());
    if (msg::Verbose())
      msg::Info("%s: reconnecting: %s", path_.c_str(), replies.status().message().c_str());
  }
}

StatusOr<std::vector<AttrList>> AttrClient::Exchange(const std::string& wire, size_t count,
                                                     Clock::time_point deadline, int send_fd) {
  auto left = [&] {
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                    std::chrono::milliseconds(1));
  };
  stream_.set_timeout(left());
  if (send_fd >= 0) stream_.AttachFd(send_fd);
  Status st = stream_.Write(wire);
  if (st.ok()) st = stream_.Flush();
  if (!st.ok()) return Status(st.code(), "send to " + path_ + ": " + st.message());
  AttrDecoder decoder;
  std::vector<AttrList> replies;
  AttrList list;
  while (replies.size() < count) {
    StatusOr<bool> got = decoder.Next(&list);
    if (!got.ok())
      return InvalidArgument("bad reply from " + path_ + ": " + got.status().message());
    if (*got) {
      replies.push_back(std::move(list));
      list = AttrList();
      continue;
    }
    std::string chunk;
    stream_.set_timeout(left());
    st = stream_.ReadSome(&chunk);
    if (!st.ok()) {
      if (stream_.eof()) return Unavailable("read from " + path_ + ": connection closed");
      return Status(st.code(), "read from " + path_ + ": " + st.message());
    }
    decoder.Feed(chunk);
  }
  if (decoder.buffered() != 0)
    return InvalidArgument("bad reply from " + path_ + ": unexpected data after reply");
  return replies;
}

}  // namespace util

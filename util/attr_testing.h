// attr_testing: a scripted attribute-list server for unit tests of the
// client stubs (global/*_client.h): it listens on a UNIX socket, serves
// one connection at a time, hands each request (util/attr.h list) to a
// handler and writes the handler's reply; a nullopt reply closes the
// connection without answering (a daemon that exits or crashes).
//
//   util::testing::FakeAttrServer server(   // in a temporary directory of its own
//       [](const util::AttrList& req) -> std::optional<util::AttrList> {
//         return util::AttrList{{"status", "0"}};
//       });
//   anvil_client::AnvilClient c(server.path(), std::chrono::seconds(5));
//   ... server.requests(), server.connections() ...
//
// Header-only, for *_test.cpp files; not part of any program.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "util/attr.h"
#include "util/scratch_dir.h"
#include "util/sockets.h"
#include "util/stream.h"

namespace util::testing {

class FakeAttrServer {
 public:
  using Handler = std::function<std::optional<AttrList>(const AttrList&)>;

  explicit FakeAttrServer(Handler handler) : handler_(std::move(handler)) {
    path_ = dir_.Path("server");
    auto fd = ListenUnix(path_, 0600);
    EXPECT_TRUE(fd.ok()) << fd.status().message();
    if (fd.ok()) listen_ = std::move(*fd);
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeAttrServer() {
    stop_ = true;
    ::shutdown(listen_.get(), SHUT_RDWR);
    thread_.join();
  }
  FakeAttrServer(const FakeAttrServer&) = delete;
  FakeAttrServer& operator=(const FakeAttrServer&) = delete;

  const std::string& path() const { return path_; }
  int connections() const { return connections_; }
  // Every request received so far, in order.
  std::vector<AttrList> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Run() {
    while (!stop_) {
      StatusOr<Fd> conn = Accept(listen_.get());
      if (!conn.ok()) return;
      ++connections_;
      Stream s(std::move(*conn));
      AttrDecoder dec;
      for (bool open = true; open && !stop_;) {
        AttrList req;
        StatusOr<bool> got = dec.Next(&req);
        if (!got.ok()) break;
        if (!*got) {
          std::string chunk;
          if (!s.ReadSome(&chunk).ok()) break;
          dec.Feed(chunk);
          continue;
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.push_back(req);
        }
        std::optional<AttrList> reply = handler_(req);
        if (!reply) break;
        open = s.Write(EncodeAttrList(*reply)).ok() && s.Flush().ok();
      }
    }
  }

  ScratchDir dir_;
  std::string path_;
  Handler handler_;
  Fd listen_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<AttrList> requests_;
};

}  // namespace util::testing

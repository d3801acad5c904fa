// service: anvil's request handler: decodes the requests of
// global/anvil_client.h, applies them to the counters (anvil.h) and builds
// the replies. main.cpp hands it to the multi-server skeleton, with the
// skeleton's connection id as the client connection.
//
//   anvil::Service svc(std::make_unique<anvil::Anvil>(60));
//   util::StatusOr<util::AttrList> reply = svc.Handle(request, conn.id());
//   svc.ConnectionClosed(conn.id());   // from on_disconnect
//
// A request without "request", or a known request without "ident" or with
// unknown attributes, is an error (the skeleton logs it and drops the
// client). An unknown request name is answered {status=1} and logged:
// warning: unrecognized request: "NAME", ignored.
#pragma once

#include <cstdint>
#include <memory>

#include "anvil/anvil.h"
#include "util/attr.h"
#include "util/status.h"

namespace anvil {

inline constexpr int kStatusOk = 0;
inline constexpr int kStatusFail = 1;

class Service {
 public:
  explicit Service(std::unique_ptr<Anvil> anvil) : anvil_(std::move(anvil)) {}

  util::StatusOr<util::AttrList> Handle(const util::AttrList& request, uint64_t conn);
  void ConnectionClosed(uint64_t conn) { anvil_->ConnectionClosed(conn); }

  Anvil& anvil() { return *anvil_; }

 private:
  std::unique_ptr<Anvil> anvil_;
};

}  // namespace anvil

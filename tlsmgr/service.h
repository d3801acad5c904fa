// service: tlsmgr's request handler, the server end of
// global/tlsmgr_client.h's protocol over a KeyRing.
//
//   util::StatusOr<util::AttrList> reply = tlsmgr::Handle(ring, request);
//
// {request=tktkey, keyname=} gets the current key, {request=tktkey,
// keyname=HEX} that key while it may open tickets, else {status=1}. A
// request without "request", with unknown attributes or a malformed key
// name is an error (the skeleton logs it and drops the client); an unknown
// request name is answered {status=1} with
// warning: unrecognized request: "NAME", ignored.
#pragma once

#include "tlsmgr/keyring.h"
#include "util/attr.h"
#include "util/status.h"

namespace tlsmgr {

util::StatusOr<util::AttrList> Handle(KeyRing& ring, const util::AttrList& request);

}  // namespace tlsmgr

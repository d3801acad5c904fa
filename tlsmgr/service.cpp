#include "tlsmgr/service.h"

#include "global/tlsmgr_client.h"
#include "util/msg.h"
#include "util/strings.h"

namespace tlsmgr {

namespace tc = tlsmgr_client;

util::StatusOr<util::AttrList> Handle(KeyRing& ring, const util::AttrList& request) {
  util::StatusOr<std::string_view> name = request.GetRequired(tc::kAttrRequest);
  if (!name.ok()) return name.status();
  util::AttrList fail;
  fail.SetInt(tc::kAttrStatus, 1);
  if (*name != tc::kRequestTicketKey) {
    msg::Warn("unrecognized request: \"%s\", ignored", util::Printable(*name).c_str());
    return fail;
  }
  if (util::Status st = request.Expect({tc::kAttrRequest, tc::kAttrKeyName}); !st.ok()) return st;
  std::string_view hex = *request.Get(tc::kAttrKeyName);
  std::optional<util::tls::TicketKey> key;
  if (hex.empty()) {
    util::StatusOr<util::tls::TicketKey> k = ring.Current();
    if (!k.ok()) {
      msg::Warn("%s", k.status().message().c_str());
      return fail;
    }
    key = *k;
  } else {
    std::optional<util::tls::TicketKeyName> n = util::tls::ParseTicketKeyName(hex);
    if (!n)
      return util::InvalidArgument("invalid session ticket key name: " + util::Printable(hex));
    key = ring.Find(*n);
    if (!key) return fail;
  }
  util::AttrList ok;
  ok.SetInt(tc::kAttrStatus, 0);
  ok.Set(tc::kAttrKey, util::tls::EncodeTicketKey(*key));
  return ok;
}

}  // namespace tlsmgr

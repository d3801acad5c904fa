#include "anvil/service.h"

#include "global/anvil_client.h"
#include "util/msg.h"
#include "util/strings.h"

namespace anvil {
namespace {

namespace ac = anvil_client;

util::AttrList Reply(int status) {
  util::AttrList out;
  out.SetInt(ac::kAttrStatus, status);
  return out;
}

util::AttrList RateReply(int rate) {
  util::AttrList out = Reply(kStatusOk);
  out.SetInt(ac::kAttrRate, rate);
  return out;
}

}  // namespace

util::StatusOr<util::AttrList> Service::Handle(const util::AttrList& request, uint64_t conn) {
  util::StatusOr<std::string_view> name = request.GetRequired(ac::kAttrRequest);
  if (!name.ok()) return name.status();
  static constexpr std::string_view kKnown[] = {"connect", "disconnect",    "message", "recipient",
                                                "newtls",  "newtls_report", "auth",    "lookup"};
  bool known = false;
  for (std::string_view k : kKnown) known = known || *name == k;
  if (!known) {
    msg::Warn("unrecognized request: \"%s\", ignored", util::Printable(*name).c_str());
    return Reply(kStatusFail);
  }
  if (util::Status st = request.Expect({ac::kAttrRequest, ac::kAttrIdent}); !st.ok()) return st;
  std::string_view ident = *request.Get(ac::kAttrIdent);
  if (msg::Verbose())
    msg::Info("%.*s: ident=%s", static_cast<int>(name->size()), name->data(),
              util::Printable(ident).c_str());

  if (*name == "connect") {
    Counts c = anvil_->Connect(conn, ident);
    util::AttrList out = Reply(kStatusOk);
    out.SetInt(ac::kAttrCount, c.count);
    out.SetInt(ac::kAttrRate, c.rate);
    return out;
  }
  if (*name == "disconnect") {
    anvil_->Disconnect(conn, ident);
    return Reply(kStatusOk);
  }
  if (*name == "message") return RateReply(anvil_->Message(ident));
  if (*name == "recipient") return RateReply(anvil_->Recipient(ident));
  if (*name == "newtls") return RateReply(anvil_->NewTls(ident));
  if (*name == "newtls_report") return RateReply(anvil_->NewTlsReport(ident));
  if (*name == "auth") return RateReply(anvil_->Auth(ident));
  Counts c = anvil_->Lookup(ident);  // lookup
  util::AttrList out = Reply(kStatusOk);
  out.SetInt(ac::kAttrCount, c.count);
  out.SetInt(ac::kAttrRate, c.rate);
  out.SetInt(ac::kAttrMessage, c.message);
  out.SetInt(ac::kAttrRecipient, c.recipient);
  out.SetInt(ac::kAttrNewtls, c.newtls);
  out.SetInt(ac::kAttrAuth, c.auth);
  return out;
}

}  // namespace anvil

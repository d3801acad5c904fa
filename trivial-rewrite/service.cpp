#include "trivial-rewrite/service.h"

#include "global/maps.h"
#include "global/rewrite_proto.h"
#include "util/msg.h"
#include "util/strings.h"

namespace trivial_rewrite {

namespace rp = rewrite_proto;

Service::Service(rewrite::Rules rules, std::unique_ptr<Resolver> resolver, size_t cache_size)
    : rules_(std::move(rules)),
      resolver_(std::move(resolver)),
      cache_(cache_size),
      generation_(maps::Generation()),
      last_check_(std::chrono::steady_clock::now()) {}

util::StatusOr<std::unique_ptr<Service>> Service::FromConfig(const config::Config& cfg) {
  util::StatusOr<std::unique_ptr<Resolver>> resolver = Resolver::FromConfig(cfg);
  if (!resolver.ok()) return resolver.status();
  return std::make_unique<Service>(rewrite::Rules::FromConfig(cfg), std::move(*resolver));
}

util::StatusOr<util::AttrList> Service::Handle(const util::AttrList& request) {
  util::StatusOr<std::string_view> req = request.GetRequired(rp::kRequest);
  if (!req.ok()) return req.status();
  if (*req == rp::kRequestRewrite) return HandleRewrite(request);
  if (*req == rp::kRequestResolve) return HandleResolve(request);
  return util::InvalidArgument("unknown request: " + util::Printable(*req));
}

util::StatusOr<util::AttrList> Service::HandleRewrite(const util::AttrList& request) {
  if (util::Status st = request.Expect({rp::kRequest, rp::kRule, rp::kAddress}); !st.ok())
    return st;
  rewrite::Context context;
  std::string_view rule = *request.Get(rp::kRule);
  if (!rewrite::ParseContext(rule, &context))
    return util::InvalidArgument("unknown rule: " + util::Printable(rule));
  std::string_view address = *request.Get(rp::kAddress);
  std::string out = rules_.Rewrite(context, address);
  if (msg::Verbose())
    msg::Info("`%s' `%s' -> `%s'", std::string(rule).c_str(), util::Printable(address).c_str(),
              util::Printable(out).c_str());
  util::AttrList reply;
  reply.SetInt(rp::kStatus, rp::kStatusOk);
  reply.Set(rp::kAddress, out);
  return reply;
}

void Service::MaybeCheckChanges() {
  auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < maps::ChangeCheckInterval()) return;
  last_check_ = now;
  resolver_->CheckChanges();
  if (maps::Generation() != generation_) {
    if (msg::Verbose()) msg::Info("a table changed: dropping %zu cached results", cache_.size());
    cache_.Clear();
    generation_ = maps::Generation();
  }
}

util::StatusOr<util::AttrList> Service::HandleResolve(const util::AttrList& request) {
  if (util::Status st = request.Expect({rp::kRequest, rp::kSender, rp::kAddress}); !st.ok())
    return st;
  std::string_view sender = *request.Get(rp::kSender);
  std::string_view address = *request.Get(rp::kAddress);
  MaybeCheckChanges();
  std::string key = resolver_->sender_dependent() ? std::string(sender) : std::string();
  key += '\n';
  key += address;
  Resolution res;
  if (const Resolution* hit = cache_.Find(key)) {
    res = *hit;
  } else {
    res = resolver_->Resolve(sender, address);
    // A table reopened during this lookup: older entries are stale.
    if (maps::Generation() != generation_) {
      cache_.Clear();
      generation_ = maps::Generation();
    }
    if (!res.temp_fail) cache_.Insert(key, res);
  }
  util::AttrList reply;
  if (res.temp_fail) {
    reply.SetInt(rp::kStatus, rp::kStatusTempFail);
    reply.Set(rp::kReason, res.reason);
    reply.SetInt(rp::kFlags, res.flags);
    return reply;
  }
  if (msg::Verbose())
    msg::Info("`%s' -> `%s' `%s' `%s' %s", util::Printable(address).c_str(), res.transport.c_str(),
              util::Printable(res.nexthop).c_str(), util::Printable(res.recipient).c_str(),
              rp::FlagsString(res.flags).c_str());
  reply.SetInt(rp::kStatus, rp::kStatusOk);
  reply.Set(rp::kTransport, res.transport);
  reply.Set(rp::kNexthop, res.nexthop);
  reply.Set(rp::kRecipient, res.recipient);
  reply.SetInt(rp::kFlags, res.flags);
  return reply;
}

}  // namespace trivial_rewrite

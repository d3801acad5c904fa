#include "proxymap/service.h"

#include <fcntl.h>

#include "global/maps.h"
#include "tables/registry.h"
#include "tables/table_syntax.h"
#include "util/msg.h"
#include "util/strings.h"

namespace proxymap {
namespace {

using Clock = std::chrono::steady_clock;
using tables::ProxyStatus;

constexpr std::string_view kProxyPrefix = "proxy:";
constexpr std::string_view kAttrFunction = "function";

util::AttrList StatusOnly(ProxyStatus status) {
  util::AttrList out;
  out.SetInt(tables::kProxyAttrStatus, static_cast<int>(status));
  return out;
}

util::AttrList StatusValue(ProxyStatus status, std::string_view value) {
  util::AttrList out = StatusOnly(status);
  out.Set(tables::kProxyAttrValue, value);
  return out;
}

}  // namespace

std::set<std::string> ApprovedTables(std::string_view list) {
  std::set<std::string> out;
  util::StatusOr<std::vector<std::string>> items = tables::SplitBracedList(list);
  if (!items.ok()) {
    msg::Warn("bad table list \"%s\": %s", util::Printable(list).c_str(),
              items.status().message().c_str());
    return out;
  }
  for (const std::string& item : *items) {
    if (item.size() > kProxyPrefix.size() && item.starts_with(kProxyPrefix))
      out.insert(item.substr(kProxyPrefix.size()));
  }
  return out;
}

unsigned RequestFlags(unsigned client_flags) {
  constexpr unsigned kMask = tables::kFoldFixed | tables::kFoldMul | tables::kTryNul |
                             tables::kTryNoNul | tables::kDupWarn | tables::kDupIgnore |
                             tables::kDupReplace | tables::kNoRegsub | tables::kUtf8;
  return (client_flags & kMask) | tables::kNoProxy;
}

Service::Service(Mode mode, std::set<std::string> approved, tables::OpenOptions options)
    : mode_(mode), approved_(std::move(approved)), options_(std::move(options)) {}

std::unique_ptr<Service> Service::FromConfig(const config::Config& cfg,
                                             std::string_view service_name) {
  Mode mode = service_name == cfg.Get("proxywrite_service_name") ? Mode::kWrite : Mode::kRead;
  config::AnyParam param = mode == Mode::kWrite ? config::AnyParam("proxy_write_maps")
                                                : config::AnyParam("proxy_read_maps");
  std::set<std::string> approved = ApprovedTables(cfg.Get(param));
  if (msg::Verbose())
    msg::Info("%s: %zu approved tables in %s", std::string(service_name).c_str(), approved.size(),
              std::string(param.name()).c_str());
  return std::make_unique<Service>(mode, std::move(approved), maps::TableOptions(cfg));
}

bool Service::Approved(const std::string& spec) const {
  if (approved_.count(spec)) return true;
  msg::Warn("request for unapproved table: \"%s\"", util::Printable(spec).c_str());
  return false;
}

void Service::TryOpen(Entry& e) {
  tables::OpenOptions o = options_;
  o.open_flags = O_RDONLY;
  o.flags = e.flags;
  util::StatusOr<std::unique_ptr<tables::Table>> t = tables::Open(e.spec, o);
  e.last_check = Clock::now();
  if (t.ok()) {
    e.table = std::move(*t);
    e.error.clear();
    e.sequence.clear();
    e.sequence_pos = 0;
    return;
  }
  std::string error = e.spec + " is unavailable. " + t.status().message();
  if (e.table) {
    msg::Warn("%s: reopen failed: %s; still using the old table", e.spec.c_str(),
              t.status().message().c_str());
  } else if (error != e.error) {
    msg::Warn("%s", error.c_str());
    e.error = error;
  }
}

Service::Entry& Service::Get(const std::string& spec, unsigned flags) {
  std::unique_ptr<Entry>& slot = tables_[std::to_string(flags) + "," + spec];
  if (!slot) {
    slot = std::make_unique<Entry>();
    slot->spec = spec;
    slot->flags = flags;
    TryOpen(*slot);
    return *slot;
  }
  Entry& e = *slot;
  Clock::time_point now = Clock::now();
  if (now - e.last_check >= interval_) {
    e.last_check = now;
    if (!e.table || e.table->Changed()) {
      if (e.table && msg::Verbose()) msg::Info("%s: table changed, reopening", spec.c_str());
      TryOpen(e);
    }
  }
  return e;
}

util::StatusOr<util::AttrList> Service::Handle(const util::AttrList& request) {
  util::StatusOr<std::string_view> name = request.GetRequired(tables::kProxyAttrRequest);
  if (!name.ok()) return name.status();
  if (*name == "sequence") return Sequence(request);
  if (*name != "open" && *name != "lookup" && *name != "update" && *name != "delete") {
    msg::Warn("unrecognized request: \"%s\", ignored", util::Printable(*name).c_str());
    return StatusOnly(ProxyStatus::kBad);
  }
  util::StatusOr<tables::ProxyRequest> req = tables::DecodeProxyRequest(request);
  if (!req.ok()) return req.status();
  req->flags = RequestFlags(req->flags);
  switch (req->op) {
    case tables::ProxyOp::kOpen:
      return Open(*req);
    case tables::ProxyOp::kLookup:
      return Lookup(*req);
    case tables::ProxyOp::kUpdate:
    case tables::ProxyOp::kDelete:
      return Write(*req);
  }
  return StatusOnly(ProxyStatus::kBad);
}

util::AttrList Service::Open(const tables::ProxyRequest& req) {
  if (!Approved(req.table)) {
    util::AttrList out = StatusOnly(ProxyStatus::kDenied);
    out.SetInt(tables::kProxyAttrFlags, 0);
    return out;
  }
  // A table that cannot be opened still "opens", like Postfix's surrogate
  // table: its lookups then say why they fail.
  Entry& e = Get(req.table, req.flags);
  util::AttrList out = StatusOnly(ProxyStatus::kOk);
  out.SetInt(tables::kProxyAttrFlags, e.table ? e.table->flags() : e.flags);
  return out;
}

util::AttrList Service::Lookup(const tables::ProxyRequest& req) {
  if (!Approved(req.table)) return StatusValue(ProxyStatus::kDenied, "");
  Entry& e = Get(req.table, req.flags);
  if (!e.table) return StatusValue(ProxyStatus::kRetry, e.error);
  tables::LookupResult r = e.table->Lookup(req.key);
  if (r.temp_error())
    msg::Warn("%s lookup error for \"%s\": %s", e.spec.c_str(), util::Printable(req.key).c_str(),
              r.value.c_str());
  tables::ProxyReply reply = tables::ProxyReplyFromLookup(r);
  return StatusValue(reply.status, reply.value);
}

util::AttrList Service::Write(const tables::ProxyRequest& req) {
  std::string_view what = req.op == tables::ProxyOp::kUpdate ? "update" : "delete";
  if (mode_ != Mode::kWrite) {
    msg::Warn("refusing %s %.*s request on non-proxywrite service",
              util::Printable(req.table).c_str(), static_cast<int>(what.size()), what.data());
    return StatusOnly(ProxyStatus::kDenied);
  }
  if (!Approved(req.table)) return StatusOnly(ProxyStatus::kDenied);
  tables::OpenOptions o = options_;
  o.open_flags = O_RDWR | O_CREAT;
  o.flags = req.flags;
  util::StatusOr<std::unique_ptr<tables::Table>> t = tables::Open(req.table, o);
  util::Status st = t.ok() ? util::OkStatus() : t.status();
  if (st.ok())
    st = req.op == tables::ProxyOp::kUpdate ? (*t)->Update(req.key, req.value)
                                            : (*t)->Delete(req.key);
  if (st.ok()) st = (*t)->Commit();
  if (st.ok()) {
    // Readers in this process see the change at their next request.
    for (auto& [key, e] : tables_)
      if (e->spec == req.table) e->last_check = {};
    return StatusOnly(ProxyStatus::kOk);
  }
  if (st.code() == util::Code::kNotFound) return StatusOnly(ProxyStatus::kNotFound);
  msg::Warn("%s %.*s for \"%s\" failed: %s", req.table.c_str(), static_cast<int>(what.size()),
            what.data(), util::Printable(req.key).c_str(), st.message().c_str());
  util::AttrList out =
      StatusOnly(st.code() == util::Code::kUnavailable ? ProxyStatus::kRetry : ProxyStatus::kBad);
  return out;
}

util::StatusOr<util::AttrList> Service::Sequence(const util::AttrList& request) {
  if (util::Status st = request.Expect({tables::kProxyAttrRequest, tables::kProxyAttrTable,
                                        tables::kProxyAttrFlags, kAttrFunction});
      !st.ok())
    return st;
  std::string table(*request.Get(tables::kProxyAttrTable));
  util::StatusOr<long long> flags = request.GetInt(tables::kProxyAttrFlags);
  if (!flags.ok()) return flags.status();
  std::string_view function = *request.Get(kAttrFunction);
  auto reply = [](ProxyStatus status, std::string_view key, std::string_view value) {
    util::AttrList out = StatusOnly(status);
    out.Set(tables::kProxyAttrKey, key);
    out.Set(tables::kProxyAttrValue, value);
    return out;
  };
  if (function != "first" && function != "next") {
    msg::Warn("unrecognized sequence function: \"%s\"", util::Printable(function).c_str());
    return reply(ProxyStatus::kBad, "", "");
  }
  if (!Approved(table)) return reply(ProxyStatus::kDenied, "", "");
  Entry& e = Get(table, RequestFlags(static_cast<unsigned>(*flags)));
  if (!e.table) return reply(ProxyStatus::kRetry, "", e.error);
  if (function == "first") {
    e.sequence.clear();
    e.sequence_pos = 0;
    util::Status st = e.table->Sequence([&](std::string_view k, std::string_view v) {
      e.sequence.emplace_back(std::string(k), std::string(v));
      return true;
    });
    if (!st.ok()) {
      e.sequence.clear();
      bool retry = st.code() == util::Code::kUnavailable;
      if (retry) msg::Warn("%s: sequence failed: %s", table.c_str(), st.message().c_str());
      return reply(retry ? ProxyStatus::kRetry : ProxyStatus::kBad, "", st.message());
    }
  }
  if (e.sequence_pos >= e.sequence.size()) return reply(ProxyStatus::kNotFound, "", "");
  const auto& [k, v] = e.sequence[e.sequence_pos++];
  return reply(ProxyStatus::kOk, k, v);
}

}  // namespace proxymap

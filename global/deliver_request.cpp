#include "global/deliver_request.h"

#include <cstdio>
#include <cstdlib>

#include "util/sockets.h"
#include "util/strings.h"

namespace deliver_request {

int ParseDsnRet(std::string_view value) {
  std::string v = util::Lowercase(value);
  if (v == "full" || v == "1") return kDsnRetFull;
  if (v == "hdrs" || v == "2") return kDsnRetHdrs;
  return 0;
}

namespace {

constexpr size_t kMaxRecipients = 100000;

void SetIf(util::AttrList* l, std::string_view name, std::string_view value) {
  if (!value.empty()) l->Set(name, value);
}

std::string Str(const util::AttrList& l, std::string_view name) {
  auto v = l.Get(name);
  return v ? std::string(*v) : std::string();
}

std::string FormatTime(double t) { return util::StrFormat("%.6f", t); }

util::StatusOr<double> ParseTime(const util::AttrList& l, std::string_view name) {
  auto v = l.Get(name);
  if (!v) return 0.0;
  std::string s(*v);
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || d < 0)
    return util::Status(
        util::Code::kInvalidArgument,
        util::StrFormat("bad numerical attribute %s=%s", std::string(name).c_str(), s.c_str()));
  return d;
}

util::StatusOr<long long> OptInt(const util::AttrList& l, std::string_view name, long long dflt) {
  if (!l.Has(name)) return dflt;
  return l.GetInt(name);
}

}  // namespace

std::string Encode(const Request& req) {
  util::AttrList h;
  h.Set("queue_name", req.queue_name);
  h.Set("queue_id", req.queue_id);
  h.Set("sender", req.sender);
  h.Set("nexthop", req.nexthop);
  h.Set("arrival_time", FormatTime(req.arrival_time));
  h.Set("active_time", FormatTime(req.active_time));
  h.SetInt("flags", req.flags);
  SetIf(&h, "dsn_envid", req.dsn_envid);
  if (req.dsn_ret) h.SetInt("dsn_ret", req.dsn_ret);
  SetIf(&h, "client_name", req.client_name);
  SetIf(&h, "client_address", req.client_address);
  SetIf(&h, "protocol", req.protocol);
  SetIf(&h, "helo_name", req.helo_name);
  SetIf(&h, "sasl_username", req.sasl_username);
  SetIf(&h, "log_ident", req.log_ident);
  h.SetInt("rcpt_count", static_cast<long long>(req.recipients.size()));
  std::string out = util::EncodeAttrList(h);
  for (const Recipient& r : req.recipients) {
    util::AttrList l;
    l.Set("address", r.address);
    SetIf(&l, "original", r.original);
    SetIf(&l, "dsn_orcpt", r.dsn_orcpt);
    if (r.dsn_notify) l.SetInt("dsn_notify", r.dsn_notify);
    if (r.offset >= 0) l.SetInt("offset", r.offset);
    util::AppendAttrList(&out, l);
  }
  return out;
}

util::StatusOr<Request> Decode(const util::AttrList& h, const std::vector<util::AttrList>& rcpts) {
  if (util::Status st =
          h.Expect({"queue_name", "queue_id", "sender", "nexthop", "rcpt_count"},
                   {"arrival_time", "active_time", "flags", "dsn_envid", "dsn_ret", "client_name",
                    "client_address", "protocol", "helo_name", "sasl_username", "log_ident"});
      !st.ok())
    return st;
  Request req;
  req.queue_name = Str(h, "queue_name");
  req.queue_id = Str(h, "queue_id");
  req.sender = Str(h, "sender");
  req.nexthop = Str(h, "nexthop");
  auto at = ParseTime(h, "arrival_time");
  if (!at.ok()) return at.status();
  req.arrival_time = *at;
  auto act = ParseTime(h, "active_time");
  if (!act.ok()) return act.status();
  req.active_time = *act;
  auto flags = OptInt(h, "flags", 0);
  if (!flags.ok()) return flags.status();
  req.flags = static_cast<unsigned>(*flags);
  req.dsn_envid = Str(h, "dsn_envid");
  auto ret = OptInt(h, "dsn_ret", 0);
  if (!ret.ok()) return ret.status();
  req.dsn_ret = static_cast<int>(*ret);
  req.client_name = Str(h, "client_name");
  req.client_address = Str(h, "client_address");
  req.protocol = Str(h, "protocol");
  req.helo_name = Str(h, "helo_name");
  req.sasl_username = Str(h, "sasl_username");
  req.log_ident = Str(h, "log_ident");
  auto n = h.GetInt("rcpt_count");
  if (!n.ok()) return n.status();
  if (*n < 0 || static_cast<size_t>(*n) != rcpts.size())
    return util::Status(util::Code::kInvalidArgument, util::StrFormat("bad rcpt_count: %lld", *n));
  for (const util::AttrList& l : rcpts) {
    if (util::Status st = l.Expect({"address"}, {"original", "dsn_orcpt", "dsn_notify", "offset"});
        !st.ok())
      return st;
    Recipient r;
    r.address = Str(l, "address");
    r.original = Str(l, "original");
    r.dsn_orcpt = Str(l, "dsn_orcpt");
    auto notify = OptInt(l, "dsn_notify", 0);
    if (!notify.ok()) return notify.status();
    r.dsn_notify = static_cast<int>(*notify);
    auto off = OptInt(l, "offset", -1);
    if (!off.ok()) return off.status();
    r.offset = *off;
    req.recipients.push_back(std::move(r));
  }
  return req;
}

namespace {

// Reads lists until `want` complete ones are decoded (want < 0: the first
// list says, via rcpt_count, how many more follow).
util::StatusOr<std::vector<util::AttrList>> ReadLists(util::Stream& s) {
  util::AttrDecoder dec;
  std::vector<util::AttrList> lists;
  long long want = -1;
  for (;;) {
    util::AttrList l;
    for (;;) {
      util::StatusOr<bool> got = dec.Next(&l);
      if (!got.ok()) return got.status();
      if (!*got) break;
      lists.push_back(std::move(l));
      if (lists.size() == 1) {
        auto n = lists[0].GetInt("rcpt_count");
        if (!n.ok()) return n.status();
        if (*n < 0 || static_cast<size_t>(*n) > kMaxRecipients)
          return util::Status(util::Code::kInvalidArgument,
                              util::StrFormat("bad rcpt_count: %lld", *n));
        want = *n + 1;
      }
      if (want >= 0 && static_cast<long long>(lists.size()) == want) return lists;
    }
    std::string chunk;
    util::Status st = s.ReadSome(&chunk);
    if (!st.ok()) return st;
    dec.Feed(chunk);
  }
}

}  // namespace

util::StatusOr<Request> Read(util::Stream& client) {
  auto lists = ReadLists(client);
  if (!lists.ok()) return lists.status();
  std::vector<util::AttrList> rcpts(std::make_move_iterator(lists->begin() + 1),
                                    std::make_move_iterator(lists->end()));
  return Decode((*lists)[0], rcpts);
}

util::AttrList EncodeReply(const Reply& r) {
  util::AttrList l;
  l.SetInt("status", r.status);
  if (r.site_failure) l.SetInt("site_failure", 1);
  SetIf(&l, "reason", r.reason);
  return l;
}

util::StatusOr<Reply> ParseReply(const util::AttrList& l) {
  if (util::Status st = l.Expect({"status"}, {"site_failure", "reason"}); !st.ok()) return st;
  Reply r;
  auto status = l.GetInt("status");
  if (!status.ok()) return status.status();
  if (*status != 0 && *status != 4)
    return util::Status(util::Code::kInvalidArgument, util::StrFormat("bad status: %lld", *status));
  r.status = static_cast<int>(*status);
  auto sf = OptInt(l, "site_failure", 0);
  if (!sf.ok()) return sf.status();
  r.site_failure = *sf != 0;
  r.reason = Str(l, "reason");
  return r;
}

util::Status WriteReply(util::Stream& client, const Reply& r) {
  if (util::Status st = client.Write(util::EncodeAttrList(EncodeReply(r))); !st.ok()) return st;
  return client.Flush();
}

util::StatusOr<Reply> Deliver(const std::string& socket_path, const Request& req,
                              std::chrono::milliseconds timeout) {
  std::string service = socket_path.substr(socket_path.rfind('/') + 1);
  auto unavailable = [&](const util::Status& st) {
    return util::Status(util::Code::kUnavailable,
                        service + " service is not available: " + std::string(st.message()));
  };
  auto no_reply = [&](const util::Status& st) {
    return util::Status(util::Code::kInternal,
                        "no reply from " + service + " service: " + std::string(st.message()));
  };
  auto connect_timeout = timeout.count() > 0 ? timeout : std::chrono::milliseconds(10000);
  auto fd = util::ConnectUnix(socket_path, connect_timeout);
  if (!fd.ok()) return unavailable(fd.status());
  util::Stream s(std::move(*fd));
  s.set_timeout(timeout);
  if (util::Status st = s.Write(Encode(req)); !st.ok()) return unavailable(st);
  if (util::Status st = s.Flush(); !st.ok()) return unavailable(st);
  util::AttrDecoder dec;
  util::AttrList l;
  for (;;) {
    util::StatusOr<bool> got = dec.Next(&l);
    if (!got.ok()) return no_reply(got.status());
    if (*got) break;
    std::string chunk;
    if (util::Status st = s.ReadSome(&chunk); !st.ok()) return no_reply(st);
    dec.Feed(chunk);
  }
  auto r = ParseReply(l);
  if (!r.ok()) return no_reply(r.status());
  return r;
}

}  // namespace deliver_request

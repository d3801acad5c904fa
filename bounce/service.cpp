#include "bounce/service.h"

#include <sys/time.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "bounce/dsn.h"
#include "global/cleanup_client.h"
#include "global/delivery_log.h"
#include "global/mail_queue.h"
#include "global/queue_file.h"
#include "util/msg.h"
#include "util/strings.h"

namespace bounce {

namespace {

util::AttrList Reply(int status, std::string_view reason = {}) {
  util::AttrList r;
  r.SetInt("status", status);
  if (status != 0) r.Set("reason", reason);
  return r;
}

util::AttrList TempFail(const std::string& id, const std::string& why) {
  msg::Warn("%s: %s", id.c_str(), why.c_str());
  return Reply(4, why);
}

bool HasClass(const config::Config& cfg, std::string_view cls) {
  for (const std::string& c : cfg.GetList("notify_classes"))
    if (util::Lowercase(c) == cls) return true;
  return false;
}

std::string DoubleBounceAddress(const config::Config& cfg) {
  std::string a = cfg.Get("double_bounce_sender");
  if (a.find('@') == std::string::npos) a += "@" + cfg.Get("myorigin");
  return a;
}

// Sends one notice through cleanup; returns its queue ID.
util::StatusOr<std::string> Send(const config::Config& cfg, dsn::Notice& n,
                                 const std::string& envelope_sender) {
  // Internal mail: no header/body checks, no always_bcc (as Postfix).
  auto c = cleanup_client::CleanupClient::Open(cfg, cleanup_client::kFlagInternal);
  if (!c.ok()) return c.status();
  n.new_queue_id = (*c)->queue_id();
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  n.now = tv.tv_sec;
  (*c)->Arrival(tv.tv_sec, tv.tv_usec);
  (*c)->Sender(envelope_sender);
  queue_file::Recipient r;
  r.address = n.to;
  (*c)->Recipient(r);
  (*c)->BeginContent();
  for (const std::string& line : dsn::Compose(n)) (*c)->Line(line);
  util::StatusOr<cleanup_client::Result> res = (*c)->Finish();
  if (!res.ok()) return res.status();
  if (res->status != 0) return util::Unavailable("cleanup: " + res->dsn + " " + res->reason);
  return res->queue_id;
}

// request=append: one delivery log entry, appended and synced by this
// daemon (mail_owner), never by the agent that asked.
util::AttrList Append(const config::Config& cfg, const util::AttrList& req) {
  std::optional<std::string_view> log = req.Get("log");
  std::optional<std::string_view> id = req.Get("queue_id");
  if (!log || !id || !mail_queue::IsValidId(*id) ||
      (*log != mail_queue::kBounce && *log != mail_queue::kDefer && *log != mail_queue::kTrace)) {
    msg::Warn("bad append request %s", req.DebugString().c_str());
    return Reply(4, "bad request");
  }
  util::AttrList attrs;
  for (const auto& [name, value] : req)
    if (name != "request" && name != "log" && name != "queue_id") attrs.Set(name, value);
  util::StatusOr<delivery_log::Entry> e = delivery_log::FromAttrs(attrs);
  if (!e.ok()) {
    msg::Warn("bad append request %s: %s", req.DebugString().c_str(), e.status().message().c_str());
    return Reply(4, "bad request: " + e.status().message());
  }
  util::Status st =
      delivery_log::Append(mail_queue::Layout::FromConfig(cfg), *log, std::string(*id), *e);
  if (!st.ok()) return TempFail(std::string(*id), st.message());
  return Reply(0);
}

}  // namespace

util::AttrList HandleRequest(const config::Config& cfg, const util::AttrList& req) {
  if (req.Get("request") == std::optional<std::string_view>("append")) return Append(cfg, req);
  if (util::Status st = req.Expect({"request", "kind", "queue_name", "queue_id"}); !st.ok()) {
    msg::Warn("bad request %s: %s", req.DebugString().c_str(), st.message().c_str());
    return Reply(4, "bad request: " + st.message());
  }
  std::string kind_name(*req.Get("kind"));
  std::string queue(*req.Get("queue_name"));
  std::string id(*req.Get("queue_id"));
  const auto& queues = mail_queue::MessageQueues();
  if (*req.Get("request") != "notify" ||
      std::find(queues.begin(), queues.end(), queue) == queues.end() ||
      !mail_queue::IsValidId(id)) {
    msg::Warn("bad request %s", req.DebugString().c_str());
    return Reply(4, "bad request");
  }
  dsn::Kind kind;
  std::string_view log_queue;
  if (kind_name == "bounce") {
    kind = dsn::Kind::kFailure;
    log_queue = mail_queue::kBounce;
  } else if (kind_name == "delay") {
    kind = dsn::Kind::kDelay;
    log_queue = mail_queue::kDefer;
  } else if (kind_name == "success") {
    kind = dsn::Kind::kSuccess;
    log_queue = mail_queue::kTrace;
  } else {
    msg::Warn("bad request %s: unknown kind", req.DebugString().c_str());
    return Reply(4, "bad request: unknown kind " + kind_name);
  }
  const bool consume = kind != dsn::Kind::kDelay;
  mail_queue::Layout layout = mail_queue::Layout::FromConfig(cfg);

  auto entries = delivery_log::Read(delivery_log::Path(layout, log_queue, id));
  if (!entries.ok()) {
    if (entries.status().code() == util::Code::kNotFound) return Reply(0);  // nothing to report
    return TempFail(id, entries.status().message());
  }
  auto qf = queue_file::Reader::Open(layout.Path(queue, id));
  if (!qf.ok()) return TempFail(id, "open queue file: " + qf.status().message());
  const queue_file::Envelope& env = qf->envelope();

  dsn::Notice n;
  n.kind = kind;
  n.queue_id = id;
  n.myhostname = cfg.Get("myhostname");
  n.mail_name = cfg.Get("mail_name");
  n.sender = env.sender;
  n.arrival_sec = env.arrival_sec;
  if (auto v = env.Attr("dsn_envid")) n.dsn_envid = std::string(*v);
  if (auto v = env.Attr("dsn_ret")) n.ret_headers = util::Lowercase(*v) == "hdrs" || *v == "2";
  if (auto v = env.Attr("encoding")) n.eight_bit = util::Lowercase(*v) == "8bit";
  n.utf8 = cfg.GetBool("smtputf8_enable");
  n.delay_warning_hours = cfg.GetTime("delay_warning_time") / 3600;
  n.max_queue_days = cfg.GetTime("maximal_queue_lifetime") / 86400;
  n.bounce_size_limit = cfg.GetInt("bounce_size_limit");
  n.original_size = env.content_size;
  // The last entry per recipient wins (a log may hold several attempts).
  for (delivery_log::Entry& e : *entries) {
    if (!dsn::Wants(kind, e.dsn_notify)) continue;
    auto same = std::find_if(n.recipients.begin(), n.recipients.end(), [&](const auto& o) {
      return o.recipient == e.recipient && o.original_recipient == e.original_recipient;
    });
    if (same != n.recipients.end()) {
      *same = std::move(e);
    } else {
      n.recipients.push_back(std::move(e));
    }
  }

  auto finish = [&]() -> util::AttrList {
    if (consume) {
      if (util::Status st = delivery_log::Remove(layout, log_queue, id); !st.ok())
        msg::Warn("%s: remove %s log: %s", id.c_str(), std::string(log_queue).c_str(),
                  st.message().c_str());
    }
    return Reply(0);
  };
  if (n.recipients.empty()) return finish();

  std::string envelope_sender;  // the null sender
  std::string who = "sender";
  if (env.sender.empty()) {
    if (kind != dsn::Kind::kFailure || !(HasClass(cfg, "2bounce") || HasClass(cfg, "bounce")))
      return finish();  // Postfix drops these silently
    n.to = cfg.Get("2bounce_notice_recipient");
    n.postmaster_copy = true;
    envelope_sender = DoubleBounceAddress(cfg);
    who = "postmaster";
  } else if (util::Lowercase(env.sender) == util::Lowercase(DoubleBounceAddress(cfg))) {
    msg::Warn("%s: undeliverable postmaster notification discarded", id.c_str());
    return finish();
  } else {
    n.to = env.sender;
  }

  util::Status st = qf->ReadContent([&](std::string_view line) {
    if (n.ret_headers || kind != dsn::Kind::kFailure ||
        n.original_size > static_cast<unsigned long long>(n.bounce_size_limit)) {
      // Headers only: stop keeping lines after the header section.
      if (!n.original.empty() && n.original.back().empty()) return;
    }
    n.original.emplace_back(line);
  });
  if (!st.ok()) return TempFail(id, "read queue file: " + st.message());

  util::StatusOr<std::string> new_id = Send(cfg, n, envelope_sender);
  if (!new_id.ok())
    return TempFail(id, "cannot send " + kind_name + " notice: " + new_id.status().message());
  const char* what = kind == dsn::Kind::kFailure ? "non-delivery notification"
                     : kind == dsn::Kind::kDelay ? "delay notification"
                                                 : "delivery status notification";
  msg::Info("%s: %s %s: %s", id.c_str(), who.c_str(), what, new_id->c_str());
  return finish();
}

}  // namespace bounce

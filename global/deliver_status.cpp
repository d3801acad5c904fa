#include "global/deliver_status.h"

#include <poll.h>
#include <sys/time.h>

#include <cctype>
#include <cmath>

#include "global/bounce_client.h"
#include "global/delivery_log.h"
#include "global/flush_client.h"
#include "util/msg.h"
#include "util/strings.h"

namespace deliver_status {
namespace {

double Now() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return tv.tv_sec + tv.tv_usec / 1e6;
}

bool IsDsn(std::string_view s) {
  // d.d{1,3}.d{1,3}
  if (s.size() < 5 || !std::isdigit(static_cast<unsigned char>(s[0])) || s[1] != '.') return false;
  size_t i = 2;
  for (int part = 0; part < 2; part++) {
    size_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) i++, n++;
    if (n < 1 || n > 3) return false;
    if (part == 0) {
      if (i >= s.size() || s[i] != '.') return false;
      i++;
    }
  }
  return i == s.size() && (s[0] == '2' || s[0] == '4' || s[0] == '5');
}

}  // namespace

std::string FormatDelay(double s) {
  if (s < 0) s = 0;
  if (s < 0.005) return "0";
  std::string out;
  if (s < 1)
    out = util::StrFormat("%.2f", s);
  else if (s < 10)
    out = util::StrFormat("%.1f", s);
  else
    return util::StrFormat("%.0f", s);
  while (!out.empty() && out.back() == '0') out.pop_back();
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::string FormatLogLine(const LogFields& f) {
  std::string line = "to=<" + f.recipient + ">, ";
  if (!f.original.empty() && f.original != f.recipient) line += "orig_to=<" + f.original + ">, ";
  line += "relay=" + f.relay + ", ";
  if (f.conn_use > 1) line += "conn_use=" + std::to_string(f.conn_use) + ", ";
  line += "delay=" + FormatDelay(f.delay) + ", delays=";
  for (int i = 0; i < 4; i++) line += (i ? "/" : "") + FormatDelay(f.delays[i]);
  line += ", dsn=" + f.dsn + ", status=" + f.status + " (" + f.reason + ")";
  return line;
}

void SplitDsn(std::string_view text, std::string_view default_dsn, char force_class,
              std::string* dsn, std::string* rest) {
  std::string_view t = util::Trim(text);
  size_t sp = t.find_first_of(" \t");
  std::string_view first = t.substr(0, sp);
  if (IsDsn(first)) {
    *dsn = std::string(first);
    *rest = sp == std::string_view::npos ? std::string() : std::string(util::Trim(t.substr(sp)));
  } else {
    *dsn = std::string(default_dsn);
    *rest = std::string(t);
  }
  if (force_class && !dsn->empty()) (*dsn)[0] = force_class;
}

util::StatusOr<Reporter> Reporter::Open(const mail_queue::Layout& layout,
                                        const deliver_request::Request& req, double start,
                                        LogAppender append) {
  if (!mail_queue::IsValidId(req.queue_id))
    return util::InvalidArgument("bad queue id: " + req.queue_id);
  bool queue_ok = false;
  for (std::string_view q : mail_queue::MessageQueues()) queue_ok |= (q == req.queue_name);
  if (!queue_ok) return util::InvalidArgument("bad queue name: " + req.queue_name);
  auto file = queue_file::Reader::OpenForUpdate(layout.Path(req.queue_name, req.queue_id));
  if (!file.ok()) return file.status();
  if (util::Status st = file->LockForDelivery(); !st.ok())
    msg::Warn("%s: %s", req.queue_id.c_str(), st.message().c_str());
  Reporter r;
  r.layout_ = layout;
  r.append_ = std::move(append);
  r.req_ = req;
  r.file_.emplace(std::move(*file));
  r.start_ = start;
  return r;
}

bool Reporter::Sent(size_t i, std::string_view relay, std::string_view dsn,
                    std::string_view reason) {
  return Report(i, "sent", relay, dsn, reason);
}
bool Reporter::Deferred(size_t i, std::string_view relay, std::string_view dsn,
                        std::string_view reason, const Remote& remote) {
  return Report(i, "deferred", relay, dsn, reason, remote);
}
bool Reporter::Bounced(size_t i, std::string_view relay, std::string_view dsn,
                       std::string_view reason, const Remote& remote) {
  if (soft_bounce_) {
    std::string soft(dsn);
    if (!soft.empty()) soft[0] = '4';
    return Report(i, kSoftBounce, relay, soft, reason, remote);
  }
  return Report(i, "bounced", relay, dsn, reason, remote);
}

void Reporter::SetSiteFailure(std::string_view reason) {
  site_failure_ = true;
  reason_ = std::string(reason);
}

util::Status Reporter::MarkDone(const deliver_request::Recipient& rc) {
  if (rc.offset < 0) return util::OkStatus();  // passed by another agent, which marks it
  queue_file::Recipient qr;
  qr.address = rc.address;
  qr.offset = static_cast<uint64_t>(rc.offset);
  return file_->MarkDone(qr, !(req_.flags & deliver_request::kFlagLastDelivery));
}

bool Reporter::Expanded(size_t i, std::string_view address, std::string_view status,
                        std::string_view relay, std::string_view dsn, std::string_view reason) {
  return Report(i, status, relay, dsn, reason, {}, address);
}

bool Reporter::Finish(size_t i, bool any_deferred) {
  if (i >= req_.recipients.size()) msg::Panic("deliver_status: no recipient #%zu", i);
  const deliver_request::Recipient& rc = req_.recipients[i];
  if (any_deferred) {
    deferred_ = true;
    return true;
  }
  util::Status st = MarkDone(rc);
  if (!st.ok()) {
    msg::Warn("%s: cannot record the delivery status of <%s>: %s", req_.queue_id.c_str(),
              rc.address.c_str(), st.message().c_str());
    deferred_ = true;
    return false;
  }
  return true;
}

bool Reporter::Report(size_t i, std::string_view status, std::string_view relay,
                      std::string_view dsn, std::string_view reason, const Remote& remote,
                      std::string_view address) {
  if (i >= req_.recipients.size()) msg::Panic("deliver_status: no recipient #%zu", i);
  deliver_request::Recipient rc = req_.recipients[i];
  bool expansion = !address.empty();
  if (expansion) {
    if (rc.original.empty()) rc.original = rc.address;
    rc.address = std::string(address);
  }
  const std::string& id = req_.queue_id;
  bool ok = true;
  std::string why;
  bool defer = status == "deferred" || status == kSoftBounce;
  if (status != "sent") {
    delivery_log::Entry e;
    e.recipient = rc.address;
    e.status = std::string(dsn);
    e.action = status == "bounced" ? "failed" : "delayed";
    e.reason = std::string(reason);
    if (!remote.reply.empty()) {
      e.diag_type = "smtp";
      e.diag_text = remote.reply;
      if (!remote.mta.empty()) {
        e.mta_type = "dns";
        e.mta_name = remote.mta;
      }
    }
    e.original_recipient = rc.original;
    e.dsn_orcpt = rc.dsn_orcpt;
    e.dsn_notify = rc.dsn_notify;
    e.offset = rc.offset;
    std::string_view q = status == "bounced" ? mail_queue::kBounce : mail_queue::kDefer;
    if (util::Status st = append_(q, id, e); !st.ok()) {
      ok = false;
      why = st.message();
    }
  }
  if (ok && !defer && !expansion) {
    util::Status st = MarkDone(rc);
    if (!st.ok()) {
      ok = false;
      why = st.message();
    }
  }
  double now = Now();
  LogFields f;
  f.recipient = rc.address;
  f.original = rc.original;
  f.relay = std::string(relay);
  f.conn_use = conn_use_;
  f.delay = now - req_.arrival_time;
  f.delays[0] = req_.active_time - req_.arrival_time;
  f.delays[1] = start_ - req_.active_time;
  f.delays[2] = setup_time_;
  f.delays[3] = now - start_ - setup_time_;
  f.dsn = std::string(dsn);
  f.status = std::string(status);
  f.reason = std::string(reason);
  if (!ok) {
    msg::Warn("%s: cannot record the delivery status of <%s>: %s", id.c_str(), rc.address.c_str(),
              why.c_str());
    f.status = "deferred";
    if (!f.dsn.empty()) f.dsn[0] = '4';
    f.reason = "cannot update the queue file: " + why;
    if (!defer) {
      // Tell the sender's log why this one stays queued (best effort).
      delivery_log::Entry e;
      e.recipient = rc.address;
      e.status = f.dsn;
      e.action = "delayed";
      e.reason = f.reason;
      e.offset = rc.offset;
      (void)append_(mail_queue::kDefer, id, e);
    }
  }
  if (f.status == "deferred" || f.status == kSoftBounce) deferred_ = true;
  msg::Info("%s: %s", id.c_str(), FormatLogLine(f).c_str());
  return ok;
}

deliver_request::Reply Reporter::reply() const {
  deliver_request::Reply r;
  r.status = deferred_ || site_failure_ ? 4 : 0;
  r.site_failure = site_failure_;
  r.reason = reason_;
  return r;
}

namespace {

// Whether the other end of the stream socket `fd` has closed (or reset) it.
bool PeerGone(int fd) {
  struct pollfd p = {fd, POLLRDHUP, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace

void ServeRequest(util::Stream& client, const config::Config& cfg, const DeliverFn& deliver) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  double start = static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  client.set_timeout(static_cast<int>(cfg.GetTime("ipc_timeout")));
  util::StatusOr<deliver_request::Request> req = deliver_request::Read(client);
  if (!req.ok()) {
    msg::Warn("bad delivery request: %s", req.status().message().c_str());
    return;
  }
  // Connections to the bounce service are made at the first bounce or
  // deferral of this request and closed with it (no bounce process is held
  // by an idle agent).
  bounce_client::LogClient logs(cfg);
  auto rep = Reporter::Open(
      mail_queue::Layout::FromConfig(cfg), *req, start,
      [&logs, &cfg](std::string_view q, const std::string& id, const delivery_log::Entry& e) {
        util::Status st = logs.Append(q, id, e);
        if (st.ok() && q == mail_queue::kDefer) flush_client::NoteDeferred(cfg, e.recipient, id);
        return st;
      });
  if (!rep.ok()) {
    msg::Warn("%s: %s", req->queue_id.c_str(), rep.status().message().c_str());
    deliver_request::Reply r;
    r.status = 4;
    r.reason = rep.status().message();
    (void)deliver_request::WriteReply(client, r);
    return;
  }
  // The queue manager that sent the request may have died (kill -9, or the
  // old one after a reload) before the lock above was taken: a new one may
  // then have taken the message already, and delivering it here as well
  // would deliver it twice. Its closed connection says so; the request is
  // void (the next queue manager delivers the message). After the lock,
  // a queue manager that starts sees DeliveryInProgress and waits for us.
  if (PeerGone(client.fd())) {
    msg::Info("%s: the queue manager went away before the delivery started; request dropped",
              req->queue_id.c_str());
    return;
  }
  rep->set_soft_bounce(cfg.GetBool("soft_bounce"));
  deliver(*req, *rep);
  (void)deliver_request::WriteReply(client, rep->reply());
}

}  // namespace deliver_status

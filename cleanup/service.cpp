#include "cleanup/service.h"

#include <chrono>

#include "global/cleanup_client.h"
#include "global/mail_flow.h"
#include "global/mail_trigger.h"
#include "global/master_proto.h"
#include "global/queue_file.h"
#include "util/attr.h"
#include "util/msg.h"
#include "util/strings.h"

namespace cleanup {
namespace {

// The queue file as the Message's output.
class WriterOutput : public Output {
 public:
  explicit WriterOutput(queue_file::Writer& w) : w_(w) {}
  void SetArrival(long sec, long usec) override { w_.SetArrival(sec, usec); }
  void AddAttr(std::string_view n, std::string_view v) override { w_.AddAttr(n, v); }
  void SetSender(std::string_view s) override { w_.SetSender(s); }
  void AddRecipient(const queue_file::Recipient& r) override { w_.AddRecipient(r); }
  void BeginContent() override { w_.BeginContent(); }
  void AddLine(std::string_view line) override { w_.AddLine(line); }
  void AddSegment(std::string_view part) override { w_.AddSegment(part); }
  void CancelRecipients() override { w_.CancelRecipients(); }

 private:
  queue_file::Writer& w_;
};

void Reply(util::Stream& client, const util::AttrList& list) {
  client.Write(util::EncodeAttrList(list));
  util::Status s = client.Flush();
  if (!s.ok() && msg::Verbose()) msg::Info("reply to client: %s", s.message().c_str());
}

void ReplyVerdict(util::Stream& client, int status, const std::string& dsn,
                  const std::string& reason) {
  util::AttrList l;
  l.SetInt(cleanup_client::kAttrStatus, status);
  l.Set(cleanup_client::kAttrDsn, dsn);
  l.Set(cleanup_client::kAttrReason, reason);
  Reply(client, l);
}

// Reads the request list. The client waits for our answer before it sends
// records, so nothing may follow the list.
util::Status ReadRequest(util::Stream& client, util::AttrList* out) {
  util::AttrDecoder dec;
  for (;;) {
    auto got = dec.Next(out);
    if (!got.ok()) return got.status();
    if (*got) {
      if (dec.buffered() != 0) return util::InvalidArgument("data before the request reply");
      return util::OkStatus();
    }
    std::string chunk;
    util::Status s = client.ReadSome(&chunk);
    if (!s.ok()) return s;
    dec.Feed(chunk);
  }
}

}  // namespace

Context Context::FromConfig(const config::Config& cfg) {
  Context c;
  c.settings = Settings::FromConfig(cfg);
  c.mapper = AddressMapper::FromConfig(cfg);
  c.checks = content_checks::Checks::FromConfig(cfg, content_checks::kCleanupTables);
  c.layout = mail_queue::Layout::FromConfig(cfg);
  c.qmgr_path = mail_trigger::ServicePath(cfg, true, cfg.Get("queue_service_name"));
  c.timeout = static_cast<int>(cfg.GetTime("ipc_timeout"));
  c.in_flow_delay = std::chrono::seconds(cfg.GetTime("in_flow_delay"));
  return c;
}

void Serve(util::Stream& client, Context& ctx) {
  client.set_timeout(ctx.timeout);
  util::AttrList req;
  util::Status s = ReadRequest(client, &req);
  if (s.ok()) s = req.Expect({cleanup_client::kAttrRequest, cleanup_client::kAttrFlags});
  long long flags = 0;
  if (s.ok() && req.Get(cleanup_client::kAttrRequest) != cleanup_client::kRequestCleanup)
    s = util::InvalidArgument("unknown request: " +
                              util::Printable(*req.Get(cleanup_client::kAttrRequest)));
  if (s.ok()) {
    auto f = req.GetInt(cleanup_client::kAttrFlags);
    if (!f.ok()) {
      s = f.status();
    } else if (*f < 0 || (*f & ~static_cast<long long>(cleanup_client::kAllFlags)) != 0) {
      s = util::InvalidArgument("bad flags " + std::to_string(*f));
    } else {
      flags = *f;
    }
  }
  if (!s.ok()) {
    if (client.eof()) return;  // connected and went away: nothing to say
    msg::Warn("bad cleanup request: %s", s.message().c_str());
    ReplyVerdict(client, 4, "4.3.0", "Internal protocol error");
    return;
  }

  auto writer = queue_file::Writer::Create(ctx.layout, mail_queue::kIncoming);
  if (!writer.ok()) {
    msg::Warn("queue file create: %s", writer.status().message().c_str());
    ReplyVerdict(client, 4, "4.3.0", "Queue file write error");
    return;
  }
  const std::string id = writer->id();
  {
    util::AttrList l;
    l.SetInt(cleanup_client::kAttrStatus, 0);
    l.Set(cleanup_client::kAttrQueueId, id);
    Reply(client, l);
  }

  WriterOutput out(*writer);
  Message message(ctx.settings, ctx.mapper, out, static_cast<unsigned>(flags), id);
  if (!(flags & (cleanup_client::kFlagNoHeaderBodyChecks | cleanup_client::kFlagInternal)))
    message.set_content_checks(&ctx.checks);
  util::RecordDecoder dec(queue_file::kMaxSegment + 4096);
  util::Record rec;
  while (!message.done()) {
    auto got = dec.Next(&rec);
    if (!got.ok()) {
      msg::Warn("%s: message rejected: malformed record from client: %s", id.c_str(),
                got.status().message().c_str());
      ReplyVerdict(client, 4, "4.3.0", "Internal protocol error");
      return;  // ~Writer removes the file
    }
    if (*got) {
      message.Add(rec);
      continue;
    }
    std::string chunk;
    s = client.ReadSome(&chunk);
    if (!s.ok()) {
      msg::Warn("%s: %s before end of message: message discarded", id.c_str(),
                client.eof() ? "client disconnected" : s.message().c_str());
      return;  // ~Writer removes the file
    }
    dec.Feed(chunk);
  }

  Verdict v = message.verdict();
  if (v.ok() && message.discard()) {
    writer->Abort();
    if (!message.content_discarded())  // a content check logged it already
      msg::Info("%s: discard: from=<%s> nrcpt=%zu", id.c_str(), message.sender().c_str(),
                message.recipients());
    util::AttrList l;
    l.SetInt(cleanup_client::kAttrStatus, 0);
    l.Set(cleanup_client::kAttrDsn, "2.0.0");
    l.Set(cleanup_client::kAttrQueueId, id);
    Reply(client, l);
    return;
  }
  if (v.ok() && !message.hold_reason().empty()) {
    if (util::Status s = writer->MoveTo(ctx.layout, mail_queue::kHold); !s.ok()) {
      msg::Warn("%s: cannot put the message on hold: %s", id.c_str(), s.message().c_str());
      v = Verdict::Fail(4, "4.3.0", "Queue file write error");
    }
  }
  if (v.ok()) {
    auto done = writer->Finish();
    if (!done.ok()) {
      msg::Warn("%s: queue file write error: %s", id.c_str(), done.status().message().c_str());
      v = Verdict::Fail(4, "4.3.0", "Queue file write error");
    }
  }
  if (!v.ok()) {
    writer->Abort();
    if (message.content_rejected()) {  // logged by the content check
      util::AttrList l;
      l.SetInt(cleanup_client::kAttrStatus, v.status);
      l.Set(cleanup_client::kAttrDsn, v.dsn);
      l.Set(cleanup_client::kAttrReason, v.reason);
      l.Set(cleanup_client::kAttrContent, "1");
      Reply(client, l);
      return;
    }
    msg::Info("%s: reject: %s %s; from=<%s> nrcpt=%zu", id.c_str(), v.dsn.c_str(), v.reason.c_str(),
              message.sender().c_str(), message.recipients());
    ReplyVerdict(client, v.status, v.dsn, v.reason);
    return;
  }
  util::AttrList l;
  l.SetInt(cleanup_client::kAttrStatus, 0);
  l.Set(cleanup_client::kAttrDsn, "2.0.0");
  l.Set(cleanup_client::kAttrQueueId, id);
  Reply(client, l);
  if (!message.hold_reason().empty()) {
    // Nothing for qmgr to do, so it produces no token for this message:
    // give back the one taken for it.
    if (ctx.in_flow_delay.count() > 0) mail_flow::Put(1);
    return;
  }
  // Never wait for a busy qmgr (as Postfix's non-blocking trigger): when
  // its backlog is full, wakeups are already queued there, and each makes
  // it scan incoming/ after this file was made.
  util::Status t = mail_trigger::Trigger(
      ctx.qmgr_path, std::string(1, master_proto::kTriggerWakeup), std::chrono::milliseconds(0));
  if (!t.ok() && msg::Verbose()) msg::Info("%s: wake qmgr: %s", id.c_str(), t.message().c_str());
}

}  // namespace cleanup

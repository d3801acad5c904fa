#include "global/cleanup_client.h"

#include <algorithm>

#include "global/mail_trigger.h"
#include "util/attr.h"
#include "util/msg.h"
#include "util/sockets.h"
#include "util/strings.h"

namespace cleanup_client {
namespace {

constexpr std::chrono::milliseconds kConnectTimeout{10000};

// Reads one attribute list; the peer sends nothing after it until we
// answer, so no bytes are left over.
util::Status ReadList(util::Stream& stream, util::AttrList* out) {
  util::AttrDecoder dec;
  for (;;) {
    auto got = dec.Next(out);
    if (!got.ok()) return got.status();
    if (*got) return util::OkStatus();
    std::string chunk;
    util::Status s = stream.ReadSome(&chunk);
    if (!s.ok()) return s;
    dec.Feed(chunk);
  }
}

util::Status Unavailable(const std::string& path, const util::Status& s) {
  return util::Unavailable("cleanup service " + path + ": " + s.message());
}

}  // namespace

ReceiveOverrides ReceiveOverridesFromConfig(const config::Config& cfg) {
  ReceiveOverrides r;
  for (const std::string& v : util::SplitList(cfg.Get("receive_override_options"))) {
    std::string name = util::Lowercase(v);
    if (name == "no_address_mappings") {
      r.cleanup_flags |= kFlagNoAddressMaps;
    } else if (name == "no_header_body_checks") {
      r.cleanup_flags |= kFlagNoHeaderBodyChecks;
    } else if (name == "no_unknown_recipient_checks") {
      r.no_unknown_recipient_checks = true;
    } else if (name != "no_milters") {
      msg::Warn("unknown receive_override_options value \"%s\" ignored", v.c_str());
    }
  }
  return r;
}

util::StatusOr<std::unique_ptr<CleanupClient>> CleanupClient::Open(const config::Config& cfg,
                                                                   unsigned flags) {
  std::string path = mail_trigger::ServicePath(cfg, true, cfg.Get("cleanup_service_name"));
  long long ipc = cfg.GetTime("ipc_timeout");
  return OpenPath(path, flags, std::chrono::seconds(std::max(1LL, ipc)));
}

util::StatusOr<std::unique_ptr<CleanupClient>> CleanupClient::OpenPath(
    const std::string& path, unsigned flags, std::chrono::milliseconds timeout) {
  auto fd = util::ConnectUnix(path, std::min(timeout, kConnectTimeout));
  if (!fd.ok()) return Unavailable(path, fd.status());
  std::unique_ptr<CleanupClient> c(new CleanupClient());
  c->path_ = path;
  c->stream_ = util::Stream(std::move(*fd));
  c->stream_.set_timeout(timeout);
  util::AttrList req;
  req.Set(kAttrRequest, kRequestCleanup);
  req.SetInt(kAttrFlags, flags);
  util::Status s = c->stream_.Write(util::EncodeAttrList(req));
  if (s.ok()) s = c->stream_.Flush();
  util::AttrList reply;
  if (s.ok()) s = ReadList(c->stream_, &reply);
  if (!s.ok()) return Unavailable(path, s);
  auto status = reply.GetInt(kAttrStatus);
  if (!status.ok()) return Unavailable(path, status.status());
  if (*status != 0) {
    std::string why = std::string(reply.Get(kAttrDsn).value_or("4.3.0")) + " " +
                      std::string(reply.Get(kAttrReason).value_or("service unavailable"));
    return Unavailable(path, util::Unavailable(why));
  }
  auto id = reply.GetRequired(kAttrQueueId);
  if (!id.ok()) return Unavailable(path, id.status());
  c->queue_id_ = std::string(*id);
  return c;
}

void CleanupClient::Record(char type, std::string_view data) {
  if (!error_.ok() || finished_) return;
  std::string rec;
  util::AppendRecord(&rec, type, data);
  error_ = stream_.Write(rec);
}

void CleanupClient::Arrival(long sec, long usec) {
  Record(queue_file::kTime, util::StrFormat("%ld %ld", sec, usec));
}

void CleanupClient::Attr(std::string_view name, std::string_view value) {
  std::string data(name);
  data += '=';
  data += value;
  Record(queue_file::kAttr, data);
}

void CleanupClient::Sender(std::string_view address) { Record(queue_file::kSender, address); }

void CleanupClient::Recipient(const queue_file::Recipient& r) {
  if (!r.original.empty()) Record(queue_file::kOriginal, r.original);
  if (!r.dsn_orcpt.empty()) Record(queue_file::kDsnOrcpt, r.dsn_orcpt);
  if (r.dsn_notify != 0) Record(queue_file::kDsnNotify, std::to_string(r.dsn_notify));
  Record(queue_file::kRecipient, r.address);
}

void CleanupClient::BeginContent() { Record(queue_file::kMessage, ""); }

void CleanupClient::Line(std::string_view line) {
  while (line.size() > queue_file::kMaxSegment) {
    Record(queue_file::kSegment, line.substr(0, queue_file::kMaxSegment));
    line.remove_prefix(queue_file::kMaxSegment);
  }
  Record(queue_file::kLine, line);
}

util::StatusOr<Result> CleanupClient::Finish() {
  Record(queue_file::kEnd, "");
  finished_ = true;
  util::Status s = error_;
  if (s.ok()) s = stream_.Flush();
  util::AttrList reply;
  if (s.ok()) s = ReadList(stream_, &reply);
  stream_.Close();
  if (!s.ok()) return Unavailable(path_, s);
  auto status = reply.GetInt(kAttrStatus);
  if (!status.ok()) return Unavailable(path_, status.status());
  Result r;
  r.status = static_cast<int>(*status);
  r.dsn = std::string(reply.Get(kAttrDsn).value_or(r.status == 0 ? "2.0.0" : ""));
  r.reason = std::string(reply.Get(kAttrReason).value_or(""));
  r.queue_id = std::string(reply.Get(kAttrQueueId).value_or(queue_id_));
  r.content = reply.Get(kAttrContent).value_or("") == "1";
  if (r.status != 0 && r.status != 4 && r.status != 5)
    return Unavailable(path_, util::InvalidArgument("bad status " + std::to_string(r.status)));
  if (r.status != 0 && r.dsn.empty()) r.dsn = r.status == 4 ? "4.3.0" : "5.3.0";
  return r;
}

}  // namespace cleanup_client

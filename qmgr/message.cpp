#include "qmgr/message.h"

#include "global/mail_queue.h"
#include "util/msg.h"

namespace qmgr {

deliver_request::Request BuildRequest(const Message& m, const std::vector<size_t>& rcpts,
                                      const std::string& nexthop) {
  deliver_request::Request req;
  req.queue_name = std::string(mail_queue::kActive);
  req.queue_id = m.id;
  req.sender = m.env.sender;
  req.nexthop = nexthop;
  req.arrival_time = m.arrival;
  req.active_time = m.active_time;
  auto attr = [&](std::string_view name) {
    auto v = m.env.Attr(name);
    return v ? std::string(*v) : std::string();
  };
  req.dsn_envid = attr("dsn_envid");
  req.dsn_ret = deliver_request::ParseDsnRet(attr("dsn_ret"));
  req.client_name = attr("client_name");
  req.client_address = attr("client_address");
  req.protocol = attr("protocol");
  req.helo_name = attr("helo_name");
  req.sasl_username = attr("sasl_username");
  req.log_ident = attr("log_ident");
  for (size_t i : rcpts) {
    const queue_file::Recipient& rc = m.env.recipients[i];
    deliver_request::Recipient r;
    r.address = m.resolved[i].empty() ? rc.address : m.resolved[i];
    r.original = rc.original.empty() ? (r.address != rc.address ? rc.address : "") : rc.original;
    r.dsn_orcpt = rc.dsn_orcpt;
    r.dsn_notify = rc.dsn_notify;
    r.offset = static_cast<long long>(rc.offset);
    req.recipients.push_back(std::move(r));
  }
  return req;
}

void ReportRecipients(Notices& notices, double now, Message& m, const std::vector<size_t>& rcpts,
                      const std::string& dsn, const std::string& reason, bool bounce) {
  m.all_finished = false;
  util::Status st = notices.Report(BuildRequest(m, rcpts, ""), now, bounce, dsn, reason);
  if (!st.ok()) msg::Warn("%s: %s", m.id.c_str(), st.message().c_str());
}

void SyncMarks(QueueStore& store, Message& m) {
  if (!m.unsynced_marks) return;
  if (util::Status st = store.Sync(m.id, *m.file); !st.ok())
    msg::Warn("%s: sync the done marks: %s", m.id.c_str(), st.message().c_str());
  m.unsynced_marks = false;
}

}  // namespace qmgr

#include "showq/queue_scan.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "global/address.h"
#include "global/delivery_log.h"
#include "global/queue_file.h"
#include "util/msg.h"

namespace showq {

namespace {

// Builds the message of one queue file; false when it is to be skipped.
bool Describe(const config::Config& cfg, const mail_queue::Layout& layout, std::string_view queue,
              const std::string& id, showq_client::Message* m) {
  std::string path = layout.Path(queue, id);
  struct stat st;
  if (lstat(path.c_str(), &st) < 0 || !S_ISREG(st.st_mode)) return false;
  if (!(st.st_mode & S_IXUSR)) return false;  // not ready
  auto reader = queue_file::Reader::Open(path);
  if (!reader.ok()) {
    util::Code c = reader.status().code();
    if (c != util::Code::kNotFound && c != util::Code::kUnavailable)
      msg::Warn("%s", reader.status().message().c_str());
    return false;
  }
  const queue_file::Envelope& env = reader->envelope();
  m->queue_name = std::string(queue);
  m->queue_id = id;
  m->arrival_time = env.arrival_sec > 0 ? env.arrival_sec : st.st_mtime;
  m->message_size = static_cast<long long>(env.content_size);
  m->forced_expire = false;
  m->sender = env.sender.empty() ? cfg.Get("empty_address_recipient") : address::Quote(env.sender);

  std::set<std::string> live;
  for (const queue_file::Recipient& r : env.recipients)
    if (!r.done) live.insert(r.address);

  // Reasons from the defer log, in log order, the last one per recipient.
  std::vector<std::string> order;
  std::map<std::string, std::string> reasons;
  auto log = delivery_log::Read(delivery_log::Path(layout, mail_queue::kDefer, id));
  if (log.ok()) {
    for (const delivery_log::Entry& e : *log) {
      if (!live.count(e.recipient)) continue;
      if (!reasons.count(e.recipient)) order.push_back(e.recipient);
      reasons[e.recipient] = e.reason;
    }
  } else if (log.status().code() != util::Code::kNotFound) {
    msg::Warn("%s", log.status().message().c_str());
  }
  for (const std::string& a : order) m->recipients.push_back({address::Quote(a), reasons[a]});
  for (const queue_file::Recipient& r : env.recipients) {
    if (r.done || reasons.count(r.address)) continue;
    m->recipients.push_back({address::Quote(r.address), ""});
  }
  return true;
}

}  // namespace

util::Status ScanQueue(const config::Config& cfg,
                       const std::function<util::Status(const showq_client::Message&)>& each) {
  mail_queue::Layout layout = mail_queue::Layout::FromConfig(cfg);
  for (std::string_view queue : {mail_queue::kMaildrop, mail_queue::kActive, mail_queue::kIncoming,
                                 mail_queue::kDeferred, mail_queue::kHold}) {
    auto ids = mail_queue::ListQueue(layout, queue);
    if (!ids.ok()) {
      if (ids.status().code() != util::Code::kNotFound)
        msg::Warn("%s", ids.status().message().c_str());
      continue;
    }
    std::sort(ids->begin(), ids->end());
    for (const std::string& id : *ids) {
      showq_client::Message m;
      if (!Describe(cfg, layout, queue, id, &m)) continue;
      if (util::Status st = each(m); !st.ok()) return st;
    }
  }
  return util::OkStatus();
}

}  // namespace showq

#include "global/flush_client.h"

#include <cctype>
#include <chrono>

#include "global/domain_list.h"
#include "global/showq_client.h"
#include "util/attr.h"
#include "util/msg.h"
#include "util/stream.h"
#include "util/strings.h"

namespace flush_client {
namespace {

constexpr std::chrono::seconds kTimeout(60);
constexpr std::chrono::seconds kAddTimeout(5);

}  // namespace

// Domain names and IP literals only: nothing that could be a path.
bool ValidSite(std::string_view site) {
  if (site.empty() || site.size() > 255) return false;
  for (char c : site) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '[' ||
          c == ']' || c == ':'))
      return false;
  }
  return true;
}

namespace {

// `timeout` bounds the connect and each read and write.
Status Request(const config::Config& cfg, const util::AttrList& req, std::string* why,
               std::chrono::seconds timeout = kTimeout) {
  std::string path = cfg.Get("queue_directory") + "/public/" + cfg.Get("flush_service_name");
  auto fd = showq_client::Connect(path, timeout);
  if (!fd.ok()) {
    if (why)
      *why = "connect to public/" + cfg.Get("flush_service_name") + ": " + fd.status().message();
    return Status::kFail;
  }
  util::Stream s(std::move(*fd));
  s.set_timeout(static_cast<int>(timeout.count()));
  util::Status st = s.Write(util::EncodeAttrList(req));
  if (st.ok()) st = s.Flush();
  util::AttrDecoder dec;
  util::AttrList reply;
  std::string chunk;
  while (st.ok()) {
    util::StatusOr<bool> got = dec.Next(&reply);
    if (!got.ok()) {
      st = got.status();
      break;
    }
    if (*got) {
      auto n = reply.GetInt("status");
      if (!n.ok()) {
        st = n.status();
        break;
      }
      switch (*n) {
        case 0:
          return Status::kOk;
        case 3:
          return Status::kBad;
        case 4:
          return Status::kDeny;
        default:
          return Status::kFail;
      }
    }
    chunk.clear();
    st = s.ReadSome(&chunk);
    dec.Feed(chunk);
  }
  if (why) *why = st.message();
  return Status::kFail;
}

}  // namespace

bool FlushDomainMatches(const config::Config& cfg, std::string_view site) {
  auto list = domain_list::DomainList::FromParameter(cfg, "fast_flush_domains",
                                                     domain_list::Style::kDomain);
  if (!list.ok()) return false;
  util::StatusOr<bool> m = list->Match(site);
  return m.ok() && *m;
}

Status SendSite(const config::Config& cfg, std::string_view site, std::string* why) {
  if (!ValidSite(site)) return Status::kBad;
  if (!FlushDomainMatches(cfg, site)) return Status::kDeny;
  return Request(cfg, util::AttrList{{"request", "send_site"}, {"site", site}}, why);
}

void NoteDeferred(const config::Config& cfg, std::string_view recipient,
                  std::string_view queue_id) {
  size_t at = recipient.rfind('@');
  if (at == std::string_view::npos || at + 1 == recipient.size()) return;
  std::string site = util::Lowercase(recipient.substr(at + 1));
  if (!ValidSite(site) || !FlushDomainMatches(cfg, site)) return;
  std::string why;
  // Short: the queue manager calls this inside its event loop.
  Status st =
      Request(cfg, util::AttrList{{"request", "add"}, {"site", site}, {"queue_id", queue_id}}, &why,
              kAddTimeout);
  if (st != Status::kOk && st != Status::kDeny)
    msg::Warn("%.*s: %s service failure%s%s", static_cast<int>(queue_id.size()), queue_id.data(),
              cfg.Get("flush_service_name").c_str(), why.empty() ? "" : ": ", why.c_str());
}

Status SendFile(const config::Config& cfg, std::string_view queue_id, std::string* why) {
  for (char c : queue_id)
    if (!isalnum(static_cast<unsigned char>(c))) return Status::kBad;
  if (queue_id.empty()) return Status::kBad;
  return Request(cfg, util::AttrList{{"request", "send_file"}, {"queue_id", queue_id}}, why);
}

}  // namespace flush_client

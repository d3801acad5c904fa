#include "global/flush_client.h"

#include <cctype>
#include <chrono>

#include "global/domain_list.h"
#include "global/showq_client.h"
#include "util/attr.h"
#include "util/stream.h"
#include "util/strings.h"

namespace flush_client {
namespace {

constexpr std::chrono::seconds kTimeout(60);

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

Status Request(const config::Config& cfg, const util::AttrList& req, std::string* why) {
  std::string path = cfg.Get("queue_directory") + "/public/" + cfg.Get("flush_service_name");
  auto fd = showq_client::Connect(path, kTimeout);
  if (!fd.ok()) {
    if (why)
      *why = "connect to public/" + cfg.Get("flush_service_name") + ": " + fd.status().message();
    return Status::kFail;
  }
  util::Stream s(std::move(*fd));
  s.set_timeout(static_cast<int>(kTimeout.count()));
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

Status SendFile(const config::Config& cfg, std::string_view queue_id, std::string* why) {
  for (char c : queue_id)
    if (!isalnum(static_cast<unsigned char>(c))) return Status::kBad;
  if (queue_id.empty()) return Status::kBad;
  return Request(cfg, util::AttrList{{"request", "send_file"}, {"queue_id", queue_id}}, why);
}

}  // namespace flush_client

#include "cleanup/content_checks.h"

#include "global/deliver_status.h"
#include "util/msg.h"
#include "util/strings.h"

namespace cleanup {
namespace {

struct Word {
  std::string_view name;
  ContentAction::Kind kind;
};
constexpr Word kWords[] = {
    {"REJECT", ContentAction::Kind::kReject},   {"WARN", ContentAction::Kind::kWarn},
    {"INFO", ContentAction::Kind::kInfo},       {"DISCARD", ContentAction::Kind::kDiscard},
    {"HOLD", ContentAction::Kind::kHold},       {"REDIRECT", ContentAction::Kind::kRedirect},
    {"BCC", ContentAction::Kind::kBcc},         {"FILTER", ContentAction::Kind::kFilter},
    {"PREPEND", ContentAction::Kind::kPrepend}, {"REPLACE", ContentAction::Kind::kReplace},
    {"IGNORE", ContentAction::Kind::kIgnore},   {"DUNNO", ContentAction::Kind::kNone},
    {"OK", ContentAction::Kind::kNone},
};

}  // namespace

ContentAction ContentAction::Parse(std::string_view value) {
  ContentAction a;
  std::string_view v = util::Trim(value);
  size_t end = 0;
  while (end < v.size() && v[end] != ' ' && v[end] != '\t') ++end;
  std::string_view word = v.substr(0, end);
  for (const Word& w : kWords) {
    if (util::EqualsIgnoreCase(word, w.name)) {
      a.kind = w.kind;
      a.text = std::string(util::Trim(v.substr(end)));
      return a;
    }
  }
  a.unknown = std::string(v);
  return a;
}

const char* ContentAction::LogName(Kind k) {
  switch (k) {
    case Kind::kReject:
      return "reject";
    case Kind::kWarn:
      return "warning";
    case Kind::kInfo:
      return "info";
    case Kind::kDiscard:
      return "discard";
    case Kind::kHold:
      return "hold";
    case Kind::kRedirect:
      return "redirect";
    case Kind::kBcc:
      return "bcc";
    case Kind::kFilter:
      return "filter";
    case Kind::kPrepend:
      return "prepend";
    case Kind::kReplace:
      return "replace";
    case Kind::kIgnore:
      return "ignore";
    case Kind::kNone:
      break;
  }
  return "dunno";
}

void RejectReason(std::string_view text, std::string* dsn, std::string* reason) {
  deliver_status::SplitDsn(text, "5.7.1", 0, dsn, reason);
  if ((*dsn)[0] != '4') (*dsn)[0] = '5';
  if (reason->empty()) *reason = "message content rejected";
}

const char* ContentChecks::Name(Table t) {
  switch (t) {
    case kHeader:
      return "header_checks";
    case kMimeHeader:
      return "mime_header_checks";
    case kNestedHeader:
      return "nested_header_checks";
    case kBody:
    case kTableCount:
      break;
  }
  return "body_checks";
}

ContentChecks ContentChecks::FromConfig(const config::Config& cfg) {
  ContentChecks c;
  for (int t = 0; t < kTableCount; ++t) {
    const char* name = Name(static_cast<Table>(t));
    if (util::Trim(cfg.Get(config::AnyParam::Dynamic(name))).empty()) continue;
    auto m = maps::Maps::FromParameter(cfg, config::AnyParam::Dynamic(name));
    if (!m.ok()) msg::Fatal("%s", m.status().message().c_str());
    c.maps_[t] = std::make_shared<maps::Maps>(std::move(*m));
  }
  return c;
}

ContentChecks::Result ContentChecks::Check(Table t, std::string_view key) {
  Result r;
  if (!maps_[t]) return r;
  tables::LookupResult found = maps_[t]->Find(key);
  if (found.temp_error()) {
    r.temp_error = true;
    return r;
  }
  if (!found.found()) return r;
  r.action = ContentAction::Parse(found.value);
  if (!r.action.unknown.empty())
    msg::Warn("unknown command in %s map: %s", Name(t), util::Printable(r.action.unknown).c_str());
  return r;
}

}  // namespace cleanup

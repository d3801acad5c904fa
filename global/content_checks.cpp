#include "global/content_checks.h"

#include "global/deliver_status.h"
#include "util/msg.h"
#include "util/strings.h"

namespace content_checks {
namespace {

struct Word {
  std::string_view name;
  Action::Kind kind;
};
constexpr Word kWords[] = {
    {"REJECT", Action::Kind::kReject},   {"WARN", Action::Kind::kWarn},
    {"INFO", Action::Kind::kInfo},       {"DISCARD", Action::Kind::kDiscard},
    {"HOLD", Action::Kind::kHold},       {"REDIRECT", Action::Kind::kRedirect},
    {"BCC", Action::Kind::kBcc},         {"FILTER", Action::Kind::kFilter},
    {"PREPEND", Action::Kind::kPrepend}, {"REPLACE", Action::Kind::kReplace},
    {"IGNORE", Action::Kind::kIgnore},   {"DUNNO", Action::Kind::kNone},
    {"OK", Action::Kind::kNone},
};

}  // namespace

Action Action::Parse(std::string_view value) {
  Action a;
  std::string_view v = util::Trim(value);
  a.value = std::string(v);
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

const char* Action::LogName(Kind k) {
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

Checks Checks::FromConfig(const config::Config& cfg, const TableNames& names) {
  Checks c;
  for (int t = 0; t < kTableCount; ++t) {
    c.names_[t] = std::string(names[t]);
    if (names[t].empty()) continue;
    const char* name = c.names_[t].c_str();
    if (util::Trim(cfg.Get(config::AnyParam::Dynamic(name))).empty()) continue;
    auto m = maps::Maps::FromParameter(cfg, config::AnyParam::Dynamic(name));
    if (!m.ok()) msg::Fatal("%s", m.status().message().c_str());
    c.maps_[t] = std::make_shared<maps::Maps>(std::move(*m));
  }
  return c;
}

Checks::Result Checks::Check(Table t, std::string_view key) {
  Result r;
  if (!maps_[t]) return r;
  tables::LookupResult found = maps_[t]->Find(key);
  if (found.temp_error()) {
    r.temp_error = true;
    return r;
  }
  if (!found.found()) return r;
  r.action = Action::Parse(found.value);
  if (!r.action.unknown.empty())
    msg::Warn("unknown command in %s map: %s", Name(t), util::Printable(r.action.unknown).c_str());
  return r;
}

}  // namespace content_checks

// smtp_xforward: see smtp_xforward.h.
#include "smtp/smtp_xforward.h"

#include "global/cleanup_client.h"
#include "global/smtp_reply.h"
#include "util/strings.h"

namespace smtp_xforward {

Settings Settings::FromConfig(const config::Config& cfg) {
  Settings s;
  s.send = cfg.GetBool("smtp_send_xforward_command");
  s.timeout = static_cast<int>(cfg.GetTime("smtp_xforward_timeout"));
  return s;
}

Attrs FromEnvelope(const queue_file::Envelope& env, std::string_view queue_id) {
  auto get = [&env](std::string_view logged, std::string_view actual) {
    std::optional<std::string_view> v = env.Attr(logged);
    if (!v) v = env.Attr(actual);
    return v ? std::string(*v) : std::string();
  };
  Attrs a;
  a.name = get(cleanup_client::kAttrLogClientName, "client_name");
  a.addr = get(cleanup_client::kAttrLogClientAddress, "client_address");
  a.port = get(cleanup_client::kAttrLogClientPort, "client_port");
  a.proto = get(cleanup_client::kAttrLogProtocolName, "protocol");
  // A forwarded client without HELO has none, whatever the real one said.
  a.helo = env.Attr(cleanup_client::kAttrLogClientName)
               ? get(cleanup_client::kAttrLogHeloName, cleanup_client::kAttrLogHeloName)
               : get("helo_name", "helo_name");
  a.ident = get("log_ident", "log_ident");
  if (a.ident.empty()) a.ident = std::string(queue_id);
  // Without a rewrite context cleanup treats mail as local.
  std::string context =
      get(cleanup_client::kAttrRewriteContext, cleanup_client::kAttrRewriteContext);
  a.source = context == "remote" ? "REMOTE" : "LOCAL";
  return a;
}

std::vector<Command> Commands(const Attrs& attrs, const std::set<std::string>& offered) {
  struct Item {
    const char* name;
    const std::string* value;
  };
  const Item first[] = {{"NAME", &attrs.name}, {"ADDR", &attrs.addr}, {"PORT", &attrs.port}};
  const Item second[] = {{"PROTO", &attrs.proto},
                         {"HELO", &attrs.helo},
                         {"IDENT", &attrs.ident},
                         {"SOURCE", &attrs.source}};
  std::vector<Command> out;
  auto build = [&](const auto& items, const char* what) {
    std::string line = "XFORWARD";
    for (const Item& it : items) {
      if (!offered.count(it.name)) continue;
      line += std::string(" ") + it.name + "=";
      bool unknown = it.value->empty() || *it.value == "unknown";  // Postfix's DEL_REQ_ATTR_AVAIL
      line += unknown ? std::string("[UNAVAILABLE]") : smtp_reply::XText(*it.value);
    }
    if (line.size() > 8) out.push_back({line, what});
  };
  build(first, "XFORWARD name/address");
  build(second, "XFORWARD protocol/helo_name");
  return out;
}

}  // namespace smtp_xforward

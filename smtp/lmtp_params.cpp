// lmtp_params: see lmtp_params.h.
#include "smtp/lmtp_params.h"

#include "global/param_usage.h"
#include "global/params.h"

namespace smtp {

bool IsLmtpProgram(std::string_view program) { return program == "lmtp"; }

const std::vector<std::pair<std::string, std::string>>& LmtpParameterMap() {
  static const std::vector<std::pair<std::string, std::string>> map = [] {
    std::vector<std::pair<std::string, std::string>> out;
    const param_usage::Program* smtp = param_usage::FindProgram("smtp");
    for (std::string_view name : smtp->params) {
      if (!name.starts_with("smtp_")) continue;
      std::string twin = "lmtp_" + std::string(name.substr(5));
      if (twin.starts_with("lmtp_helo_")) twin.replace(5, 4, "lhlo");
      if (params::Find(twin) != nullptr) out.emplace_back(twin, std::string(name));
    }
    return out;
  }();
  return map;
}

void UseLmtpParameters(config::Config& cfg) {
  for (const auto& [lmtp, smtp] : LmtpParameterMap()) {
    std::string value = cfg.Get(config::AnyParam::Dynamic(lmtp)), quoted;
    for (char c : value) {
      if (c == '$') quoted += '$';
      quoted += c;
    }
    cfg.Set(smtp, quoted);
  }
}

}  // namespace smtp

#include "global/tls_ciphers.h"

#include "util/tls.h"

namespace tls_ciphers {

util::StatusOr<std::string> ForGrade(const config::Config& cfg, std::string_view grade,
                                     const std::vector<std::string>& exclude) {
  util::tls::CipherLists lists;
  lists.high = cfg.Get("tls_high_cipherlist");
  lists.medium = cfg.Get("tls_medium_cipherlist");
  lists.low = cfg.Get("tls_low_cipherlist");
  lists.export_ = cfg.Get("tls_export_cipherlist");
  lists.null = cfg.Get("tls_null_cipherlist");
  auto list = util::tls::CipherList(grade, lists);
  if (!list.ok()) return list.status();
  std::string out = *list;
  for (const std::string& c : exclude) out += ":!" + c;
  return out;
}

}  // namespace tls_ciphers

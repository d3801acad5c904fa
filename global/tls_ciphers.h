// tls_ciphers: the OpenSSL cipher list a Postfix cipher grade names, from
// main.cf's tls_{high,medium,low,export,null}_cipherlist, minus the
// excluded ciphers; shared by smtpd (smtpd_tls_ciphers, ...) and the smtp
// client (smtp_tls_ciphers, a policy table's ciphers= and exclude=).
//
//   auto list = tls_ciphers::ForGrade(cfg, cfg.Get("smtp_tls_ciphers"),
//                                     cfg.GetList("smtp_tls_exclude_ciphers"));
//   if (!list.ok()) ...   // "invalid cipher grade: ..."
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "util/status.h"

namespace tls_ciphers {

util::StatusOr<std::string> ForGrade(const config::Config& cfg, std::string_view grade,
                                     const std::vector<std::string>& exclude);

}  // namespace tls_ciphers

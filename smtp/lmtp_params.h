// lmtp_params: the smtp program as Postfix's lmtp(8). The same program
// speaks LMTP (RFC 2033) when it runs under the name `lmtp` (argv[0], as
// Postfix decides: master.cf `lmtp unix - - n - - lmtp`, the build's
// `lmtp` link to `smtp`), and then reads the lmtp_* parameters instead of
// the smtp_* ones.
//
//   if (smtp::IsLmtpProgram(server.program())) smtp::UseLmtpParameters(server.mutable_config());
//   auto agent = smtp::Agent::FromConfig(server.config(), /*lmtp=*/true);
//
// The smtp code reads its settings by their smtp_* names only (checked
// when compiled, global/config.h). UseLmtpParameters puts the value of
// each lmtp_* twin into the smtp_* slot before that code runs, so there is
// one reader of every setting. The twins are derived, not listed: every
// smtp_* parameter the smtp program declares (global/param_usage.cpp)
// whose name with "lmtp_" for "smtp_" (and "lhlo" for "helo":
// lmtp_lhlo_name, lmtp_lhlo_timeout) is a built-in parameter. The smtp_*
// parameters without a twin (smtp_never_send_ehlo) mean nothing to LMTP.
// The defaults are lmtp's own (params_table.h): lmtp_tcp_port 24,
// lmtp_connect_timeout 0s, lmtp_skip_quit_response no, ...
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "global/config.h"

namespace smtp {

// Whether `program` (the basename of argv[0]) is the LMTP client.
bool IsLmtpProgram(std::string_view program);

// (lmtp name, smtp name) for every smtp_* parameter the smtp program reads
// that has an lmtp_* twin, sorted by smtp name.
const std::vector<std::pair<std::string, std::string>>& LmtpParameterMap();

// Sets each smtp_* slot of LmtpParameterMap() to the expanded value of its
// lmtp_* twin (as an override, `$` quoted).
void UseLmtpParameters(config::Config& cfg);

}  // namespace smtp

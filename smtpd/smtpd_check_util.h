// smtpd_check_util: the small syntax and DNS helpers of the restrictions
// (smtpd_check.cpp): restriction list splitting, host name and address
// literal syntax (Postfix's valid_hostname / valid_hostaddr), the access(5)
// lookup keys of a client address, DSN prefixes of access table texts, and
// the MX/A/AAAA test of reject_unknown_*_domain / _helo_hostname.
//
//   auto list = SplitRestrictions("permit_mynetworks, check_client_access {inline:{a=b}}");
//   AddressKeys("192.0.2.1")   -> {"192.0.2.1", "192.0.2", "192.0", "192"}
//   AddressKeys("2001:db8::1") -> {"2001:db8::1", "2001:db8:", "2001:db8", "2001"}
//   SplitDsn("5.7.2 go away", &dsn) -> "go away", dsn "5.7.2"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "util/dns.h"
#include "util/status.h"

namespace smtpd_check {

// A restriction list: commas/white space separate, braces group ("{...}"
// around one item is removed; "inline:{a=b, c=d}" stays one item).
util::StatusOr<std::vector<std::string>> SplitRestrictions(std::string_view value);

// The first table spec of `list` (proxy: stripped) whose type this build
// does not have, e.g. "ldap:/etc/ldap.cf"; empty when all are known.
std::string UnsupportedTableIn(std::string_view list);

// "name." -> "name" (but not "name.."), as Postfix truncates host names.
std::string TruncateDot(std::string_view name);
// "[192.0.2.1]", "[IPv6:2001:db8::1]": a bracketed address literal (any
// content; ValidAddressLiteral checks it).
bool IsAddressLiteral(std::string_view name);
bool ValidAddressLiteral(std::string_view name);
// reject_invalid_helo_hostname's test: a valid host name
// (util/valid_hostname.h; UTF-8 labels with `allow_utf8`), a valid address
// literal, or a bare IP address.
bool ValidHeloName(std::string_view name, bool allow_utf8 = false);

// access(5) client address keys: the address, then shorter prefixes.
std::vector<std::string> AddressKeys(std::string_view addr);
// Splits a leading "D.D.D " enhanced status code off `text` into *dsn.
std::string SplitDsn(std::string_view text, std::string* dsn);

// inet_interfaces + proxy_interfaces as addresses ("all": every interface).
std::vector<std::string> InetInterfaceAddresses(const config::Config& cfg);
bool SameAddress(std::string_view a, std::string_view b);

// DNS: does `host` exist for mail (mail: MX, else A/AAAA) or as a host
// (A, AAAA or MX)?
enum class DnsVerdict { kFound, kNotFound, kNullMx, kTempFail };
DnsVerdict HostHasRecords(util::dns::Resolver& r, const std::string& host, bool mail);
// util::dns::SystemResolver(), or a resolver that always fails temporarily
// when this build has no DNS module.
util::dns::Resolver* DefaultDnsResolver();

}  // namespace smtpd_check

// smtpd_proto: the pure parts of the SMTP server's protocol (no I/O):
// command words, MAIL FROM / RCPT TO arguments with their ESMTP
// parameters, the EHLO keyword list, the Received: header and the
// per-command counters of the "disconnect from" log line.
//
//   smtpd_proto::Command c = smtpd_proto::SplitCommand("mail FROM:<a@b> SIZE=10");
//   // c.verb == "MAIL", c.args == "FROM:<a@b> SIZE=10"
//   smtpd_proto::PathArg p;
//   if (!smtpd_proto::ParsePath(c.args, "FROM:", &p)) reply("501 5.5.4 Syntax: ...");
//   // p.address == "a@b" (internal form), p.params == {"SIZE=10"}
//
// Addresses are accepted as Postfix does without strict_rfc821_envelopes:
// "FROM:<a@b>", "FROM: <a@b>", "FROM:a@b"; quoted local parts
// ("<\"john smith\"@example.com>" gives "john smith@example.com") and
// source routes ("<@relay1,@relay2:user@example.com>" gives
// "user@example.com") are understood; "<>" is the null address.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd_proto {

struct Command {
  std::string verb;  // upper-cased first word
  std::string args;  // the rest, leading and trailing white space removed
};
Command SplitCommand(std::string_view line);

struct PathArg {
  std::string address;              // internal form (unquoted), "" for <>
  bool bracketed = false;           // written as <...>
  std::vector<std::string> params;  // ESMTP parameters after the path
};

enum class PathStatus {
  kOk,
  kSyntax,      // keyword or address missing: "501 5.5.4 Syntax: MAIL FROM:<address>"
  kBadAddress,  // malformed address: "501 5.1.7 Bad sender address syntax"
};
// Parses "FROM:<addr> PARAM..." (keyword "FROM:") or "TO:<addr> ..."
// ("TO:"). kBadAddress for unbalanced <> or quotes, control characters,
// unquoted white space or <> inside the address, a source route without
// its ':'.
PathStatus ParsePath(std::string_view args, std::string_view keyword, PathArg* out);

// Checks the syntax of an address inside <>: returns false for control
// characters, unbalanced quotes, or a bare address with white space.
bool ValidAddressSyntax(std::string_view external);

// NOTIFY=NEVER | SUCCESS,FAILURE,DELAY -> queue_file::DsnNotify bits; 0
// on bad syntax (NEVER combined with others, an unknown word, empty).
int ParseNotify(std::string_view value);

// ORCPT=addr-type;xtext -> "rfc822;decoded". nullopt on bad syntax or when
// the decoded address is not printable ASCII (no CR LF into notices).
std::optional<std::string> ParseOrcpt(std::string_view value);

// The ESMTP keywords of the EHLO reply (without "250-" and the host line),
// in Postfix's order, after removing `discard` (smtpd_discard_ehlo_keywords,
// compared case-insensitively; "silent-discard" is ignored here).
// AUTH (after VRFY, as Postfix) lists `auth` when not empty; with
// `auth_broken` (broken_sasl_auth_clients) "AUTH=..." follows for clients
// that know only the old syntax. Discarding "AUTH" drops both.
struct EhloOptions {
  long long message_size_limit = 10240000;
  bool vrfy = true;
  std::vector<std::string> auth;
  bool auth_broken = false;
  bool starttls = false;
  // XCLIENT and XFORWARD with their attribute names (smtpd_xclient.h),
  // after AUTH, for authorized clients only.
  bool xclient = false;
  bool xforward = false;
  std::vector<std::string> discard;
};
std::vector<std::string> EhloKeywords(const EhloOptions& opt);

// The Received: header smtpd prepends, as Postfix writes it, one string per
// physical line (continuation lines begin with a TAB):
//   Received: from HELO (NAME [ADDR])
//   \t(using TLSv1.3 with cipher ...)  (the TLS clause, when given)
//   \tby MYHOSTNAME (MAIL_NAME) with PROTOCOL id QUEUEID
//   \tfor <RCPT>; DATE            (exactly one recipient)
// or, with several recipients, "...id QUEUEID;" and "\tDATE".
// ADDR is "IPv6:..." for IPv6 clients; a missing HELO uses NAME.
struct ReceivedInfo {
  std::string helo_name;
  // After the "from" line (util::tls::ReceivedClause), when TLS is active
  // and smtpd_tls_received_header is set.
  std::vector<std::string> tls_clause;
  std::string client_name;
  std::string client_addr;
  std::string myhostname;
  std::string mail_name;
  std::string protocol;
  std::string queue_id;
  // smtpd_sasl_authenticated_header: "\t(Authenticated sender: USER)"
  // after the first line; empty: none.
  std::string authenticated_sender;
  std::string single_recipient;  // internal form; empty: none or several
  std::string date;              // RFC 5322 date (global/mail_date.h)
};
std::vector<std::string> ReceivedHeader(const ReceivedInfo& info);

// The command counters of the "disconnect from" line: for each command
// name, how many were seen and how many succeeded. Format() gives
// " ehlo=1 mail=1 rcpt=0/1 data=1 quit=1 commands=4/5" (with a leading
// space), names in Postfix's order; a name appears only when it was used;
// "/total" only when some failed.
class CommandCounts {
 public:
  void Count(std::string_view name, bool ok);
  std::string Format() const;

 private:
  std::map<std::string, std::pair<int, int>, std::less<>> counts_;  // ok, total
};

}  // namespace smtpd_proto

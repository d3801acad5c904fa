#include "smtpd/smtpd_proto.h"

#include <time.h>

#include <cctype>

#include "global/address.h"
#include "global/queue_file.h"
#include "global/smtp_reply.h"
#include "smtpd/smtpd_xclient.h"
#include "util/strings.h"

namespace smtpd_proto {

namespace {

bool IsWhite(char c) { return c == ' ' || c == '\t'; }

std::vector<std::string> SplitWords(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsWhite(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !IsWhite(s[i])) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && util::EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

}  // namespace

Command SplitCommand(std::string_view line) {
  std::string_view s = line;
  while (!s.empty() && IsWhite(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWhite(s.back())) s.remove_suffix(1);
  size_t sp = 0;
  while (sp < s.size() && !IsWhite(s[sp])) ++sp;
  Command c;
  c.verb = util::Uppercase(s.substr(0, sp));
  std::string_view rest = s.substr(sp);
  while (!rest.empty() && IsWhite(rest.front())) rest.remove_prefix(1);
  c.args = std::string(rest);
  return c;
}

bool ValidAddressSyntax(std::string_view a) {
  bool quoted = false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(a[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c == '\\') {
      if (i + 1 >= a.size()) return false;
      // An escaped control character is a control character all the same.
      unsigned char next = static_cast<unsigned char>(a[i + 1]);
      if (next < 0x20 || next == 0x7f) return false;
      ++i;
      continue;
    }
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted &&
        (c == ' ' || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';'))
      return false;
  }
  return !quoted;
}

PathStatus ParsePath(std::string_view args, std::string_view keyword, PathArg* out) {
  *out = PathArg();
  if (!StartsWithIgnoreCase(args, keyword)) return PathStatus::kSyntax;
  std::string_view rest = args.substr(keyword.size());
  while (!rest.empty() && IsWhite(rest.front())) rest.remove_prefix(1);
  if (rest.empty()) return PathStatus::kSyntax;
  std::string_view inner;
  std::string_view params;
  if (rest.front() == '<') {
    bool quoted = false;
    size_t end = std::string_view::npos;
    for (size_t i = 1; i < rest.size(); ++i) {
      char c = rest[i];
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == '>' && !quoted) {
        end = i;
        break;
      }
    }
    if (end == std::string_view::npos) return PathStatus::kBadAddress;
    inner = rest.substr(1, end - 1);
    params = rest.substr(end + 1);
    if (!params.empty() && !IsWhite(params.front())) return PathStatus::kBadAddress;
    out->bracketed = true;
    // Source route: "@a,@b:user@domain" -> "user@domain".
    if (!inner.empty() && inner.front() == '@') {
      size_t colon = inner.find(':');
      if (colon == std::string_view::npos) return PathStatus::kBadAddress;
      inner = inner.substr(colon + 1);
      if (inner.empty()) return PathStatus::kBadAddress;
    }
  } else {
    size_t sp = 0;
    while (sp < rest.size() && !IsWhite(rest[sp])) ++sp;
    inner = rest.substr(0, sp);
    params = rest.substr(sp);
  }
  if (!ValidAddressSyntax(inner)) return PathStatus::kBadAddress;
  out->address = inner.empty() ? "" : address::Unquote(inner);
  out->params = SplitWords(params);
  return PathStatus::kOk;
}

int ParseNotify(std::string_view value) {
  if (value.empty()) return 0;
  int bits = 0;
  for (const std::string& w : util::Split(value, ',')) {
    std::string u = util::Uppercase(w);
    int bit = 0;
    if (u == "NEVER")
      bit = queue_file::kNotifyNever;
    else if (u == "SUCCESS")
      bit = queue_file::kNotifySuccess;
    else if (u == "FAILURE")
      bit = queue_file::kNotifyFailure;
    else if (u == "DELAY")
      bit = queue_file::kNotifyDelay;
    else
      return 0;
    bits |= bit;
  }
  if ((bits & queue_file::kNotifyNever) && bits != queue_file::kNotifyNever) return 0;
  return bits;
}

std::optional<std::string> ParseOrcpt(std::string_view value) {
  size_t semi = value.find(';');
  if (semi == std::string_view::npos || semi == 0) return std::nullopt;
  std::string_view type = value.substr(0, semi);
  for (char c : type) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return std::nullopt;
  }
  auto addr = smtp_reply::XTextDecode(value.substr(semi + 1));
  if (!addr || addr->empty() || !util::AllPrintableAscii(*addr)) return std::nullopt;
  return util::Lowercase(type) + ";" + *addr;
}

std::vector<std::string> EhloKeywords(const EhloOptions& opt) {
  std::vector<std::string> all = {"PIPELINING"};
  all.push_back(opt.message_size_limit > 0 ? "SIZE " + std::to_string(opt.message_size_limit)
                                           : "SIZE");
  if (opt.vrfy) all.push_back("VRFY");
  all.push_back("ETRN");  // the flush service (flush/) acts on it
  if (opt.starttls) all.push_back("STARTTLS");
  if (!opt.auth.empty()) {
    std::string mechs = util::Join(opt.auth, " ");
    all.push_back("AUTH " + mechs);
    if (opt.auth_broken) all.push_back("AUTH=" + mechs);
  }
  if (opt.xclient) all.emplace_back(smtpd_xclient::kXclientKeyword);
  if (opt.xforward) all.emplace_back(smtpd_xclient::kXforwardKeyword);
  for (const char* k : {"ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"})
    all.push_back(k);
  std::vector<std::string> out;
  for (const std::string& k : all) {
    std::string word = k.substr(0, k.find_first_of(" ="));
    bool drop = false;
    for (const std::string& d : opt.discard) {
      if (util::EqualsIgnoreCase(d, word)) drop = true;
    }
    if (!drop) out.push_back(k);
  }
  return out;
}

std::vector<std::string> ReceivedHeader(const ReceivedInfo& in) {
  std::string addr =
      in.client_addr.find(':') != std::string::npos ? "IPv6:" + in.client_addr : in.client_addr;
  std::vector<std::string> out;
  out.push_back("Received: from " + (in.helo_name.empty() ? in.client_name : in.helo_name) + " (" +
                in.client_name + " [" + addr + "])");
  out.insert(out.end(), in.tls_clause.begin(), in.tls_clause.end());
  if (!in.authenticated_sender.empty())
    out.push_back("\t(Authenticated sender: " + in.authenticated_sender + ")");
  std::string by = "\tby " + in.myhostname + " (" + in.mail_name + ") with " + in.protocol;
  if (!in.queue_id.empty()) by += " id " + in.queue_id;
  if (!in.single_recipient.empty()) {
    out.push_back(by);
    out.push_back("\tfor <" + address::Quote(in.single_recipient) + ">; " + in.date);
  } else {
    out.push_back(by + ";");
    out.push_back("\t" + in.date);
  }
  return out;
}

void CommandCounts::Count(std::string_view name, bool ok) {
  auto& c = counts_[std::string(name)];
  if (ok) ++c.first;
  ++c.second;
}

std::string CommandCounts::Format() const {
  static const char* const kOrder[] = {"helo", "ehlo", "xclient", "xforward", "starttls", "auth",
                                       "mail", "rcpt", "data",    "bdat",     "rset",     "noop",
                                       "vrfy", "etrn", "help",    "quit",     "unknown"};
  std::string out;
  int ok = 0, total = 0;
  auto add = [&out](std::string_view name, int good, int all) {
    out += " ";
    out += name;
    out += "=" + std::to_string(good);
    if (good != all) out += "/" + std::to_string(all);
  };
  for (const char* name : kOrder) {
    auto it = counts_.find(name);
    if (it == counts_.end()) continue;
    add(name, it->second.first, it->second.second);
    ok += it->second.first;
    total += it->second.second;
  }
  add("commands", ok, total);
  return out;
}

}  // namespace smtpd_proto

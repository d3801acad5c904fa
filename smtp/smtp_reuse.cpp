// smtp_reuse: see smtp_reuse.h.
#include "smtp/smtp_reuse.h"

#include <vector>

#include "util/strings.h"

namespace smtp {

std::string EndpointLabel(const std::string& service, const std::string& address, int port) {
  if (port == 0) return service + "|" + address;
  return service + "|" + address + ":" + std::to_string(port);
}

// Tab-separated fields: uses, since, host, then the server's EHLO keywords
// with their arguments ("SIZE 10240000", "AUTH PLAIN LOGIN") as a reply
// that smtp_reply::ParseEhlo reads back.
std::string EncodeReuse(const ReuseState& st) {
  std::string out = std::to_string(st.uses) + "\t" + std::to_string(st.since) + "\t" + st.host;
  const smtp_reply::Ehlo& e = st.ehlo;
  auto add = [&out](const std::string& line) { out += "\t" + line; };
  for (const std::string& k : e.keywords) {
    if (k == "SIZE") {
      add(e.size_limit > 0 ? "SIZE " + std::to_string(e.size_limit) : "SIZE");
    } else if (k == "AUTH") {
      std::string line = "AUTH";
      for (const std::string& m : e.auth_mechanisms) line += " " + m;
      add(line);
    } else if (k == "XFORWARD") {
      std::string line = "XFORWARD";
      for (const std::string& n : e.xforward) line += " " + n;
      add(line);
    } else {
      add(k);
    }
  }
  if (!e.keywords.count("AUTH") && !e.auth_mechanisms.empty()) {  // offered as AUTH=
    std::string line = "AUTH";
    for (const std::string& m : e.auth_mechanisms) line += " " + m;
    add(line);
  }
  return out;
}

std::optional<ReuseState> DecodeReuse(const std::string& text) {
  std::vector<std::string> f = util::Split(text, '\t');
  if (f.size() < 3) return std::nullopt;
  ReuseState st;
  auto uses = util::ParseInt(f[0]);
  auto since = util::ParseInt(f[1]);
  if (!uses || !since || *uses < 1 || f[2].empty()) return std::nullopt;
  st.uses = static_cast<int>(*uses);
  st.since = *since;
  st.host = f[2];
  smtp_reply::Reply r;
  r.code = 250;
  r.lines.push_back("250-" + st.host);
  for (size_t i = 3; i < f.size(); i++) r.lines.push_back("250-" + f[i]);
  st.ehlo = smtp_reply::ParseEhlo(r);
  return st;
}

}  // namespace smtp

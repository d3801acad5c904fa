// smtpd_xclient: see smtpd_xclient.h.
#include "smtpd/smtpd_xclient.h"

#include <arpa/inet.h>

#include "global/smtp_reply.h"
#include "util/strings.h"
#include "util/valid_hostname.h"

namespace smtpd_xclient {
namespace {

constexpr size_t kMaxValue = 255;

// Postfix's printable() and neuter(): nothing that breaks a log line or a
// header field.
std::string Neuter(std::string_view v) {
  std::string out = util::ReplaceControls(v);
  for (char& c : out) {
    if (std::string_view(" <>()\\\";@").find(c) != std::string_view::npos) c = '?';
  }
  return out;
}

// An IPv4 or IPv6 address (IPv6 also as "IPv6:..."), in its usual form.
std::optional<std::string> NormalAddress(std::string_view v) {
  std::string text(v);
  if (text.size() > 5 && util::EqualsIgnoreCase(text.substr(0, 5), "IPv6:")) text.erase(0, 5);
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  int family = text.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (inet_pton(family, text.c_str(), buf) != 1) return std::nullopt;
  if (inet_ntop(family, buf, out, sizeof(out)) == nullptr) return std::nullopt;
  return std::string(out);
}

bool ValidPort(std::string_view v) { return !v.empty() && v.size() <= 5 && util::AllDigits(v); }

bool Known(Kind kind, std::string_view name) {
  static const char* const kForward[] = {"NAME", "ADDR",  "PORT",  "PROTO",
                                         "HELO", "IDENT", "SOURCE"};
  static const char* const kClient[] = {"NAME", "REVERSE_NAME", "ADDR",     "PORT",    "PROTO",
                                        "HELO", "LOGIN",        "DESTADDR", "DESTPORT"};
  if (kind == Kind::kXforward) {
    for (const char* k : kForward)
      if (name == k) return true;
  } else {
    for (const char* k : kClient)
      if (name == k) return true;
  }
  return false;
}

// Checks one decoded value; false: "Bad NAME syntax".
bool Check(Kind kind, Attr* a) {
  const std::string& n = a->name;
  std::string& v = a->value;
  if (v == "[UNAVAILABLE]" ||
      (kind == Kind::kXclient && v == "[TEMPUNAVAIL]" && (n == "NAME" || n == "REVERSE_NAME"))) {
    a->unavailable = v == "[UNAVAILABLE]" ? 5 : 4;
    v.clear();
    return true;
  }
  if (n == "NAME" || n == "REVERSE_NAME") {
    v = Neuter(v);
    return util::ValidHostname(v, false);
  }
  if (n == "ADDR" || n == "DESTADDR") {
    v = Neuter(v);
    std::optional<std::string> addr = NormalAddress(v);
    if (!addr) return false;
    v = *addr;
    return true;
  }
  if (n == "PORT" || n == "DESTPORT") return ValidPort(v);
  if (n == "PROTO") {
    if (kind == Kind::kXclient) {
      v = util::Uppercase(v);
      return v == "SMTP" || v == "ESMTP";
    }
    if (v.size() > 64) return false;
    v = Neuter(v);
    return true;
  }
  if (n == "SOURCE") {
    v = util::Uppercase(v);
    if (v != "LOCAL" && v != "REMOTE") return false;
    v = util::Lowercase(v);
    return true;
  }
  if (n == "HELO" && kind == Kind::kXclient && v.size() > kMaxValue) return false;
  v = Neuter(v);  // HELO, IDENT, LOGIN
  return true;
}

}  // namespace

std::optional<std::string> Parse(Kind kind, std::string_view args, std::vector<Attr>* out) {
  const char* command = kind == Kind::kXforward ? "XFORWARD" : "XCLIENT";
  out->clear();
  for (std::string_view item : util::SplitAny(args, " \t")) {
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return "501 5.5.4 Error: attribute=value expected";
    std::string_view given = item.substr(0, eq), raw = item.substr(eq + 1);
    if (raw.size() > kMaxValue) return "501 5.5.4 Error: attribute value too long";
    std::optional<std::string> decoded = smtp_reply::XTextDecode(raw);
    if (!decoded)
      return "501 5.5.4 Bad " + Neuter(given) + " syntax: " + util::ReplaceControls(raw);
    // Postfix's printable() right after decoding: no control character
    // reaches a reply, a log line or a queue file, whatever else is wrong.
    Attr a{util::Uppercase(given), util::ReplaceControls(*decoded)};
    if (!Known(kind, a.name))
      return std::string("501 5.5.4 Bad ") + command + " attribute name: " + Neuter(given);
    if (!Check(kind, &a)) return "501 5.5.4 Bad " + a.name + " syntax: " + a.value;
    out->push_back(std::move(a));
  }
  return std::nullopt;
}

void Forward::Apply(const std::vector<Attr>& attrs) {
  if (!active) {  // Postfix's smtpd_xforward_preset()
    *this = Forward();
    active = true;
    name = addr = port = proto = "unknown";
  }
  for (const Attr& a : attrs) {
    const std::string& v = a.value;
    bool unavail = a.unavailable != 0;
    if (a.name == "NAME") {
      name = unavail ? "unknown" : v;
    } else if (a.name == "ADDR") {
      addr = unavail ? "unknown" : v;
    } else if (a.name == "PORT") {
      port = unavail ? "unknown" : v;
    } else if (a.name == "PROTO") {
      proto = unavail ? "unknown" : v;
    } else if (a.name == "HELO") {
      helo = unavail ? "" : v;
    } else if (a.name == "IDENT") {
      ident = unavail ? "" : v;
    } else if (a.name == "SOURCE") {
      context = unavail ? "local" : v;
    }
    if (a.name != "IDENT" && a.name != "SOURCE") client_attr = true;
  }
}

std::string Forward::NamAddr(bool port_logging) const {
  if (addr == "unknown") return name;
  std::string s = name + "[" + addr + "]";
  if (port_logging) s += ":" + port;
  return s;
}

}  // namespace smtpd_xclient

#include "util/strings.h"

#include <cctype>
#include <cstdio>
#include <limits>

namespace util {

std::string StrVFormat(const char* fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  char buf[512];
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  if (n < 0) {
    va_end(ap2);
    return {};
  }
  if (static_cast<size_t>(n) < sizeof buf) {
    va_end(ap2);
    return std::string(buf, static_cast<size_t>(n));
  }
  std::string out(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(out.data(), out.size(), fmt, ap2);
  va_end(ap2);
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string StrFormat(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string s = StrVFormat(fmt, ap);
  va_end(ap);
  return s;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view Trim(std::string_view s) { return TrimRight(TrimLeft(s)); }

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Uppercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::vector<std::string> SplitAny(std::string_view s, std::string_view seps) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = s.find_first_not_of(seps, i);
    if (start == std::string_view::npos) break;
    size_t end = s.find_first_of(seps, start);
    if (end == std::string_view::npos) end = s.size();
    out.emplace_back(s.substr(start, end - start));
    i = end;
  }
  return out;
}

std::vector<std::string> SplitList(std::string_view s) { return SplitAny(s, ", \t\r\n"); }

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

std::optional<long long> ParseInt(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  size_t i = 0;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  unsigned long long v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    unsigned d = static_cast<unsigned>(s[i] - '0');
    if (v > (static_cast<unsigned long long>(std::numeric_limits<long long>::max()) - d) / 10)
      return std::nullopt;
    v = v * 10 + d;
  }
  long long r = static_cast<long long>(v);
  return neg ? -r : r;
}

std::optional<long long> ParseTime(std::string_view s, char default_unit) {
  if (s.empty()) return std::nullopt;
  char unit = default_unit;
  std::string_view digits = s;
  if (std::isalpha(static_cast<unsigned char>(s.back()))) {
    unit = static_cast<char>(std::tolower(static_cast<unsigned char>(s.back())));
    digits = s.substr(0, s.size() - 1);
  }
  auto n = ParseInt(digits);
  if (!n || *n < 0) return std::nullopt;
  long long mult;
  switch (unit) {
    case 's':
      mult = 1;
      break;
    case 'm':
      mult = 60;
      break;
    case 'h':
      mult = 3600;
      break;
    case 'd':
      mult = 86400;
      break;
    case 'w':
      mult = 7 * 86400;
      break;
    default:
      return std::nullopt;
  }
  if (*n > std::numeric_limits<long long>::max() / mult) return std::nullopt;
  return *n * mult;
}

std::optional<bool> ParseBool(std::string_view s) {
  if (EqualsIgnoreCase(s, "yes") || EqualsIgnoreCase(s, "true")) return true;
  if (EqualsIgnoreCase(s, "no") || EqualsIgnoreCase(s, "false")) return false;
  return std::nullopt;
}

namespace {

// Printable() and CEscape(): \ooo for control bytes, or C's \r \n \t
// for those three when `c_style`.
std::string Escape(std::string_view s, bool c_style) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c >= 0x20 && c != 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c_style && (c == '\r' || c == '\n' || c == '\t')) {
      out += c == '\r' ? "\\r" : c == '\n' ? "\\n" : "\\t";
    } else {
      char buf[8];
      snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

std::string Printable(std::string_view s) { return Escape(s, false); }

std::string CEscape(std::string_view s) { return Escape(s, true); }

std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    if (c >= '0' && c <= '7') {
      int v = 0;
      for (int n = 0; n < 3 && i < s.size() && s[i] >= '0' && s[i] <= '7'; n++, i++)
        v = v * 8 + (s[i] - '0');
      out += static_cast<char>(v);
      i--;
      continue;
    }
    static const std::string_view kFrom = "abfnrtv", kTo = "\a\b\f\n\r\t\v";
    size_t k = kFrom.find(c);
    out += k == std::string_view::npos ? c : kTo[k];
  }
  return out;
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

bool HasControl(std::string_view s) {
  for (unsigned char c : s)
    if (IsControl(c)) return true;
  return false;
}

std::string ReplaceControls(std::string_view s, char with) {
  std::string out(s);
  for (char& c : out)
    if (IsControl(static_cast<unsigned char>(c))) c = with;
  return out;
}

bool AllPrintableAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

size_t Utf8Length(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n;
  unsigned min;
  unsigned cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
    } else if (size_t n = Utf8Length(s, i)) {
      i += n;
    } else {
      return false;
    }
  }
  return true;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace util

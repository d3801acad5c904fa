#include "global/address.h"

#include "util/strings.h"

namespace address {
namespace {

// RFC 5322 atext (plus '.' for dot-atoms): characters that need no quoting.
bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  if (static_cast<unsigned char>(c) >= 0x80) return true;  // UTF-8 (SMTPUTF8)
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool NeedsQuoting(std::string_view local) {
  if (local.empty()) return false;
  if (local.front() == '.' || local.back() == '.') return true;
  for (size_t i = 0; i < local.size(); ++i) {
    char c = local[i];
    if (c == '.') {
      if (i + 1 < local.size() && local[i + 1] == '.') return true;
      continue;
    }
    if (!IsAtext(c)) return true;
  }
  return false;
}

// Tokens of an RFC 5322 address list, comments removed.
struct Token {
  enum Kind { kAtom, kQuoted, kSpecial, kDomainLiteral } kind;
  std::string text;
};

std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (util::IsSpace(c)) {
      ++i;
    } else if (c == '(') {  // comment, may nest, may contain quoted-pairs
      int depth = 0;
      for (; i < s.size(); ++i) {
        if (s[i] == '\\') {
          ++i;
          continue;
        }
        if (s[i] == '(') ++depth;
        if (s[i] == ')' && --depth == 0) {
          ++i;
          break;
        }
      }
    } else if (c == '"') {
      std::string text;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        text += s[i];
      }
      ++i;
      out.push_back({Token::kQuoted, text});
    } else if (c == '[') {
      size_t end = s.find(']', i);
      if (end == std::string_view::npos) end = s.size() - 1;
      out.push_back({Token::kDomainLiteral, std::string(s.substr(i, end - i + 1))});
      i = end + 1;
    } else if (std::string_view("<>,:;@.").find(c) != std::string_view::npos) {
      out.push_back({Token::kSpecial, std::string(1, c)});
      ++i;
    } else {
      size_t start = i;
      while (i < s.size() && !util::IsSpace(s[i]) &&
             std::string_view("()<>,:;@.\"[").find(s[i]) == std::string_view::npos)
        ++i;
      if (i == start) ++i;  // a stray special such as ')' or ']'
      out.push_back({Token::kAtom, std::string(s.substr(start, i - start))});
    }
  }
  return out;
}

bool IsSpecial(const Token& t, char c) { return t.kind == Token::kSpecial && t.text[0] == c; }

// Builds an internal-form address from tokens [b, e): local part tokens,
// '@', domain tokens; the local part keeps dots, quoted parts are unquoted.
std::string Assemble(const std::vector<Token>& t, size_t b, size_t e) {
  // Drop a source route "@a,@b:" at the start (obsolete syntax).
  for (size_t i = b; i < e; ++i) {
    if (IsSpecial(t[i], ':')) {
      if (IsSpecial(t[b], '@')) b = i + 1;
      break;
    }
  }
  std::string out;
  for (size_t i = b; i < e; ++i) out += t[i].text;
  return out;
}

}  // namespace

Parts Split(std::string_view addr) {
  Parts p;
  size_t at = addr.rfind('@');
  if (at == std::string_view::npos) {
    p.local = std::string(addr);
    return p;
  }
  p.local = std::string(addr.substr(0, at));
  p.domain = std::string(addr.substr(at + 1));
  p.has_at = true;
  return p;
}

std::string Quote(std::string_view internal) {
  Parts p = Split(internal);
  if (!NeedsQuoting(p.local)) return std::string(internal);
  std::string out = "\"";
  for (char c : p.local) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  if (p.has_at) out += "@" + p.domain;
  return out;
}

std::string Unquote(std::string_view external) {
  std::string out;
  bool quoted = false;
  for (size_t i = 0; i < external.size(); ++i) {
    char c = external[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\\' && quoted && i + 1 < external.size()) {
      out += external[++i];
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> ParseAddressList(std::string_view header_value) {
  std::vector<Token> t = Tokenize(header_value);
  std::vector<std::string> out;
  size_t i = 0;
  auto add = [&](std::string a) {
    if (!a.empty()) out.push_back(std::move(a));
  };
  while (i < t.size()) {
    // One mailbox or group, up to a top-level ',' (or ';' ending a group).
    size_t start = i;
    size_t angle_open = std::string::npos;
    for (; i < t.size(); ++i) {
      if (IsSpecial(t[i], '<')) {
        angle_open = i;
        size_t close = i + 1;
        while (close < t.size() && !IsSpecial(t[close], '>')) ++close;
        add(Assemble(t, i + 1, close));
        i = close;
        // Skip to the end of this mailbox.
        while (i < t.size() && !IsSpecial(t[i], ',') && !IsSpecial(t[i], ';')) ++i;
        break;
      }
      if (IsSpecial(t[i], ':')) {  // group "name:" — its members follow
        start = i + 1;
        continue;
      }
      if (IsSpecial(t[i], ',') || IsSpecial(t[i], ';')) break;
    }
    if (angle_open == std::string::npos) add(Assemble(t, start, i));
    ++i;  // skip ',' or ';'
  }
  return out;
}

bool SplitHeader(std::string_view line, std::string_view* name, std::string_view* value) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view n = util::TrimRight(line.substr(0, colon));
  if (n.empty()) return false;
  for (char c : n) {
    if (c <= ' ' || c > '~') return false;
  }
  *name = n;
  *value = line.substr(colon + 1);
  return true;
}

}  // namespace address

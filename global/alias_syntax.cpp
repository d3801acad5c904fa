#include "global/alias_syntax.h"

#include "util/strings.h"

namespace alias_syntax {
namespace {

enum class Kind { kAtom, kQuoted, kComment, kLiteral, kSpecial };

struct Token {
  Kind kind;
  std::string text;   // as written out
  bool space_before;  // white space before it in the input
  bool word() const { return kind != Kind::kSpecial; }
};

constexpr std::string_view kSpecials = ",<>@;:.";

bool NeedsQuotes(std::string_view atom) {
  for (char c : atom)
    if (c == '\\' || c == '"' || util::IsSpace(c)) return true;
  return false;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Scans a delimited token starting at s[i] (a quote, comment or literal),
// escapes kept; an unterminated one ends at the end of input (quoted
// strings get their closing quote).
std::string ScanDelimited(std::string_view s, size_t* i, char open, char close) {
  std::string out(1, open);
  int depth = 1;
  size_t j = *i + 1;
  for (; j < s.size(); j++) {
    char c = s[j];
    if (c == '\\' && j + 1 < s.size()) {
      out += c;
      out += s[++j];
      continue;
    }
    out += c;
    if (c == close && --depth == 0) {
      j++;
      break;
    }
    if (c == open && open == '(') depth++;
  }
  if (depth > 0 && open == '"') out += '"';
  *i = j;
  return out;
}

std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  bool space = false;
  while (i < s.size()) {
    char c = s[i];
    if (util::IsSpace(c)) {
      space = true;
      i++;
      continue;
    }
    if (c == '"') {
      out.push_back({Kind::kQuoted, ScanDelimited(s, &i, '"', '"'), space});
    } else if (c == '(') {
      out.push_back({Kind::kComment, ScanDelimited(s, &i, '(', ')'), space});
    } else if (c == '[') {
      out.push_back({Kind::kLiteral, ScanDelimited(s, &i, '[', ']'), space});
    } else if (kSpecials.find(c) != std::string_view::npos) {
      out.push_back({Kind::kSpecial, std::string(1, c), space});
      i++;
    } else {
      std::string atom;
      while (i < s.size()) {
        c = s[i];
        if (util::IsSpace(c) || c == '"' || c == '(' || c == '[' ||
            kSpecials.find(c) != std::string_view::npos)
          break;
        if (c == '\\' && i + 1 < s.size()) c = s[++i];
        atom += c;
        i++;
      }
      out.push_back({Kind::kAtom, NeedsQuotes(atom) ? Quote(atom) : atom, space});
    }
    space = false;
  }
  return out;
}

std::string Unquote(std::string_view s) {
  s = util::Trim(s);
  bool quoted = s.size() >= 2 && s.front() == '"' && s.back() == '"';
  if (quoted) s = s.substr(1, s.size() - 2);
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 1 < s.size()) i++;
    out += s[i];
  }
  return out;
}

}  // namespace

std::string NormalizeList(std::string_view value) {
  std::vector<Token> toks = Tokenize(value);
  std::string out;
  for (size_t i = 0; i < toks.size(); i++) {
    const Token& t = toks[i];
    if (i > 0) {
      const Token& p = toks[i - 1];
      bool sp = false;
      if (p.kind == Kind::kSpecial && p.text == ",")
        sp = true;
      else if (t.kind == Kind::kSpecial && t.text == "<" && p.word())
        sp = true;
      else if (p.word() && t.word())
        sp = !(p.kind == Kind::kAtom && t.kind == Kind::kQuoted && !t.space_before);
      if (sp) out += ' ';
    }
    out += t.text;
  }
  return out;
}

std::optional<Entry> ParseLine(std::string_view line) {
  bool quoted = false;
  size_t colon = std::string_view::npos;
  for (size_t i = 0; i < line.size(); i++) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      i++;
      continue;
    }
    if (line[i] == '"') quoted = !quoted;
    if (line[i] == ':' && !quoted) {
      colon = i;
      break;
    }
  }
  if (colon == std::string_view::npos) return std::nullopt;
  Entry e;
  e.name = Unquote(line.substr(0, colon));
  e.value = NormalizeList(line.substr(colon + 1));
  if (e.name.empty() || e.value.empty()) return std::nullopt;
  return e;
}

std::vector<std::string> SplitTargets(std::string_view value) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;  // inside () or []
  bool quoted = false;
  auto flush = [&] {
    std::string_view t = util::Trim(cur);
    if (!t.empty()) {
      bool one_quote =
          t.size() >= 2 && t.front() == '"' && t.back() == '"' && Tokenize(t).size() == 1;
      out.push_back(one_quote ? Unquote(t) : std::string(t));
    }
    cur.clear();
  };
  for (size_t i = 0; i < value.size(); i++) {
    char c = value[i];
    if (c == '\\' && i + 1 < value.size()) {
      cur += c;
      cur += value[++i];
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (!quoted) {
      if (c == '(' || c == '[') depth++;
      if ((c == ')' || c == ']') && depth > 0) depth--;
      if (c == ',' && depth == 0) {
        flush();
        continue;
      }
    }
    cur += c;
  }
  flush();
  return out;
}

}  // namespace alias_syntax

#include "util/mac_expand.h"

#include <cctype>

namespace util {

std::string MacExpand(std::string_view text, const MacLookup& vars,
                      std::optional<std::string_view> allowed, std::string* unknown) {
  auto value = [&](std::string_view name) {
    std::optional<std::string> v = vars(name);
    if (!v) {
      if (unknown != nullptr && unknown->empty()) *unknown = std::string(name);
      return std::string();
    }
    if (allowed) {
      for (char& c : *v)
        if (allowed->find(c) == std::string_view::npos) c = '_';
    }
    return std::move(*v);
  };
  std::string out;
  for (size_t i = 0; i < text.size(); i++) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    char c = text[i + 1];
    if (c == '{' || c == '(') {
      char close = c == '{' ? '}' : ')';
      int depth = 1;
      size_t j = i + 2;
      for (; j < text.size() && depth > 0; j++) {
        if (text[j] == c) depth++;
        if (text[j] == close) depth--;
      }
      std::string_view inner = text.substr(i + 2, j - i - 2 - (depth == 0 ? 1 : 0));
      size_t op = inner.find_first_of("?:");
      std::string v = value(inner.substr(0, op));
      if (op == std::string_view::npos) {
        out += v;
      } else if ((inner[op] == '?') == !v.empty()) {
        out += MacExpand(inner.substr(op + 1), vars, allowed, unknown);
      }
      i = j - 1;
    } else {
      size_t j = i + 1;
      while (j < text.size() && (isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
        j++;
      if (j == i + 1) {  // "$$" is one '$'; a '$' before anything else stays
        out += '$';
        if (c == '$') i++;
        continue;
      }
      out += value(text.substr(i + 1, j - i - 1));
      i = j - 1;
    }
  }
  return out;
}

}  // namespace util

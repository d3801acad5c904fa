#include "util/valid_hostname.h"

#include "util/strings.h"

namespace util {

bool ValidHostname(std::string_view name, bool allow_utf8) {
  if (name.empty() || name.size() > 255) return false;
  if (allow_utf8 && !ValidUtf8(name)) return false;
  bool non_numeric = false;
  size_t label = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    unsigned char c = i < name.size() ? static_cast<unsigned char>(name[i]) : '.';
    if (c == '.') {
      if (label == 0 || label > 63 || name[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    if (label == 0 && c == '-') return false;
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (letter || c == '-' || c == '_' || (c >= 0x80 && allow_utf8)) {
      non_numeric = true;
    } else if (c < '0' || c > '9') {
      return false;
    }
    ++label;
  }
  return non_numeric;
}

}  // namespace util

#include "cleanup/headers.h"

#include <algorithm>
#include <cctype>

#include "global/address.h"
#include "util/strings.h"

namespace cleanup {
namespace {

constexpr HeaderInfo kHeaders[] = {
    {"Apparently-To", HeaderId::kOther, kHdrRecipient},
    {"Bcc", HeaderId::kBcc, kHdrRecipient | kHdrExtract},
    {"Cc", HeaderId::kCc, kHdrRecipient | kHdrExtract},
    {"Date", HeaderId::kDate, 0},
    {"Disposition-Notification-To", HeaderId::kOther, kHdrSender},
    {"Errors-To", HeaderId::kOther, kHdrSender},
    {"From", HeaderId::kFrom, kHdrSender},
    {"Mail-Followup-To", HeaderId::kOther, kHdrSender},
    {"Message-Id", HeaderId::kMessageId, 0},
    {"Received", HeaderId::kReceived, 0},
    {"Reply-To", HeaderId::kOther, kHdrSender},
    {"Resent-Bcc", HeaderId::kResentBcc, kHdrRecipient | kHdrExtract | kHdrResent},
    {"Resent-Cc", HeaderId::kResentCc, kHdrRecipient | kHdrExtract | kHdrResent},
    {"Resent-Date", HeaderId::kResentDate, kHdrResent},
    {"Resent-From", HeaderId::kResentFrom, kHdrSender | kHdrResent},
    {"Resent-Message-Id", HeaderId::kResentMessageId, kHdrResent},
    {"Resent-Reply-To", HeaderId::kOther, kHdrRecipient | kHdrResent},
    {"Resent-Sender", HeaderId::kOther, kHdrSender | kHdrResent},
    {"Resent-To", HeaderId::kResentTo, kHdrRecipient | kHdrExtract | kHdrResent},
    {"Return-Receipt-To", HeaderId::kOther, kHdrSender},
    {"Sender", HeaderId::kOther, kHdrSender},
    {"To", HeaderId::kTo, kHdrRecipient | kHdrExtract},
};

// Index just past the quoted string, comment or domain literal starting at i.
size_t SkipQuoted(std::string_view v, size_t i) {
  for (++i; i < v.size() && v[i] != '"'; ++i) {
    if (v[i] == '\\') ++i;
  }
  return i < v.size() ? i + 1 : v.size();
}

size_t SkipComment(std::string_view v, size_t i) {
  int depth = 0;
  for (; i < v.size(); ++i) {
    if (v[i] == '\\') {
      ++i;
    } else if (v[i] == '(') {
      ++depth;
    } else if (v[i] == ')' && --depth == 0) {
      return i + 1;
    }
  }
  return v.size();
}

size_t SkipLiteral(std::string_view v, size_t i) {
  size_t end = v.find(']', i);
  return end == std::string_view::npos ? v.size() : end + 1;
}

// The bare addr-spec of [b, e): from the first to the last byte that is
// neither white space nor part of a comment.
void AddBare(std::string_view v, size_t b, size_t e, std::vector<Span>* out) {
  size_t first = std::string_view::npos, last = 0;
  size_t i = b;
  while (i < e) {
    char c = v[i];
    if (util::IsSpace(c)) {
      ++i;
      continue;
    }
    if (c == '(') {
      i = SkipComment(v, i);
      continue;
    }
    size_t next = c == '"' ? SkipQuoted(v, i) : c == '[' ? SkipLiteral(v, i) : i + 1;
    if (next > e) next = e;
    if (first == std::string_view::npos) first = i;
    last = next;
    i = next;
  }
  if (first != std::string_view::npos) out->push_back({first, last});
}

std::string StripComments(std::string_view v) {
  std::string out;
  size_t i = 0;
  while (i < v.size()) {
    if (v[i] == '(') {
      i = SkipComment(v, i);
    } else if (v[i] == '"') {
      size_t next = SkipQuoted(v, i);
      out.append(v.substr(i, next - i));
      i = next;
    } else {
      out += v[i++];
    }
  }
  return std::string(util::Trim(out));
}

}  // namespace

HeaderInfo FindHeader(std::string_view name) {
  for (const HeaderInfo& h : kHeaders) {
    if (util::EqualsIgnoreCase(h.name, name)) return h;
  }
  if (name.size() > 7 && util::EqualsIgnoreCase(name.substr(0, 7), "Resent-"))
    return {"", HeaderId::kOther, kHdrResent};
  return {"", HeaderId::kOther, 0};
}

std::vector<Span> FindAddressSpans(std::string_view v) {
  std::vector<Span> out;
  size_t seg = 0;
  bool angle = false;
  size_t i = 0;
  for (;;) {
    if (i >= v.size() || v[i] == ',' || v[i] == ';') {
      if (!angle) AddBare(v, seg, std::min(i, v.size()), &out);
      if (i >= v.size()) break;
      seg = ++i;
      angle = false;
      continue;
    }
    char c = v[i];
    if (c == '"') {
      i = SkipQuoted(v, i);
    } else if (c == '(') {
      i = SkipComment(v, i);
    } else if (c == '[') {
      i = SkipLiteral(v, i);
    } else if (c == ':' && !angle) {
      seg = ++i;  // "group name:" - the members follow
    } else if (c == '<') {
      size_t j = i + 1;
      while (j < v.size() && v[j] != '>') j = v[j] == '"' ? SkipQuoted(v, j) : j + 1;
      size_t b = i + 1, e = std::min(j, v.size());
      while (b < e && util::IsSpace(v[b])) ++b;
      while (e > b && util::IsSpace(v[e - 1])) --e;
      if (e > b) out.push_back({b, e});
      angle = true;
      i = j < v.size() ? j + 1 : j;
    } else {
      ++i;
    }
  }
  return out;
}

std::string RewriteAddresses(std::string_view value,
                             const std::function<std::string(const std::string&)>& fn) {
  std::string out;
  size_t pos = 0;
  for (const Span& s : FindAddressSpans(value)) {
    std::string external = StripComments(value.substr(s.begin, s.end - s.begin));
    std::string internal = address::Unquote(external);
    std::string mapped = fn(internal);
    out.append(value.substr(pos, s.begin - pos));
    if (mapped == internal) {
      out.append(value.substr(s.begin, s.end - s.begin));
    } else {
      out += address::Quote(mapped);
    }
    pos = s.end;
  }
  out.append(value.substr(pos));
  return out;
}

std::string MessageIdText(time_t when, std::string_view queue_id, std::string_view hostname) {
  struct tm gt;
  gmtime_r(&when, &gt);
  char buf[32];
  strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &gt);
  return std::string(buf) + "." + std::string(queue_id) + "@" + std::string(hostname);
}

std::string FromHeaderValue(std::string_view address, std::string_view full_name,
                            bool obsolete_format) {
  if (full_name.empty()) return std::string(address);
  if (obsolete_format) {
    std::string comment;
    for (char c : full_name) {
      if (c == '(' || c == ')' || c == '\\') comment += '\\';
      comment += c;
    }
    return std::string(address) + " (" + comment + ")";
  }
  bool plain = true;
  for (char c : full_name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ' ' ||
          std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos) &&
        static_cast<unsigned char>(c) < 0x80)
      plain = false;
  }
  std::string phrase;
  if (plain) {
    phrase = full_name;
  } else {
    phrase = "\"";
    for (char c : full_name) {
      if (c == '"' || c == '\\') phrase += '\\';
      phrase += c;
    }
    phrase += '"';
  }
  return phrase + " <" + std::string(address) + ">";
}

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    size_t nl = text.find('\n', pos);
    out.emplace_back(text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos));
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

}  // namespace cleanup

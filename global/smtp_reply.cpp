// smtp_reply: see smtp_reply.h.
#include "global/smtp_reply.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace smtp_reply {
namespace {

constexpr size_t kMaxLine = 4096;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// An enhanced status code "C.S.D" at the start of `text` (C in 2,4,5;
// S and D 1-3 digits), followed by a space or the end.
bool LeadingDsn(std::string_view text, std::string* dsn) {
  size_t i = 0;
  if (text.empty() || (text[0] != '2' && text[0] != '4' && text[0] != '5')) return false;
  i = 1;
  for (int part = 0; part < 2; part++) {
    if (i >= text.size() || text[i] != '.') return false;
    i++;
    size_t start = i;
    while (i < text.size() && IsDigit(text[i]) && i - start < 3) i++;
    if (i == start) return false;
  }
  if (i < text.size() && text[i] != ' ') return false;
  *dsn = std::string(text.substr(0, i));
  return true;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool ParseLine(std::string_view line, int* code, bool* last, std::string* dsn) {
  if (line.size() < 3 || !IsDigit(line[0]) || !IsDigit(line[1]) || !IsDigit(line[2])) return false;
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return false;
  *code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  *last = line.size() == 3 || line[3] == ' ';
  dsn->clear();
  if (line.size() > 4) {
    std::string d;
    if (LeadingDsn(line.substr(4), &d) && d[0] == line[0]) *dsn = d;
  }
  return true;
}

std::string Reply::Text() const {
  std::string out;
  for (const std::string& l : lines) {
    if (!out.empty()) out += ' ';
    out += l;
  }
  return out;
}

std::string Reply::DsnOr(std::string_view fallback) const {
  if (!dsn.empty()) return dsn;
  std::string d(fallback);
  if (!d.empty() && code >= 200 && code < 600) d[0] = static_cast<char>('0' + code / 100);
  return d;
}

util::Status Read(util::Stream& in, Reply* reply, size_t max_lines) {
  reply->code = 0;
  reply->dsn.clear();
  reply->lines.clear();
  for (;;) {
    std::string line;
    util::Status st = in.ReadLine(&line, kMaxLine);
    if (!st.ok() && st.code() != util::Code::kResourceExhausted) return st;
    int code = 0;
    bool last = false;
    std::string dsn;
    if (!ParseLine(line, &code, &last, &dsn))
      return util::InvalidArgument("malformed reply: " + line.substr(0, 100));
    if (reply->lines.empty()) {
      reply->code = code;
      reply->dsn = dsn;
    } else if (code != reply->code) {
      return util::InvalidArgument("malformed reply: code changed in multi-line reply");
    }
    reply->lines.push_back(std::move(line));
    if (last) return util::OkStatus();
    if (reply->lines.size() >= max_lines) return util::ResourceExhausted("reply too long");
  }
}

Ehlo ParseEhlo(const Reply& reply) {
  Ehlo e;
  for (size_t i = 1; i < reply.lines.size(); i++) {
    std::string_view text = reply.lines[i];
    text.remove_prefix(std::min<size_t>(4, text.size()));
    // Keyword, then parameters separated by spaces (AUTH=X Y for old servers).
    std::vector<std::string> words;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t sp = text.find(' ', pos);
      if (sp == std::string_view::npos) sp = text.size();
      if (sp > pos) words.emplace_back(text.substr(pos, sp - pos));
      pos = sp + 1;
    }
    if (words.empty()) continue;
    std::string kw = Upper(words[0]);
    if (kw.rfind("AUTH=", 0) == 0) {
      words[0] = words[0].substr(5);
      for (const std::string& w : words)
        if (!w.empty()) e.auth_mechanisms.push_back(Upper(w));
      continue;
    }
    e.keywords.insert(kw);
    if (kw == "PIPELINING")
      e.pipelining = true;
    else if (kw == "8BITMIME")
      e.eight_bit_mime = true;
    else if (kw == "SMTPUTF8")
      e.smtputf8 = true;
    else if (kw == "DSN")
      e.dsn = true;
    else if (kw == "STARTTLS")
      e.starttls = true;
    else if (kw == "SIZE") {
      e.size = true;
      if (words.size() > 1) e.size_limit = std::strtoll(words[1].c_str(), nullptr, 10);
      if (e.size_limit < 0) e.size_limit = 0;
    } else if (kw == "AUTH") {
      for (size_t w = 1; w < words.size(); w++) e.auth_mechanisms.push_back(Upper(words[w]));
    } else if (kw == "XFORWARD") {
      for (size_t w = 1; w < words.size(); w++) e.xforward.insert(Upper(words[w]));
    }
  }
  return e;
}

std::string XText(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 33 || c > 126 || c == '+' || c == '=') {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "+%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> XTextDecode(std::string_view text) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;  // RFC 3461: upper-case hex only
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c < '!' || c > '~' || c == '=') return std::nullopt;
    if (c != '+') {
      out += c;
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace smtp_reply

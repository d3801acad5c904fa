#include "tables/table_syntax.h"

#include <sys/stat.h>

#include "util/files.h"
#include "util/strings.h"

namespace tables {

std::vector<LogicalLine> SplitLogicalLines(std::string_view text, std::string_view filename,
                                           std::vector<std::string>* warnings) {
  std::vector<LogicalLine> out;
  bool open = false;  // the last logical line may still be continued
  int lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view trimmed = util::Trim(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    if (util::IsSpace(line.front())) {
      if (open) {
        out.back().text.append(line);
      } else if (warnings) {
        warnings->push_back(
            util::StrFormat("%.*s: logical line must not start with whitespace: \"%.*s\"",
                            static_cast<int>(filename.size()), filename.data(),
                            static_cast<int>(line.size()), line.data()));
      }
      continue;
    }
    out.push_back({lineno, std::string(line)});
    open = true;
  }
  for (LogicalLine& l : out) {
    while (!l.text.empty() && util::IsSpace(l.text.back())) l.text.pop_back();
  }
  return out;
}

FileStamp FileStamp::Of(const std::string& path) {
  FileStamp s;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = static_cast<unsigned long long>(st.st_size);
  s.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return s;
}

util::StatusOr<std::vector<LogicalLine>> ReadLogicalLines(const std::string& path,
                                                          std::vector<std::string>* warnings,
                                                          FileStamp* stamp) {
  if (stamp) *stamp = FileStamp::Of(path);
  util::StatusOr<std::string> text = util::ReadFile(path, kMaxTableFileSize);
  if (!text.ok()) return text.status();
  return SplitLogicalLines(*text, path, warnings);
}

util::StatusOr<std::vector<LogicalLine>> ReadLogicalLines(const std::string& path,
                                                          std::vector<std::string>* warnings) {
  return ReadLogicalLines(path, warnings, nullptr);
}

std::optional<std::string_view> StripBraces(std::string_view s) {
  s = util::Trim(s);
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return std::nullopt;
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0 && i != s.size() - 1) return std::nullopt;  // "{a} {b}"
  }
  if (depth != 0) return std::nullopt;
  return util::Trim(s.substr(1, s.size() - 2));
}

util::StatusOr<std::vector<std::string>> SplitBracedList(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth == 0) return util::InvalidArgument("extra '}'");
      --depth;
    } else if (depth == 0 && (c == ',' || util::IsSpace(c))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    cur.push_back(c);
  }
  if (depth != 0) return util::InvalidArgument("missing '}'");
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace tables

// table_syntax: the text syntax shared by the non-indexed table types and
// by table lists: logical lines of table source files, and "{ ... }" groups.
//
// Logical lines (Postfix's readllines, used by postmap input, texthash:,
// regexp:, pcre:, cidr:): a line whose first non-blank character is '#' is
// a comment and a line of only white space is blank; both are skipped and
// do not end a logical line. A line that begins with white space continues
// the previous logical line (the newline is dropped, the leading white space
// kept). A continuation with no logical line before it is dropped with the
// warning "FILE: logical line must not start with whitespace: \"...\"".
//
//   std::vector<std::string> warnings;
//   auto lines = tables::ReadLogicalLines("/etc/postfix/virtual", &warnings);
//   for (const tables::LogicalLine& l : *lines) use(l.line, l.text);
//
// File stamps: a table read into memory at open remembers its file's
// identity (device, inode, size, modification time) so that Changed() can
// tell a long-running process to reopen it.
//
// Braces (Postfix's extpar/mystrtokq): "{ text }" is one item whose text is
// the inside with surrounding white space removed; commas and white space
// inside braces never split a list:
//
//   SplitBracedList("inline:{a=b, {c = d e}}, static:x")
//     -> {"inline:{a=b, {c = d e}}", "static:x"}
//   StripBraces("{ c = d e }") -> "c = d e"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace tables {

struct LogicalLine {
  int line = 0;      // number of its first physical line
  std::string text;  // without the final newline
};

// Largest table source file read into memory.
inline constexpr size_t kMaxTableFileSize = 256u << 20;

// Splits `text` into logical lines; `filename` only names the file in
// warnings, which are appended to *warnings (may be null).
std::vector<LogicalLine> SplitLogicalLines(std::string_view text, std::string_view filename,
                                           std::vector<std::string>* warnings);

// Reads a file and splits it. A missing file is kNotFound "open FILE: No
// such file or directory"; other errors as util::ReadFile gives them.
util::StatusOr<std::vector<LogicalLine>> ReadLogicalLines(const std::string& path,
                                                          std::vector<std::string>* warnings);

// The identity of a file; a file that cannot be stat()ed has a zero stamp.
struct FileStamp {
  unsigned long long dev = 0, ino = 0, size = 0;
  long long mtime_ns = 0;
  static FileStamp Of(const std::string& path);
  bool operator==(const FileStamp&) const = default;
};

// Reads `path` and its stamp (taken before reading, so a change during the
// read shows at the next check).
util::StatusOr<std::vector<LogicalLine>> ReadLogicalLines(const std::string& path,
                                                          std::vector<std::string>* warnings,
                                                          FileStamp* stamp);

// When `s` (after trimming) is "{...}" with balanced braces, the inside with
// white space trimmed; otherwise nullopt.
std::optional<std::string_view> StripBraces(std::string_view s);

// Splits on commas and white space outside braces, dropping empty items.
// Unbalanced braces are kInvalidArgument "missing '}'" or "extra '}'".
util::StatusOr<std::vector<std::string>> SplitBracedList(std::string_view s);

}  // namespace tables

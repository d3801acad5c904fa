// cf_file: the syntax of main.cf and of every file written like it
// (mysql_table(5) .cf files, ...), parsed and edited without interpreting
// values. No mail knowledge: global/config gives main.cf its meaning.
//
// Rules (postconf(5)): `name = value` lines; a line whose first non-blank
// character is `#` is a comment; blank lines are ignored; a line that
// begins with white space continues the previous logical line (joined with
// one space); white space around `=` and at the end of values is dropped;
// a name defined twice keeps the last value (with a warning). `#` after a
// value is part of the value, as in Postfix.
//
//   std::vector<std::string> warnings;
//   auto cf = util::CfFile::Parse(text, "/etc/postfix/main.cf", &warnings);
//   if (!cf.ok()) fatal(cf.status().message());   // "FILE, line N: ..."
//   for (const auto& e : cf->entries()) ...         // in file order
//
// Editing (postconf -e/-X/-#) works on the text so that comments and layout
// are kept: Edit() returns the new file text, which the caller writes with
// util::AtomicReplace.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace util {

// Configuration files larger than this are refused rather than read.
inline constexpr size_t kMaxConfigFileSize = 16 << 20;

struct CfEntry {
  std::string name;
  std::string value;
  int line = 0;  // line number of the definition's first physical line
};

class CfFile {
 public:
  CfFile() = default;

  // Parses main.cf text. Fatal syntax errors return kFailedPrecondition with
  // "FILENAME, line N: ..."; recoverable oddities are appended to *warnings.
  static StatusOr<CfFile> Parse(std::string_view text, const std::string& filename,
                                std::vector<std::string>* warnings);
  // Reads and parses a file. A missing file is kNotFound ("open FILE: ...").
  static StatusOr<CfFile> Load(const std::string& path, std::vector<std::string>* warnings);

  // Every definition in file order (a name redefined appears once, with the
  // last value and line).
  const std::vector<CfEntry>& entries() const { return entries_; }
  const CfEntry* Find(std::string_view name) const;
  const std::string& filename() const { return filename_; }

  enum class EditOp { kSet, kRemove, kCommentOut };
  struct Edit {
    EditOp op;
    std::string name;
    std::string value;  // for kSet
  };
  // Applies edits to main.cf text: kSet replaces the (last) logical line of
  // the name with "name = value" or appends it; kRemove deletes the logical
  // line(s); kCommentOut prefixes them with '#'. Earlier duplicate
  // definitions of a set name are removed so the file stays unambiguous.
  static std::string ApplyEdits(std::string_view text, const std::vector<Edit>& edits);

 private:
  std::string filename_;
  std::vector<CfEntry> entries_;
  std::map<std::string, size_t, std::less<>> index_;
};

// Parses "name=value" / "name = value" as given to postconf -e or master.cf
// -o; nullopt when there is no '=' or the name is empty.
std::optional<std::pair<std::string, std::string>> SplitAssignment(std::string_view text);

}  // namespace util

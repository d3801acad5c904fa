// texthash:/file — a postmap(1) source file read into memory when the table
// is opened (Postfix's dict_thash): no .db file. Lines are "key whitespace
// value" with comments, blank lines and continuation lines (table_syntax.h).
// Keys are folded with kFoldFixed. Warnings, logged with msg::Warn at open:
//   FILE, line N: expected format: key whitespace value -- ignoring this line
//   FILE, line N: duplicate entry: "KEY"      (the first value is kept;
//                  kDupReplace keeps the last, kDupIgnore says nothing)
// A missing file is an open error ("open FILE: No such file or directory").
// Changed() is true once the file's identity, size or mtime differs.
#include <map>
#include <memory>

#include "tables/memory_table.h"
#include "tables/table_syntax.h"
#include "tables/types.h"
#include "util/msg.h"
#include "util/strings.h"

namespace tables {
namespace {

class TexthashTable : public MemoryTable {
 public:
  TexthashTable(std::string_view name, unsigned flags)
      : MemoryTable("texthash", std::string(name), flags) {}

  util::Status Load() {
    std::vector<std::string> warnings;
    util::StatusOr<std::vector<LogicalLine>> lines = ReadLogicalLines(name(), &warnings, &stamp_);
    if (!lines.ok()) return lines.status();
    for (const LogicalLine& l : *lines) {
      std::string_view text = l.text;
      size_t end = 0;
      while (end < text.size() && !util::IsSpace(text[end])) ++end;
      std::string_view key = text.substr(0, end);
      std::string_view value = util::Trim(text.substr(end));
      if (value.empty()) {
        warnings.push_back(util::StrFormat(
            "%s, line %d: expected format: key whitespace value -- ignoring this line",
            name().c_str(), l.line));
        continue;
      }
      std::string k = FoldKey(key);
      auto [it, inserted] = entries_.emplace(k, std::string(value));
      if (!inserted) {
        if (flags() & kDupReplace) {
          it->second = std::string(value);
        } else if (!(flags() & kDupIgnore)) {
          warnings.push_back(util::StrFormat("%s, line %d: duplicate entry: \"%s\"", name().c_str(),
                                             l.line, k.c_str()));
        }
      }
    }
    for (const std::string& w : warnings) msg::Warn("%s", w.c_str());
    return util::OkStatus();
  }

  bool Changed() const override { return !(FileStamp::Of(name()) == stamp_); }

 private:
  FileStamp stamp_;
};

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenTexthash(std::string_view name,
                                                    const OpenOptions& options) {
  auto t = std::make_unique<TexthashTable>(name, options.flags);
  if (util::Status s = t->Load(); !s.ok()) return s;
  return std::unique_ptr<Table>(std::move(t));
}

}  // namespace tables

// regexp:/file — regexp_table(5) with POSIX regular expressions (regcomp
// with REG_EXTENDED). The file format is in pattern_table.h. Flags toggle:
//   i  case-insensitive matching (REG_ICASE), on by default
//   x  extended syntax (REG_EXTENDED), on by default
//   m  multi-line mode (REG_NEWLINE), off by default
#include <regex.h>

#include <memory>

#include "tables/pattern_table.h"
#include "tables/types.h"
#include "util/strings.h"

namespace tables {
namespace {

class PosixPattern : public CompiledPattern {
 public:
  PosixPattern() = default;
  ~PosixPattern() override {
    if (compiled_) regfree(&re_);
  }

  util::Status Compile(const std::string& pattern, int cflags) {
    int rc = regcomp(&re_, pattern.c_str(), cflags);
    if (rc != 0) {
      char buf[256];
      regerror(rc, &re_, buf, sizeof(buf));
      return util::InvalidArgument(buf);
    }
    compiled_ = true;
    return util::OkStatus();
  }

  int groups() const override { return static_cast<int>(re_.re_nsub); }

  util::StatusOr<bool> Match(const std::string& subject,
                             std::vector<std::pair<long, long>>* spans) const override {
    std::vector<regmatch_t> m(re_.re_nsub + 1);
    int rc = regexec(&re_, subject.c_str(), m.size(), m.data(), 0);
    if (rc == REG_NOMATCH) return false;
    if (rc != 0) {
      char buf[256];
      regerror(rc, &re_, buf, sizeof(buf));
      return util::Unavailable(std::string("regexec: ") + buf);
    }
    spans->assign(m.size(), {-1, -1});
    for (size_t i = 0; i < m.size(); ++i) {
      if (m[i].rm_so >= 0) (*spans)[i] = {m[i].rm_so, m[i].rm_eo};
    }
    return true;
  }

 private:
  regex_t re_{};
  bool compiled_ = false;
};

util::StatusOr<std::unique_ptr<CompiledPattern>> CompilePosix(const std::string& pattern,
                                                              std::string_view flags,
                                                              std::vector<std::string>*) {
  int cflags = REG_EXTENDED | REG_ICASE;
  for (char c : flags) {
    switch (c) {
      case 'i':
        cflags ^= REG_ICASE;
        break;
      case 'x':
        cflags ^= REG_EXTENDED;
        break;
      case 'm':
        cflags ^= REG_NEWLINE;
        break;
      default:
        return util::InvalidArgument(
            util::StrFormat("unknown regexp option \"%c\": skipping this rule", c));
    }
  }
  auto re = std::make_unique<PosixPattern>();
  if (util::Status s = re->Compile(pattern, cflags); !s.ok()) return s;
  return std::unique_ptr<CompiledPattern>(std::move(re));
}

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenRegexp(std::string_view name,
                                                  const OpenOptions& options) {
  return OpenPatternTable("regexp", name, options, &CompilePosix);
}

}  // namespace tables

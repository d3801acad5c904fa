// pcre:/file — pcre_table(5) with PCRE2 (libpcre2-8). The file format is in
// pattern_table.h. Flags toggle (default off unless said):
//   i  case-insensitive (PCRE2_CASELESS), on by default
//   m  multi-line (PCRE2_MULTILINE)      s  dot matches newline (PCRE2_DOTALL)
//   x  extended syntax (PCRE2_EXTENDED)  A  anchored (PCRE2_ANCHORED)
//   E  $ matches only at the end (PCRE2_DOLLAR_ENDONLY)
//   U  ungreedy (PCRE2_UNGREEDY)         u  UTF-8 mode (PCRE2_UTF)
//   X  PCRE1's "extra": obsolete with PCRE2; warned about and ignored
// A compile error is "error in regex at offset N: MESSAGE"; a matcher error
// (match limit exceeded) is a temporary error for that lookup.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>

#include "tables/pattern_table.h"
#include "tables/types.h"
#include "util/strings.h"

namespace tables {
namespace {

std::string PcreMessage(int code) {
  PCRE2_UCHAR buf[256];
  if (pcre2_get_error_message(code, buf, sizeof(buf)) < 0) return util::StrFormat("error %d", code);
  return reinterpret_cast<const char*>(buf);
}

class Pcre2Pattern : public CompiledPattern {
 public:
  explicit Pcre2Pattern(pcre2_code* code) : code_(code) {
    uint32_t n = 0;
    pcre2_pattern_info(code_, PCRE2_INFO_CAPTURECOUNT, &n);
    groups_ = static_cast<int>(n);
    data_ = pcre2_match_data_create_from_pattern(code_, nullptr);
  }
  ~Pcre2Pattern() override {
    pcre2_match_data_free(data_);
    pcre2_code_free(code_);
  }

  int groups() const override { return groups_; }

  util::StatusOr<bool> Match(const std::string& subject,
                             std::vector<std::pair<long, long>>* spans) const override {
    int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0,
                         data_, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    if (rc < 0) return util::Unavailable("matcher error: " + PcreMessage(rc));
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data_);
    uint32_t pairs = pcre2_get_ovector_count(data_);
    spans->assign(groups_ + 1, {-1, -1});
    for (uint32_t i = 0; i < pairs && i <= static_cast<uint32_t>(groups_); ++i) {
      if (ov[2 * i] != PCRE2_UNSET)
        (*spans)[i] = {static_cast<long>(ov[2 * i]), static_cast<long>(ov[2 * i + 1])};
    }
    return true;
  }

 private:
  pcre2_code* code_;
  pcre2_match_data* data_;
  int groups_ = 0;
};

util::StatusOr<std::unique_ptr<CompiledPattern>> CompilePcre(const std::string& pattern,
                                                             std::string_view flags,
                                                             std::vector<std::string>* warnings) {
  uint32_t options = PCRE2_CASELESS;
  for (char c : flags) {
    switch (c) {
      case 'i':
        options ^= PCRE2_CASELESS;
        break;
      case 'm':
        options ^= PCRE2_MULTILINE;
        break;
      case 's':
        options ^= PCRE2_DOTALL;
        break;
      case 'x':
        options ^= PCRE2_EXTENDED;
        break;
      case 'A':
        options ^= PCRE2_ANCHORED;
        break;
      case 'E':
        options ^= PCRE2_DOLLAR_ENDONLY;
        break;
      case 'U':
        options ^= PCRE2_UNGREEDY;
        break;
      case 'u':
        options ^= PCRE2_UTF;
        break;
      case 'X':
        warnings->push_back("ignoring obsolete regexp option \"X\"");
        break;
      default:
        return util::InvalidArgument(
            util::StrFormat("unknown regexp option \"%c\": skipping this rule", c));
    }
  }
  int err = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &err, &offset, nullptr);
  if (!code)
    return util::InvalidArgument(util::StrFormat(
        "error in regex at offset %zu: %s", static_cast<size_t>(offset), PcreMessage(err).c_str()));
  return std::unique_ptr<CompiledPattern>(new Pcre2Pattern(code));
}

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenPcre(std::string_view name, const OpenOptions& options) {
  return OpenPatternTable("pcre", name, options, &CompilePcre);
}

}  // namespace tables

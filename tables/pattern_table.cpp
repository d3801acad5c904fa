#include "tables/pattern_table.h"

#include <cctype>

#include "util/msg.h"
#include "util/strings.h"

namespace tables {
namespace {

// A piece of a result: literal text, or a group reference (group >= 1).
struct Segment {
  std::string text;
  int group = 0;
};

struct Rule {
  enum class Kind { kMatch, kIf };
  Kind kind = Kind::kMatch;
  int line = 0;
  bool negate = false;
  std::unique_ptr<CompiledPattern> re;
  std::vector<Segment> result;
  size_t skip_to = 0;  // kIf: index of the first rule after its endif
};

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Parses $n references in `text` into *out. A non-OK result skips the rule
// (its message is the last warning); *notes get the warnings before it.
util::Status ParseResult(std::string_view text, int groups, bool negate, bool no_regsub,
                         std::vector<Segment>* out, std::vector<std::string>* notes) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const util::Status bad = util::InvalidArgument("bad replacement syntax: skipping this rule");
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      literal.push_back(text[i]);
      continue;
    }
    if (i + 1 >= text.size()) {
      notes->push_back("empty macro name: " + quoted);
      return bad;
    }
    char c = text[i + 1];
    if (c == '$') {
      literal.push_back('$');
      ++i;
      continue;
    }
    std::string name;
    if (c == '{' || c == '(') {
      char close = c == '{' ? '}' : ')';
      size_t end = i + 2;
      for (int depth = 1; end < text.size(); ++end) {
        if (text[end] == c) ++depth;
        if (text[end] == close && --depth == 0) break;
      }
      if (end >= text.size()) {
        notes->push_back("truncated macro reference: " + quoted);
        return bad;
      }
      name = std::string(text.substr(i + 2, end - i - 2));
      i = end;
    } else {
      size_t j = i + 1;
      while (j < text.size() && (IsAlnum(text[j]) || text[j] == '_')) ++j;
      name = std::string(text.substr(i + 1, j - i - 1));
      if (name.empty()) {
        notes->push_back("empty macro name: " + quoted);
        return bad;
      }
      i = j - 1;
    }
    bool numeric = !name.empty();
    for (char d : name) numeric = numeric && std::isdigit(static_cast<unsigned char>(d));
    if (!numeric) {
      notes->push_back("non-numeric replacement index \"" + name + "\"");
      return bad;
    }
    if (negate)
      return util::InvalidArgument(
          "$number found in negative match replacement text: skipping this rule");
    if (no_regsub)
      return util::InvalidArgument(
          "regular expression substitution is not allowed: skipping this rule");
    int n = name.size() > 3 ? 1000 : std::stoi(name);
    if (n == 0) {
      notes->push_back("out-of-range replacement index \"" + name + "\"");
      return bad;
    }
    if (n > groups)
      return util::InvalidArgument("out of range replacement index \"" + name +
                                   "\": skipping this rule");
    if (!literal.empty()) out->push_back({std::move(literal), 0});
    literal.clear();
    out->push_back({{}, n});
  }
  if (!literal.empty() || out->empty()) out->push_back({std::move(literal), 0});
  return util::OkStatus();
}

class PatternTable : public Table {
 public:
  PatternTable(std::string_view type, std::string_view name, unsigned flags)
      : Table(std::string(type), std::string(name), flags) {}

  util::Status Load(PatternCompiler compiler) {
    std::vector<std::string> warnings;
    util::StatusOr<std::vector<LogicalLine>> lines = ReadLogicalLines(name(), &warnings, &stamp_);
    if (!lines.ok()) return lines.status();
    for (const std::string& w : warnings) msg::Warn("%s", w.c_str());
    std::vector<size_t> open_ifs;
    for (const LogicalLine& l : *lines) {
      auto warn = [&](const std::string& text) {
        msg::Warn("%s map %s, line %d: %s", type().c_str(), name().c_str(), l.line, text.c_str());
      };
      std::string_view p = l.text;
      Rule rule;
      rule.line = l.line;
      if (!p.empty() && IsAlnum(p.front())) {
        size_t end = 0;
        while (end < p.size() && IsAlnum(p[end])) ++end;
        std::string keyword = util::Lowercase(p.substr(0, end));
        p = util::TrimLeft(p.substr(end));
        if (keyword == "endif") {
          if (!p.empty()) warn("ignoring extra text after ENDIF");
          if (open_ifs.empty()) {
            warn("ignoring ENDIF without matching IF");
            continue;
          }
          rules_[open_ifs.back()].skip_to = rules_.size();
          open_ifs.pop_back();
          continue;
        }
        if (keyword != "if") {
          warn("ignoring unrecognized request");
          continue;
        }
        if (p.empty()) {
          warn("no regexp: skipping this rule");
          continue;
        }
        rule.kind = Rule::Kind::kIf;
      }
      if (!p.empty() && p.front() == '!') {
        rule.negate = true;
        p = util::TrimLeft(p.substr(1));
      }
      if (p.empty() || IsAlnum(p.front())) {
        warn(rule.kind == Rule::Kind::kIf ? "no regexp: skipping this rule"
                                          : "ignoring unrecognized request");
        continue;
      }
      char delim = p.front();
      size_t i = 1;
      std::string pattern;
      for (; i < p.size() && p[i] != delim; ++i) {
        if (p[i] == '\\' && i + 1 < p.size()) pattern.push_back(p[i++]);
        pattern.push_back(p[i]);
      }
      if (i >= p.size()) {
        warn(util::StrFormat("no closing regexp delimiter \"%c\": skipping this rule", delim));
        continue;
      }
      size_t fend = i + 1;
      while (fend < p.size() && !util::IsSpace(p[fend])) ++fend;
      std::string_view rule_flags = p.substr(i + 1, fend - i - 1);
      std::string_view result = util::Trim(p.substr(fend));
      std::vector<std::string> notes;
      util::StatusOr<std::unique_ptr<CompiledPattern>> re = compiler(pattern, rule_flags, &notes);
      for (const std::string& n : notes) warn(n);
      if (!re.ok()) {
        warn(re.status().message());
        continue;
      }
      rule.re = std::move(*re);
      if (rule.kind == Rule::Kind::kIf) {
        if (!result.empty())
          warn("ignoring extra text after IF statement: \"" + std::string(result) + "\"");
        open_ifs.push_back(rules_.size());
        rules_.push_back(std::move(rule));
        continue;
      }
      if (result.empty()) warn("no replacement text: using empty string");
      notes.clear();
      util::Status st = ParseResult(result, rule.re->groups(), rule.negate,
                                    (flags() & kNoRegsub) != 0, &rule.result, &notes);
      for (const std::string& n : notes) warn(n);
      if (!st.ok()) {
        warn(st.message());
        continue;
      }
      rules_.push_back(std::move(rule));
    }
    for (auto it = open_ifs.rbegin(); it != open_ifs.rend(); ++it) {
      msg::Warn("%s map %s, line %d: IF has no matching ENDIF", type().c_str(), name().c_str(),
                rules_[*it].line);
      rules_[*it].skip_to = rules_.size();
    }
    return util::OkStatus();
  }

  LookupResult Lookup(std::string_view key_in) override {
    std::string key = (flags() & kFoldMul) ? util::Lowercase(key_in) : std::string(key_in);
    std::vector<std::pair<long, long>> spans;
    size_t i = 0;
    while (i < rules_.size()) {
      const Rule& r = rules_[i];
      util::StatusOr<bool> m = r.re->Match(key, &spans);
      if (!m.ok()) {
        std::string reason = util::StrFormat("%s map %s, line %d: %s", type().c_str(),
                                             name().c_str(), r.line, m.status().message().c_str());
        msg::Warn("%s", reason.c_str());
        return LookupResult::TempError(reason);
      }
      bool hit = *m != r.negate;
      if (r.kind == Rule::Kind::kIf) {
        i = hit ? i + 1 : r.skip_to;
        continue;
      }
      if (hit) {
        std::string value;
        for (const Segment& s : r.result) {
          if (s.group == 0) {
            value += s.text;
          } else if (static_cast<size_t>(s.group) < spans.size() && spans[s.group].first >= 0) {
            value.append(key, spans[s.group].first, spans[s.group].second - spans[s.group].first);
          }
        }
        return LookupResult::Found(std::move(value));
      }
      ++i;
    }
    return LookupResult::NotFound();
  }

  bool Changed() const override { return !(FileStamp::Of(name()) == stamp_); }

 private:
  std::vector<Rule> rules_;
  FileStamp stamp_;
};

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenPatternTable(std::string_view type,
                                                        std::string_view name,
                                                        const OpenOptions& options,
                                                        PatternCompiler compiler) {
  if (name.empty())
    return util::FailedPrecondition("open dictionary: expecting \"type:name\" form instead of \"" +
                                    std::string(type) + ":\"");
  auto t = std::make_unique<PatternTable>(type, name, options.flags);
  if (util::Status s = t->Load(compiler); !s.ok()) return s;
  return std::unique_ptr<Table>(std::move(t));
}

}  // namespace tables

#include "global/master_cf.h"

#include <algorithm>
#include <map>

#include "util/cf_file.h"
#include "util/files.h"
#include "util/strings.h"

namespace config {
namespace {

constexpr std::string_view kTypes[] = {"inet", "unix", "unix-dgram", "fifo", "pass"};

bool IsCommentOrBlank(std::string_view line) {
  std::string_view t = util::TrimLeft(line);
  return t.empty() || t.front() == '#';
}

bool ValidYesNo(std::string_view f) { return f == "y" || f == "n" || f == "-"; }

bool ValidNumber(std::string_view f, bool allow_question) {
  if (f == "-") return true;
  if (allow_question && !f.empty() && f.back() == '?') f.remove_suffix(1);
  auto n = util::ParseInt(f);
  return n && *n >= 0;
}

std::string StripBraces(std::string_view word) {
  if (word.size() >= 2 && word.front() == '{' && word.back() == '}')
    return std::string(util::Trim(word.substr(1, word.size() - 2)));
  return std::string(word);
}

}  // namespace

int MasterEntry::wakeup(bool* only_if_used) const {
  std::string_view f = wakeup_field;
  bool q = !f.empty() && f.back() == '?';
  if (q) f.remove_suffix(1);
  if (only_if_used) *only_if_used = q;
  if (f == "-") return 0;
  auto n = util::ParseInt(f);
  return n ? static_cast<int>(*n) : 0;
}

int MasterEntry::maxproc() const {
  if (maxproc_field == "-") return -1;
  auto n = util::ParseInt(maxproc_field);
  return n ? static_cast<int>(*n) : -1;
}

util::StatusOr<std::vector<std::string>> SplitMasterArgs(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && util::IsSpace(text[i])) ++i;
    if (i >= text.size()) break;
    size_t start = i;
    if (text[i] == '{') {
      int depth = 0;
      for (; i < text.size(); ++i) {
        if (text[i] == '{') ++depth;
        if (text[i] == '}' && --depth == 0) break;
      }
      if (i >= text.size())
        return util::InvalidArgument("missing '}' in \"" + std::string(text.substr(start)) + "\"");
      ++i;
      if (i < text.size() && !util::IsSpace(text[i]))
        return util::InvalidArgument("garbage after '}' in \"" + std::string(text.substr(start)) +
                                     "\"");
    } else {
      while (i < text.size() && !util::IsSpace(text[i])) ++i;
    }
    words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

util::StatusOr<MasterCf> MasterCf::Parse(std::string_view text, const std::string& filename,
                                         std::vector<std::string>* warnings) {
  (void)warnings;
  MasterCf cf;
  // Physical lines, then logical lines with continuations joined.
  std::vector<std::pair<std::string, int>> logical;
  int number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (IsCommentOrBlank(line)) continue;
    if (util::IsSpace(line.front())) {
      if (logical.empty())
        return util::FailedPrecondition(
            util::StrFormat("%s, line %d: continuation line without a service line: \"%s\"",
                            filename.c_str(), number, std::string(util::Trim(line)).c_str()));
      logical.back().first += ' ';
      logical.back().first += util::Trim(line);
      continue;
    }
    logical.emplace_back(std::string(util::TrimRight(line)), number);
  }

  static constexpr const char* kFieldNames[] = {"service name", "service type", "private",
                                                "unpriv",       "chroot",       "wakeup",
                                                "maxproc",      "command"};
  std::map<std::string, int> seen;
  for (const auto& [line, lineno] : logical) {
    auto fail = [&, lineno = lineno](const std::string& what) {
      return util::FailedPrecondition(
          util::StrFormat("%s, line %d: %s", filename.c_str(), lineno, what.c_str()));
    };
    auto words = SplitMasterArgs(line);
    if (!words.ok()) return fail(words.status().message());
    const std::vector<std::string>& w = *words;
    if (w.size() < 8)
      return fail(
          util::StrFormat("missing %s field in \"%s\"", kFieldNames[w.size()], line.c_str()));
    MasterEntry e;
    e.line = lineno;
    e.name = w[0];
    e.type = w[1];
    e.private_field = w[2];
    e.unpriv_field = w[3];
    e.chroot_field = w[4];
    e.wakeup_field = w[5];
    e.maxproc_field = w[6];
    e.command = w[7];
    bool type_ok = false;
    for (std::string_view t : kTypes) type_ok |= e.type == t;
    if (!type_ok) return fail("bad transport type: " + e.type);
    if (!ValidYesNo(e.private_field)) return fail("bad private field: " + e.private_field);
    if (!ValidYesNo(e.unpriv_field)) return fail("bad unprivileged field: " + e.unpriv_field);
    if (!ValidYesNo(e.chroot_field)) return fail("bad chroot field: " + e.chroot_field);
    if (!ValidNumber(e.wakeup_field, true)) return fail("bad wakeup time: " + e.wakeup_field);
    if (!ValidNumber(e.maxproc_field, false)) return fail("bad process limit: " + e.maxproc_field);
    if (e.name.empty() || e.name.front() == '{') return fail("bad service name: " + e.name);
    if (e.command.front() == '{') return fail("bad command name: " + e.command);
    for (size_t i = 8; i < w.size(); ++i) {
      const std::string& a = w[i];
      std::string assignment;
      if (a == "-o") {
        if (i + 1 >= w.size()) return fail("-o without name=value");
        assignment = StripBraces(w[++i]);
      } else if (a.size() > 2 && a.compare(0, 2, "-o") == 0) {
        assignment = StripBraces(std::string_view(a).substr(2));
      } else {
        e.args.push_back(StripBraces(a));
        e.words.push_back(a.front() == '{' ? "{" + e.args.back() + "}" : a);
        continue;
      }
      auto kv = util::SplitAssignment(assignment);
      if (!kv) return fail("bad -o parameter: \"" + assignment + "\": need name=value");
      e.overrides.push_back(*kv);
      e.words.push_back("-o");
      std::string norm = kv->first + "=" + kv->second;
      // Braced when it holds any character the word splitter splits at
      // (not only space and TAB: "\f" or "\r" inside a value too).
      bool spaces = std::any_of(norm.begin(), norm.end(), util::IsSpace);
      e.words.push_back(spaces ? "{" + norm + "}" : norm);
    }
    auto [it, inserted] = seen.emplace(e.key(), lineno);
    if (!inserted)
      return fail(
          util::StrFormat("duplicate service name and type: %s (first defined at "
                          "line %d)",
                          e.key().c_str(), it->second));
    cf.entries_.push_back(std::move(e));
  }
  return cf;
}

util::StatusOr<MasterCf> MasterCf::Load(const std::string& path,
                                        std::vector<std::string>* warnings) {
  auto text = util::ReadFile(path, util::kMaxConfigFileSize);
  if (!text.ok()) return text.status();
  return Parse(*text, path, warnings);
}

const MasterEntry* MasterCf::Find(std::string_view name, std::string_view type) const {
  for (const MasterEntry& e : entries_) {
    if (e.name == name && e.type == type) return &e;
  }
  return nullptr;
}

std::string FormatMasterEntry(const MasterEntry& e) {
  // Each field starts at a fixed column, as in master.cf's header; a field
  // that overflows pushes the next one right by at least one space, and
  // later fields return to their columns as soon as there is room.
  static constexpr size_t kColumns[] = {0, 11, 17, 25, 33, 41, 49, 57};
  const std::string* fields[] = {&e.name,          &e.type,         &e.private_field,
                                 &e.unpriv_field,  &e.chroot_field, &e.wakeup_field,
                                 &e.maxproc_field, &e.command};
  std::string out;
  for (size_t i = 0; i < 8; ++i) {
    if (i > 0) out += ' ';
    if (out.size() < kColumns[i]) out.append(kColumns[i] - out.size(), ' ');
    out += *fields[i];
  }
  for (const std::string& w : e.words) out += " " + w;
  return out;
}

}  // namespace config

#include "util/cf_file.h"

#include "util/files.h"
#include "util/strings.h"

namespace util {
namespace {

struct PhysicalLine {
  std::string_view text;
  int number;
};

std::vector<PhysicalLine> SplitLines(std::string_view text) {
  std::vector<PhysicalLine> lines;
  int n = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back({line, ++n});
    start = end + 1;
  }
  return lines;
}

bool IsCommentOrBlank(std::string_view line) {
  std::string_view t = TrimLeft(line);
  return t.empty() || t.front() == '#';
}

bool IsContinuation(std::string_view line) {
  return !line.empty() && IsSpace(line.front()) && !IsCommentOrBlank(line);
}

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (IsSpace(c) || c == '=') return false;
  }
  return true;
}

// The name a logical line defines, or empty: its first word, up to white
// space or '=' (a name never contains either, see ValidName), so that
// "name" alone on a line with "  = value" on the next is found, as Parse
// and Postfix's postconf find it.
std::string DefinedName(std::string_view first_line) {
  if (IsCommentOrBlank(first_line) || IsSpace(first_line.front())) return {};
  size_t end = 0;
  while (end < first_line.size() && !IsSpace(first_line[end]) && first_line[end] != '=') ++end;
  return std::string(first_line.substr(0, end));
}

}  // namespace

std::optional<std::pair<std::string, std::string>> SplitAssignment(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  std::string name(Trim(text.substr(0, eq)));
  if (!ValidName(name)) return std::nullopt;
  return std::make_pair(name, std::string(Trim(text.substr(eq + 1))));
}

StatusOr<CfFile> CfFile::Parse(std::string_view text, const std::string& filename,
                               std::vector<std::string>* warnings) {
  CfFile cf;
  cf.filename_ = filename;
  auto lines = SplitLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i].text;
    if (IsCommentOrBlank(line)) continue;
    if (IsSpace(line.front())) {
      warnings->push_back(
          StrFormat("%s, line %d: logical line must not start with "
                    "whitespace: \"%s\"",
                    filename.c_str(), lines[i].number, std::string(Trim(line)).c_str()));
      continue;
    }
    // Join continuation lines; comment and blank lines between a line and
    // its continuation are skipped, as Postfix's readlline does.
    std::string logical(TrimRight(line));
    int first = lines[i].number;
    for (;;) {
      size_t j = i + 1;
      while (j < lines.size() && IsCommentOrBlank(lines[j].text)) ++j;
      if (j >= lines.size() || !IsContinuation(lines[j].text)) break;
      logical += ' ';
      logical += Trim(lines[j].text);
      i = j;
    }
    size_t eq = logical.find('=');
    if (eq == std::string::npos) {
      return FailedPrecondition(StrFormat("%s, line %d: missing '=' after attribute name: \"%s\"",
                                          filename.c_str(), first, logical.c_str()));
    }
    std::string name(Trim(std::string_view(logical).substr(0, eq)));
    if (name.empty()) {
      return FailedPrecondition(StrFormat("%s, line %d: missing attribute name: \"%s\"",
                                          filename.c_str(), first, logical.c_str()));
    }
    if (!ValidName(name)) {
      return FailedPrecondition(StrFormat("%s, line %d: bad attribute name: \"%s\"",
                                          filename.c_str(), first, name.c_str()));
    }
    std::string value(Trim(std::string_view(logical).substr(eq + 1)));
    auto it = cf.index_.find(name);
    if (it != cf.index_.end()) {
      CfEntry& old = cf.entries_[it->second];
      warnings->push_back(StrFormat("%s, line %d: overriding earlier entry: %s=%s",
                                    filename.c_str(), first, old.name.c_str(), old.value.c_str()));
      old.value = value;
      old.line = first;
    } else {
      cf.index_.emplace(name, cf.entries_.size());
      cf.entries_.push_back({name, value, first});
    }
  }
  return cf;
}

StatusOr<CfFile> CfFile::Load(const std::string& path, std::vector<std::string>* warnings) {
  auto text = ReadFile(path, kMaxConfigFileSize);
  if (!text.ok()) return text.status();
  return Parse(*text, path, warnings);
}

const CfEntry* CfFile::Find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::string CfFile::ApplyEdits(std::string_view text, const std::vector<Edit>& edits) {
  // Group physical lines into logical blocks: a definition with its
  // continuation lines, or a single comment/blank/other line.
  struct Block {
    std::vector<std::string> lines;
    std::string name;  // defined name, or empty
  };
  std::vector<Block> blocks;
  for (const PhysicalLine& pl : SplitLines(text)) {
    if (IsContinuation(pl.text) && !blocks.empty() && !blocks.back().name.empty()) {
      blocks.back().lines.emplace_back(pl.text);
      continue;
    }
    blocks.push_back({{std::string(pl.text)}, DefinedName(pl.text)});
  }
  for (const Edit& e : edits) {
    // The last definition is the one in effect.
    int last = -1;
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (blocks[i].name == e.name) last = static_cast<int>(i);
    }
    switch (e.op) {
      case EditOp::kSet: {
        std::string line = e.name + " = " + e.value;
        if (last < 0) {
          blocks.push_back({{line}, e.name});
        } else {
          blocks[static_cast<size_t>(last)] = {{line}, e.name};
          for (int i = last - 1; i >= 0; --i) {
            if (blocks[static_cast<size_t>(i)].name == e.name) blocks.erase(blocks.begin() + i);
          }
        }
        break;
      }
      case EditOp::kRemove:
        std::erase_if(blocks, [&](const Block& b) { return b.name == e.name; });
        break;
      case EditOp::kCommentOut:
        for (Block& b : blocks) {
          if (b.name != e.name) continue;
          for (std::string& l : b.lines) l = "#" + l;
          b.name.clear();
        }
        break;
    }
  }
  std::string out;
  for (const Block& b : blocks) {
    for (const std::string& l : b.lines) {
      out += l;
      out += '\n';
    }
  }
  return out;
}

}  // namespace util

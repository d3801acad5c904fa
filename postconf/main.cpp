// postconf - the main.cf and master.cf configuration utility (postconf(1)).
//
// Usage:
//   postconf [-c DIR] [-dfhnvx] [name ...]     parameters in effect / defaults
//                                              (-f: long lines folded at 80
//                                              columns, also with -M, -F, -P)
//   postconf [-c DIR] -e name=value ...        edit main.cf (also: name=value
//                                              arguments without -e)
//   postconf [-c DIR] -X name ...              remove parameters from main.cf
//   postconf [-c DIR] -# name ...              comment parameters out
//   postconf [-c DIR] -M [service[/type] ...]  master.cf service entries
//   postconf [-c DIR] -P [service/type/name ...] master.cf -o overrides
//   postconf [-c DIR] -F [service[/type[/field]] ...]  master.cf fields, one
//                                         "service/type/field = value" each
//   postconf [-c DIR] -MX|-M# service/type ...  remove / comment out entries
//   postconf -m                                built-in lookup table types
//
// Output formats and exit codes follow Postfix: "name = value" lines, sorted
// when all parameters are listed; an unknown parameter name is a warning
// ("postconf: warning: NAME: unknown parameter") with exit status 0; a broken
// main.cf or master.cf is fatal (exit status 1) with its file and line.
// Definitions in main.cf or -o overrides in master.cf that nothing uses are
// warned about ("FILE, line N: unused parameter: name=value"), never fatal.
//
// The configuration directory is -c DIR, else $MAIL_CONFIG, else the
// compiled-in default (config::ConfigDirectory).
#include <getopt.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "global/config.h"
#include "global/master_cf.h"
#include "global/param_usage.h"
#include "global/params.h"
#include "tables/registry.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/strings.h"

namespace {

struct Options {
  std::string config_dir;
  bool defaults = false;       // -d
  bool hide_names = false;     // -h
  bool non_default = false;    // -n
  bool expand = false;         // -x
  bool edit = false;           // -e
  bool remove = false;         // -X
  bool comment_out = false;    // -#
  bool master = false;         // -M
  bool master_params = false;  // -P
  bool master_fields = false;  // -F
  bool table_types = false;    // -m
  bool fold = false;           // -f
  std::vector<std::string> args;
};

[[noreturn]] void Usage() {
  msg::Fatal("usage: postconf [-c config_dir] [-dfhmnvx] [-e|-X|-#] [-M|-F|-P] [name...]");
}

// `line` followed by `words`, joined by single spaces, as postconf prints
// values and master.cf entries; with `fold` (-f) a line that would pass 80
// columns continues on a line indented by four spaces, and with `o_lines`
// each "-o name=value" of a master.cf command starts a line of its own.
std::string FoldWords(std::string line, const std::vector<std::string>& words, bool fold,
                      bool o_lines) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (fold && o_lines && word == "-o" && i + 1 < words.size()) {
      out += line + "\n";
      line = "    -o " + words[++i];
    } else if (line.empty()) {
      line = word;
    } else if (fold && line.size() + 1 + word.size() > 80) {
      out += line + "\n";
      line = "    " + word;
    } else {
      line += " " + word;
    }
  }
  return out + line + "\n";
}

// "name = value" (or the value alone with -h): the words of the value
// (`words`, else the value split at white space) as FoldWords puts them.
void Print(const Options& o, const std::string& name, const std::string& value,
           const std::vector<std::string>* words = nullptr, bool o_lines = false) {
  std::string first = o.hide_names ? std::string() : name + " =";
  fputs(
      FoldWords(first, words ? *words : util::SplitAny(value, " \t\r\n"), o.fold, o_lines).c_str(),
      stdout);
}

std::string MaybeExpand(const Options& o, const config::Config& cfg, const std::string& value) {
  if (!o.expand) return value;
  auto e = cfg.Expand(value);
  if (!e.ok()) msg::Fatal("%s", e.status().message().c_str());
  return *e;
}

// Warns about main.cf definitions and master.cf -o overrides nothing uses.
void WarnUnused(const config::Config& cfg, const config::MasterCf& master) {
  std::vector<std::string> override_values;
  for (const config::MasterEntry& e : master.entries()) {
    for (const auto& [name, value] : e.overrides) override_values.push_back(value);
  }
  for (const util::CfEntry* e : cfg.UnusedParameters(override_values)) {
    // A main.cf name set only through a master.cf -o reference counts as used.
    msg::Warn("%s/main.cf, line %d: unused parameter: %s=%s", cfg.config_dir().c_str(), e->line,
              e->name.c_str(), e->value.c_str());
  }
  for (const config::MasterEntry& e : master.entries()) {
    for (const auto& [name, value] : e.overrides) {
      if (cfg.IsBuiltin(name) || cfg.main_cf().Find(name)) continue;
      bool referenced = false;
      for (const config::MasterEntry& other : master.entries()) {
        for (const auto& [n2, v2] : other.overrides)
          referenced |= config::Config::References(v2).count(name) > 0;
      }
      for (const util::CfEntry& m : cfg.main_cf().entries())
        referenced |= config::Config::References(m.value).count(name) > 0;
      if (!referenced)
        msg::Warn("%s/master.cf, line %d: unused parameter: %s=%s", cfg.config_dir().c_str(),
                  e.line, name.c_str(), value.c_str());
    }
  }
  // Postfix's parameters that this system does not implement.
  for (const std::string& w : param_usage::UnimplementedSettings(cfg, true))
    msg::Warn("%s", w.c_str());
}

int ShowParameters(const Options& o, config::Config& cfg) {
  cfg.set_warn_undefined(o.expand);
  std::vector<std::string> names = o.args;
  bool listing = names.empty();
  if (listing) {
    if (o.non_default) {
      for (const util::CfEntry& e : cfg.main_cf().entries()) names.push_back(e.name);
      if (cfg.IsExplicit("config_directory") && !cfg.main_cf().Find("config_directory"))
        names.push_back("config_directory");
      std::set<std::string> unused;
      for (const util::CfEntry* e : cfg.UnusedParameters()) unused.insert(e->name);
      std::erase_if(names, [&](const std::string& n) { return unused.count(n) > 0; });
      std::sort(names.begin(), names.end());
    } else if (o.defaults) {
      for (const params::ParamDef& d : params::All()) names.emplace_back(d.name);
      for (const std::string& n : cfg.ServiceParameterNames()) names.push_back(n);
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
    } else {
      names = cfg.AllNames();
    }
  }
  std::set<std::string> known;
  if (!o.defaults) {
    for (const std::string& n : cfg.AllNames()) known.insert(n);
  }
  for (const std::string& name : names) {
    std::optional<std::string> value;
    if (o.defaults) {
      value = cfg.Default(name);
    } else if (known.count(name)) {
      value = cfg.Raw(name);
    }
    if (!value) {
      msg::Warn("%s: unknown parameter", name.c_str());
      continue;
    }
    Print(o, name, MaybeExpand(o, cfg, *value));
  }
  return 0;
}

int EditMainCf(const Options& o, const config::Config& cfg) {
  std::vector<util::CfFile::Edit> edits;
  for (const std::string& a : o.args) {
    if (o.edit) {
      auto kv = util::SplitAssignment(a);
      if (!kv) msg::Fatal("missing '=' after attribute name: \"%s\"", a.c_str());
      edits.push_back({util::CfFile::EditOp::kSet, kv->first, kv->second});
    } else {
      std::string name(util::Trim(a));
      if (name.empty() || name.find_first_of("= \t") != std::string::npos)
        msg::Fatal("bad parameter name: \"%s\"", a.c_str());
      edits.push_back(
          {o.remove ? util::CfFile::EditOp::kRemove : util::CfFile::EditOp::kCommentOut, name, {}});
    }
  }
  std::string path = cfg.config_dir() + "/main.cf";
  auto text = util::ReadFile(path, 64 << 20);
  if (!text.ok()) msg::Fatal("%s", text.status().message().c_str());
  std::string updated = util::CfFile::ApplyEdits(*text, edits);
  // Refuse to write a file that we could not read back.
  std::vector<std::string> warnings;
  auto check = util::CfFile::Parse(updated, path, &warnings);
  if (!check.ok())
    msg::Fatal("edit would break %s: %s", path.c_str(), check.status().message().c_str());
  util::Status s = util::AtomicReplace(path, updated);
  if (!s.ok()) msg::Fatal("%s", s.message().c_str());
  return 0;
}

// An entry as postconf writes an edited one (Postfix's -Mf form): the
// eight columns, then the arguments folded at 80 columns onto lines
// indented by four spaces, each "-o name=value" on a line of its own.
std::string FoldedEntry(const config::MasterEntry& e) {
  config::MasterEntry head = e;
  head.words.clear();
  return FoldWords(config::FormatMasterEntry(head), e.words, true, true);
}

int ShowMaster(const Options& o, const config::MasterCf& master) {
  std::vector<bool> matched(o.args.size(), false);
  for (const config::MasterEntry& e : master.entries()) {
    bool show = o.args.empty();
    for (size_t i = 0; i < o.args.size(); ++i) {
      const std::string& a = o.args[i];
      if (a == e.name || a == e.key()) show = matched[i] = true;
    }
    if (show) {
      if (o.fold)
        fputs(FoldedEntry(e).c_str(), stdout);
      else
        printf("%s\n", config::FormatMasterEntry(e).c_str());
    }
  }
  for (size_t i = 0; i < o.args.size(); ++i) {
    if (!matched[i]) msg::Warn("unmatched request: \"%s\"", o.args[i].c_str());
  }
  return 0;
}

// The lines of master.cf text, each with its newline.
std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return lines;
}

// -Me, -Fe, -Pe, -PX: an edited entry is written again in FoldedEntry form
// where it was, after the commented-out continuation lines ("#   -o ...")
// it enclosed or that followed it, as Postfix's postconf writes it; a new
// entry (-Me) is appended at the end.
int EditMasterEntries(const Options& o, const config::Config& cfg) {
  std::vector<config::MasterEntry> entries = cfg.master_cf().entries();
  std::vector<bool> changed(entries.size(), false);
  std::vector<config::MasterEntry> added;
  auto find = [&](const std::string& key) -> int {
    for (size_t i = 0; i < entries.size(); ++i)
      if (entries[i].key() == key) return static_cast<int>(i);
    return -1;
  };
  for (const std::string& a : o.args) {
    std::string key, value;
    if (o.remove) {
      key = std::string(util::Trim(a));
    } else {
      auto kv = util::SplitAssignment(a);
      if (!kv) msg::Fatal("missing '=' after attribute name: \"%s\"", a.c_str());
      key = kv->first;
      value = kv->second;
    }
    size_t slash = key.find('/');
    size_t slash2 = slash == std::string::npos ? slash : key.find('/', slash + 1);
    if (o.master) {
      if (slash == std::string::npos || slash2 != std::string::npos)
        msg::Fatal("-Me, -MX or -M# requires service_name/type");
      std::vector<std::string> warnings;
      auto parsed = config::MasterCf::Parse(value + "\n", "command line", &warnings);
      if (!parsed.ok() || parsed->entries().size() != 1)
        msg::Fatal("invalid master.cf entry: \"%s\"", value.c_str());
      int i = find(key);
      if (i < 0) {
        added.push_back(parsed->entries()[0]);
      } else {
        int line = entries[static_cast<size_t>(i)].line;
        entries[static_cast<size_t>(i)] = parsed->entries()[0];
        entries[static_cast<size_t>(i)].line = line;
        changed[static_cast<size_t>(i)] = true;
      }
      continue;
    }
    if (slash2 == std::string::npos) {
      if (o.master_fields) msg::Fatal("-Fe requires service_name/type/field_name");
      msg::Fatal("-Pe or -PX requires service_name/type/parameter");
    }
    int i = find(key.substr(0, slash2));
    if (i < 0) {
      msg::Warn("unmatched service_name/type: \"%s\"", a.c_str());
      continue;
    }
    config::MasterEntry& e = entries[static_cast<size_t>(i)];
    std::string name = key.substr(slash2 + 1);
    if (o.master_fields) {
      std::string* fields[] = {&e.name,         &e.type,         &e.private_field, &e.unpriv_field,
                               &e.chroot_field, &e.wakeup_field, &e.maxproc_field};
      static constexpr const char* kNames[] = {"service", "type",   "private",      "unprivileged",
                                               "chroot",  "wakeup", "process_limit"};
      bool done = false;
      for (size_t f = 0; f < std::size(kNames); ++f) {
        if (name == kNames[f]) {
          *fields[f] = value;
          done = true;
        }
      }
      if (!done && name == "command") {
        auto words = config::SplitMasterArgs(value);
        if (!words.ok() || words->empty())
          msg::Fatal("invalid command field: \"%s\"", value.c_str());
        e.command = (*words)[0];
        e.words.assign(words->begin() + 1, words->end());
        done = true;
      }
      if (!done) msg::Fatal("invalid service attribute name: \"%s\"", name.c_str());
    } else {
      bool found = false;
      for (size_t w = 0; w + 1 < e.words.size(); ++w) {
        if (e.words[w] != "-o") continue;
        std::string_view nv = e.words[w + 1];
        if (nv.substr(0, nv.find('=')) != name) continue;
        if (o.remove) {
          e.words.erase(e.words.begin() + static_cast<long>(w),
                        e.words.begin() + static_cast<long>(w) + 2);
        } else {
          e.words[w + 1] = name + "=" + value;
        }
        found = true;
        break;
      }
      if (!found && !o.remove) {
        e.words.push_back("-o");
        e.words.push_back(name + "=" + value);
      }
      if (!found && o.remove) continue;
    }
    changed[static_cast<size_t>(i)] = true;
  }
  std::string path = cfg.config_dir() + "/master.cf";
  auto text = util::ReadFile(path, 64 << 20);
  if (!text.ok()) msg::Fatal("%s", text.status().message().c_str());
  std::vector<std::string> lines = SplitLines(*text);
  std::vector<std::string> out_lines = lines;
  // From the last entry to the first, so that line numbers stay valid.
  for (size_t k = entries.size(); k-- > 0;) {
    if (!changed[k]) continue;
    size_t start = static_cast<size_t>(entries[k].line - 1), end = start + 1;
    std::vector<std::string> comments;
    while (end < lines.size()) {
      const std::string& l = lines[end];
      // A commented-out continuation line ("#   -o ...") belongs to the entry.
      if (l.size() > 1 && l[0] == '#' && (l[1] == ' ' || l[1] == '\t')) {
        comments.push_back(l);
      } else if (!l.empty() && (l[0] == ' ' || l[0] == '\t') && !util::Trim(l).empty()) {
      } else {
        break;
      }
      ++end;
    }
    std::string replacement;
    for (const std::string& c : comments) replacement += c;
    replacement += FoldedEntry(entries[k]);
    out_lines.erase(out_lines.begin() + static_cast<long>(start),
                    out_lines.begin() + static_cast<long>(end));
    out_lines.insert(out_lines.begin() + static_cast<long>(start), replacement);
  }
  std::string updated;
  for (const std::string& l : out_lines) updated += l;
  if (!added.empty() && !updated.empty() && updated.back() != '\n') updated += '\n';
  for (const config::MasterEntry& e : added) updated += FoldedEntry(e);
  if (updated == *text) return 0;
  std::vector<std::string> warnings;
  if (auto check = config::MasterCf::Parse(updated, path, &warnings); !check.ok())
    msg::Fatal("edit would break %s: %s", path.c_str(), check.status().message().c_str());
  util::Status s = util::AtomicReplace(path, updated);
  if (!s.ok()) msg::Fatal("%s", s.message().c_str());
  return 0;
}

// -MX and -M#: removes, or comments out with "#" line by line, the
// master.cf entries named service/type (continuation lines included), as
// Postfix's postconf; a name that matches nothing is no error.
int EditMaster(const Options& o, const config::Config& cfg) {
  const config::MasterCf& master = cfg.master_cf();
  std::set<int> starts;
  for (const std::string& a : o.args) {
    if (a.find('/') == std::string::npos) msg::Fatal("-Me, -MX or -M# requires service_name/type");
    for (const config::MasterEntry& e : master.entries())
      if (e.key() == a) starts.insert(e.line);
  }
  std::string path = cfg.config_dir() + "/master.cf";
  auto text = util::ReadFile(path, 64 << 20);
  if (!text.ok()) msg::Fatal("%s", text.status().message().c_str());
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < text->size();) {
    size_t nl = text->find('\n', pos);
    size_t end = nl == std::string::npos ? text->size() : nl + 1;
    lines.push_back(text->substr(pos, end - pos));
    pos = end;
  }
  std::vector<bool> drop(lines.size(), false);
  for (int start : starts) {
    for (size_t i = static_cast<size_t>(start - 1); i < lines.size(); ++i) {
      bool continuation = !lines[i].empty() && (lines[i][0] == ' ' || lines[i][0] == '\t') &&
                          !util::Trim(lines[i]).empty();
      if (i != static_cast<size_t>(start - 1) && !continuation) break;
      if (o.remove)
        drop[i] = true;
      else
        lines[i] = "#" + lines[i];
    }
  }
  std::string updated;
  for (size_t i = 0; i < lines.size(); ++i)
    if (!drop[i]) updated += lines[i];
  if (updated == *text) return 0;
  util::Status s = util::AtomicReplace(path, updated);
  if (!s.ok()) msg::Fatal("%s", s.message().c_str());
  return 0;
}

// -F: each master.cf field as "service/type/field = value"; a request
// names a service, service/type or service/type/field.
int ShowMasterFields(const Options& o, const config::MasterCf& master) {
  static constexpr const char* kFields[] = {"service", "type",   "private",       "unprivileged",
                                            "chroot",  "wakeup", "process_limit", "command"};
  for (const std::string& a : o.args) {
    size_t first = a.find('/');
    size_t second = first == std::string::npos ? first : a.find('/', first + 1);
    if (second == std::string::npos) continue;
    std::string field = a.substr(second + 1);
    if (std::find_if(std::begin(kFields), std::end(kFields),
                     [&](const char* f) { return field == f; }) == std::end(kFields))
      msg::Fatal("invalid service attribute name: \"%s\"", field.c_str());
  }
  std::vector<bool> matched(o.args.size(), false);
  for (const config::MasterEntry& e : master.entries()) {
    std::string command = e.command;
    for (const std::string& w : e.words) command += " " + w;
    std::vector<std::string> command_words = {e.command};
    command_words.insert(command_words.end(), e.words.begin(), e.words.end());
    const std::string* values[] = {&e.name,          &e.type,         &e.private_field,
                                   &e.unpriv_field,  &e.chroot_field, &e.wakeup_field,
                                   &e.maxproc_field, &command};
    for (size_t f = 0; f < std::size(kFields); ++f) {
      std::string key = e.key() + "/" + kFields[f];
      bool show = o.args.empty();
      for (size_t i = 0; i < o.args.size(); ++i) {
        const std::string& a = o.args[i];
        if (a == key || a == e.key() || a == e.name) show = matched[i] = true;
      }
      if (show && values[f] == &command)
        Print(o, key, command, &command_words, true);
      else if (show)
        Print(o, key, *values[f]);
    }
  }
  for (size_t i = 0; i < o.args.size(); ++i) {
    if (!matched[i]) msg::Warn("unmatched request: \"%s\"", o.args[i].c_str());
  }
  return 0;
}

int ShowMasterParams(const Options& o, const config::MasterCf& master) {
  std::vector<bool> matched(o.args.size(), false);
  for (const config::MasterEntry& e : master.entries()) {
    // Sorted by parameter name within a service, as Postfix prints them.
    auto overrides = e.overrides;
    std::stable_sort(overrides.begin(), overrides.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [name, value] : overrides) {
      std::string key = e.key() + "/" + name;
      bool show = o.args.empty();
      for (size_t i = 0; i < o.args.size(); ++i) {
        const std::string& a = o.args[i];
        if (a == key || a == e.key() || a == e.name) show = matched[i] = true;
      }
      if (show) Print(o, key, value);
    }
  }
  for (size_t i = 0; i < o.args.size(); ++i) {
    if (!matched[i]) msg::Warn("unmatched request: \"%s\"", o.args[i].c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  msg::Init("postconf");
  Options o;
  int c;
  while ((c = getopt(argc, argv, "c:defFhmMnPvxX#")) != -1) {
    switch (c) {
      case 'c':
        o.config_dir = optarg;
        break;
      case 'd':
        o.defaults = true;
        break;
      case 'e':
        o.edit = true;
        break;
      case 'h':
        o.hide_names = true;
        break;
      case 'm':
        o.table_types = true;
        break;
      case 'M':
        o.master = true;
        break;
      case 'n':
        o.non_default = true;
        break;
      case 'P':
        o.master_params = true;
        break;
      case 'F':
        o.master_fields = true;
        break;
      case 'f':
        o.fold = true;
        break;
      case 'v':
        msg::SetVerbose(msg::Verbose() + 1);
        break;
      case 'x':
        o.expand = true;
        break;
      case 'X':
        o.remove = true;
        break;
      case '#':
        o.comment_out = true;
        break;
      default:
        Usage();
    }
  }
  for (int i = optind; i < argc; ++i) o.args.emplace_back(argv[i]);
  // "postconf name=value" edits main.cf, as with -e.
  if (!o.remove && !o.comment_out && !o.master && !o.master_params && !o.master_fields &&
      !o.args.empty() && std::all_of(o.args.begin(), o.args.end(), [](const std::string& a) {
        return a.find('=') != std::string::npos;
      }))
    o.edit = true;
  bool master_edit = o.master && (o.remove || o.comment_out);
  bool entry_edit = (o.master && o.edit) || (o.master_fields && o.edit) ||
                    (o.master_params && (o.edit || o.remove));
  int modes = o.edit + o.remove + o.comment_out + o.master + o.master_params + o.master_fields +
              o.table_types - master_edit - entry_edit;
  if (modes > 1) msg::Fatal("specify at most one of -e, -X, -#, -M, -F, -P and -m");
  if ((o.edit || o.remove || o.comment_out) && o.args.empty()) Usage();

  if (o.table_types) {
    for (const std::string& t : tables::Types()) printf("%s\n", t.c_str());
    return 0;
  }

  std::string dir = config::ConfigDirectory(o.config_dir);
  auto cfg = config::Config::Load(dir);
  if (!cfg.ok()) msg::Fatal("%s", cfg.status().message().c_str());
  const config::MasterCf& master = cfg->master_cf();
  const util::Status& ms = cfg->master_cf_status();
  if (!ms.ok() &&
      (o.master || o.master_params || o.master_fields || ms.code() != util::Code::kNotFound))
    msg::Fatal("%s", ms.message().c_str());

  if (entry_edit) return EditMasterEntries(o, *cfg);
  if (master_edit) return EditMaster(o, *cfg);
  if (o.edit || o.remove || o.comment_out) return EditMainCf(o, *cfg);
  if (o.master) return ShowMaster(o, master);
  if (o.master_params) return ShowMasterParams(o, master);
  if (o.master_fields) return ShowMasterFields(o, master);
  if (!o.defaults) WarnUnused(*cfg, master);
  return ShowParameters(o, *cfg);
}

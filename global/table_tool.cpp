#include "global/table_tool.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "global/alias_syntax.h"
#include "global/config.h"
#include "global/maillog.h"
#include "global/param_usage.h"
#include "global/table_loader.h"
#include "tables/registry.h"
#include "tables/table.h"
#include "util/msg.h"
#include "util/strings.h"

namespace table_tool {
namespace {

enum class Mode { kBuild, kQuery, kDelete, kSequence };

struct Options {
  Flavor flavor = Flavor::kPostmap;
  std::string config_dir;
  Mode mode = Mode::kBuild;
  std::string key;  // -q / -d argument ("-": from stdin)
  bool incremental = false;
  bool keep_root = false;      // -o
  bool default_perms = false;  // -p
  bool no_fold = false;        // -f
  unsigned nul = 0;            // 0, kTryNul (-N) or kTryNoNul (-n)
  unsigned dup = tables::kDupWarn;
  std::vector<std::string> maps;
};

[[noreturn]] void Usage(Flavor flavor) {
  msg::Fatal("usage: %s [-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] [map_type:]file...",
             flavor == Flavor::kPostalias ? "postalias" : "postmap");
}

// Buffered reading of stdin or a file, one line at a time. Before it blocks
// on an empty buffer it flushes stdout, so that `postmap -q -` also works
// as an interactive co-process while staying fully buffered in bulk.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd), buf_(kSize) {}

  // The next line without its newline; false at end of input.
  bool Next(std::string_view* line) {
    for (;;) {
      const char* nl = static_cast<const char*>(memchr(buf_.data() + pos_, '\n', end_ - pos_));
      if (nl) {
        size_t len = nl - (buf_.data() + pos_);
        *line = std::string_view(buf_.data() + pos_, len);
        pos_ += len + 1;
        return true;
      }
      if (eof_) {
        if (pos_ == end_) return false;
        *line = std::string_view(buf_.data() + pos_, end_ - pos_);
        pos_ = end_;
        return true;
      }
      Fill();
    }
  }

 private:
  static constexpr size_t kSize = 1 << 20;

  void Fill() {
    if (pos_ > 0) {  // keep the partial line at the front
      memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    fflush(stdout);
    for (;;) {
      ssize_t n = read(fd_, buf_.data() + end_, buf_.size() - end_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) msg::Fatal("read error: %s", strerror(errno));
      if (n == 0) eof_ = true;
      end_ += n;
      return;
    }
  }

  int fd_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
};

// Reads Postfix-style logical lines: skips blank and comment lines, joins
// continuation lines, and reports the number of the first physical line.
class LogicalLineReader {
 public:
  LogicalLineReader(int fd, std::string source) : lines_(fd), source_(std::move(source)) {}

  bool Next(std::string* text, int* lineno) {
    std::string_view line;
    while (lines_.Next(&line)) {
      ++lineno_;
      std::string_view trimmed = util::Trim(line);
      if (trimmed.empty() || trimmed[0] == '#') continue;
      if (util::IsSpace(line[0])) {
        if (in_logical_) {
          logical_.append(line);
        } else {
          msg::Warn("%s: logical line must not start with whitespace: \"%s\"", source_.c_str(),
                    std::string(line).c_str());
        }
        continue;
      }
      bool done = in_logical_;  // this line ends the previous logical line
      if (done) {
        *text = std::move(logical_);
        *lineno = start_;
      }
      logical_.assign(line);
      start_ = lineno_;
      in_logical_ = true;
      if (done) return true;
    }
    if (!in_logical_) return false;
    in_logical_ = false;
    *text = std::move(logical_);
    *lineno = start_;
    return true;
  }

 private:
  LineReader lines_;
  std::string source_;
  int lineno_ = 0;
  std::string logical_;
  bool in_logical_ = false;
  int start_ = 0;
};

struct MapSpec {
  std::string type;
  std::string name;
  std::string spec() const { return type + ":" + name; }
};

MapSpec ParseMap(const std::string& arg, const std::string& default_type) {
  size_t colon = arg.find(':');
  if (colon == std::string::npos) return {default_type, arg};
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

class Postmap {
 public:
  Postmap(Options o, config::Config cfg) : o_(std::move(o)), cfg_(std::move(cfg)) {
    default_type_ = cfg_.Get("default_database_type");
    if (default_type_.empty()) default_type_ = "hash";
    base_.params = [this](std::string_view name) -> std::optional<std::string> {
      if (!cfg_.Raw(name)) return std::nullopt;
      return cfg_.Get(config::AnyParam::Dynamic(name));
    };
  }

  int Run() {
    switch (o_.mode) {
      case Mode::kQuery:
        return Query();
      case Mode::kDelete:
        return Delete();
      case Mode::kSequence:
        return Sequence();
      case Mode::kBuild:
        for (const std::string& m : o_.maps) Build(ParseMap(m, default_type_));
        return 0;
    }
    return 1;
  }

 private:
  unsigned LookupFlags() const {
    unsigned f = tables::kDefaultLookupFlags;
    if (o_.no_fold) f &= ~tables::kFoldFixed;
    if (o_.nul) f = (f & ~(tables::kTryNul | tables::kTryNoNul)) | o_.nul;
    return f;
  }
  unsigned WriteFlags() const {
    // postalias folds alias names itself: its YP_* records keep their case.
    bool fold = !o_.no_fold && !(o_.flavor == Flavor::kPostalias && o_.mode == Mode::kBuild);
    unsigned f = (fold ? unsigned{tables::kFoldFixed} : 0u) | o_.dup;
    return f | (o_.nul ? o_.nul : (tables::kTryNul | tables::kTryNoNul));
  }

  std::unique_ptr<tables::Table> OpenTable(const MapSpec& m, int open_flags, unsigned flags) {
    tables::OpenOptions opts = base_;
    opts.open_flags = open_flags;
    opts.flags = flags;
    auto t = tables::Open(m.spec(), opts);
    if (!t.ok()) msg::Fatal("%s", t.status().message().c_str());
    return std::move(t).value();
  }

  std::vector<std::unique_ptr<tables::Table>> OpenAll(int open_flags, unsigned flags) {
    std::vector<std::unique_ptr<tables::Table>> out;
    for (const std::string& m : o_.maps)
      out.push_back(OpenTable(ParseMap(m, default_type_), open_flags, flags));
    return out;
  }

  // The first value found in `maps`. A temporary error ends the search: it
  // is fatal for a single -q key (as in Postfix) and, with `batch` (-q -),
  // a warning for that key only, so one bad key never stops the others.
  static bool Search(std::vector<std::unique_ptr<tables::Table>>& maps, std::string_view key,
                     std::string* value, bool batch = false) {
    for (auto& t : maps) {
      tables::LookupResult r = t->Lookup(key);
      if (r.found()) {
        *value = std::move(r.value);
        return true;
      }
      if (r.temp_error()) {
        if (!batch) msg::Fatal("table %s: query error: %s", t->spec().c_str(), r.value.c_str());
        msg::Warn("table %s: query error for key \"%s\": %s", t->spec().c_str(),
                  util::Printable(key).c_str(), r.value.c_str());
        return false;
      }
    }
    return false;
  }

  // "key<TAB>value" (postmap) or "key:<TAB>value" (postalias).
  void PrintEntry(std::string_view k, std::string_view v) const {
    Print(k);
    Print(o_.flavor == Flavor::kPostalias ? ":\t" : "\t");
    Print(v);
    Print("\n");
  }

  int Query() {
    auto maps = OpenAll(O_RDONLY, LookupFlags());
    std::string value;
    if (o_.key != "-") {
      if (!Search(maps, o_.key, &value)) return 1;
      Print(value);
      Print("\n");
      return Flush(0);
    }
    bool any = false;
    LineReader in(0);
    std::string_view key;
    while (in.Next(&key)) {
      if (!Search(maps, key, &value, /*batch=*/true)) continue;
      any = true;
      PrintEntry(key, value);
    }
    return Flush(any ? 0 : 1);
  }

  int Delete() {
    auto maps = OpenAll(O_RDWR, WriteFlags());
    bool any = false;
    auto del = [&](std::string_view key) {
      for (auto& t : maps) {
        util::Status st = t->Delete(key);
        if (st.ok())
          any = true;
        else if (st.code() != util::Code::kNotFound)
          msg::Fatal("table %s: %s", t->spec().c_str(), st.message().c_str());
      }
    };
    if (o_.key != "-") {
      del(o_.key);
    } else {
      LineReader in(0);
      std::string_view key;
      while (in.Next(&key)) del(key);
    }
    for (auto& t : maps) Commit(*t);
    return any ? 0 : 1;
  }

  int Sequence() {
    for (const std::string& m : o_.maps) {
      auto t = OpenTable(ParseMap(m, default_type_), O_RDONLY, LookupFlags());
      util::Status st = t->Sequence([this](std::string_view k, std::string_view v) {
        PrintEntry(k, v);
        return true;
      });
      if (!st.ok()) msg::Fatal("%s", st.message().c_str());
    }
    return Flush(0);
  }

  void Build(const MapSpec& m) {
    // The source: the file itself, or stdin with -i.
    int fd = 0;
    std::string source = "stdin";
    struct stat st = {};
    if (!o_.incremental) {
      source = m.name;
      fd = open(m.name.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) msg::Fatal("open %s: %s", m.name.c_str(), strerror(errno));
      if (fstat(fd, &st) < 0) msg::Fatal("fstat %s: %s", m.name.c_str(), strerror(errno));
    }
    bool known = false;
    for (const std::string& t : tables::Types()) known |= (t == m.type);
    if (!known) msg::Fatal("unsupported dictionary type: %s", m.type.c_str());
    if (!tables::IsWritableType(m.type))
      msg::Fatal("unsupported dictionary type: %s does not support bulk-mode creation.",
                 m.type.c_str());

    // Run as the owner of the source file, and give a new table the read
    // permissions of its source (postmap(1)).
    uid_t saved_euid = geteuid();
    gid_t saved_egid = getegid();
    bool dropped = false;
    mode_t saved_umask = umask(022);
    umask(saved_umask);
    if (!o_.incremental) {
      if (saved_euid == 0 && !o_.keep_root && st.st_uid != 0) {
        if (setegid(st.st_gid) < 0 || seteuid(st.st_uid) < 0)
          msg::Fatal("set privileges to uid %ld: %s", static_cast<long>(st.st_uid),
                     strerror(errno));
        dropped = true;
      }
      if (!o_.default_perms) umask(0777 & ~(0600 | (st.st_mode & 044)));
    }

    int open_flags = O_RDWR | O_CREAT | (o_.incremental ? 0 : O_TRUNC);
    tables::OpenOptions saved = base_;
    if (!o_.incremental) SizeCacheFor(st.st_size);
    auto table = OpenTable(m, open_flags, WriteFlags());
    base_ = std::move(saved);
    table_loader::Loader load(*table, UpdateFailed, /*fresh=*/!o_.incremental);
    LogicalLineReader reader(fd, source);
    std::string text;
    int lineno;
    while (reader.Next(&text, &lineno)) {
      if (o_.flavor == Flavor::kPostalias) {
        std::optional<alias_syntax::Entry> e = alias_syntax::ParseLine(text);
        if (!e) {
          msg::Warn("%s, line %d: need name:value pair", source.c_str(), lineno);
          continue;
        }
        load.Add(o_.no_fold ? e->name : util::Lowercase(e->name), e->value);
        continue;
      }
      std::string_view line = util::TrimRight(text);
      size_t ws = line.find_first_of(" \t\r\n\v\f");
      std::string_view key = line.substr(0, ws);
      std::string_view value = ws == std::string_view::npos ? "" : util::Trim(line.substr(ws));
      if (value.empty()) {
        msg::Warn("%s, line %d: expected format: key whitespace value", source.c_str(), lineno);
        continue;
      }
      if (key.size() > 1 && key.back() == ':')
        msg::Warn("%s, line %d: record is in \"key: value\" format; is this an alias file?",
                  source.c_str(), lineno);
      load.Add(key, value);
    }
    // Alias databases end with Postfix's NIS records: the time of the
    // build, the master's name, and "@" whose presence says the database
    // is complete (sendmail's convention).
    if (o_.flavor == Flavor::kPostalias && !o_.incremental) {
      load.Add("YP_LAST_MODIFIED", std::to_string(static_cast<long long>(time(nullptr))));
      load.Add("YP_MASTER_NAME", cfg_.Get("myhostname"));
      load.Add("@", "@");
    }
    load.Flush();
    Commit(*table);
    table.reset();
    if (fd > 0) close(fd);
    umask(saved_umask);
    if (dropped && (seteuid(saved_euid) < 0 || setegid(saved_egid) < 0))
      msg::Fatal("restore privileges: %s", strerror(errno));
  }

  // A Berkeley DB build whose pages do not fit its cache spends most of
  // its time moving pages between the cache and the file, so the cache is
  // berkeley_db_create_buffer_size or, for a larger source, twice the
  // source's size (the table is about that big), up to 1 GB.
  void SizeCacheFor(off_t source_size) {
    constexpr long long kMaxCache = 1ll << 30;
    long long configured = cfg_.GetInt("berkeley_db_create_buffer_size");
    long long want = std::min<long long>(kMaxCache, 2ll * source_size);
    if (want <= configured) return;
    auto params = base_.params;
    base_.params = [params, want](std::string_view name) -> std::optional<std::string> {
      if (name == "berkeley_db_create_buffer_size") return std::to_string(want);
      return params(name);
    };
  }

  [[noreturn]] static void UpdateFailed(tables::Table& t, const util::Status& st) {
    msg::Fatal("table %s: %s", t.spec().c_str(), st.message().c_str());
  }

  static void Commit(tables::Table& t) {
    util::Status st = t.Commit();
    if (!st.ok()) msg::Fatal("table %s: %s", t.spec().c_str(), st.message().c_str());
  }

  static void Print(std::string_view s) { fwrite_unlocked(s.data(), 1, s.size(), stdout); }

  static int Flush(int rc) {
    if (fflush(stdout) != 0 || ferror(stdout)) msg::Fatal("write error: %s", strerror(errno));
    return rc;
  }

  Options o_;
  config::Config cfg_;
  std::string default_type_;
  tables::OpenOptions base_;
};

}  // namespace

int Main(int argc, char** argv, Flavor flavor) {
  const char* name = flavor == Flavor::kPostalias ? "postalias" : "postmap";
  msg::Init(name);
  static char outbuf[1 << 16];
  setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

  Options o;
  o.flavor = flavor;
  bool have_query = false;  // one of -q -d -s given
  int c;
  while ((c = getopt(argc, argv, "Nc:d:finopq:rsuvw")) != -1) {
    switch (c) {
      case 'N':
        o.nul = tables::kTryNul;
        break;
      case 'n':
        o.nul = tables::kTryNoNul;
        break;
      case 'c':
        o.config_dir = optarg;
        break;
      case 'd':
      case 'q':
        if (have_query) msg::Fatal("specify only one of -s -q or -d");
        have_query = true;
        o.mode = c == 'd' ? Mode::kDelete : Mode::kQuery;
        o.key = optarg;
        break;
      case 's':
        if (have_query) msg::Fatal("specify only one of -s or -q or -d");
        have_query = true;
        o.mode = Mode::kSequence;
        break;
      case 'f':
        o.no_fold = true;
        break;
      case 'i':
        o.incremental = true;
        break;
      case 'o':
        o.keep_root = true;
        break;
      case 'p':
        o.default_perms = true;
        break;
      case 'r':
        o.dup = tables::kDupReplace;
        break;
      case 'w':
        o.dup = tables::kDupIgnore;
        break;
      case 'u':  // Postfix: no SMTPUTF8 checks; our tables are 8-bit clean anyway
        break;
      case 'v':
        msg::SetVerbose(msg::Verbose() + 1);
        break;
      default:
        Usage(flavor);
    }
  }
  for (int i = optind; i < argc; ++i) o.maps.push_back(argv[i]);
  if (o.maps.empty()) Usage(flavor);

  auto cfg = config::Config::Load(config::ConfigDirectory(o.config_dir));
  if (!cfg.ok()) msg::Fatal("%s", cfg.status().message().c_str());
  if (util::Status st = cfg->Declare(param_usage::Declared(name), name); !st.ok())
    msg::Fatal("%s", st.message().c_str());
  int verbose = msg::Verbose();
  maillog::Init(name, *cfg, maillog::Mode::kCommand);  // stderr, and syslog or maillog_file
  msg::SetVerbose(verbose);
  return Postmap(std::move(o), std::move(cfg).value()).Run();
}

}  // namespace table_tool

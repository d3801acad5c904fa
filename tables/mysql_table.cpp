#include "tables/mysql_table.h"

#include <fcntl.h>

#include <set>

#include "tables/mariadb_api.h"
#include "tables/registry.h"
#include "util/cf_file.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/strings.h"

namespace tables {
namespace {

// The parameter names of mysql_table(5) plus our extensions.
const std::set<std::string, std::less<>> kKnownParams = {
    "hosts",           "user",
    "password",        "dbname",
    "charset",         "query",
    "result_format",   "domain",
    "expansion_limit", "option_file",
    "option_group",    "require_result_set",
    "tls_cert_file",   "tls_key_file",
    "tls_CAfile",      "tls_CApath",
    "tls_ciphers",     "tls_verify_cert",
    "select_field",    "table",
    "where_field",     "additional_conditions",
    "idle_interval",   "retry_interval",
    "connect_timeout", "query_timeout",
};

util::Status BadValue(const MysqlParam& p, std::string_view name, std::string_view why) {
  return util::FailedPrecondition(p.where + ": bad " + std::string(name) + " value \"" + p.value +
                                  "\": " + std::string(why));
}

}  // namespace

util::StatusOr<MysqlConfig> ParseMysqlConfig(const std::string& table,
                                             const MysqlParamSource& get) {
  MysqlConfig c;
  auto str = [&get](std::string_view name, std::string* out) {
    if (auto p = get(name)) *out = p->value;
  };
  if (auto p = get("hosts")) {
    auto hosts = ParseMysqlHosts(p->value);
    if (!hosts.ok()) return util::FailedPrecondition(p->where + ": " + hosts.status().message());
    c.hosts = std::move(*hosts);
  } else {
    c.hosts = std::move(*ParseMysqlHosts(""));
  }
  str("user", &c.user);
  str("password", &c.password);
  str("dbname", &c.dbname);
  str("charset", &c.charset);
  str("option_file", &c.option_file);
  str("option_group", &c.option_group);
  str("tls_cert_file", &c.tls_cert_file);
  str("tls_key_file", &c.tls_key_file);
  str("tls_CAfile", &c.tls_CAfile);
  str("tls_CApath", &c.tls_CApath);
  str("tls_ciphers", &c.tls_ciphers);

  auto query = get("query");
  if (query && !query->value.empty()) {
    if (util::Status s = SqlExpander::CheckTemplate(query->value, "query"); !s.ok())
      return util::FailedPrecondition(query->where + ": " + s.message());
    c.query = query->value;
  } else {
    // The legacy interface: every field but additional_conditions required.
    std::vector<std::string> missing;
    std::string fields[3];
    const char* names[3] = {"select_field", "table", "where_field"};
    for (int i = 0; i < 3; ++i) {
      str(names[i], &fields[i]);
      if (fields[i].empty()) missing.push_back(names[i]);
    }
    if (!missing.empty())
      return util::FailedPrecondition(table + ": no query parameter, and the legacy " +
                                      util::Join(missing, ", ") + " not set");
    std::string extra;
    str("additional_conditions", &extra);
    c.query = LegacySqlQuery(fields[0], fields[1], fields[2], extra);
    if (util::Status s = SqlExpander::CheckTemplate(c.query, "query"); !s.ok())
      return util::FailedPrecondition(table + ": " + s.message());
  }
  if (auto p = get("result_format")) {
    if (util::Status s = SqlExpander::CheckTemplate(p->value, "result_format"); !s.ok())
      return util::FailedPrecondition(p->where + ": " + s.message());
    c.result_format = p->value;
  }
  if (auto p = get("domain")) c.domain = util::SplitList(p->value);
  if (auto p = get("expansion_limit")) {
    auto n = util::ParseInt(util::Trim(p->value));
    if (!n || *n < 0) return BadValue(*p, "expansion_limit", "expected a number >= 0");
    c.expansion_limit = *n;
  }
  for (auto [name, out] : {std::pair{"require_result_set", &c.require_result_set},
                           std::pair{"tls_verify_cert", &c.tls_verify_cert}}) {
    if (auto p = get(name)) {
      auto b = util::ParseBool(util::Trim(p->value));
      if (!b) return BadValue(*p, name, "expected yes or no");
      *out = *b;
    }
  }
  for (auto [name, out] : {std::pair{"idle_interval", &c.idle_interval},
                           std::pair{"retry_interval", &c.retry_interval}}) {
    if (auto p = get(name)) {
      auto t = util::ParseTime(util::Trim(p->value));
      if (!t || *t <= 0) return BadValue(*p, name, "expected a time > 0");
      *out = static_cast<double>(*t);
    }
  }
  for (auto [name, out] : {std::pair{"connect_timeout", &c.connect_timeout},
                           std::pair{"query_timeout", &c.query_timeout}}) {
    if (auto p = get(name)) {
      auto t = util::ParseTime(util::Trim(p->value));
      if (!t || *t <= 0 || *t > 86400) return BadValue(*p, name, "expected a time > 0");
      *out = static_cast<int>(*t);
    }
  }
  return c;
}

util::StatusOr<MysqlConfig> LoadMysqlCf(const std::string& path,
                                        std::vector<std::string>* warnings) {
  auto cf = util::CfFile::Load(path, warnings);
  if (!cf.ok()) return util::FailedPrecondition(cf.status().message());
  for (const util::CfEntry& e : cf->entries()) {
    if (!kKnownParams.contains(e.name))
      warnings->push_back(util::StrFormat("%s, line %d: unused parameter: %s", path.c_str(), e.line,
                                          e.name.c_str()));
  }
  const util::CfFile& file = *cf;
  return ParseMysqlConfig(path, [&](std::string_view name) -> std::optional<MysqlParam> {
    const util::CfEntry* e = file.Find(name);
    if (!e) return std::nullopt;
    return MysqlParam{e->value, util::StrFormat("%s, line %d", path.c_str(), e->line)};
  });
}

// ---- domain filter ----

util::StatusOr<DomainFilter> DomainFilter::Create(const std::vector<std::string>& items,
                                                  const OpenOptions& options) {
  DomainFilter f;
  for (const std::string& item : items) {
    if (util::Status s = f.Add(item, false, options, 0); !s.ok()) return s;
  }
  return f;
}

util::Status DomainFilter::Add(std::string_view item, bool negate, const OpenOptions& options,
                               int depth) {
  while (item.starts_with('!')) {
    negate = !negate;
    item.remove_prefix(1);
  }
  if (item.empty()) return util::OkStatus();
  if (item.starts_with('/')) {
    if (depth > 5) return util::FailedPrecondition("domain: files nested too deeply");
    std::string path(item);
    auto text = util::ReadFile(path, util::kMaxConfigFileSize);
    if (!text.ok()) return util::FailedPrecondition("domain: " + text.status().message());
    for (const std::string& line : util::Split(*text, '\n')) {
      std::string_view l = util::Trim(line);
      if (l.empty() || l.starts_with('#')) continue;
      for (const std::string& word : util::SplitList(l)) {
        if (util::Status s = Add(word, negate, options, depth + 1); !s.ok()) return s;
      }
    }
    return util::OkStatus();
  }
  Item it;
  it.negate = negate;
  if (item.find(':') != std::string_view::npos) {
    OpenOptions o;
    o.params = options.params;
    auto t = Open(item, o);
    if (!t.ok()) return util::FailedPrecondition("domain: " + t.status().message());
    it.table = std::move(*t);
  } else {
    it.text = util::Lowercase(item);
  }
  items_.push_back(std::move(it));
  return util::OkStatus();
}

DomainFilter::Match DomainFilter::Check(std::string_view domain, std::string* reason) const {
  std::string d = util::Lowercase(domain);
  for (const Item& it : items_) {
    bool hit = false;
    if (it.table) {
      LookupResult r = it.table->Lookup(d);
      if (r.temp_error()) {
        *reason = it.table->spec() + ": " + r.value;
        return Match::kError;
      }
      hit = r.found();
    } else {
      hit = it.text == d;
    }
    if (hit) return it.negate ? Match::kNo : Match::kYes;
  }
  return Match::kNo;
}

// ---- error classification ----

bool IsMysqlConnectionError(unsigned e) {
  if (e >= 2000 && e < 3000) return true;  // CR_*: the client library's own errors
  switch (e) {
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1042:  // ER_BAD_HOST_ERROR
    case 1043:  // ER_HANDSHAKE_ERROR
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1078:  // ER_GOT_SIGNAL
    case 1079:  // ER_SHUTDOWN_COMPLETE
    case 1080:  // ER_FORCING_CLOSE
    case 1152:  // ER_ABORTING_CONNECTION
    case 1153:  // ER_NET_PACKET_TOO_LARGE (the server closes the connection)
    case 1154:  // ER_NET_READ_ERROR_FROM_PIPE
    case 1155:  // ER_NET_FCNTL_ERROR
    case 1156:  // ER_NET_PACKETS_OUT_OF_ORDER
    case 1157:  // ER_NET_UNCOMPRESS_ERROR
    case 1158:  // ER_NET_READ_ERROR
    case 1159:  // ER_NET_READ_INTERRUPTED
    case 1160:  // ER_NET_ERROR_ON_WRITE
    case 1161:  // ER_NET_WRITE_INTERRUPTED
    case 1184:  // ER_NEW_ABORTING_CONNECTION
    case 1927:  // ER_CONNECTION_KILLED
    case 4031:  // client interaction timeout (MySQL 8)
      return true;
    default:
      return false;
  }
}

// ---- MariaDB Connector/C ----

namespace {

class MariadbConnection : public MysqlConnection {
 public:
  MariadbConnection(const MariadbApi& api, MYSQL* db) : api_(api), db_(db) {}
  ~MariadbConnection() override { api_.close(db_); }

  std::string Escape(std::string_view s) override {
    std::string out(2 * s.size() + 1, '\0');
    unsigned long n = api_.real_escape_string(db_, out.data(), s.data(), s.size());
    if (n == static_cast<unsigned long>(-1)) n = 0;
    out.resize(n);
    return out;
  }

  Result Query(std::string_view sql) override {
    Result r;
    if (api_.real_query(db_, sql.data(), sql.size()) != 0) return Error();
    MYSQL_RES* res = api_.store_result(db_);
    if (!res) {
      if (api_.errno_(db_) != 0) return Error();
      r.kind = Result::Kind::kNoResultSet;
    } else {
      unsigned fields = api_.num_fields(res);
      while (MYSQL_ROW row = api_.fetch_row(res)) {
        unsigned long* len = api_.fetch_lengths(res);
        std::vector<std::string>& cols = r.rows.emplace_back();
        for (unsigned j = 0; j < fields; ++j)
          cols.emplace_back(row[j] ? std::string(row[j], len[j]) : std::string());
      }
      api_.free_result(res);
    }
    // A CALL also sends a status result; more than one result set is an error.
    bool extra = false;
    int st;
    while ((st = api_.next_result(db_)) == 0) {
      if (MYSQL_RES* more = api_.store_result(db_)) {
        extra = true;
        api_.free_result(more);
      } else if (api_.errno_(db_) != 0) {
        return Error();
      }
    }
    if (st > 0) return Error();
    if (extra) {
      r.kind = Result::Kind::kQueryError;
      r.error = "query returned more than one result set";
      r.rows.clear();
    }
    return r;
  }

 private:
  Result Error() {
    Result r;
    unsigned e = api_.errno_(db_);
    r.kind = IsMysqlConnectionError(e) ? Result::Kind::kConnectionError : Result::Kind::kQueryError;
    r.error = util::StrFormat("%s (error %u)", api_.error(db_), e);
    return r;
  }
  const MariadbApi& api_;
  MYSQL* db_;
};

const char* OrNull(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

class MariadbConnector : public MysqlConnector {
 public:
  MariadbConnector(const MariadbApi& api, MysqlConfig config) : api_(api), c_(std::move(config)) {}

  util::StatusOr<std::unique_ptr<MysqlConnection>> Connect(const MysqlHost& h) override {
    MYSQL* db = api_.init(nullptr);
    if (!db) return util::Unavailable("mysql_init: out of memory");
    unsigned connect_timeout = c_.connect_timeout, query_timeout = c_.query_timeout;
    api_.options(db, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    api_.options(db, MYSQL_OPT_READ_TIMEOUT, &query_timeout);
    api_.options(db, MYSQL_OPT_WRITE_TIMEOUT, &query_timeout);
    if (!c_.option_file.empty()) api_.options(db, MYSQL_READ_DEFAULT_FILE, c_.option_file.c_str());
    if (!c_.option_group.empty())
      api_.options(db, MYSQL_READ_DEFAULT_GROUP, c_.option_group.c_str());
    if (!c_.charset.empty()) api_.options(db, MYSQL_SET_CHARSET_NAME, c_.charset.c_str());
    if (!c_.tls_cert_file.empty() || !c_.tls_key_file.empty() || !c_.tls_CAfile.empty() ||
        !c_.tls_CApath.empty() || !c_.tls_ciphers.empty()) {
      api_.ssl_set(db, OrNull(c_.tls_key_file), OrNull(c_.tls_cert_file), OrNull(c_.tls_CAfile),
                   OrNull(c_.tls_CApath), OrNull(c_.tls_ciphers));
    }
    if (c_.tls_verify_cert) {
      my_bool on = 1;
      api_.options(db, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    }
    bool unix_socket = h.kind == MysqlHost::Kind::kUnix;
    if (!api_.real_connect(db, unix_socket ? "localhost" : h.host.c_str(), c_.user.c_str(),
                           c_.password.c_str(), OrNull(c_.dbname), unix_socket ? 0 : h.port,
                           unix_socket ? h.socket.c_str() : nullptr, CLIENT_MULTI_RESULTS)) {
      std::string err = util::StrFormat("%s (error %u)", api_.error(db), api_.errno_(db));
      api_.close(db);
      return util::Unavailable(err);
    }
    return std::unique_ptr<MysqlConnection>(new MariadbConnection(api_, db));
  }

 private:
  const MariadbApi& api_;
  MysqlConfig c_;
};

// ---- the table ----

class MysqlTable : public Table {
 public:
  MysqlTable(std::string name, unsigned flags, MysqlConfig config, SqlExpander expander,
             DomainFilter domain, std::unique_ptr<MysqlConnector> connector,
             HostRotation::Clock clock, uint32_t seed)
      : Table("mysql", std::move(name), flags),
        config_(std::move(config)),
        expander_(std::move(expander)),
        domain_(std::move(domain)),
        connector_(std::move(connector)),
        rotation_(config_.hosts, {1.0, config_.retry_interval}, std::move(clock), seed),
        conns_(config_.hosts.size()) {}

  LookupResult Lookup(std::string_view raw_key) override {
    std::string key = FoldKey(raw_key);
    if (!domain_.empty()) {
      size_t at = key.rfind('@');
      if (at == std::string::npos || at == 0 || at + 1 == key.size())
        return LookupResult::NotFound();
      std::string reason;
      switch (domain_.Check(std::string_view(key).substr(at + 1), &reason)) {
        case DomainFilter::Match::kNo:
          return LookupResult::NotFound();
        case DomainFilter::Match::kError:
          msg::Warn("%s: domain list lookup failed: %s", spec().c_str(), reason.c_str());
          return LookupResult::TempError("domain list lookup failed: " + reason);
        case DomainFilter::Match::kYes:
          break;
      }
    }
    if (expander_.Suppressed(key)) {
      if (msg::Verbose())
        msg::Info("%s: lookup of \"%s\" suppressed by the query template", spec().c_str(),
                  util::Printable(key).c_str());
      return LookupResult::NotFound();
    }
    CloseIdle();

    std::vector<size_t> order =
        rotation_.Order([this](size_t i) { return conns_[i].c != nullptr; });
    if (order.empty()) return LookupResult::TempError("no database host available" + Summary());
    std::string query_error;
    for (size_t i : order) {
      const MysqlHost& host = rotation_.host(i);
      bool reused = conns_[i].c != nullptr;
      for (int attempt = 0; attempt < 2; ++attempt) {
        if (!conns_[i].c) {
          auto c = connector_->Connect(host);
          if (!c.ok()) {
            msg::Warn("connect to mysql server %s: %s", host.spec.c_str(),
                      c.status().message().c_str());
            rotation_.Failed(i, c.status().message());
            break;
          }
          conns_[i].c = std::move(*c);
          reused = false;
        }
        MysqlConnection* conn = conns_[i].c.get();
        std::string sql =
            expander_.ExpandQuery(key, [conn](std::string_view s) { return conn->Escape(s); });
        if (msg::Verbose())
          msg::Info("%s: %s: query: %s", spec().c_str(), host.spec.c_str(),
                    util::Printable(sql).c_str());
        MysqlConnection::Result r = conn->Query(sql);
        conns_[i].last_used = rotation_.Now();
        if (r.kind == MysqlConnection::Result::Kind::kConnectionError) {
          conns_[i].c.reset();
          if (reused && attempt == 0) {
            if (msg::Verbose())
              msg::Info("mysql server %s: reopening a stale connection: %s", host.spec.c_str(),
                        r.error.c_str());
            continue;
          }
          msg::Warn("mysql server %s: %s", host.spec.c_str(), r.error.c_str());
          // A connection made for this very query broke on it: the server
          // is up (it just accepted us) and dropped this query (too large
          // for max_allowed_packet, say). That is this key's temporary
          // error, not a dead host: marking the host down would let one
          // key deny every lookup after it. Only failed connects do that.
          query_error = r.error;
          break;
        }
        rotation_.Succeeded(i);
        return Answer(key, r);
      }
    }
    if (!query_error.empty()) return LookupResult::TempError("query failed: " + query_error);
    return LookupResult::TempError("no database host answered" + Summary());
  }

 private:
  struct Conn {
    std::unique_ptr<MysqlConnection> c;
    double last_used = 0;
  };

  void CloseIdle() {
    double now = rotation_.Now();
    for (Conn& c : conns_) {
      if (c.c && now - c.last_used >= config_.idle_interval) c.c.reset();
    }
  }

  // " (HOST: last error, retry in Ns; ...)" for messages.
  std::string Summary() const {
    std::vector<std::string> parts;
    for (size_t i = 0; i < rotation_.size(); ++i) {
      if (rotation_.last_error(i).empty() || !rotation_.Resting(i)) continue;
      parts.push_back(util::StrFormat("%s: %s", rotation_.host(i).spec.c_str(),
                                      rotation_.last_error(i).c_str()));
    }
    return parts.empty() ? std::string() : " (" + util::Join(parts, "; ") + ")";
  }

  LookupResult Answer(const std::string& key, const MysqlConnection::Result& r) {
    using Kind = MysqlConnection::Result::Kind;
    if (r.kind == Kind::kQueryError) {
      msg::Warn("%s: query failed for key \"%s\": %s", spec().c_str(), util::Printable(key).c_str(),
                r.error.c_str());
      return LookupResult::TempError("query failed: " + r.error);
    }
    if (r.kind == Kind::kNoResultSet) {
      if (!config_.require_result_set) return LookupResult::NotFound();
      msg::Warn("%s: query for key \"%s\" returned no result set", spec().c_str(),
                util::Printable(key).c_str());
      return LookupResult::TempError("query returned no result set");
    }
    std::string out;
    long long count = 0;
    for (const auto& row : r.rows) {
      for (const std::string& value : row) {
        if (expander_.AppendResult(value, key, &out) && config_.expansion_limit > 0 &&
            ++count > config_.expansion_limit) {
          msg::Warn("%s: expansion limit exceeded for key: \"%s\"", spec().c_str(),
                    util::Printable(key).c_str());
          return LookupResult::TempError("expansion limit exceeded");
        }
      }
    }
    if (out.empty()) return LookupResult::NotFound();
    return LookupResult::Found(std::move(out));
  }

  MysqlConfig config_;
  SqlExpander expander_;
  DomainFilter domain_;
  std::unique_ptr<MysqlConnector> connector_;
  HostRotation rotation_;
  std::vector<Conn> conns_;
};

}  // namespace

util::StatusOr<std::unique_ptr<MysqlConnector>> NewMariadbConnector(const MysqlConfig& config) {
  util::StatusOr<const MariadbApi*> api = LoadMariadb();
  if (!api.ok()) return api.status();
  return std::unique_ptr<MysqlConnector>(new MariadbConnector(**api, config));
}

util::StatusOr<std::unique_ptr<Table>> NewMysqlTable(std::string name, MysqlConfig config,
                                                     const OpenOptions& options,
                                                     std::unique_ptr<MysqlConnector> connector,
                                                     HostRotation::Clock clock, uint32_t seed) {
  auto expander = SqlExpander::Create(config.query, config.result_format);
  if (!expander.ok()) return util::FailedPrecondition(expander.status().message());
  auto domain = DomainFilter::Create(config.domain, options);
  if (!domain.ok()) return domain.status();
  return std::unique_ptr<Table>(new MysqlTable(std::move(name), options.flags, std::move(config),
                                               std::move(*expander), std::move(*domain),
                                               std::move(connector), std::move(clock), seed));
}

util::StatusOr<std::unique_ptr<Table>> OpenMysql(std::string_view name,
                                                 const OpenOptions& options) {
  std::string table = "mysql:" + std::string(name);
  if ((options.open_flags & O_ACCMODE) != O_RDONLY)
    return util::FailedPrecondition(table + " map requires O_RDONLY access mode");
  util::StatusOr<MysqlConfig> config = util::FailedPrecondition("unset");
  if (name.starts_with('/') || name.starts_with('.')) {
    std::vector<std::string> warnings;
    config = LoadMysqlCf(std::string(name), &warnings);
    for (const std::string& w : warnings) msg::Warn("%s", w.c_str());
  } else {
    // The main.cf-embedded form: NAME_hosts, NAME_query, ...
    std::string prefix = std::string(name) + "_";
    config = ParseMysqlConfig(table, [&](std::string_view param) -> std::optional<MysqlParam> {
      if (!options.params) return std::nullopt;
      std::string full = prefix + std::string(param);
      auto v = options.params(full);
      if (!v) return std::nullopt;
      return MysqlParam{*v, "main.cf parameter " + full};
    });
  }
  if (!config.ok()) return config.status();
  // The connector library is loaded here, at open, so that a system
  // without it says so at once rather than at every lookup.
  auto connector = NewMariadbConnector(*config);
  if (!connector.ok()) return util::FailedPrecondition(table + ": " + connector.status().message());
  return NewMysqlTable(std::string(name), std::move(*config), options, std::move(*connector));
}

}  // namespace tables

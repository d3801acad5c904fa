#include "tables/mysql_table.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <map>
#include <set>

#include "tables/registry.h"
#include "util/scratch_dir.h"

namespace tables {
namespace {

using Result = MysqlConnection::Result;

// A fake database server: canned answers by SQL text; it can be down, or
// restarted (which breaks the open connections).
struct FakeServer {
  bool up = true;
  int generation = 0;  // bumped by Restart(); older connections are gone
  int connects = 0;
  std::vector<std::string> queries;
  std::map<std::string, std::vector<std::vector<std::string>>> rows;
  std::map<std::string, std::string> errors;  // SQL -> query error (one key's failure)
  std::set<std::string> no_result_set;
  std::set<std::string> drops;  // SQL the server answers by closing the connection
  void Restart() { ++generation; }
};

class FakeConnection : public MysqlConnection {
 public:
  FakeConnection(FakeServer* s) : s_(s), generation_(s->generation) {}
  std::string Escape(std::string_view in) override {
    std::string out;
    for (char c : in) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  }
  Result Query(std::string_view sql) override {
    Result r;
    if (!s_->up || s_->generation != generation_) {
      r.kind = Result::Kind::kConnectionError;
      r.error = "MySQL server has gone away (error 2006)";
      return r;
    }
    std::string q(sql);
    s_->queries.push_back(q);
    if (s_->drops.contains(q)) {
      generation_ = -1;  // this connection is gone
      r.kind = Result::Kind::kConnectionError;
      r.error = "MySQL server has gone away (error 2006)";
      return r;
    }
    if (auto e = s_->errors.find(q); e != s_->errors.end()) {
      r.kind = Result::Kind::kQueryError;
      r.error = e->second;
    } else if (s_->no_result_set.contains(q)) {
      r.kind = Result::Kind::kNoResultSet;
    } else if (auto it = s_->rows.find(q); it != s_->rows.end()) {
      r.rows = it->second;
    }
    return r;
  }

 private:
  FakeServer* s_;
  int generation_;
};

class FakeConnector : public MysqlConnector {
 public:
  explicit FakeConnector(std::map<std::string, FakeServer*> servers) : servers_(servers) {}
  util::StatusOr<std::unique_ptr<MysqlConnection>> Connect(const MysqlHost& h) override {
    FakeServer* s = servers_.at(h.spec);
    ++s->connects;
    if (!s->up)
      return util::Unavailable("Can't connect to server on '" + h.spec + "' (error 2002)");
    return std::unique_ptr<MysqlConnection>(new FakeConnection(s));
  }

 private:
  std::map<std::string, FakeServer*> servers_;
};

const char kQuery[] = "SELECT goto FROM alias WHERE address='%s'";
std::string Sql(const std::string& key) {
  return "SELECT goto FROM alias WHERE address='" + key + "'";
}

class MysqlTableTest : public ::testing::Test {
 protected:
  std::unique_ptr<Table> Make(MysqlConfig c, std::map<std::string, FakeServer*> servers,
                              unsigned flags = kDefaultLookupFlags) {
    OpenOptions o;
    o.flags = flags;
    auto t = NewMysqlTable(
        "/etc/postfix/test.cf", std::move(c), o, std::make_unique<FakeConnector>(servers),
        [this] { return now_; }, 7);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return std::move(*t);
  }
  MysqlConfig Config(const std::string& hosts = "unix:/s") {
    MysqlConfig c;
    c.hosts = *ParseMysqlHosts(hosts);
    c.query = kQuery;
    return c;
  }
  double now_ = 1000;
};

TEST_F(MysqlTableTest, RowsAndColumnsJoinedWithCommas) {
  FakeServer s;
  s.rows[Sql("sales@example.jp")] = {{"alice@example.jp", "x"}, {"", "carol@example.net"}};
  s.rows[Sql("bob@example.jp")] = {{"bob@example.jp"}};
  auto t = Make(Config(), {{"unix:/s", &s}});
  LookupResult r = t->Lookup("sales@example.jp");
  ASSERT_TRUE(r.found()) << r.value;
  EXPECT_EQ(r.value, "alice@example.jp,x,carol@example.net");
  EXPECT_TRUE(t->Lookup("nobody@example.jp").not_found());
  EXPECT_TRUE(t->Lookup("Bob@Example.JP").found());  // folded to lower case
  EXPECT_EQ(s.queries.back(), Sql("bob@example.jp"));
  EXPECT_EQ(s.connects, 1);  // one connection reused
  EXPECT_EQ(t->spec(), "mysql:/etc/postfix/test.cf");
}

TEST_F(MysqlTableTest, KeyQuotedWithTheConnectionsEscaping) {
  FakeServer s;
  auto t = Make(Config(), {{"unix:/s", &s}});
  EXPECT_TRUE(t->Lookup("x' or '1'='1").not_found());
  EXPECT_EQ(s.queries.back(), "SELECT goto FROM alias WHERE address='x\\' or \\'1\\'=\\'1'");
}

TEST_F(MysqlTableTest, OneBadKeyFailsAloneAndTheConnectionStays) {
  FakeServer s;
  s.errors[Sql("ほげ@example.jp")] = "Illegal mix of collations (error 1267)";
  s.rows[Sql("bob@example.jp")] = {{"bob@example.jp"}};
  auto t = Make(Config("unix:/s inet:b"), {{"unix:/s", &s}, {"inet:b", nullptr}});
  LookupResult r = t->Lookup("ほげ@example.jp");
  ASSERT_TRUE(r.temp_error());
  EXPECT_EQ(r.value, "query failed: Illegal mix of collations (error 1267)");
  for (int i = 0; i < 3; ++i) {
    r = t->Lookup("bob@example.jp");
    ASSERT_TRUE(r.found()) << r.value;
    EXPECT_TRUE(t->Lookup("ほげ@example.jp").temp_error());
  }
  EXPECT_EQ(s.connects, 1);  // never reconnected, the other host never asked
}

TEST_F(MysqlTableTest, DeadFirstHostAnswersFromTheNext) {
  FakeServer dead, live;
  dead.up = false;
  live.rows[Sql("bob@example.jp")] = {{"bob@example.jp"}};
  // The socket is always tried first, so it is the dead one.
  auto t = Make(Config("inet:live unix:/dead"), {{"unix:/dead", &dead}, {"inet:live", &live}});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(t->Lookup("bob@example.jp").found());
  EXPECT_EQ(dead.connects, 1);  // resting after its failure
  EXPECT_EQ(live.connects, 1);
  now_ += 1;  // the rest is over: tried again (and fails again, for 2s)
  ASSERT_TRUE(t->Lookup("bob@example.jp").found());
  EXPECT_EQ(dead.connects, 2);
  now_ += 1.5;
  ASSERT_TRUE(t->Lookup("bob@example.jp").found());
  EXPECT_EQ(dead.connects, 2);
}

TEST_F(MysqlTableTest, AllHostsDeadThenBack) {
  FakeServer a, b;
  a.up = b.up = false;
  a.rows[Sql("bob@example.jp")] = {{"from-a"}};
  b.rows[Sql("bob@example.jp")] = {{"from-b"}};
  auto t = Make(Config("inet:a inet:b"), {{"inet:a", &a}, {"inet:b", &b}});
  LookupResult r = t->Lookup("bob@example.jp");
  ASSERT_TRUE(r.temp_error());
  EXPECT_NE(r.value.find("no database host answered"), std::string::npos) << r.value;
  r = t->Lookup("bob@example.jp");  // both resting: no attempt
  ASSERT_TRUE(r.temp_error());
  EXPECT_NE(r.value.find("no database host available (inet:"), std::string::npos) << r.value;
  EXPECT_EQ(a.connects + b.connects, 2);
  b.up = true;
  now_ += 1;
  r = t->Lookup("bob@example.jp");
  ASSERT_TRUE(r.found()) << r.value;
  EXPECT_EQ(r.value, "from-b");
}

TEST_F(MysqlTableTest, ServerDiesAndComesBack) {
  FakeServer s;
  s.rows[Sql("bob@example.jp")] = {{"bob@example.jp"}};
  auto t = Make(Config(), {{"unix:/s", &s}});
  ASSERT_TRUE(t->Lookup("bob@example.jp").found());
  s.up = false;
  s.Restart();
  EXPECT_TRUE(t->Lookup("bob@example.jp").temp_error());
  EXPECT_TRUE(t->Lookup("bob@example.jp").temp_error());
  s.up = true;
  EXPECT_TRUE(t->Lookup("bob@example.jp").temp_error());  // still resting
  now_ += 1;
  EXPECT_TRUE(t->Lookup("bob@example.jp").found());
}

// A query the server answers by dropping the connection (larger than its
// max_allowed_packet): a temporary error for that key, retried once on a
// fresh connection, and never a host marked down for the keys after it.
TEST_F(MysqlTableTest, AKeyThatDropsTheConnectionFailsAlone) {
  FakeServer s;
  s.rows[Sql("bob@example.jp")] = {{"bob@example.jp"}};
  std::string huge(600000, 'x');
  s.drops.insert(Sql(huge));
  auto t = Make(Config(), {{"unix:/s", &s}});
  ASSERT_TRUE(t->Lookup("bob@example.jp").found());
  LookupResult r = t->Lookup(huge);
  EXPECT_TRUE(r.temp_error());
  EXPECT_EQ(r.value.rfind("query failed: MySQL server has gone away", 0), 0u) << r.value;
  EXPECT_TRUE(t->Lookup("bob@example.jp").found());  // at once, no resting host
  EXPECT_TRUE(t->Lookup(huge).temp_error());
  EXPECT_TRUE(t->Lookup("bob@example.jp").found());
}

TEST_F(MysqlTableTest, StaleConnectionReopenedOnce) {
  FakeServer s;
  s.rows[Sql("bob@example.jp")] = {{"bob@example.jp"}};
  auto t = Make(Config(), {{"unix:/s", &s}});
  ASSERT_TRUE(t->Lookup("bob@example.jp").found());
  s.Restart();  // the server closed our connection while we were idle
  ASSERT_TRUE(t->Lookup("bob@example.jp").found());
  EXPECT_EQ(s.connects, 2);
}

TEST_F(MysqlTableTest, IdleConnectionClosed) {
  FakeServer s;
  s.rows[Sql("bob@example.jp")] = {{"bob@example.jp"}};
  MysqlConfig c = Config();
  c.idle_interval = 60;
  auto t = Make(c, {{"unix:/s", &s}});
  ASSERT_TRUE(t->Lookup("bob@example.jp").found());
  now_ += 59;
  ASSERT_TRUE(t->Lookup("bob@example.jp").found());
  EXPECT_EQ(s.connects, 1);
  now_ += 60;
  ASSERT_TRUE(t->Lookup("bob@example.jp").found());
  EXPECT_EQ(s.connects, 2);
}

TEST_F(MysqlTableTest, ExpansionLimit) {
  FakeServer s;
  s.rows[Sql("list@example.jp")] = {{"a"}, {"b", ""}, {"c"}};
  struct Case {
    long long limit;
    bool want_temp;
  };
  for (Case c : {Case{0, false}, Case{1, true}, Case{2, true}, Case{3, false}}) {
    SCOPED_TRACE(c.limit);
    MysqlConfig cfg = Config();
    cfg.expansion_limit = c.limit;
    auto t = Make(cfg, {{"unix:/s", &s}});
    LookupResult r = t->Lookup("list@example.jp");
    EXPECT_EQ(r.temp_error(), c.want_temp) << r.value;
    if (!c.want_temp) {
      EXPECT_EQ(r.value, "a,b,c");
    }
  }
}

TEST_F(MysqlTableTest, ResultFormat) {
  FakeServer s;
  s.rows[Sql("k@example.jp")] = {{"mx1.example.jp"}, {"mx2.example.jp"}};
  MysqlConfig c = Config();
  c.result_format = "smtp:[%s]";
  auto t = Make(c, {{"unix:/s", &s}});
  EXPECT_EQ(t->Lookup("k@example.jp").value, "smtp:[mx1.example.jp],smtp:[mx2.example.jp]");
}

TEST_F(MysqlTableTest, SuppressedKeysNeverReachTheServer) {
  FakeServer s;
  MysqlConfig c = Config();
  c.query = "SELECT 1 FROM mailbox WHERE local_part='%u' AND domain='%d'";
  auto t = Make(c, {{"unix:/s", &s}});
  EXPECT_TRUE(t->Lookup("unqualified").not_found());
  EXPECT_TRUE(t->Lookup("@example.jp").not_found());
  EXPECT_TRUE(t->Lookup("").not_found());
  EXPECT_EQ(s.connects, 0);
  EXPECT_TRUE(s.queries.empty());
}

TEST_F(MysqlTableTest, DomainRestriction) {
  util::testing::ScratchDir dir;
  std::string file =
      dir.Write("domains", "# hosted\nexample.net, !sub.example.org\nsub.example.org\n");
  FakeServer s;
  MysqlConfig c = Config();
  c.domain = {"Example.JP", file};
  auto t = Make(c, {{"unix:/s", &s}});
  struct Case {
    std::string key;
    bool queried;
  };
  const Case cases[] = {
      {"bob@example.jp", true},
      {"bob@EXAMPLE.JP", true},
      {"bob@example.net", true},
      {"bob@other.jp", false},
      {"bob", false},
      {"@example.jp", false},
      {"bob@", false},
      {"bob@sub.example.org", false},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.key);
    s.queries.clear();
    EXPECT_TRUE(t->Lookup(k.key).not_found());
    EXPECT_EQ(!s.queries.empty(), k.queried);
  }
}

TEST_F(MysqlTableTest, RequireResultSet) {
  FakeServer s;
  s.no_result_set.insert(Sql("k"));
  MysqlConfig c = Config();
  auto t = Make(c, {{"unix:/s", &s}});
  EXPECT_TRUE(t->Lookup("k").temp_error());
  c.require_result_set = false;
  t = Make(c, {{"unix:/s", &s}});
  EXPECT_TRUE(t->Lookup("k").not_found());
}

TEST(MysqlErrorTest, ConnectionLevelErrors) {
  struct Case {
    unsigned e;
    bool want;
  };
  const Case cases[] = {{2002, true},  {2003, true},  {2006, true},  {2013, true},  {2014, true},
                        {1053, true},  {1927, true},  {1040, true},  {1267, false}, {1271, false},
                        {1146, false}, {1064, false}, {1366, false}, {1317, false}, {1205, false}};
  for (Case c : cases) EXPECT_EQ(IsMysqlConnectionError(c.e), c.want) << c.e;
}

// ---- configuration files ----

class MysqlCfTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) { return dir_.Write("t.cf", text); }
  util::testing::ScratchDir dir_;
};

TEST_F(MysqlCfTest, AllParameters) {
  std::string path = Write(
      "hosts = unix:/run/s 127.0.0.1:3307\n"
      "user = postfix\npassword = hogehoge\ndbname = postfix\n"
      "query = SELECT goto FROM alias WHERE address='%s'\n"
      "   AND active = '1'\n"
      "result_format = smtp:[%s]\ndomain = example.jp, example.net\nexpansion_limit = 5\n"
      "option_file = /etc/my.cnf\noption_group = postfix\nrequire_result_set = no\n"
      "tls_cert_file = c\ntls_key_file = k\ntls_CAfile = ca\ntls_CApath = /ca\n"
      "tls_ciphers = HIGH\ntls_verify_cert = yes\ncharset = latin1\n"
      "idle_interval = 2m\nretry_interval = 30\nconnect_timeout = 5\nquery_timeout = 7\n");
  std::vector<std::string> warnings;
  auto c = LoadMysqlCf(path, &warnings);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(c->hosts.size(), 2u);
  EXPECT_EQ(c->hosts[0].socket, "/run/s");
  EXPECT_EQ(c->hosts[1].port, 3307);
  EXPECT_EQ(c->user, "postfix");
  EXPECT_EQ(c->password, "hogehoge");
  EXPECT_EQ(c->dbname, "postfix");
  EXPECT_EQ(c->query, "SELECT goto FROM alias WHERE address='%s' AND active = '1'");
  EXPECT_EQ(c->result_format, "smtp:[%s]");
  EXPECT_EQ(c->domain, (std::vector<std::string>{"example.jp", "example.net"}));
  EXPECT_EQ(c->expansion_limit, 5);
  EXPECT_EQ(c->option_file, "/etc/my.cnf");
  EXPECT_EQ(c->option_group, "postfix");
  EXPECT_FALSE(c->require_result_set);
  EXPECT_EQ(c->tls_CApath, "/ca");
  EXPECT_EQ(c->tls_ciphers, "HIGH");
  EXPECT_TRUE(c->tls_verify_cert);
  EXPECT_EQ(c->charset, "latin1");
  EXPECT_EQ(c->idle_interval, 120);
  EXPECT_EQ(c->retry_interval, 30);
  EXPECT_EQ(c->connect_timeout, 5);
  EXPECT_EQ(c->query_timeout, 7);
}

TEST_F(MysqlCfTest, Defaults) {
  std::vector<std::string> warnings;
  auto c = LoadMysqlCf(Write("query = SELECT 1\n"), &warnings);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->hosts.size(), 1u);
  EXPECT_EQ(c->hosts[0].host, "localhost");
  EXPECT_EQ(c->result_format, "%s");
  EXPECT_EQ(c->option_group, "client");
  EXPECT_EQ(c->charset, "utf8mb4");
  EXPECT_TRUE(c->require_result_set);
  EXPECT_EQ(c->expansion_limit, 0);
}

TEST_F(MysqlCfTest, LegacyFields) {
  std::vector<std::string> warnings;
  auto c = LoadMysqlCf(Write("select_field = forw_addr\ntable = mxaliases\nwhere_field = alias\n"
                             "additional_conditions = and status = 'paid'\n"),
                       &warnings);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->query, "SELECT forw_addr FROM mxaliases WHERE alias='%s' and status = 'paid'");
  // query wins over the legacy fields
  c = LoadMysqlCf(Write("query = SELECT 2\ntable = t\n"), &warnings);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->query, "SELECT 2");
}

TEST_F(MysqlCfTest, UnknownNamesWarned) {
  std::vector<std::string> warnings;
  std::string path = Write("User = postfix\nquery = SELECT 1\nhost = db\n");
  auto c = LoadMysqlCf(path, &warnings);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(warnings, (std::vector<std::string>{path + ", line 1: unused parameter: User",
                                                path + ", line 3: unused parameter: host"}));
}

TEST_F(MysqlCfTest, Errors) {
  struct Case {
    std::string name, text, want;  // want: after "PATH"
  };
  const Case cases[] = {
      {"bad limit", "query = x\nexpansion_limit = many\n",
       ", line 2: bad expansion_limit value \"many\": expected a number >= 0"},
      {"negative limit", "query = x\nexpansion_limit = -1\n",
       ", line 2: bad expansion_limit value \"-1\": expected a number >= 0"},
      {"bad query", "\nquery = SELECT x WHERE a='%x'\n",
       ", line 2: invalid query template: %x in \"SELECT x WHERE a='%x'\""},
      {"bad result_format", "query = x\nresult_format = %z\n",
       ", line 2: invalid result_format template: %z in \"%z\""},
      {"bad host", "hosts = unix:\nquery = x\n",
       ", line 1: bad mysql host \"unix:\": empty socket path"},
      {"bad bool", "query = x\ntls_verify_cert = maybe\n",
       ", line 2: bad tls_verify_cert value \"maybe\": expected yes or no"},
      {"bad time", "query = x\nidle_interval = 0\n",
       ", line 2: bad idle_interval value \"0\": expected a time > 0"},
      {"no query", "user = x\ntable = t\n",
       ": no query parameter, and the legacy select_field, where_field not set"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string path = Write(c.text);
    std::vector<std::string> warnings;
    auto cfg = LoadMysqlCf(path, &warnings);
    ASSERT_FALSE(cfg.ok());
    EXPECT_EQ(cfg.status().code(), util::Code::kFailedPrecondition);
    EXPECT_EQ(cfg.status().message(), path + c.want);
  }
}

TEST_F(MysqlCfTest, OpenThroughTheRegistry) {
  std::string path = Write("hosts = unix:" + dir_.path() + "/nosuch.sock\nquery = SELECT '%s'\n");
  auto t = Open("mysql:" + path, OpenOptions{});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ((*t)->spec(), "mysql:" + path);
  LookupResult r = (*t)->Lookup("bob@example.jp");  // no server there
  ASSERT_TRUE(r.temp_error());
  EXPECT_NE(r.value.find("no database host answered (unix:" + dir_.path() + "/nosuch.sock: "),
            std::string::npos)
      << r.value;

  OpenOptions rw;
  rw.open_flags = O_RDWR | O_CREAT;
  t = Open("mysql:" + path, rw);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "mysql:" + path + " map requires O_RDONLY access mode");

  t = Open("mysql:" + dir_.path() + "/missing.cf", OpenOptions{});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message().rfind("open " + dir_.path() + "/missing.cf", 0), 0u)
      << t.status().message();
}

TEST_F(MysqlCfTest, MainCfEmbeddedForm) {
  std::map<std::string, std::string> main_cf = {
      {"vhosts_hosts", "unix:" + dir_.path() + "/nosuch.sock"},
      {"vhosts_query", "SELECT '%s'"},
      {"vhosts_expansion_limit", "x"},
  };
  OpenOptions o;
  o.params = [&](std::string_view n) -> std::optional<std::string> {
    auto it = main_cf.find(std::string(n));
    if (it == main_cf.end()) return std::nullopt;
    return it->second;
  };
  auto t = Open("mysql:vhosts", o);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "main.cf parameter vhosts_expansion_limit: bad expansion_limit value \"x\": expected "
            "a number >= 0");
  main_cf.erase("vhosts_expansion_limit");
  t = Open("mysql:vhosts", o);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_TRUE((*t)->Lookup("k").temp_error());
  main_cf.erase("vhosts_query");
  t = Open("mysql:vhosts", o);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "mysql:vhosts: no query parameter, and the legacy select_field, table, where_field "
            "not set");
}

}  // namespace
}  // namespace tables

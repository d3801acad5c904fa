// smtpd_check: the SMTP server's restrictions; the contract is in
// smtpd_check.h. This file holds the evaluation engine (restriction lists,
// restriction classes, access(5) actions, replies and logging); the
// address/host helpers live in smtpd_check_util.cpp.
//
// Evaluation follows Postfix's smtpd_check.c as documented in smtpd(8),
// postconf(5) and access(5):
//   - A list is evaluated left to right; a restriction answers OK (ends the
//     list), REJECT (ends the whole check with a reply) or DUNNO (next).
//   - Restrictions need their subject: client ones always work, helo ones
//     only once HELO/EHLO was given, sender ones after MAIL FROM, recipient
//     ones at RCPT TO/VRFY; otherwise they are skipped (DUNNO), as Postfix
//     does. Replies name the subject: "<host[addr]>: Client host rejected",
//     "<helo>: Helo command rejected", "<sender>: Sender address rejected",
//     "<rcpt>: Recipient address rejected".
//   - defer_if_permit / defer_if_reject / warn_if_reject change the outcome
//     as postconf(5) says; a temporary table or resolver error ends the
//     check with "451 4.3.0 <name>: Temporary lookup failure"; an unknown
//     restriction with "451 4.3.5 Server configuration error".
//   - soft_bounce turns every 5xx into 4xx.
// permit_sasl_authenticated and the *_sender_login_mismatch checks use the
// sasl_username the engine set after AUTH; reject_unauth_pipelining the
// improper_pipelining the engine noted ("503 5.5.0 <DATA>: Data command
// rejected: Improper use of SMTP command pipelining"). DNS block and allow
// lists look up through smtpd_check_dnsxl.h and reply with
// default_rbl_reply / rbl_reply_maps templates; check_policy_service asks
// a policy server (global/policy_client.h) and applies its action as an
// access(5) result. Deviations: no permit_mx_backup.
#include "smtpd/smtpd_check.h"

#include <unistd.h>

#include <cctype>
#include <ctime>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "global/addr_find.h"
#include "global/addr_list.h"
#include "global/address.h"
#include "global/cleanup_client.h"
#include "global/deliver_status.h"
#include "global/maps.h"
#include "global/params.h"
#include "global/policy_client.h"
#include "global/smtp_reply.h"
#include "smtpd/smtpd_check_dnsxl.h"
#include "smtpd/smtpd_check_util.h"
#include "tables/table_syntax.h"
#include "util/mac_expand.h"
#include "util/msg.h"
#include "util/sockets.h"
#include "util/strings.h"
#include "util/valid_hostname.h"

namespace smtpd_check {
namespace {

using resolve_client::AddressClass;
using resolve_client::ResolveResult;

constexpr int kMaxRecursion = 100;

constexpr char kClassClient[] = "Client host";
constexpr char kClassReverseClient[] = "Unverified Client host";
constexpr char kClassHelo[] = "Helo command";
constexpr char kClassSender[] = "Sender address";
constexpr char kClassRecipient[] = "Recipient address";
constexpr char kClassData[] = "Data command";
constexpr char kClassEod[] = "End-of-data";
constexpr char kClassEtrn[] = "Etrn command";
constexpr char kClassCcert[] = "Client certificate";

enum class Result { kDunno, kOk, kReject };

// A reply waiting to be used (defer_if_permit, defer_if_reject).
struct PendingReply {
  int code = 0;
  std::string text;  // the full reply "450 4.7.1 ..."
};

// Per-session memory (Session::check_state).
struct State {
  // delay_reject: client/helo/sender verdicts of this transaction.
  bool client_done = false, helo_done = false, sender_done = false;
  Verdict client_v, helo_v, sender_v;
  std::optional<PendingReply> client_dip, helo_dip, sender_dip;
  std::string policy_instance;  // check_policy_service's "instance" of this message
};

// What a list is about: its reply name and class.
struct Target {
  std::string name;
  const char* reply_class;
};

// One check call (one SMTP command).
struct Ctx {
  Ctx(Session& session, State& state, std::string w, std::string rcpt = {})
      : s(session), st(state), where(std::move(w)), recipient(std::move(rcpt)) {}
  Session& s;
  State& st;
  std::string where;      // "RCPT", "MAIL", "CONNECT", ...
  std::string recipient;  // logged as to=<> when set
  bool warn_if_reject = false;
  std::optional<PendingReply> defer_if_reject;
  std::optional<PendingReply> defer_if_permit;
  bool rcptmap_checked = false;  // reject_unlisted_recipient ran explicitly
  bool senderrcpt_checked = false;
  int depth = 0;
  bool aborted = false;  // a temporary error or configuration error ended the check
  Verdict verdict;       // the reply of a kReject / abort
};

bool IEq(std::string_view a, std::string_view b) { return util::EqualsIgnoreCase(a, b); }

class CheckerImpl : public Checker {
 public:
  CheckerImpl(const config::Config& cfg, CheckerEnv env) : cfg_(cfg), env_(std::move(env)) {}

  util::Status Init();

  Verdict CheckConnect(Session& s) override;
  Verdict CheckHelo(Session& s) override;
  Verdict CheckSender(Session& s) override;
  Verdict CheckRecipient(Session& s) override;
  Verdict CheckData(Session& s) override;
  Verdict CheckEndOfData(Session& s) override;
  Verdict CheckVrfy(Session& s) override;
  Verdict CheckEtrn(Session& s, const std::string& domain) override;
  void ResetTransaction(Session& s) override;
  util::StatusOr<bool> InMynetworks(const Session& s) override;
  util::StatusOr<bool> ClientMatches(config::AnyParam param, const Session& s) override;

 private:
  using List = std::vector<std::string>;

  State& StateOf(Session& s);
  std::string NamAddr(const Session& s) const;
  Target ClientTarget(const Session& s) const { return {NamAddr(s), kClassClient}; }

  // Stage runners (Postfix's smtpd_check_client/helo/mail/rcpt).
  Verdict RunClient(Ctx& c);
  Verdict RunHelo(Ctx& c);
  Verdict RunSender(Ctx& c);
  Verdict Finish(Ctx& c, Result r);
  Verdict RecipientLike(Session& s, const char* where);

  // Evaluation.
  Result EvalList(Ctx& c, const List& list, const Target& t);
  Result EvalOne(Ctx& c, const List& list, size_t* i, const Target& t);
  Result TableResult(Ctx& c, const std::string& table, const std::string& value, const Target& t,
                     const ResolveResult* routed);
  Result Reject(Ctx& c, int code, std::string_view dsn, const std::string& text,
                const char* reply_class = nullptr);
  Result TempFail(Ctx& c, const std::string& name, const std::string& why);
  Result ConfigError(Ctx& c);
  void DeferIfPermit(Ctx& c, int code, std::string_view dsn, const std::string& text);
  void DeferIfReject(Ctx& c, int code, std::string_view dsn, const std::string& text);
  void Log(Ctx& c, std::string_view whatsup, const std::string& text);
  std::string FormatReply(int code, std::string_view dsn, const std::string& text,
                          const char* reply_class) const;
  // tempfail actions (reject_tempfail_action and friends): defer or defer_if_permit.
  Result TempfailAction(Ctx& c, config::AnyParam action_param, int code, std::string_view dsn,
                        const std::string& text);

  // Individual restrictions.
  util::StatusOr<maps::Maps*> AccessMaps(const std::string& spec);
  Result CheckMailAccess(Ctx& c, const std::string& table, const std::string& addr,
                         const Target& t);
  Result CheckDomainAccess(Ctx& c, const std::string& table, const std::string& domain,
                           const Target& t, bool first_full, bool* found);
  Result CheckAddrAccess(Ctx& c, const std::string& table, const std::string& addr, const Target& t,
                         bool* found);
  Result CheckClientAccess(Ctx& c, const std::string& table, const Target& t);
  Result PermitTlsClientCerts(Ctx& c, bool all);
  Result CheckCcertAccess(Ctx& c, const std::string& table);
  Result UnknownClient(Ctx& c, bool reverse);
  Result InvalidHostname(Ctx& c, const std::string& name, const Target& t);
  Result NonFqdnHostname(Ctx& c, const std::string& name, const Target& t);
  Result UnknownHostname(Ctx& c, const std::string& name, const Target& t);
  Result NonFqdnAddress(Ctx& c, const std::string& addr, const Target& t);
  Result UnknownAddress(Ctx& c, const std::string& addr, const Target& t);
  Result AuthDestination(Ctx& c, const std::string& rcpt, bool* auth);
  Result UnauthDestination(Ctx& c, const std::string& rcpt, bool defer);
  Result UnlistedAddress(Ctx& c, const std::string& addr, const Target& t);
  Result SenderLoginMismatch(Ctx& c, bool authenticated, bool unauthenticated,
                             bool known_only = false);
  Result PermitMynetworks(Ctx& c);
  // DNS block/allow lists: `arg` "domain[=pattern]"; `address`: look up
  // the client address reversed, else the domain of `what`.
  const smtpd_dnsxl::Listing* DnsxlFind(const std::string& arg, bool address,
                                        const std::string& what, smtpd_dnsxl::Spec* spec);
  Result RblReject(Ctx& c, const std::string& arg, bool address, const std::string& what,
                   const char* reply_class);
  Result DnswlPermit(Ctx& c, const std::string& arg, bool address, const std::string& what,
                     const char* reply_class);
  std::optional<std::string> ExpandVar(const Ctx& c, std::string_view name) const;
  Result PolicyCheck(Ctx& c, const std::string& spec, const Target& t);
  // check_*_mx_access / _ns_access / _a_access: the MX hosts, name servers
  // or addresses of `name`'s domain looked up in `table`.
  Result CheckServerAccess(Ctx& c, const std::string& table, const std::string& name,
                           util::dns::Type type, const Target& t);

  // Resolve with a small cache; nullopt after TempFail.
  const ResolveResult* Resolve(Ctx& c, const std::string& addr, const std::string& reply_name);

  bool IsRestrictionClass(std::string_view name) const {
    return classes_.count(util::Lowercase(name)) != 0;
  }

  const config::Config& cfg_;
  bool smtputf8_ = true;  // smtputf8_enable: UTF-8 host name labels are valid
  CheckerEnv env_;
  std::unique_ptr<resolve_client::ResolveClient> resolver_;
  bool delay_reject_ = true;
  bool soft_bounce_ = false;
  bool reject_unlisted_recipient_ = true;
  bool reject_unlisted_sender_ = false;
  bool relay_before_recipient_ = true;
  bool allow_untrusted_routing_ = false;
  bool show_table_name_ = true;
  bool no_unknown_recipient_checks_ = false;
  bool port_logging_ = false;
  std::string null_access_key_ = "<>";
  List client_list_, helo_list_, sender_list_, relay_list_, recipient_list_, data_list_, eod_list_,
      etrn_list_;
  std::map<std::string, List> classes_;  // lower-cased name -> restrictions
  std::map<std::string, maps::Maps> access_maps_;
  std::unique_ptr<addr_list::AddrList> mynetworks_;
  std::map<std::string, std::unique_ptr<addr_list::AddrList>, std::less<>> client_lists_;
  // Recipient validation tables (reject_unlisted_*).
  maps::Maps virtual_alias_maps_, canonical_maps_, rcpt_canonical_maps_, send_canonical_maps_,
      local_rcpt_maps_, virtual_mailbox_maps_, relay_rcpt_maps_, sender_login_maps_;
  bool local_rcpt_check_ = false, virtual_mailbox_check_ = false, relay_rcpt_check_ = false;
  maps::AddrFindOptions alias_opts_, mailbox_opts_, access_opts_;
  maps::Maps relay_ccerts_;  // relay_clientcerts
  std::map<std::string, ResolveResult> resolve_cache_;
  std::unique_ptr<smtpd_dnsxl::Cache> dnsxl_;
  maps::Maps rbl_reply_maps_;
  std::string expansion_filter_;  // smtpd_expansion_filter
  // check_policy_service: one client (and kept connection) per spec.
  std::map<std::string, std::unique_ptr<policy_client::Client>> policy_;
  unsigned long policy_instances_ = 0;
};

// check_{client,reverse_client,helo,sender,recipient}_{mx,ns,a}_access:
// whose name, and which records.
struct ServerCheck {
  std::string who;
  util::dns::Type type;
};
const std::map<std::string, ServerCheck, std::less<>>& ServerChecks() {
  static const auto* checks = [] {
    auto* m = new std::map<std::string, ServerCheck, std::less<>>;
    for (const char* who : {"client", "reverse_client", "helo", "sender", "recipient"}) {
      for (auto [records, type] :
           {std::pair<const char*, util::dns::Type>{"mx", util::dns::Type::kMx},
            {"ns", util::dns::Type::kNs},
            {"a", util::dns::Type::kA}})
        (*m)[std::string("check_") + who + "_" + records + "_access"] = {who, type};
    }
    return m;
  }();
  return *checks;
}

// Restriction names that take a table argument (opened at start-up).
bool TableRestriction(std::string_view name) {
  static const std::set<std::string, std::less<>> names = {
      "check_client_access",    "check_reverse_client_hostname_access",
      "check_helo_access",      "check_sender_access",
      "check_recipient_access", "check_etrn_access",
      "check_ccert_access"};
  return names.count(name) != 0 || ServerChecks().count(name) != 0;
}

// The restrictions that make relay control work (Postfix's start-up check).
bool HasRequired(const std::vector<std::string>& list,
                 const std::map<std::string, std::vector<std::string>>& classes, int depth) {
  static const char* const kRequired[] = {
      "reject_unauth_destination", "defer_unauth_destination", "reject", "defer",
      "defer_if_permit",           "check_relay_domains"};
  if (depth > kMaxRecursion) return false;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string& r = list[i];
    if (IEq(r, "warn_if_reject") && i + 1 < list.size()) {
      ++i;
      continue;
    }
    if (IEq(r, "permit")) {
      if (i + 1 < list.size())
        msg::Warn("restriction `%s' after `%s' is ignored", list[i + 1].c_str(), r.c_str());
      return false;
    }
    for (const char* req : kRequired) {
      if (IEq(r, req)) return true;
    }
    auto it = classes.find(util::Lowercase(r));
    if (it != classes.end() && HasRequired(it->second, classes, depth + 1)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Set-up.

util::Status CheckerImpl::Init() {
  delay_reject_ = cfg_.GetBool("smtpd_delay_reject");
  smtputf8_ = cfg_.GetBool("smtputf8_enable");
  soft_bounce_ = cfg_.GetBool("soft_bounce");
  reject_unlisted_recipient_ = cfg_.GetBool("smtpd_reject_unlisted_recipient");
  reject_unlisted_sender_ = cfg_.GetBool("smtpd_reject_unlisted_sender");
  relay_before_recipient_ =
      util::ParseBool(cfg_.Get("smtpd_relay_before_recipient_restrictions")).value_or(true);
  allow_untrusted_routing_ = cfg_.GetBool("allow_untrusted_routing");
  show_table_name_ = cfg_.GetBool("show_user_unknown_table_name");
  no_unknown_recipient_checks_ =
      cleanup_client::ReceiveOverridesFromConfig(cfg_).no_unknown_recipient_checks;
  port_logging_ = cfg_.GetBool("smtpd_client_port_logging");
  null_access_key_ = cfg_.Get("smtpd_null_access_lookup_key");

  struct {
    config::AnyParam param;
    List* list;
  } lists[] = {{"smtpd_client_restrictions", &client_list_},
               {"smtpd_helo_restrictions", &helo_list_},
               {"smtpd_sender_restrictions", &sender_list_},
               {"smtpd_relay_restrictions", &relay_list_},
               {"smtpd_recipient_restrictions", &recipient_list_},
               {"smtpd_data_restrictions", &data_list_},
               {"smtpd_end_of_data_restrictions", &eod_list_},
               {"smtpd_etrn_restrictions", &etrn_list_}};
  for (auto& l : lists) {
    util::StatusOr<List> v = SplitRestrictions(cfg_.Get(l.param));
    if (!v.ok())
      return util::FailedPrecondition(std::string(l.param.name()) + ": " + v.status().message());
    *l.list = std::move(*v);
  }
  for (const std::string& name : cfg_.GetList("smtpd_restriction_classes")) {
    util::StatusOr<List> v = SplitRestrictions(cfg_.Get(config::AnyParam::Dynamic(name)));
    if (!v.ok()) return util::FailedPrecondition(name + ": " + v.status().message());
    classes_[util::Lowercase(name)] = std::move(*v);
  }

  // Postfix's start-up check: something must refuse relaying.
  if (!HasRequired(relay_list_, classes_, 0) && !HasRequired(recipient_list_, classes_, 0)) {
    return util::FailedPrecondition(
        "in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify at "
        "least one working instance of: reject_unauth_destination, defer_unauth_destination, "
        "reject, defer, defer_if_permit or check_relay_domains");
  }

  // Open every access table named in a list now, so that a bad table spec
  // is a start-up error (as Postfix opens them before it serves).
  std::vector<const List*> all = {&client_list_,    &helo_list_, &sender_list_, &relay_list_,
                                  &recipient_list_, &data_list_, &eod_list_,    &etrn_list_};
  for (auto& [name, l] : classes_) all.push_back(&l);
  for (const List* l : all) {
    for (size_t i = 0; i + 1 < l->size(); ++i) {
      if (TableRestriction(util::Lowercase((*l)[i]))) {
        util::StatusOr<maps::Maps*> m = AccessMaps((*l)[i + 1]);
        if (!m.ok()) return m.status();
        ++i;
      }
    }
  }

  // mynetworks: the parameter, or computed from mynetworks_style.
  std::string nets;
  if (cfg_.IsExplicit("mynetworks")) {
    nets = cfg_.Get("mynetworks");
  } else {
    std::optional<std::string> v = params::MynetworksForStyle(cfg_.Get("mynetworks_style"));
    if (!v) {
      return util::FailedPrecondition("unknown mynetworks_style parameter value: " +
                                      cfg_.Get("mynetworks_style"));
    }
    nets = *v;
  }
  bool parent = false;
  for (const std::string& p : cfg_.GetList("parent_domain_matches_subdomains")) {
    if (p == "mynetworks") parent = true;
  }
  util::StatusOr<addr_list::AddrList> mn =
      addr_list::AddrList::Parse("mynetworks", nets, parent, maps::TableOptions(cfg_));
  if (!mn.ok()) return mn.status();
  mynetworks_ = std::make_unique<addr_list::AddrList>(std::move(*mn));

  // Recipient validation tables.
  struct {
    config::AnyParam param;
    maps::Maps* maps;
  } tables[] = {{"virtual_alias_maps", &virtual_alias_maps_},
                {"canonical_maps", &canonical_maps_},
                {"recipient_canonical_maps", &rcpt_canonical_maps_},
                {"sender_canonical_maps", &send_canonical_maps_},
                {"virtual_mailbox_maps", &virtual_mailbox_maps_},
                {"relay_recipient_maps", &relay_rcpt_maps_},
                {"smtpd_sender_login_maps", &sender_login_maps_},
                {"relay_clientcerts", &relay_ccerts_}};
  for (auto& t : tables) {
    util::StatusOr<maps::Maps> m = maps::Maps::FromParameter(cfg_, t.param);
    if (!m.ok()) return m.status();
    *t.maps = std::move(*m);
  }
  virtual_mailbox_check_ = !virtual_mailbox_maps_.empty();
  relay_rcpt_check_ = !relay_rcpt_maps_.empty();
  // local_recipient_maps: a table type we do not have (the default
  // proxy:unix:passwd.byname) would make every local recipient unknown or
  // deferred; without it the list is incomplete, so no check at all.
  std::string local = cfg_.Get("local_recipient_maps");
  local_rcpt_check_ = !util::Trim(local).empty();
  if (local_rcpt_check_) {
    std::string bad = UnsupportedTableIn(local);
    if (!bad.empty()) {
      msg::Warn(
          "local_recipient_maps: unsupported table %s: local recipients are not "
          "validated (set local_recipient_maps without it)",
          bad.c_str());
      local_rcpt_check_ = false;
    } else {
      util::StatusOr<maps::Maps> m = maps::Maps::FromParameter(cfg_, "local_recipient_maps");
      if (!m.ok()) return m.status();
      local_rcpt_maps_ = std::move(*m);
    }
  }
  alias_opts_ = maps::AddrFindOptions::ForConfig(cfg_, "virtual_alias_maps");
  alias_opts_.steps = maps::kVirtualAliasSteps;
  alias_opts_.is_local = [](std::string_view) { return true; };  // class known: local part ok
  mailbox_opts_ = maps::AddrFindOptions::ForConfig(cfg_, "virtual_mailbox_maps");
  mailbox_opts_.steps = maps::kVirtualMailboxSteps;
  access_opts_ = maps::AddrFindOptions::ForConfig(cfg_, "smtpd_access_maps");
  access_opts_.steps = maps::kAccessSteps;

  if (!env_.resolve) {
    resolver_ = std::make_unique<resolve_client::ResolveClient>(cfg_);
    env_.resolve = [this](std::string_view sender, std::string_view addr) {
      return resolver_->Resolve(sender, addr);
    };
  }
  if (env_.dns == nullptr) env_.dns = DefaultDnsResolver();
  dnsxl_ = std::make_unique<smtpd_dnsxl::Cache>(*env_.dns);
  util::StatusOr<maps::Maps> rbl_replies = maps::Maps::FromParameter(cfg_, "rbl_reply_maps");
  if (!rbl_replies.ok()) return rbl_replies.status();
  rbl_reply_maps_ = std::move(*rbl_replies);
  expansion_filter_ = util::Unescape(cfg_.Raw("smtpd_expansion_filter").value_or(""));

  // Policy servers, each spec parsed once (a bad one is a start-up error,
  // as in Postfix).
  policy_client::Options policy_defaults = policy_client::Options::FromConfig(cfg_);
  for (const List* l : all) {
    for (size_t i = 0; i + 1 < l->size(); ++i) {
      if (!IEq((*l)[i], "check_policy_service")) continue;
      const std::string& spec = (*l)[++i];
      if (policy_.count(spec)) continue;
      util::StatusOr<policy_client::Service> svc =
          policy_client::ParseService(spec, policy_defaults);
      if (!svc.ok()) return svc.status();
      policy_[spec] = std::make_unique<policy_client::Client>(svc->endpoint, svc->options);
    }
  }
  return util::OkStatus();
}

util::StatusOr<maps::Maps*> CheckerImpl::AccessMaps(const std::string& spec) {
  auto it = access_maps_.find(spec);
  if (it != access_maps_.end()) return &it->second;
  util::StatusOr<maps::Maps> m = maps::Maps::Open(spec, spec, maps::TableOptions(cfg_));
  if (!m.ok()) return m.status();
  return &access_maps_.emplace(spec, std::move(*m)).first->second;
}

State& CheckerImpl::StateOf(Session& s) {
  if (!s.check_state) s.check_state = std::make_shared<State>();
  return *static_cast<State*>(s.check_state.get());
}

std::string CheckerImpl::NamAddr(const Session& s) const {
  std::string out = s.client_name + "[" + s.client_addr + "]";
  if (port_logging_ && !s.client_port.empty()) out += ":" + s.client_port;
  return out;
}

// ---------------------------------------------------------------------------
// Replies and logging.

std::string CheckerImpl::FormatReply(int code, std::string_view dsn, const std::string& text,
                                     const char* reply_class) const {
  std::string d(dsn);
  if (d.size() >= 5 && d[1] == '.') {
    d[0] = static_cast<char>('0' + code / 100);
    // Sender-side detail codes (RFC 3463): unknown mailbox X.1.1 -> X.1.0.
    if (reply_class != nullptr && std::string_view(reply_class) == kClassSender &&
        d.substr(1) == ".1.1")
      d = d.substr(0, 1) + ".1.0";
  }
  return util::StrFormat("%d %s %s", code, d.c_str(), text.c_str());
}

void CheckerImpl::Log(Ctx& c, std::string_view whatsup, const std::string& text) {
  const Session& s = c.s;
  std::string line = util::StrFormat("%s: %.*s: %s from %s: %s;",
                                     s.queue_id.empty() ? "NOQUEUE" : s.queue_id.c_str(),
                                     static_cast<int>(whatsup.size()), whatsup.data(),
                                     c.where.c_str(), NamAddr(s).c_str(), text.c_str());
  if (s.has_sender) line += " from=<" + s.sender + ">";
  if (!c.recipient.empty()) line += " to=<" + c.recipient + ">";
  if (!s.protocol.empty()) line += " proto=" + s.protocol;
  if (!s.helo_name.empty()) line += " helo=<" + s.helo_name + ">";
  msg::Info("%s", line.c_str());
}

Result CheckerImpl::Reject(Ctx& c, int code, std::string_view dsn, const std::string& text,
                           const char* reply_class) {
  if (soft_bounce_ && code >= 500 && code < 600) code -= 100;
  std::string reply = FormatReply(code, dsn, text, reply_class);
  if (c.warn_if_reject) {
    Log(c, "reject_warning", reply);
    return Result::kDunno;
  }
  if (code >= 500 && c.defer_if_reject) {
    code = c.defer_if_reject->code;
    reply = c.defer_if_reject->text;
  }
  Log(c, "reject", reply);
  c.verdict = {code, reply};
  return Result::kReject;
}

Result CheckerImpl::TempFail(Ctx& c, const std::string& name, const std::string& why) {
  if (!why.empty()) msg::Warn("%s", why.c_str());
  bool saved = c.warn_if_reject;
  c.warn_if_reject = false;
  std::string reply =
      FormatReply(451, "4.3.0", "<" + name + ">: Temporary lookup failure", nullptr);
  Log(c, "reject", reply);
  c.warn_if_reject = saved;
  c.verdict = {451, reply};
  c.aborted = true;
  return Result::kReject;
}

Result CheckerImpl::ConfigError(Ctx& c) {
  std::string reply = "451 4.3.5 Server configuration error";
  Log(c, "reject", reply);
  c.verdict = {451, reply};
  c.aborted = true;
  return Result::kReject;
}

void CheckerImpl::DeferIfPermit(Ctx& c, int code, std::string_view dsn, const std::string& text) {
  if (c.warn_if_reject) {
    Log(c, "reject_warning", FormatReply(code, dsn, text, nullptr));
    return;
  }
  if (!c.defer_if_permit)
    c.defer_if_permit = PendingReply{code, FormatReply(code, dsn, text, nullptr)};
}

void CheckerImpl::DeferIfReject(Ctx& c, int code, std::string_view dsn, const std::string& text) {
  if (!c.defer_if_reject)
    c.defer_if_reject = PendingReply{code, FormatReply(code, dsn, text, nullptr)};
}

Result CheckerImpl::TempfailAction(Ctx& c, config::AnyParam action_param, int code,
                                   std::string_view dsn, const std::string& text) {
  std::string action = util::Lowercase(util::Trim(cfg_.Get(action_param)));
  if (action == "defer") return Reject(c, code, dsn, text);
  if (action == "defer_if_reject") {
    DeferIfReject(c, code, dsn, text);
  } else {  // defer_if_permit (the default); unknown values too
    DeferIfPermit(c, code, dsn, text);
  }
  return Result::kDunno;
}

// ---------------------------------------------------------------------------
// Evaluation.

Result CheckerImpl::EvalList(Ctx& c, const List& list, const Target& t) {
  if (++c.depth > kMaxRecursion) {
    msg::Warn("SMTPD access map or restriction class causes unreasonable recursion");
    --c.depth;
    return ConfigError(c);
  }
  Result r = Result::kDunno;
  for (size_t i = 0; i < list.size(); ++i) {
    bool warn_before = c.warn_if_reject;
    r = EvalOne(c, list, &i, t);
    if (c.aborted) {
      r = Result::kReject;
      break;
    }
    // warn_if_reject applies to the next restriction only.
    if (warn_before) c.warn_if_reject = false;
    if (r != Result::kDunno) break;
  }
  --c.depth;
  return r;
}

Result CheckerImpl::PermitMynetworks(Ctx& c) {
  util::StatusOr<bool> m = InMynetworks(c.s);
  if (!m.ok()) return TempFail(c, NamAddr(c.s), "mynetworks: " + m.status().message());
  return *m ? Result::kOk : Result::kDunno;
}

Result CheckerImpl::EvalOne(Ctx& c, const List& list, size_t* i, const Target& t) {
  const std::string& raw = list[*i];
  std::string name = util::Lowercase(raw);
  const Session& s = c.s;
  auto arg = [&](std::string* out) {
    if (*i + 1 >= list.size()) {
      msg::Warn("restriction %s requires a table argument", raw.c_str());
      return false;
    }
    *out = list[++*i];
    return true;
  };
  bool have_helo = !s.helo_name.empty();
  bool have_sender = s.has_sender;
  bool have_rcpt = !c.recipient.empty();
  Target client_t{NamAddr(s), kClassClient};
  Target helo_t{s.helo_name, kClassHelo};
  Target sender_t{s.sender, kClassSender};
  Target rcpt_t{c.recipient, kClassRecipient};

  // Generic restrictions.
  if (name == "permit") return Result::kOk;
  if (name == "reject") {
    return Reject(c, static_cast<int>(cfg_.GetInt("reject_code")), "5.7.1",
                  "<" + t.name + ">: " + t.reply_class + " rejected: Access denied", t.reply_class);
  }
  if (name == "defer") {
    return Reject(c, static_cast<int>(cfg_.GetInt("defer_code")), "4.3.2",
                  "<" + t.name + ">: " + t.reply_class + " rejected: Try again later",
                  t.reply_class);
  }
  if (name == "defer_if_permit") {
    DeferIfPermit(c, static_cast<int>(cfg_.GetInt("defer_code")), "4.7.1",
                  "<" + t.name + ">: " + t.reply_class + " rejected: defer_if_permit requested");
    return Result::kDunno;
  }
  if (name == "defer_if_reject") {
    DeferIfReject(c, static_cast<int>(cfg_.GetInt("defer_code")), "4.7.1",
                  "<" + t.name + ">: " + t.reply_class + " rejected: defer_if_reject requested");
    return Result::kDunno;
  }
  if (name == "warn_if_reject") {
    c.warn_if_reject = true;
    return Result::kDunno;
  }
  if (name == "reject_unauth_pipelining") {
    if (!s.improper_pipelining) return Result::kDunno;
    return Reject(
        c, 503, "5.5.0",
        "<" + t.name + ">: " + t.reply_class + " rejected: Improper use of SMTP command pipelining",
        t.reply_class);
  }
  if (name == "permit_mynetworks") return PermitMynetworks(c);
  if (name == "permit_sasl_authenticated")
    return s.sasl_username.empty() ? Result::kDunno : Result::kOk;
  if (name == "permit_tls_clientcerts" || name == "permit_tls_all_clientcerts")
    return PermitTlsClientCerts(c, name == "permit_tls_all_clientcerts");
  if (name == "check_ccert_access") {
    std::string table;
    if (!arg(&table)) return ConfigError(c);
    return CheckCcertAccess(c, table);
  }
  if (name == "permit_inet_interfaces") {
    for (const std::string& a : InetInterfaceAddresses(cfg_)) {
      if (SameAddress(a, s.client_addr)) return Result::kOk;
    }
    return Result::kDunno;
  }
  if (name == "sleep") {
    std::string n;
    if (!arg(&n)) return ConfigError(c);
    std::optional<long long> secs = util::ParseTime(n);
    if (!secs) {
      msg::Warn("restriction sleep: bad time value: %s", n.c_str());
      return ConfigError(c);
    }
    if (*secs > 0) ::sleep(static_cast<unsigned>(*secs));
    return Result::kDunno;
  }

  // Client.
  if (name == "reject_unknown_client_hostname" || name == "reject_unknown_client")
    return UnknownClient(c, false);
  if (name == "reject_unknown_reverse_client_hostname") return UnknownClient(c, true);
  if (name == "check_client_access") {
    std::string table;
    if (!arg(&table)) return ConfigError(c);
    return CheckClientAccess(c, table, client_t);
  }
  if (name == "check_reverse_client_hostname_access") {
    std::string table;
    if (!arg(&table)) return ConfigError(c);
    if (IEq(s.client_reverse_name, "unknown") || s.client_reverse_name.empty())
      return Result::kDunno;
    bool found = false;
    return CheckDomainAccess(c, table, s.client_reverse_name, {NamAddr(s), kClassReverseClient},
                             true, &found);
  }

  if (auto sc = ServerChecks().find(name); sc != ServerChecks().end()) {
    std::string table;
    if (!arg(&table)) return ConfigError(c);
    const std::string& who = sc->second.who;
    util::dns::Type type = sc->second.type;
    if (who == "client" || who == "reverse_client") {
      const std::string& host = who == "client" ? s.client_name : s.client_reverse_name;
      if (IEq(host, "unknown") || host.empty()) return Result::kDunno;
      return CheckServerAccess(c, table, host, type,
                               {NamAddr(s), who == "client" ? kClassClient : kClassReverseClient});
    }
    if (who == "helo")
      return have_helo ? CheckServerAccess(c, table, s.helo_name, type, helo_t) : Result::kDunno;
    if (who == "sender")
      return have_sender && !s.sender.empty()
                 ? CheckServerAccess(c, table, s.sender, type, sender_t)
                 : Result::kDunno;
    return have_rcpt ? CheckServerAccess(c, table, c.recipient, type, rcpt_t) : Result::kDunno;
  }

  if (name == "check_policy_service") {
    std::string spec;
    if (!arg(&spec)) return ConfigError(c);
    return PolicyCheck(c, spec, t);
  }

  // DNS block and allow lists (Postfix skips a name that is "unknown").
  auto dnsxl_arg = [&](std::string* out) {
    if (*i + 1 >= list.size()) {
      msg::Warn("restriction %s requires domain name argument", raw.c_str());
      return false;
    }
    *out = list[++*i];
    return true;
  };
  if (name == "reject_rbl_client" || name == "reject_rbl") {
    std::string d;
    return dnsxl_arg(&d) ? RblReject(c, d, true, s.client_addr, kClassClient) : Result::kDunno;
  }
  if (name == "permit_dnswl_client") {
    std::string d;
    return dnsxl_arg(&d) ? DnswlPermit(c, d, true, s.client_addr, kClassClient) : Result::kDunno;
  }
  if (name == "reject_rhsbl_client" || name == "permit_rhswl_client" ||
      name == "reject_rhsbl_reverse_client") {
    std::string d;
    if (!dnsxl_arg(&d)) return Result::kDunno;
    bool reverse = name == "reject_rhsbl_reverse_client";
    const std::string& host = reverse ? s.client_reverse_name : s.client_name;
    if (IEq(host, "unknown") || host.empty()) return Result::kDunno;
    if (name == "permit_rhswl_client") return DnswlPermit(c, d, false, host, kClassClient);
    return RblReject(c, d, false, host, reverse ? kClassReverseClient : kClassClient);
  }
  if (name == "reject_rhsbl_helo") {
    std::string d;
    if (!dnsxl_arg(&d) || !have_helo) return Result::kDunno;
    return RblReject(c, d, false, s.helo_name, kClassHelo);
  }
  if (name == "reject_rhsbl_sender") {
    std::string d;
    if (!dnsxl_arg(&d) || !have_sender || s.sender.empty()) return Result::kDunno;
    return RblReject(c, d, false, s.sender, kClassSender);
  }
  if (name == "reject_rhsbl_recipient") {
    std::string d;
    if (!dnsxl_arg(&d) || !have_rcpt) return Result::kDunno;
    return RblReject(c, d, false, c.recipient, kClassRecipient);
  }
  if (name == "reject_maps_rbl") {
    msg::Warn(
        "support for restriction \"reject_maps_rbl\" will be removed from Postfix; use "
        "\"reject_rbl_client domain-name\" instead");
    for (const std::string& d : cfg_.GetList("maps_rbl_domains")) {
      Result r = RblReject(c, d, true, s.client_addr, kClassClient);
      if (r != Result::kDunno) return r;
    }
    return Result::kDunno;
  }

  // HELO.
  if (name == "check_helo_access") {
    std::string table;
    if (!arg(&table)) return ConfigError(c);
    if (!have_helo) return Result::kDunno;
    bool found = false;
    return CheckDomainAccess(c, table, s.helo_name, helo_t, true, &found);
  }
  if (name == "reject_invalid_helo_hostname" || name == "reject_invalid_hostname")
    return have_helo ? InvalidHostname(c, s.helo_name, helo_t) : Result::kDunno;
  if (name == "reject_non_fqdn_helo_hostname" || name == "reject_non_fqdn_hostname")
    return have_helo ? NonFqdnHostname(c, s.helo_name, helo_t) : Result::kDunno;
  if (name == "reject_unknown_helo_hostname" || name == "reject_unknown_hostname")
    return have_helo ? UnknownHostname(c, s.helo_name, helo_t) : Result::kDunno;

  // Sender.
  if (name == "check_sender_access") {
    std::string table;
    if (!arg(&table)) return ConfigError(c);
    if (!have_sender) return Result::kDunno;
    if (s.sender.empty()) {
      // The null sender is looked up as smtpd_null_access_lookup_key.
      util::StatusOr<maps::Maps*> m = AccessMaps(table);
      if (!m.ok()) {
        msg::Warn("%s", m.status().message().c_str());
        return ConfigError(c);
      }
      tables::LookupResult r = (*m)->Find(null_access_key_);
      if (r.temp_error()) return TempFail(c, "", "");
      if (!r.found()) return Result::kDunno;
      return TableResult(c, table, r.value, {"", kClassSender}, nullptr);
    }
    return CheckMailAccess(c, table, s.sender, sender_t);
  }
  if (name == "reject_non_fqdn_sender")
    return have_sender && !s.sender.empty() ? NonFqdnAddress(c, s.sender, sender_t)
                                            : Result::kDunno;
  if (name == "reject_unknown_sender_domain")
    return have_sender && !s.sender.empty() ? UnknownAddress(c, s.sender, sender_t)
                                            : Result::kDunno;
  if (name == "reject_unlisted_sender") {
    if (!have_sender || s.sender.empty()) return Result::kDunno;
    c.senderrcpt_checked = true;
    return UnlistedAddress(c, s.sender, sender_t);
  }
  if (name == "reject_sender_login_mismatch")
    return have_sender ? SenderLoginMismatch(c, true, true) : Result::kDunno;
  if (name == "reject_authenticated_sender_login_mismatch")
    return have_sender ? SenderLoginMismatch(c, true, false) : Result::kDunno;
  if (name == "reject_unauthenticated_sender_login_mismatch")
    return have_sender ? SenderLoginMismatch(c, false, true) : Result::kDunno;
  if (name == "reject_known_sender_login_mismatch")
    return have_sender ? SenderLoginMismatch(c, true, true, true) : Result::kDunno;

  // Recipient.
  if (name == "check_recipient_access") {
    std::string table;
    if (!arg(&table)) return ConfigError(c);
    if (!have_rcpt) return Result::kDunno;
    return CheckMailAccess(c, table, c.recipient, rcpt_t);
  }
  if (name == "permit_auth_destination") {
    if (!have_rcpt) return Result::kDunno;
    bool auth = false;
    Result r = AuthDestination(c, c.recipient, &auth);
    if (r != Result::kDunno) return r;
    return auth ? Result::kOk : Result::kDunno;
  }
  if (name == "reject_unauth_destination" || name == "defer_unauth_destination")
    return have_rcpt ? UnauthDestination(c, c.recipient, name[0] == 'd') : Result::kDunno;
  if (name == "check_relay_domains") {
    if (!have_rcpt) return Result::kDunno;
    bool auth = false;
    Result r = AuthDestination(c, c.recipient, &auth);
    if (r != Result::kDunno) return r;
    if (auth) return Result::kOk;
    return UnauthDestination(c, c.recipient, false);
  }
  if (name == "reject_non_fqdn_recipient")
    return have_rcpt ? NonFqdnAddress(c, c.recipient, rcpt_t) : Result::kDunno;
  if (name == "reject_unknown_recipient_domain")
    return have_rcpt ? UnknownAddress(c, c.recipient, rcpt_t) : Result::kDunno;
  if (name == "reject_unlisted_recipient" || name == "check_recipient_maps") {
    if (!have_rcpt) return Result::kDunno;
    c.rcptmap_checked = true;
    return UnlistedAddress(c, c.recipient, rcpt_t);
  }

  // ETRN.
  if (name == "check_etrn_access") {
    std::string table;
    if (!arg(&table)) return ConfigError(c);
    if (c.where != "ETRN") return Result::kDunno;
    bool found = false;
    return CheckDomainAccess(c, table, t.name, t, true, &found);
  }

  // A restriction class.
  auto cls = classes_.find(name);
  if (cls != classes_.end()) return EvalList(c, cls->second, t);

  msg::Warn("unknown smtpd restriction: \"%s\"", raw.c_str());
  return ConfigError(c);
}

// ---------------------------------------------------------------------------
// check_*_mx_access, check_*_ns_access, check_*_a_access (Postfix's
// check_server_access): the hosts first by name, then by address.

Result CheckerImpl::CheckServerAccess(Ctx& c, const std::string& table, const std::string& name,
                                      util::dns::Type type, const Target& t) {
  using util::dns::Result;
  using util::dns::Type;
  const char* type_name = type == Type::kMx ? "MX" : type == Type::kNs ? "NS" : "A";
  size_t at = name.rfind('@');
  std::string domain = at == std::string::npos ? name : name.substr(at + 1);
  bool found = false;
  // An address literal is its own MX host (there is no NS equivalent).
  if (!domain.empty() && domain[0] == '[') {
    if (type == Type::kNs || domain.back() != ']') return smtpd_check::Result::kDunno;
    std::string addr = domain.substr(1, domain.size() - 2);
    if (addr.rfind("IPv6:", 0) == 0) addr = addr.substr(5);
    if (util::dns::ReverseName(addr).empty()) return smtpd_check::Result::kDunno;
    return CheckAddrAccess(c, table, addr, t, &found);
  }
  if (domain.empty()) return smtpd_check::Result::kDunno;
  std::vector<std::string> servers;
  if (type == Type::kA) {
    servers.push_back(domain);  // the name itself; no name-based check
  } else {
    util::dns::Answer a = env_.dns->Lookup(domain, type);
    if (type == Type::kMx && a.status == Result::kFound && a.records.size() == 1 &&
        a.records[0].value.empty())
      return smtpd_check::Result::kDunno;  // null MX
    if (a.status == Result::kNoData || a.status == Result::kNxDomain) {
      if (type == Type::kMx) {
        servers.push_back(domain);  // no MX: the domain is its own MX host
        a.status = Result::kFound;
      } else {
        // No NS records: those of the parent domains.
        for (size_t dot = domain.find('.'); dot != std::string::npos && dot + 1 < domain.size();
             dot = domain.find('.', dot + 1)) {
          a = env_.dns->Lookup(domain.substr(dot + 1), type);
          if (a.status != Result::kNoData && a.status != Result::kNxDomain) break;
        }
      }
    }
    if (a.status != Result::kFound) {
      msg::Warn("Unable to look up %s host for %s: %s", type_name, domain.c_str(),
                a.error.empty() ? "Host not found" : a.error.c_str());
      return smtpd_check::Result::kDunno;
    }
    for (const util::dns::Record& r : a.records)
      if (!r.value.empty()) servers.push_back(r.value);
  }
  util::StatusOr<util::InetProtocols> protocols =
      util::ParseInetProtocols(cfg_.Get("inet_protocols"));
  bool v4 = !protocols.ok() || *protocols != util::InetProtocols::kIpv6;
  bool v6 = !protocols.ok() || *protocols != util::InetProtocols::kIpv4;
  constexpr long long kLimit = 100;  // Postfix's dns_rr_list_limit (3.10 and later)
  long long addresses = 0;
  for (const std::string& host : servers) {
    if (!util::dns::ReverseName(host).empty()) {  // an address as the host name
      smtpd_check::Result r = CheckAddrAccess(c, table, host, t, &found);
      if (r != smtpd_check::Result::kDunno || found) return r;
      continue;
    }
    if (type != Type::kA) {
      smtpd_check::Result r = CheckDomainAccess(c, table, host, t, true, &found);
      if (r != smtpd_check::Result::kDunno || found) return r;
    }
    util::dns::Answer addrs = util::dns::LookupAddresses(*env_.dns, host, v4, v6);
    if (addrs.status != Result::kFound) {
      if (type != Type::kA)
        msg::Warn("Unable to look up %s host %s for %s %s: %s", type_name, host.c_str(),
                  t.reply_class, t.name.c_str(), addrs.error.c_str());
      continue;
    }
    for (const util::dns::Record& a : addrs.records) {
      if (++addresses > kLimit) {
        msg::Warn(
            "check_server_access: %s server address count limit (%lld) exceeded for %s %s "
            "-- ignoring the remainder",
            type_name, kLimit, t.reply_class, t.name.c_str());
        return smtpd_check::Result::kDunno;
      }
      smtpd_check::Result r = CheckAddrAccess(c, table, a.value, t, &found);
      if (r != smtpd_check::Result::kDunno || found) return r;
    }
  }
  return smtpd_check::Result::kDunno;
}

// ---------------------------------------------------------------------------
// Policy delegation (SMTPD_POLICY_README): the request the policy server
// gets, its action applied as an access(5) result.

Result CheckerImpl::PolicyCheck(Ctx& c, const std::string& spec, const Target& t) {
  auto it = policy_.find(spec);
  if (it == policy_.end()) return ConfigError(c);  // Init registers every spec
  policy_client::Client& pc = *it->second;
  const Session& s = c.s;
  if (c.st.policy_instance.empty()) {
    // The same for every request about one message, another for the next.
    c.st.policy_instance =
        util::StrFormat("%lx.%lx.%lx", static_cast<unsigned long>(getpid()),
                        static_cast<unsigned long>(time(nullptr)), ++policy_instances_);
  }
  bool counted = c.where == "DATA" || c.where == "END-OF-MESSAGE";
  bool trusted = s.tls && s.ccert_present && s.ccert_trusted;
  std::vector<std::pair<std::string, std::string>> attrs = {
      {"request", "smtpd_access_policy"},
      {"protocol_state", c.where},
      {"protocol_name", s.protocol},
      {"client_address", s.client_addr},
      {"client_name", s.client_name},
      {"client_port", s.client_port},
      {"reverse_client_name", s.client_reverse_name},
      {"server_address", s.server_addr},
      {"server_port", s.server_port},
      {"helo_name", s.helo_name},
      {"sender", s.sender},
      {"recipient", c.recipient},
      {"recipient_count", std::to_string(counted ? s.rcpt_count : 0)},
      {"queue_id", s.queue_id},
      {"instance", c.st.policy_instance},
      {"size", std::to_string(s.message_size)},
      {"etrn_domain", c.where == "ETRN" ? t.name : ""},
      {"stress", ""},
      {"sasl_method", s.sasl_username.empty() ? "" : s.sasl_method},
      {"sasl_username", s.sasl_username},
      {"sasl_sender", ""},
      {"ccert_subject", trusted ? smtp_reply::XText(s.ccert_subject) : ""},
      {"ccert_issuer", trusted ? smtp_reply::XText(s.ccert_issuer) : ""},
      {"ccert_fingerprint", s.tls ? s.ccert_fingerprint : ""},
      {"ccert_pubkey_fingerprint", s.tls ? s.ccert_pkey_fingerprint : ""},
      {"encryption_protocol", s.tls ? s.tls_protocol : ""},
      {"encryption_cipher", s.tls ? s.tls_cipher : ""},
      {"encryption_keysize", std::to_string(s.tls ? s.tls_cipher_bits : 0)},
      {"policy_context", pc.options().policy_context},
  };
  util::StatusOr<std::string> action = pc.Query(attrs);
  // No answer (logged by the client): the default action, as Postfix.
  return TableResult(c, spec, action.ok() ? *action : pc.options().default_action, t, nullptr);
}

// ---------------------------------------------------------------------------
// DNS block and allow lists (smtpd_check_dnsxl.h does the lookups).

const smtpd_dnsxl::Listing* CheckerImpl::DnsxlFind(const std::string& arg, bool address,
                                                   const std::string& what,
                                                   smtpd_dnsxl::Spec* spec) {
  *spec = smtpd_dnsxl::ParseSpec(arg);
  if (!spec->error.empty()) return nullptr;
  std::string query;
  if (address) {
    query = smtpd_dnsxl::AddressQuery(what, spec->domain);
  } else if (std::optional<std::string> q = smtpd_dnsxl::DomainQuery(what, spec->domain)) {
    query = *q;
  }
  if (query.empty()) return nullptr;
  return &dnsxl_->Lookup(query);
}

// The names of reply templates: Postfix's smtpd_expand_lookup (never a
// main.cf parameter, which could reveal the configuration in a reply).
std::optional<std::string> CheckerImpl::ExpandVar(const Ctx& c, std::string_view n) const {
  const Session& s = c.s;
  auto split = [](const std::string& addr, std::string_view part) -> std::string {
    size_t at = addr.rfind('@');
    if (part == "name") return at == std::string::npos ? addr : addr.substr(0, at);
    return at == std::string::npos ? "" : addr.substr(at + 1);
  };
  if (n == "server_name") return cfg_.Get("myhostname");
  if (n == "client") return NamAddr(s);
  if (n == "client_port") return s.client_port;
  if (n == "client_address") return s.client_addr;
  if (n == "client_name") return s.client_name;
  if (n == "reverse_client_name") return s.client_reverse_name;
  if (n == "helo_name") return s.helo_name;
  for (auto [prefix, addr] : {std::pair<std::string_view, const std::string*>{"sender", &s.sender},
                              {"recipient", &c.recipient}}) {
    if (n == prefix) return *addr;
    if (n.size() > prefix.size() + 1 && n.substr(0, prefix.size()) == prefix &&
        n[prefix.size()] == '_') {
      std::string_view part = n.substr(prefix.size() + 1);
      if (part == "name" || part == "domain") return split(*addr, part);
    }
  }
  if (n == "localtime") {
    time_t now = time(nullptr);
    struct tm tm;
    char buf[64];
    strftime(buf, sizeof(buf), "%b %d %H:%M:%S", localtime_r(&now, &tm));
    return std::string(buf);
  }
  return std::nullopt;
}

Result CheckerImpl::RblReject(Ctx& c, const std::string& arg, bool address, const std::string& what,
                              const char* reply_class) {
  smtpd_dnsxl::Spec spec;
  const smtpd_dnsxl::Listing* l = DnsxlFind(arg, address, what, &spec);
  if (!spec.error.empty()) {
    msg::Warn("RBL reply error: %s", spec.error.c_str());
    return ConfigError(c);
  }
  // Not listed, or the list did not answer: the benefit of the doubt.
  if (l == nullptr || !spec.Matches(*l)) return Result::kDunno;

  // The reply: rbl_reply_maps by "domain=pattern", then by the domain,
  // else default_rbl_reply.
  std::optional<std::string> tmpl;
  if (!rbl_reply_maps_.empty()) {
    for (const std::string& key : {spec.arg, spec.domain}) {
      tables::LookupResult r = rbl_reply_maps_.Find(key);
      if (r.temp_error()) return ConfigError(c);
      if (r.found()) {
        tmpl = r.value;
        break;
      }
    }
  }
  auto vars = [&](std::string_view n) -> std::optional<std::string> {
    if (n == "rbl_code") return cfg_.Get("maps_rbl_reject_code");
    if (n == "rbl_domain") return spec.domain;
    if (n == "rbl_reason" || n == "rbl_txt") return l->txt;
    if (n == "rbl_what") return what;
    if (n == "rbl_class") return std::string(reply_class);
    return ExpandVar(c, n);
  };
  std::string reply;
  for (;;) {
    std::string unknown;
    bool is_default = !tmpl;
    // Templates are not main.cf expressions: $rbl_code is ours to expand.
    reply = util::MacExpand(tmpl ? *tmpl : cfg_.Raw("default_rbl_reply").value_or(""), vars,
                            expansion_filter_, &unknown);
    if (unknown.empty()) break;
    if (is_default) {
      msg::Warn("bad default rbl reply template: unknown name \"%s\"", unknown.c_str());
      return ConfigError(c);
    }
    msg::Warn("bad rbl reply template for domain %s: %s", arg.c_str(), tmpl->c_str());
    tmpl.reset();
  }
  // "NNN [d.d.d ]text", the code 4xx or 5xx.
  auto digit = [&](size_t k) { return std::isdigit(static_cast<unsigned char>(reply[k])) != 0; };
  if (reply.size() < 4 || (reply[0] != '4' && reply[0] != '5') || !digit(1) || !digit(2) ||
      reply[3] != ' ') {
    msg::Warn("rbl response code configuration error: %s", reply.c_str());
    return Reject(c, 450, "4.7.1", "Service unavailable", reply_class);
  }
  int code = std::stoi(reply.substr(0, 3));
  std::string dsn = "4.7.1";
  std::string text = SplitDsn(std::string_view(reply).substr(4), &dsn);
  return Reject(c, code, dsn, text.empty() ? "Service unavailable" : text, reply_class);
}

Result CheckerImpl::DnswlPermit(Ctx& c, const std::string& arg, bool address,
                                const std::string& what, const char* reply_class) {
  // Safety, as in Postfix: an allow list never opens relaying.
  if (c.where == "RCPT" && !c.recipient.empty()) {
    bool auth = false;
    Result r = AuthDestination(c, c.recipient, &auth);
    if (r != Result::kDunno) return r;
    if (!auth) return Result::kDunno;
  }
  smtpd_dnsxl::Spec spec;
  const smtpd_dnsxl::Listing* l = DnsxlFind(arg, address, what, &spec);
  if (!spec.error.empty()) {
    msg::Warn("RBL reply error: %s", spec.error.c_str());
    return ConfigError(c);
  }
  if (l == nullptr) return Result::kDunno;
  if (l->status == smtpd_dnsxl::Status::kTempFail) {
    DeferIfReject(c, 450, "4.7.1",
                  "<" + what + ">: " + reply_class + " rejected: Service unavailable");
    return Result::kDunno;
  }
  return spec.Matches(*l) ? Result::kOk : Result::kDunno;
}

// access(5) actions.
Result CheckerImpl::TableResult(Ctx& c, const std::string& table, const std::string& value,
                                const Target& t, const ResolveResult* routed) {
  std::string_view v = util::Trim(value);
  size_t sp = v.find_first_of(" \t");
  std::string cmd(v.substr(0, sp));
  std::string text = sp == std::string_view::npos ? "" : std::string(util::Trim(v.substr(sp)));
  std::string ucmd = util::Uppercase(cmd);
  std::string prefix = "<" + t.name + ">: " + t.reply_class;
  auto ok = [&]() {
    // Source-routed recipients are too suspicious for OK (allow_untrusted_routing).
    if (routed != nullptr && routed->routed() && !allow_untrusted_routing_ &&
        std::string_view(t.reply_class) == kClassRecipient)
      return Result::kDunno;
    return Result::kOk;
  };

  if (ucmd == "OK" || ucmd == "RELAY") return ok();
  if (!cmd.empty() &&
      std::all_of(cmd.begin(), cmd.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) &&
      text.empty())
    return ok();  // all-numeric: OK (out-of-band authentication time stamps)
  if (ucmd == "DUNNO") return Result::kDunno;
  if (ucmd == "REJECT" || ucmd == "DEFER") {
    bool reject = ucmd == "REJECT";
    std::string dsn = reject ? "5.7.1" : "4.7.1";
    std::string why = SplitDsn(text, &dsn);
    int code = static_cast<int>(cfg_.GetInt(reject ? config::IntParam("access_map_reject_code")
                                                   : config::IntParam("access_map_defer_code")));
    return Reject(c, code, dsn, prefix + " rejected: " + (why.empty() ? "Access denied" : why),
                  t.reply_class);
  }
  if (ucmd == "DEFER_IF_REJECT" || ucmd == "DEFER_IF_PERMIT") {
    std::string dsn = "4.7.1";
    std::string why = SplitDsn(text, &dsn);
    int code = static_cast<int>(cfg_.GetInt("access_map_defer_code"));
    std::string reply = prefix + " rejected: " + (why.empty() ? "Service unavailable" : why);
    if (ucmd == "DEFER_IF_REJECT")
      DeferIfReject(c, code, dsn, reply);
    else
      DeferIfPermit(c, code, dsn, reply);
    return Result::kDunno;
  }
  if (cmd.size() == 3 && (cmd[0] == '4' || cmd[0] == '5') && std::isdigit(cmd[1]) &&
      std::isdigit(cmd[2]) && !text.empty()) {
    std::string dsn = cmd[0] == '4' ? "4.7.1" : "5.7.1";
    std::string why = SplitDsn(text, &dsn);
    return Reject(c, std::stoi(cmd), dsn, prefix + " rejected: " + why, t.reply_class);
  }
  if (ucmd == "DISCARD") {
    Log(c, "discard", prefix + " " + (text.empty() ? "triggers DISCARD action" : text));
    c.s.discard = true;
    return Result::kOk;
  }
  if (ucmd == "HOLD") {
    std::string why = prefix + " " + (text.empty() ? "triggers HOLD action" : text);
    Log(c, "hold", why);
    c.s.hold_reason = text.empty() ? why : text;
    return Result::kDunno;
  }
  if (ucmd == "PREPEND") {
    if (text.empty() || text.find(':') == std::string::npos) {
      msg::Warn("access table %s entry \"%s\" has PREPEND without valid header text", table.c_str(),
                value.c_str());
      return Result::kDunno;
    }
    c.s.prepend_headers.push_back(text);
    return Result::kDunno;
  }
  if (ucmd == "REDIRECT") {
    if (text.empty()) {
      msg::Warn("access table %s entry \"%s\" has REDIRECT without address", table.c_str(),
                value.c_str());
      return ConfigError(c);
    }
    Log(c, "redirect", prefix + " triggers REDIRECT " + text);
    c.s.redirect = text;
    return Result::kDunno;
  }
  if (ucmd == "FILTER") {
    if (text.empty() || text.find(':') == std::string::npos) {
      msg::Warn("access table %s entry \"%s\" has FILTER without transport:destination",
                table.c_str(), value.c_str());
      return ConfigError(c);
    }
    Log(c, "filter", prefix + " triggers FILTER " + text);
    c.s.filter = text;
    return Result::kDunno;
  }
  if (ucmd == "WARN" || ucmd == "INFO") {
    Log(c, ucmd == "WARN" ? "warn" : "info", text);
    return Result::kDunno;
  }
  if (ucmd == "BCC") {
    if (text.empty()) {
      msg::Warn("access table %s entry \"%s\" has BCC without address", table.c_str(),
                value.c_str());
      return ConfigError(c);
    }
    c.s.bcc = text;  // as Postfix 3.x: the last BCC of the transaction
    return Result::kDunno;
  }
  // A list of restrictions (or a restriction class name).
  if (value.find(':') != std::string::npos) {
    msg::Warn("SMTPD access map %s has entry with lookup table: %s", table.c_str(), value.c_str());
    msg::Warn("do not specify lookup tables inside SMTPD access maps");
    msg::Warn("define a restriction class and specify its name instead.");
    return ConfigError(c);
  }
  util::StatusOr<List> rest = SplitRestrictions(value);
  if (!rest.ok() || rest->empty()) {
    msg::Warn("SMTPD access map %s entry %s has empty value", table.c_str(), value.c_str());
    return Result::kOk;
  }
  return EvalList(c, *rest, t);
}

// ---------------------------------------------------------------------------
// Table lookups.

Result CheckerImpl::CheckDomainAccess(Ctx& c, const std::string& table, const std::string& domain,
                                      const Target& t, bool first_full, bool* found) {
  util::StatusOr<maps::Maps*> m = AccessMaps(table);
  if (!m.ok()) {
    msg::Warn("%s", m.status().message().c_str());
    return ConfigError(c);
  }
  std::string name = util::Lowercase(TruncateDot(domain));
  bool full = first_full;
  for (size_t pos = 0; pos < name.size();) {
    std::string key = name.substr(pos);
    tables::LookupResult r =
        (*m)->Find(key, full ? maps::Maps::Which::kAll : maps::Maps::Which::kFixedOnly);
    if (r.temp_error()) return TempFail(c, t.name, "");
    if (r.found()) {
      *found = true;
      return TableResult(c, table, r.value, t, nullptr);
    }
    size_t dot = name.find('.', pos + 1);
    if (dot == std::string::npos) break;
    pos = access_opts_.parent_matches_subdomains ? dot + 1 : dot;
    full = false;
  }
  return Result::kDunno;
}

Result CheckerImpl::CheckAddrAccess(Ctx& c, const std::string& table, const std::string& addr,
                                    const Target& t, bool* found) {
  util::StatusOr<maps::Maps*> m = AccessMaps(table);
  if (!m.ok()) {
    msg::Warn("%s", m.status().message().c_str());
    return ConfigError(c);
  }
  std::vector<std::string> keys = AddressKeys(addr);
  for (size_t i = 0; i < keys.size(); ++i) {
    tables::LookupResult r =
        (*m)->Find(keys[i], i == 0 ? maps::Maps::Which::kAll : maps::Maps::Which::kFixedOnly);
    if (r.temp_error()) return TempFail(c, t.name, "");
    if (r.found()) {
      *found = true;
      return TableResult(c, table, r.value, t, nullptr);
    }
  }
  return Result::kDunno;
}

// permit_tls_all_clientcerts: any certificate whose chain verified;
// permit_tls_clientcerts: a certificate (verified or not: the fingerprint
// is the proof) or public key listed in relay_clientcerts.
Result CheckerImpl::PermitTlsClientCerts(Ctx& c, bool all) {
  const Session& s = c.s;
  if (!s.tls) return Result::kDunno;
  if (all && s.ccert_trusted) {
    if (msg::Verbose()) msg::Info("Relaying allowed for all verified client certificates");
    return Result::kOk;
  }
  if (all || !s.ccert_present) return Result::kDunno;
  for (const std::string* key : {&s.ccert_fingerprint, &s.ccert_pkey_fingerprint}) {
    if (key->empty()) continue;
    tables::LookupResult r = relay_ccerts_.Find(*key);
    if (r.temp_error()) {
      return TempFail(
          c, NamAddr(s),
          util::StrFormat("relay_clientcerts: lookup error for fingerprint '%s', "
                          "pkey fingerprint %s",
                          s.ccert_fingerprint.c_str(), s.ccert_pkey_fingerprint.c_str()));
    }
    if (r.found()) {
      if (msg::Verbose()) msg::Info("Relaying allowed for certified client: %s", key->c_str());
      return Result::kOk;
    }
  }
  if (msg::Verbose())
    msg::Info("relay_clientcerts: No match for fingerprint '%s', pkey fingerprint %s",
              s.ccert_fingerprint.c_str(), s.ccert_pkey_fingerprint.c_str());
  return Result::kDunno;
}

// check_ccert_access: the certificate's fingerprint, then its public
// key's, as access(5) keys (a certificate need not verify: the fingerprint
// is the proof).
Result CheckerImpl::CheckCcertAccess(Ctx& c, const std::string& table) {
  const Session& s = c.s;
  if (!s.tls || !s.ccert_present) return Result::kDunno;
  util::StatusOr<maps::Maps*> m = AccessMaps(table);
  if (!m.ok()) {
    msg::Warn("%s", m.status().message().c_str());
    return ConfigError(c);
  }
  const Target t{s.ccert_subject, kClassCcert};
  for (const std::string* key : {&s.ccert_fingerprint, &s.ccert_pkey_fingerprint}) {
    if (key->empty()) continue;
    tables::LookupResult r = (*m)->Find(*key);
    if (r.temp_error()) return TempFail(c, t.name, "");
    if (r.found()) return TableResult(c, table, r.value, t, nullptr);
  }
  return Result::kDunno;
}

Result CheckerImpl::CheckClientAccess(Ctx& c, const std::string& table, const Target& t) {
  const Session& s = c.s;
  bool found = false;
  if (!s.client_name.empty() && !IEq(s.client_name, "unknown")) {
    Result r = CheckDomainAccess(c, table, s.client_name, t, true, &found);
    if (r != Result::kDunno || found || c.aborted) return r;
  }
  return CheckAddrAccess(c, table, s.client_addr, t, &found);
}

// `addr` is in internal form (unquoted once, by the SMTP parser): every
// check sees the recipient exactly as it is queued.
const ResolveResult* CheckerImpl::Resolve(Ctx& c, const std::string& internal,
                                          const std::string& reply_name) {
  std::string key = c.s.sender + '\n' + internal;
  auto it = resolve_cache_.find(key);
  if (it != resolve_cache_.end()) return &it->second;
  util::StatusOr<ResolveResult> r = env_.resolve(c.s.sender, internal);
  if (!r.ok()) {
    TempFail(c, reply_name, "resolve " + internal + ": " + r.status().message());
    return nullptr;
  }
  if (resolve_cache_.size() > 100) resolve_cache_.clear();
  return &resolve_cache_.emplace(key, std::move(*r)).first->second;
}

Result CheckerImpl::CheckMailAccess(Ctx& c, const std::string& table, const std::string& addr,
                                    const Target& t) {
  util::StatusOr<maps::Maps*> m = AccessMaps(table);
  if (!m.ok()) {
    msg::Warn("%s", m.status().message().c_str());
    return ConfigError(c);
  }
  const ResolveResult* rr = Resolve(c, addr, t.name);
  if (rr == nullptr) return Result::kReject;
  std::string lookup = rr->recipient.empty() ? addr : rr->recipient;
  if (lookup.find('@') == std::string::npos) {
    msg::Warn("check_mail_access: no @domain in address: %s", lookup.c_str());
    return Result::kDunno;
  }
  maps::AddrFindResult r = maps::FindAddress(**m, lookup, access_opts_);
  if (r.result.temp_error()) return TempFail(c, t.name, "");
  if (!r.result.found()) return Result::kDunno;
  return TableResult(c, table, r.result.value, t, rr);
}

// ---------------------------------------------------------------------------
// Restrictions.

Result CheckerImpl::UnknownClient(Ctx& c, bool reverse) {
  const Session& s = c.s;
  int status = reverse ? c.s.client_reverse_name_status : c.s.client_name_status;
  if (status == 0) return Result::kDunno;
  int code = status >= 5 ? static_cast<int>(cfg_.GetInt("unknown_client_reject_code")) : 450;
  std::string text = util::StrFormat("Client host rejected: cannot find your %shostname, [%s]",
                                     reverse ? "reverse " : "", s.client_addr.c_str());
  // RFC 7372's 4.7.25 for a name that does not verify, as Postfix gives it;
  // the reverse-name test keeps 4.7.1.
  return Reject(c, code, reverse ? "4.7.1" : "4.7.25", text, kClassClient);
}

Result CheckerImpl::InvalidHostname(Ctx& c, const std::string& name, const Target& t) {
  if (ValidHeloName(name, smtputf8_)) return Result::kDunno;
  return Reject(c, static_cast<int>(cfg_.GetInt("invalid_hostname_reject_code")), "5.5.2",
                "<" + t.name + ">: " + t.reply_class + " rejected: Invalid name", t.reply_class);
}

Result CheckerImpl::NonFqdnHostname(Ctx& c, const std::string& name, const Target& t) {
  if (IsAddressLiteral(name)) return Result::kDunno;
  std::string test = TruncateDot(name);
  if (util::ValidHostname(test, smtputf8_) && test.find('.') != std::string::npos)
    return Result::kDunno;
  return Reject(c, static_cast<int>(cfg_.GetInt("non_fqdn_reject_code")), "5.5.2",
                "<" + t.name + ">: " + t.reply_class + " rejected: need fully-qualified hostname",
                t.reply_class);
}

Result CheckerImpl::UnknownHostname(Ctx& c, const std::string& name, const Target& t) {
  if (IsAddressLiteral(name)) return Result::kDunno;
  std::string host = TruncateDot(name);
  DnsVerdict d = HostHasRecords(*env_.dns, host, /*mail=*/false);
  std::string text = "<" + t.name + ">: " + t.reply_class + " rejected: Host not found";
  if (d == DnsVerdict::kNotFound)
    return Reject(c, static_cast<int>(cfg_.GetInt("unknown_hostname_reject_code")), "4.7.1", text,
                  t.reply_class);
  if (d == DnsVerdict::kTempFail)
    return TempfailAction(c, "unknown_helo_hostname_tempfail_action", 450, "4.7.1", text);
  return Result::kDunno;
}

Result CheckerImpl::NonFqdnAddress(Ctx& c, const std::string& addr, const Target& t) {
  std::string a = addr;
  size_t at = a.rfind('@');
  std::string domain = at == std::string::npos ? a : a.substr(at + 1);
  if (IsAddressLiteral(domain)) return Result::kDunno;
  domain = TruncateDot(domain);
  if (!domain.empty() && util::ValidHostname(domain, smtputf8_) &&
      domain.find('.') != std::string::npos)
    return Result::kDunno;
  return Reject(c, static_cast<int>(cfg_.GetInt("non_fqdn_reject_code")), "4.5.2",
                "<" + t.name + ">: " + t.reply_class + " rejected: need fully-qualified address",
                t.reply_class);
}

Result CheckerImpl::UnknownAddress(Ctx& c, const std::string& addr, const Target& t) {
  const ResolveResult* rr = Resolve(c, addr, t.name);
  if (rr == nullptr) return Result::kReject;
  // Our own domains need no DNS.
  if (rr->address_class == AddressClass::kLocal || rr->address_class == AddressClass::kAlias ||
      rr->address_class == AddressClass::kVirtual)
    return Result::kDunno;
  std::string a = rr->recipient.empty() ? addr : rr->recipient;
  size_t at = a.rfind('@');
  if (at == std::string::npos) return Result::kDunno;
  std::string domain = a.substr(at + 1);
  if (domain.empty() || IsAddressLiteral(domain)) return Result::kDunno;
  bool sender = std::string_view(t.reply_class) == kClassSender;
  std::string dsn = sender ? "4.1.8" : "4.1.2";
  std::string text = "<" + t.name + ">: " + t.reply_class + " rejected: Domain not found";
  DnsVerdict d = HostHasRecords(*env_.dns, TruncateDot(domain), /*mail=*/true);
  if (d == DnsVerdict::kNullMx) {
    return Reject(c, 556, sender ? "5.7.27" : "5.1.10",
                  "<" + t.name + ">: " + t.reply_class + " rejected: Domain " + domain +
                      " does not accept mail (nullMX)",
                  t.reply_class);
  }
  if (d == DnsVerdict::kNotFound)
    return Reject(c, static_cast<int>(cfg_.GetInt("unknown_address_reject_code")), dsn, text,
                  t.reply_class);
  if (d == DnsVerdict::kTempFail)
    return TempfailAction(c, "unknown_address_tempfail_action", 450, dsn, text);
  return Result::kDunno;
}

Result CheckerImpl::AuthDestination(Ctx& c, const std::string& rcpt, bool* auth) {
  *auth = false;
  const ResolveResult* rr = Resolve(c, rcpt, rcpt);
  if (rr == nullptr) return Result::kReject;
  if (rr->recipient.find('@') == std::string::npos) {
    *auth = true;
    return Result::kDunno;
  }
  if (!allow_untrusted_routing_ && rr->routed()) return Result::kDunno;
  switch (rr->address_class) {
    case AddressClass::kLocal:
    case AddressClass::kAlias:
    case AddressClass::kVirtual:
    case AddressClass::kRelay:
      *auth = true;
      break;
    case AddressClass::kDefault:
      break;
  }
  return Result::kDunno;
}

Result CheckerImpl::UnauthDestination(Ctx& c, const std::string& rcpt, bool defer) {
  bool auth = false;
  Result r = AuthDestination(c, rcpt, &auth);
  if (r != Result::kDunno || auth) return r;
  int code = static_cast<int>(cfg_.GetInt("relay_domains_reject_code"));
  // defer_unauth_destination: the same reply with a 4 in front (454 4.7.1
  // with the default 554), as Postfix gives it.
  if (defer && code >= 500) code -= 100;
  return Reject(c, code, defer ? "4.7.1" : "5.7.1", "<" + rcpt + ">: Relay access denied");
}

Result CheckerImpl::UnlistedAddress(Ctx& c, const std::string& addr, const Target& t) {
  bool sender = std::string_view(t.reply_class) == kClassSender;
  // receive_override_options = no_unknown_recipient_checks (typically the
  // smtpd after a content filter): recipients are not checked here.
  if (!sender && no_unknown_recipient_checks_) return Result::kDunno;
  const ResolveResult* rr = Resolve(c, addr, t.name);
  if (rr == nullptr) return Result::kReject;
  // An address routed to the error or retry transport is checked in every
  // address class (below, once aliases had their say) but that of virtual
  // alias domains, whose unknown users get their own reply.
  const bool error_route = (rr->transport == "error" || rr->transport == "retry") &&
                           rr->address_class != AddressClass::kAlias;
  if (rr->address_class == AddressClass::kDefault && !error_route) return Result::kDunno;
  std::string a = rr->recipient.empty() ? addr : rr->recipient;

  // found: 1, not found: 0, error: -1 (TempFail done).
  auto lookup = [&](maps::Maps& m, const maps::AddrFindOptions& o) -> int {
    if (m.empty()) return 0;
    maps::AddrFindResult r = maps::FindAddress(m, a, o);
    if (r.result.temp_error()) {
      TempFail(c, t.name, "");
      return -1;
    }
    return r.result.found() ? 1 : 0;
  };
  // An address that canonical or virtual alias mapping rewrites is valid.
  for (maps::Maps* m : {&rcpt_canonical_maps_, sender ? &send_canonical_maps_ : nullptr,
                        &canonical_maps_, &virtual_alias_maps_}) {
    if (m == nullptr) continue;
    int f = lookup(*m, alias_opts_);
    if (f < 0) return Result::kReject;
    if (f > 0) return Result::kDunno;
  }
  // An address that transport_maps (or a *_transport) routes to the error
  // or retry transport and that no alias maps is refused with that
  // transport's text, as Postfix does: "error" 550 with the text's detail
  // code in class 5, "retry" 450 in class 4 (Postfix 3.7 turns
  // "error:4.2.1 text" into 550 5.2.1).
  if (error_route) {
    bool hard = rr->transport == "error";
    std::string dsn, why;
    deliver_status::SplitDsn(rr->nexthop, sender ? "5.1.0" : "5.1.1", hard ? '5' : '4', &dsn, &why);
    return Reject(c, hard ? 550 : 450, dsn,
                  "<" + t.name + ">: " + t.reply_class + " rejected: " + why, t.reply_class);
  }
  auto unknown = [&](config::IntParam code_param, const char* table) {
    std::string text = "<" + t.name + ">: " + t.reply_class + " rejected: User unknown";
    if (show_table_name_) text += std::string(" in ") + table;
    return Reject(c, static_cast<int>(cfg_.GetInt(code_param)), "5.1.1", text, t.reply_class);
  };
  switch (rr->address_class) {
    case AddressClass::kLocal: {
      if (!local_rcpt_check_) return Result::kDunno;
      int f = lookup(local_rcpt_maps_, alias_opts_);
      if (f < 0) return Result::kReject;
      if (f == 0) return unknown("unknown_local_recipient_reject_code", "local recipient table");
      return Result::kDunno;
    }
    case AddressClass::kVirtual: {
      if (!virtual_mailbox_check_) return Result::kDunno;
      int f = lookup(virtual_mailbox_maps_, mailbox_opts_);
      if (f < 0) return Result::kReject;
      if (f == 0) return unknown("unknown_virtual_mailbox_reject_code", "virtual mailbox table");
      return Result::kDunno;
    }
    case AddressClass::kRelay: {
      if (!relay_rcpt_check_) return Result::kDunno;
      int f = lookup(relay_rcpt_maps_, mailbox_opts_);
      if (f < 0) return Result::kReject;
      if (f == 0) return unknown("unknown_relay_recipient_reject_code", "relay recipient table");
      return Result::kDunno;
    }
    case AddressClass::kAlias:
      return unknown("unknown_virtual_alias_reject_code", "virtual alias table");
    case AddressClass::kDefault:
      break;
  }
  return Result::kDunno;
}

// reject_known_sender_login_mismatch (known_only): only senders listed in
// smtpd_sender_login_maps are checked.
Result CheckerImpl::SenderLoginMismatch(Ctx& c, bool authenticated, bool unauthenticated,
                                        bool known_only) {
  const Session& s = c.s;
  if (s.sender.empty() || sender_login_maps_.empty()) return Result::kDunno;
  std::string target = s.sender;
  maps::AddrFindOptions o = maps::AddrFindOptions::ForConfig(cfg_, "smtpd_sender_login_maps");
  o.steps = maps::kVirtualMailboxSteps;
  maps::AddrFindResult r = maps::FindAddress(sender_login_maps_, s.sender, o);
  if (r.result.temp_error()) return TempFail(c, s.sender, "");
  if (s.sasl_username.empty()) {
    if (unauthenticated && r.result.found())
      return Reject(c, 553, "5.7.1", "<" + s.sender + ">: Sender address rejected: not logged in",
                    kClassSender);
    return Result::kDunno;
  }
  if (!authenticated || (known_only && !r.result.found())) return Result::kDunno;
  if (r.result.found()) {
    for (const std::string& owner : util::SplitList(r.result.value)) {
      if (IEq(owner, s.sasl_username)) return Result::kDunno;
    }
  }
  return Reject(c, 553, "5.7.1",
                "<" + s.sender + ">: Sender address rejected: not owned by user " + s.sasl_username,
                kClassSender);
}

// ---------------------------------------------------------------------------
// Stages.

Verdict CheckerImpl::RunClient(Ctx& c) {
  State& st = c.st;
  if (!st.client_done) {
    Ctx own{c.s, st, c.where, c.recipient};
    Result r = EvalList(own, client_list_, ClientTarget(c.s));
    st.client_done = true;
    st.client_v = r == Result::kReject ? own.verdict : Verdict{};
    st.client_dip = own.defer_if_permit;
    return st.client_v;
  }
  if (st.client_v.rejected()) Log(c, "reject", st.client_v.reply);
  return st.client_v;
}

Verdict CheckerImpl::RunHelo(Ctx& c) {
  State& st = c.st;
  if (c.s.helo_name.empty()) return {};
  if (!st.helo_done) {
    Ctx own{c.s, st, c.where, c.recipient};
    Result r = EvalList(own, helo_list_, {c.s.helo_name, kClassHelo});
    st.helo_done = true;
    st.helo_v = r == Result::kReject ? own.verdict : Verdict{};
    st.helo_dip = own.defer_if_permit;
    return st.helo_v;
  }
  if (st.helo_v.rejected()) Log(c, "reject", st.helo_v.reply);
  return st.helo_v;
}

Verdict CheckerImpl::RunSender(Ctx& c) {
  State& st = c.st;
  if (!c.s.has_sender) return {};
  if (!st.sender_done) {
    Ctx own{c.s, st, c.where, c.recipient};
    std::string name = c.s.sender.empty() ? "" : c.s.sender;
    Result r = EvalList(own, sender_list_, {name, kClassSender});
    if (r != Result::kReject && !own.aborted && reject_unlisted_sender_ &&
        !own.senderrcpt_checked && !c.s.sender.empty()) {
      r = UnlistedAddress(own, c.s.sender, {name, kClassSender});
    }
    st.sender_done = true;
    st.sender_v = r == Result::kReject ? own.verdict : Verdict{};
    st.sender_dip = own.defer_if_permit;
    return st.sender_v;
  }
  if (st.sender_v.rejected()) Log(c, "reject", st.sender_v.reply);
  return st.sender_v;
}

Verdict CheckerImpl::CheckConnect(Session& s) {
  State& st = StateOf(s);
  if (delay_reject_) return {};
  Ctx c{s, st, "CONNECT"};
  return RunClient(c);
}

Verdict CheckerImpl::CheckHelo(Session& s) {
  State& st = StateOf(s);
  st.helo_done = false;
  st.helo_dip.reset();
  if (delay_reject_) return {};
  Ctx c{s, st, s.protocol == "ESMTP" ? "EHLO" : "HELO"};
  Verdict v = RunClient(c);
  if (v.rejected()) return v;
  return RunHelo(c);
}

Verdict CheckerImpl::CheckSender(Session& s) {
  State& st = StateOf(s);
  st.sender_done = false;
  st.sender_dip.reset();
  st.policy_instance.clear();
  if (delay_reject_) return {};
  Ctx c{s, st, "MAIL"};
  Verdict v = RunClient(c);
  if (!v.rejected()) v = RunHelo(c);
  if (!v.rejected()) v = RunSender(c);
  return v;
}

Verdict CheckerImpl::RecipientLike(Session& s, const char* where) {
  State& st = StateOf(s);
  Ctx c{s, st, where, s.recipient};
  resolve_cache_.clear();  // tables may change between commands
  Verdict v = RunClient(c);
  if (!v.rejected()) v = RunHelo(c);
  if (!v.rejected()) v = RunSender(c);
  if (v.rejected()) return v;
  // Earlier stages' defer_if_permit carries over.
  for (auto* d : {&st.client_dip, &st.helo_dip, &st.sender_dip}) {
    if (*d && !c.defer_if_permit) c.defer_if_permit = *d;
  }
  Target t{s.recipient, kClassRecipient};
  const List* first = relay_before_recipient_ ? &relay_list_ : &recipient_list_;
  const List* second = relay_before_recipient_ ? &recipient_list_ : &relay_list_;
  Result r = EvalList(c, *first, t);
  if (r != Result::kReject) {
    c.warn_if_reject = false;
    c.defer_if_reject.reset();
    r = EvalList(c, *second, t);
  }
  return Finish(c, r);
}

Verdict CheckerImpl::Finish(Ctx& c, Result r) {
  if (r == Result::kReject) return c.verdict;
  c.warn_if_reject = false;
  if (c.defer_if_permit) {
    Log(c, "reject", c.defer_if_permit->text);
    return {c.defer_if_permit->code, c.defer_if_permit->text};
  }
  // The implicit reject_unlisted_recipient.
  if (!c.recipient.empty() && reject_unlisted_recipient_ && !c.rcptmap_checked) {
    if (UnlistedAddress(c, c.recipient, {c.recipient, kClassRecipient}) == Result::kReject)
      return c.verdict;
  }
  return {};
}

Verdict CheckerImpl::CheckRecipient(Session& s) { return RecipientLike(s, "RCPT"); }

Verdict CheckerImpl::CheckVrfy(Session& s) { return RecipientLike(s, "VRFY"); }

Verdict CheckerImpl::CheckData(Session& s) {
  State& st = StateOf(s);
  Ctx c{s, st, "DATA", s.rcpt_count == 1 ? s.recipient : std::string()};
  Result r = EvalList(c, data_list_, {"DATA", kClassData});
  return r == Result::kReject ? c.verdict : Verdict{};
}

Verdict CheckerImpl::CheckEndOfData(Session& s) {
  State& st = StateOf(s);
  Ctx c{s, st, "END-OF-MESSAGE", s.rcpt_count == 1 ? s.recipient : std::string()};
  Result r = EvalList(c, eod_list_, {"END-OF-MESSAGE", kClassEod});
  return r == Result::kReject ? c.verdict : Verdict{};
}

Verdict CheckerImpl::CheckEtrn(Session& s, const std::string& domain) {
  State& st = StateOf(s);
  Ctx c{s, st, "ETRN"};
  Verdict v = RunClient(c);
  if (!v.rejected()) v = RunHelo(c);
  if (v.rejected()) return v;
  Result r = EvalList(c, etrn_list_, {domain, kClassEtrn});
  if (r == Result::kReject) return c.verdict;
  if (c.defer_if_permit) {
    Log(c, "reject", c.defer_if_permit->text);
    return {c.defer_if_permit->code, c.defer_if_permit->text};
  }
  return {};
}

void CheckerImpl::ResetTransaction(Session& s) {
  State& st = StateOf(s);
  // With delay_reject every stage is evaluated again for a new transaction;
  // without it, the client and helo verdicts belong to the session.
  if (delay_reject_) {
    st.client_done = st.helo_done = false;
    st.client_dip.reset();
    st.helo_dip.reset();
  }
  st.sender_done = false;
  st.sender_dip.reset();
  st.sender_v = {};
}

util::StatusOr<bool> CheckerImpl::InMynetworks(const Session& s) {
  return mynetworks_->Match(s.client_name, s.client_addr);
}

util::StatusOr<bool> CheckerImpl::ClientMatches(config::AnyParam param, const Session& s) {
  auto it = client_lists_.find(param.name());
  if (it == client_lists_.end()) {
    util::StatusOr<addr_list::AddrList> l = addr_list::AddrList::FromParameter(cfg_, param);
    if (!l.ok()) return l.status();
    it = client_lists_
             .emplace(std::string(param.name()),
                      std::make_unique<addr_list::AddrList>(std::move(*l)))
             .first;
  }
  return it->second->Match(s.client_name, s.client_addr);
}

}  // namespace

util::StatusOr<std::unique_ptr<Checker>> Checker::FromConfig(const config::Config& cfg) {
  return FromConfig(cfg, CheckerEnv{});
}

util::StatusOr<std::unique_ptr<Checker>> Checker::FromConfig(const config::Config& cfg,
                                                             CheckerEnv env) {
  auto impl = std::make_unique<CheckerImpl>(cfg, std::move(env));
  if (util::Status st = impl->Init(); !st.ok()) return st;
  return std::unique_ptr<Checker>(std::move(impl));
}

}  // namespace smtpd_check

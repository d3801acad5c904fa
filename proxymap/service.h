// service: proxymap's request handler (Postfix's proxymap(8) and
// proxywrite): opens each approved table once per process, shared by every
// client, and answers the requests of tables/proxy_protocol.h. main.cpp
// hands it to the multi-server skeleton.
//
//   auto svc = proxymap::Service::FromConfig(cfg, s.service_name());
//   util::StatusOr<util::AttrList> reply = (*svc)->Handle(request);
//   // not ok: a malformed request; the skeleton logs it and drops the client
//
// Requests and replies (attribute lists, Postfix's names):
//   {request=open, table, flags}            -> {status, flags}
//   {request=lookup, table, flags, key}     -> {status, value}
//   {request=update, table, flags, key, value} -> {status}   (proxywrite only)
//   {request=delete, table, flags, key}     -> {status}      (proxywrite only)
//   {request=sequence, table, flags, function=first|next}
//                                           -> {status, key, value}
// Statuses: 0 ok/found, 1 not found (or end of sequence), 2 temporary
// failure (the table's reason in `value` for lookups), 3 bad request, 4 not
// approved. An unknown request name is answered 3 ("unrecognized request"
// is logged); a list with missing or unknown attributes is an error (the
// connection is dropped, as Postfix does).
//
// Approval. Only tables named as "proxy:TYPE:NAME" in the expanded
// proxy_read_maps (the proxymap service) or proxy_write_maps (the service
// named $proxywrite_service_name) are served; anything else is answered 4
// and logged: warning: request for unapproved table: "TYPE:NAME".
// Updates and deletes on the read-only service are answered 4 too
// ("refusing TYPE:NAME update request on non-proxywrite service").
//
// Tables. The cache key is TYPE:NAME plus the client's flags (masked to the
// per-request flags, with kNoProxy added so a table cannot proxy itself);
// so a mysql: table has one connection pool per process however many
// clients use it. A table that cannot be opened (missing file, bad .cf)
// answers every lookup with status 2 and the reason, and the open is tried
// again after the change-check interval. At most once per interval (1 s)
// a table is asked Changed() and reopened in place when its file was
// rebuilt, so a postmap'ed table is seen without a restart (Postfix's
// proxymap exits and is restarted by master instead); a failed reopen
// keeps the old table, with a warning. Writes (proxywrite) open the table
// read-write for each update or delete, commit it (temporary file, fsync,
// rename: tables/indexed_file.h) and close it, so the writer's lock is
// never held between requests and postmap can run alongside.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "tables/proxy_protocol.h"
#include "tables/table.h"
#include "util/attr.h"
#include "util/status.h"

namespace proxymap {

// The tables approved by a proxy_read_maps / proxy_write_maps value (already
// expanded): every list item that starts with "proxy:", without that prefix.
std::set<std::string> ApprovedTables(std::string_view list);

// The flags a client may ask for (Postfix's DICT_FLAG_RQST_MASK); kNoProxy
// is always added.
unsigned RequestFlags(unsigned client_flags);

class Service {
 public:
  enum class Mode { kRead, kWrite };

  // `options.params` gives main.cf parameters to the tables (mysql:name,
  // buffer sizes); its open_flags and flags are ignored.
  Service(Mode mode, std::set<std::string> approved, tables::OpenOptions options);
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Read or write mode from the service name, approvals from the matching
  // parameter. `cfg` must outlive the service.
  static std::unique_ptr<Service> FromConfig(const config::Config& cfg,
                                             std::string_view service_name);

  util::StatusOr<util::AttrList> Handle(const util::AttrList& request);

  Mode mode() const { return mode_; }
  // Number of distinct tables opened so far (for tests).
  size_t table_count() const { return tables_.size(); }
  // How often a table is checked for changes (tests set zero).
  void set_check_interval(std::chrono::milliseconds interval) { interval_ = interval; }

 private:
  struct Entry {
    std::string spec;
    unsigned flags = 0;
    std::unique_ptr<tables::Table> table;  // null while it cannot be opened
    std::string error;                     // why it cannot be opened
    std::chrono::steady_clock::time_point last_check;
    std::vector<std::pair<std::string, std::string>> sequence;  // snapshot for "next"
    size_t sequence_pos = 0;
  };

  // The shared, current table for (spec, flags): opened at first use,
  // reopened when changed.
  Entry& Get(const std::string& spec, unsigned flags);
  void TryOpen(Entry& e);
  // Whether `spec` may be used; logs the warning when not.
  bool Approved(const std::string& spec) const;

  util::AttrList Open(const tables::ProxyRequest& req);
  util::AttrList Lookup(const tables::ProxyRequest& req);
  util::AttrList Write(const tables::ProxyRequest& req);
  util::StatusOr<util::AttrList> Sequence(const util::AttrList& request);

  Mode mode_;
  std::set<std::string> approved_;
  tables::OpenOptions options_;
  std::chrono::milliseconds interval_{1000};
  std::map<std::string, std::unique_ptr<Entry>> tables_;  // key: flags "," spec
};

}  // namespace proxymap

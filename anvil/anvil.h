// anvil: the connection-count and rate bookkeeping of the anvil(8) server,
// without any I/O, so that tests drive it with an injected clock. The
// server (service.h) maps requests of global/anvil_client.h onto it.
//
//   anvil::Anvil a(60);                         // anvil_rate_time_unit, seconds
//   anvil::Counts c = a.Connect(conn_id, "smtp:192.0.2.1");   // count, rate
//   int rate = a.Message("smtp:192.0.2.1");
//   a.Disconnect(conn_id, "smtp:192.0.2.1");
//   a.ConnectionClosed(conn_id);                // the smtpd went away
//   for (const std::string& line : a.Statistics()) msg::Info("%s", line.c_str());
//
// Per ident ("service:address") it keeps the number of simultaneous
// connections and, as Postfix does, fixed-window rates: the first event
// more than a time unit after the window began starts a new window (every
// rate back to zero). Rates are counted per event kind: connection,
// message, recipient, newtls, auth.
//
// Connections are remembered per client connection of the server (one per
// smtpd process): Disconnect only undoes a Connect made on the same client
// connection, and ConnectionClosed undoes every Connect of a client
// connection that was not disconnected, so a crashed smtpd leaks no count.
// (Postfix remembers one ident per client connection; here any number.)
//
// Memory stays bounded under a flood of distinct clients: a record whose
// count is zero is dropped once its time unit has passed, as in Postfix,
// which has no other limit either. The records form a list in the order
// their windows began; every request drops up to kExpirePerRequest stale
// records from its head (so the cache holds what arrived within about one
// time unit, never two), and Expire() all of them. Statistics() returns
// Postfix's report lines for the maxima seen since the last report, and
// resets them:
//   statistics: max connection rate 3/60s for (smtp:192.0.2.1) at Jan  2 10:00:01
//   statistics: max connection count 2 for (smtp:192.0.2.1) at Jan  2 10:00:01
//   statistics: max message rate 1/60s for (...) at ...      (also recipient,
//                                                             newtls, auth)
//   statistics: max cache size 4 at Jan  2 10:00:05
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace anvil {

struct Counts {
  int count = 0;  // simultaneous connections
  int rate = 0;   // connections in the current time unit
  int message = 0, recipient = 0, newtls = 0, auth = 0;
  bool operator==(const Counts&) const = default;
};

class Anvil {
 public:
  using Clock = std::function<time_t()>;

  // `time_unit`: anvil_rate_time_unit in seconds (at least 1). `clock`:
  // the current time (default: time(nullptr)).
  explicit Anvil(int time_unit, Clock clock = nullptr);
  Anvil(const Anvil&) = delete;
  Anvil& operator=(const Anvil&) = delete;

  // A new connection from `ident` on client connection `conn`: count and
  // connection rate afterwards.
  Counts Connect(uint64_t conn, std::string_view ident);
  // The end of a connection; false (nothing changed) when `conn` has no
  // connection from `ident`.
  bool Disconnect(uint64_t conn, std::string_view ident);
  // Rate events; each returns the rate of its kind after counting it.
  int Message(std::string_view ident);
  int Recipient(std::string_view ident);
  int NewTls(std::string_view ident);
  int Auth(std::string_view ident);
  // The newtls rate without counting an event.
  int NewTlsReport(std::string_view ident);
  // Everything known about `ident` (zeros when unknown).
  Counts Lookup(std::string_view ident);

  // Client connection `conn` closed: forget its connections.
  void ConnectionClosed(uint64_t conn);
  // Drops the records with no connection whose time unit has passed, from
  // the list's oldest end (a record still connected when its window ended
  // goes to the newest end and is dropped within a time unit after its
  // last disconnect).
  void Expire();
  // How many stale records each request may drop.
  static constexpr int kExpirePerRequest = 2;
  // The report lines ("statistics: ...") for the maxima since the last
  // call, which are then reset; empty when nothing happened.
  std::vector<std::string> Statistics();

  size_t size() const { return remotes_.size(); }
  int time_unit() const { return time_unit_; }

 private:
  struct Remote;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, Remote, Hash, std::equal_to<>>;
  // A record; `older`/`newer` link the list in window order (oldest first).
  struct Remote {
    Counts counts;
    time_t start = 0;  // when the current rate window began
    Map::value_type* older = nullptr;
    Map::value_type* newer = nullptr;
  };
  struct Max {
    int value = 0;
    std::string ident;
    time_t when = 0;
  };
  enum Kind { kConnRate, kConnCount, kMessage, kRecipient, kNewtls, kAuth, kKinds };

  time_t Now() const;
  // The record for `ident`, created if needed, with its window renewed
  // when the time unit has passed.
  Remote& Touch(std::string_view ident, time_t now);
  void UpdateMax(Kind kind, int value, std::string_view ident, time_t now);
  // One rate event of `kind`, counted in `field`: its count in the window.
  int Event(std::string_view ident, int Counts::*field, Kind kind);
  void UpdateCacheMax(time_t now);
  void Link(Map::value_type* node);  // at the newest end
  void Unlink(Map::value_type* node);
  // Drops stale records at the list's oldest end, at most `limit`.
  void ExpireOldest(time_t now, size_t limit);

  int time_unit_;
  Clock clock_;
  Map remotes_;
  Map::value_type* oldest_ = nullptr;
  Map::value_type* newest_ = nullptr;
  // client connection -> ident -> connections made through it
  std::unordered_map<uint64_t, std::map<std::string, int, std::less<>>> locals_;
  Max max_[kKinds];
  Max max_cache_;
};

}  // namespace anvil

#include "global/policy_client.h"

#include <unistd.h>

#include <thread>

#include "util/msg.h"
#include "util/sockets.h"
#include "util/strings.h"

namespace policy_client {
namespace {

constexpr size_t kMaxLine = 4096;  // a reply line longer than this is an error

}  // namespace

Options Options::FromConfig(const config::Config& cfg) {
  Options o;
  o.timeout = static_cast<int>(cfg.GetTime("smtpd_policy_service_timeout"));
  o.max_idle = static_cast<int>(cfg.GetTime("smtpd_policy_service_max_idle"));
  o.max_ttl = static_cast<int>(cfg.GetTime("smtpd_policy_service_max_ttl"));
  o.request_limit = static_cast<int>(cfg.GetInt("smtpd_policy_service_request_limit"));
  o.retry_delay = static_cast<int>(cfg.GetTime("smtpd_policy_service_retry_delay"));
  o.try_limit = static_cast<int>(cfg.GetInt("smtpd_policy_service_try_limit"));
  o.default_action = cfg.Get("smtpd_policy_service_default_action");
  o.policy_context = cfg.Get("smtpd_policy_service_policy_context");
  return o;
}

util::StatusOr<Service> ParseService(std::string_view spec, const Options& defaults) {
  std::string_view s = util::Trim(spec);
  if (!s.empty() && s.front() == '{') {
    if (s.back() != '}') return util::InvalidArgument("policy service syntax error: missing '}'");
    s = util::Trim(s.substr(1, s.size() - 2));
  }
  std::vector<std::string> words = util::SplitAny(s, ", \t\n");
  std::erase_if(words, [](const std::string& w) { return w.empty(); });
  if (words.empty())
    return util::InvalidArgument("empty policy service: \"" + std::string(spec) + "\"");
  Service out;
  out.endpoint = words[0];
  out.options = defaults;
  size_t colon = out.endpoint.find(':');
  if (colon == std::string::npos)
    return util::InvalidArgument("need service transport:endpoint instead of \"" + out.endpoint +
                                 "\"");
  std::string type = out.endpoint.substr(0, colon);
  if (type != "inet" && type != "unix" && type != "local")
    return util::InvalidArgument("unsupported transport type: " + type);
  for (size_t i = 1; i < words.size(); i++) {
    size_t eq = words[i].find('=');
    std::string name = words[i].substr(0, eq);
    std::string value = eq == std::string::npos ? "" : words[i].substr(eq + 1);
    auto time = [&](int* out_value) {
      std::optional<long long> t = util::ParseTime(value);
      if (!t || *t < 0) return false;
      *out_value = static_cast<int>(*t);
      return true;
    };
    auto number = [&](int* out_value) {
      std::optional<long long> n = util::ParseInt(value);
      if (!n || *n < 0) return false;
      *out_value = static_cast<int>(*n);
      return true;
    };
    bool ok = eq != std::string::npos;
    if (!ok) {
    } else if (name == "timeout") {
      ok = time(&out.options.timeout);
    } else if (name == "max_idle") {
      ok = time(&out.options.max_idle);
    } else if (name == "max_ttl") {
      ok = time(&out.options.max_ttl);
    } else if (name == "retry_delay") {
      ok = time(&out.options.retry_delay);
    } else if (name == "request_limit") {
      ok = number(&out.options.request_limit);
    } else if (name == "try_limit") {
      ok = number(&out.options.try_limit) && out.options.try_limit > 0;
    } else if (name == "default_action") {
      out.options.default_action = value;
    } else if (name == "policy_context") {
      out.options.policy_context = value;
    } else {
      ok = false;
    }
    if (!ok) {
      return util::InvalidArgument("policy service \"" + out.endpoint + "\": bad setting \"" +
                                   words[i] + "\"");
    }
  }
  return out;
}

util::Status Client::Connect() {
  util::StatusOr<util::Fd> fd =
      util::ConnectEndpoint(endpoint_, std::chrono::seconds(options_.timeout));
  if (!fd.ok()) return fd.status();
  stream_ = util::Stream(std::move(*fd));
  stream_.set_timeout(options_.timeout);
  connected_ = true;
  opened_ = last_used_ = std::chrono::steady_clock::now();
  requests_ = 0;
  return util::OkStatus();
}

util::StatusOr<std::string> Client::Attempt(const std::string& request) {
  auto now = std::chrono::steady_clock::now();
  if (connected_ && (now - last_used_ >= std::chrono::seconds(options_.max_idle) ||
                     now - opened_ >= std::chrono::seconds(options_.max_ttl) ||
                     (options_.request_limit > 0 && requests_ >= options_.request_limit))) {
    stream_ = util::Stream();
    connected_ = false;
  }
  if (!connected_) {
    if (util::Status st = Connect(); !st.ok()) return st;
  }
  requests_++;
  util::Status st = stream_.Write(request);
  if (st.ok()) st = stream_.Flush();
  std::string action;
  bool have_action = false;
  while (st.ok()) {
    std::string line;
    st = stream_.ReadLine(&line, kMaxLine);
    if (!st.ok()) break;
    if (line.empty()) break;  // the end of the reply
    size_t eq = line.find('=');
    if (eq != std::string::npos && line.compare(0, eq, "action") == 0) {
      // It may end up in an SMTP reply: no control character gets there.
      action = util::ReplaceControls(line.substr(eq + 1), '?');
      have_action = true;
    }
  }
  last_used_ = std::chrono::steady_clock::now();
  if (!st.ok()) {
    stream_ = util::Stream();
    connected_ = false;
    return st;
  }
  if (!have_action) return util::InvalidArgument("missing attribute action in reply");
  return action;
}

util::StatusOr<std::string> Client::Query(
    const std::vector<std::pair<std::string, std::string>>& attrs) {
  std::string request;
  for (const auto& [name, value] : attrs) {
    // A value is one line: a newline in it would end the attribute early.
    std::string v = value;
    for (char& c : v)
      if (c == '\n' || c == '\r') c = ' ';
    request += name + "=" + v + "\n";
  }
  request += "\n";
  util::Status last;
  for (int attempt = 0; attempt < options_.try_limit; attempt++) {
    if (attempt > 0 && options_.retry_delay > 0)
      std::this_thread::sleep_for(std::chrono::seconds(options_.retry_delay));
    util::StatusOr<std::string> a = Attempt(request);
    if (a.ok()) return a;
    last = a.status();
  }
  // Postfix's words: the endpoint without its type, then why.
  std::string why = last.message();
  if (why.rfind("connect to ", 0) == 0 && why.find(": ") != std::string::npos)
    why = why.substr(why.find(": ") + 2);
  msg::Warn("problem talking to server %s: %s", endpoint_.substr(endpoint_.find(':') + 1).c_str(),
            why.c_str());
  return last;
}

}  // namespace policy_client

#include "global/anvil_client.h"

#include <initializer_list>
#include <optional>

namespace anvil_client {
namespace {

std::chrono::milliseconds IpcTimeout(const config::Config& cfg) {
  long long t = cfg.GetTime("ipc_timeout");
  return std::chrono::seconds(t > 0 ? t : 3600);
}

}  // namespace

std::string Ident(std::string_view service, std::string_view client_addr) {
  std::string out(service);
  out += ':';
  out += client_addr;
  return out;
}

AnvilClient::AnvilClient(const config::Config& cfg)
    : AnvilClient(cfg.Get("queue_directory") + "/private/anvil", IpcTimeout(cfg)) {}

AnvilClient::AnvilClient(std::string socket_path, std::chrono::milliseconds timeout)
    : client_(std::move(socket_path), "anvil", timeout) {}

namespace {

// Sends {request, ident} and checks the reply: status 0 and every name in
// `want` present as a number. Values are returned in the order of `want`.
util::StatusOr<std::vector<int>> Call(util::AttrClient& client, std::string_view request,
                                      std::string_view ident,
                                      std::initializer_list<std::string_view> want) {
  util::AttrList req;
  req.Set(kAttrRequest, request);
  req.Set(kAttrIdent, ident);
  util::StatusOr<util::AttrList> reply = client.Call(req);
  if (!reply.ok()) return reply.status();
  util::StatusOr<long long> status = reply->GetInt(kAttrStatus);
  if (!status.ok()) {
    client.Disconnect();
    return util::Unavailable("anvil service is not available: malformed reply: " +
                             status.status().message());
  }
  if (*status != 0)
    return util::FailedPrecondition("anvil service refused request \"" + std::string(request) +
                                    "\" (status " + std::to_string(*status) + ")");
  std::vector<int> out;
  for (std::string_view name : want) {
    util::StatusOr<long long> v = reply->GetInt(name);
    if (!v.ok()) {
      client.Disconnect();
      return util::Unavailable("anvil service is not available: malformed reply: " +
                               v.status().message());
    }
    out.push_back(static_cast<int>(*v));
  }
  return out;
}

}  // namespace

util::StatusOr<Counts> AnvilClient::Connect(std::string_view ident) {
  util::StatusOr<std::vector<int>> v = Call(client_, "connect", ident, {kAttrCount, kAttrRate});
  if (!v.ok()) return v.status();
  Counts c;
  c.count = (*v)[0];
  c.rate = (*v)[1];
  return c;
}

util::Status AnvilClient::Disconnect(std::string_view ident) {
  return Call(client_, "disconnect", ident, {}).status();
}

namespace {

util::StatusOr<int> Rate(util::AttrClient& client, std::string_view request,
                         std::string_view ident) {
  util::StatusOr<std::vector<int>> v = Call(client, request, ident, {kAttrRate});
  if (!v.ok()) return v.status();
  return (*v)[0];
}

}  // namespace

util::StatusOr<int> AnvilClient::Message(std::string_view ident) {
  return Rate(client_, "message", ident);
}
util::StatusOr<int> AnvilClient::Recipient(std::string_view ident) {
  return Rate(client_, "recipient", ident);
}
util::StatusOr<int> AnvilClient::NewTls(std::string_view ident) {
  return Rate(client_, "newtls", ident);
}
util::StatusOr<int> AnvilClient::Auth(std::string_view ident) {
  return Rate(client_, "auth", ident);
}

util::StatusOr<int> AnvilClient::NewTlsReport(std::string_view ident) {
  return Rate(client_, "newtls_report", ident);
}

util::StatusOr<Counts> AnvilClient::Lookup(std::string_view ident) {
  util::StatusOr<std::vector<int>> v =
      Call(client_, "lookup", ident,
           {kAttrCount, kAttrRate, kAttrMessage, kAttrRecipient, kAttrNewtls, kAttrAuth});
  if (!v.ok()) return v.status();
  return Counts{(*v)[0], (*v)[1], (*v)[2], (*v)[3], (*v)[4], (*v)[5]};
}

}  // namespace anvil_client

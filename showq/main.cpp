// showq - list the mail queue (Postfix's showq(8)).
//
// SYNOPSIS
//   master.cf:  showq  unix  n  -  n  -  -  showq
//
// DESCRIPTION
//   showq serves the queue listing behind postqueue -p / -j, mailq and
//   sendmail -bp. Its socket, $queue_directory/public/showq, is usable by
//   every local user, while the queue itself is readable only by
//   mail_owner: showq, started by master as mail_owner, is the one way an
//   unprivileged user sees the queue. It takes no input: a client connects
//   and reads the listing, one util/attr.h list per message, then an empty
//   list (global/showq_client.h has the protocol, the client and the
//   output formats). Reasons for deferred recipients come from the defer
//   logs (global/delivery_log.h). The queue walk is showq/queue_scan.h.
//
//   Run as root with the mail system stopped, postqueue runs
//   `showq -u -S` itself with a socket on standard input (the stand-alone
//   mode of server/daemon.h), as Postfix's postqueue does.
//
// PARAMETERS
//   queue_directory, hash_queue_depth, hash_queue_names,
//   enable_long_queue_ids    where the queue files are
//   empty_address_recipient  how the null sender is shown (MAILER-DAEMON)
//   ipc_timeout              the time limit for writing to the client
//   max_idle, max_use, daemon_timeout, syslog_name  as for every daemon
//
// DIAGNOSTICS
//   Unreadable or corrupt queue files are logged as warnings and left out
//   of the listing.
#include "global/showq_client.h"
#include "server/single_server.h"
#include "showq/queue_scan.h"
#include "util/attr.h"
#include "util/msg.h"

namespace {

void Serve(util::Stream& client, server::Server& s) {
  client.set_timeout(static_cast<int>(s.config().GetTime("ipc_timeout")));
  util::Status st = showq::ScanQueue(s.config(), [&](const showq_client::Message& m) {
    return client.Write(util::EncodeAttrList(showq_client::Encode(m)));
  });
  if (st.ok()) st = client.Write(util::EncodeAttrList(util::AttrList()));
  if (st.ok()) st = client.Flush();
  if (!st.ok()) msg::Warn("write to client: %s", st.message().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.service = Serve;
  server::RunSingleServer(argc, argv, hooks);
}

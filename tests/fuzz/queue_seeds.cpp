// fuzz-queue-seeds: writes the seed queue files of the queue_file fuzz
// target with the project's own queue_file::Writer, so that the seeds are
// what cleanup really writes. Built in the normal build (build/tests/fuzz/).
//
//   build/tests/fuzz/fuzz-queue-seeds tests/fuzz/corpus/queue_file
//
// Writes OUTDIR/writer-minimal, writer-dsn (attributes, original
// recipients, ORCPT, NOTIFY, one recipient marked done), writer-segments (a
// line in L pieces) and writer-extra (recipients after the content, as for
// sendmail -t). Exit status 1 with a message on error.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "global/mail_queue.h"
#include "global/queue_file.h"
#include "util/files.h"

namespace {

int Fail(const std::string& m) {
  std::fprintf(stderr, "fuzz-queue-seeds: %s\n", m.c_str());
  return 1;
}

queue_file::Recipient Rcpt(std::string address, std::string original = "", std::string orcpt = "",
                           int notify = 0) {
  queue_file::Recipient r;
  r.address = std::move(address);
  r.original = std::move(original);
  r.dsn_orcpt = std::move(orcpt);
  r.dsn_notify = notify;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return Fail("usage: fuzz-queue-seeds OUTDIR");
  const std::string out = argv[1];
  char tmpl[] = "/tmp/fuzz-queue-seeds.XXXXXX";
  if (!mkdtemp(tmpl)) return Fail("mkdtemp failed");
  const std::string tmp = tmpl;
  mail_queue::Layout layout;
  layout.queue_directory = tmp;
  std::filesystem::create_directories(tmp + "/incoming");

  using Fill = std::function<void(queue_file::Writer&)>;
  const std::pair<const char*, Fill> messages[] = {
      {"writer-minimal",
       [](queue_file::Writer& w) {
         w.SetArrival(1700000000, 5);
         w.SetSender("alice@example.com");
         w.AddRecipient(Rcpt("bob@example.net"));
         w.BeginContent();
         w.AddLine("Subject: hi");
         w.AddLine("");
         w.AddLine("hello");
       }},
      {"writer-dsn",
       [](queue_file::Writer& w) {
         w.SetArrival(1700000000, 123456);
         w.AddAttr("client_name", "mx.example.org");
         w.AddAttr("client_address", "192.0.2.1");
         w.AddAttr("protocol", "ESMTP");
         w.AddAttr("helo_name", "mx.example.org");
         w.AddAttr("dsn_envid", "QQ314159");
         w.AddAttr("dsn_ret", "2");
         w.AddAttr("encoding", "8bit");
         w.SetSender("");
         w.AddRecipient(Rcpt("sales@example.com", "sales@example.com", "rfc822;sales@example.com",
                             queue_file::kNotifySuccess | queue_file::kNotifyFailure));
         w.AddRecipient(
             Rcpt("alice@example.com", "sales@example.com", "", queue_file::kNotifyNever));
         w.AddRecipient(Rcpt("john smith@example.com"));
         w.BeginContent();
         w.AddLine("Received: from mx.example.org (mx.example.org [192.0.2.1])");
         w.AddLine("\tby mail.example.com (Postfix) with ESMTP id 4A5B6C7D");
         w.AddLine("From: <>");
         w.AddLine("");
         w.AddLine("body");
       }},
      {"writer-segments",
       [](queue_file::Writer& w) {
         w.SetArrival(1700000000, 0);
         w.SetSender("alice@example.com");
         w.AddRecipient(Rcpt("bob@example.net"));
         w.BeginContent();
         w.AddLine("Subject: long line");
         w.AddLine("");
         w.AddSegment(std::string(40, 'a'));
         w.AddSegment(std::string(40, 'b'));
         w.AddLine("end");
         w.AddLine(".");
       }},
      {"writer-extra",
       [](queue_file::Writer& w) {
         w.SetArrival(1700000000, 0);
         w.AddAttr("rewrite_context", "local");
         w.SetSender("alice@example.com");
         w.BeginContent();
         w.AddLine("To: bob@example.net, carol@example.net");
         w.AddLine("");
         w.AddLine("extracted");
         w.AddAttr("log_ident", "4A5B6C7D");
         w.AddRecipient(Rcpt("bob@example.net", "bob@example.net"));
         w.AddRecipient(Rcpt("carol@example.net", "carol@example.net"));
       }},
  };
  int status = 0;
  for (const auto& [name, fill] : messages) {
    auto w = queue_file::Writer::Create(layout, "incoming");
    if (!w.ok()) return Fail(w.status().message());
    fill(*w);
    auto id = w->Finish();
    if (!id.ok()) return Fail(id.status().message());
    std::string path = layout.Path("incoming", *id);
    if (std::string(name) == "writer-dsn") {  // one recipient delivered
      auto r = queue_file::Reader::OpenForUpdate(path);
      if (!r.ok()) return Fail(r.status().message());
      queue_file::Recipient rc = r->envelope().recipients[1];
      if (util::Status s = r->MarkDone(rc); !s.ok()) return Fail(s.message());
    }
    std::error_code ec;
    std::filesystem::copy_file(path, out + "/" + name,
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) status = Fail("copy " + path + ": " + ec.message());
    // An ordinary file in the repository (the ready bit is the reader's
    // business: the target sets it).
    std::filesystem::permissions(out + "/" + name, std::filesystem::perms(0644), ec);
  }
  std::filesystem::remove_all(tmp);
  return status;
}

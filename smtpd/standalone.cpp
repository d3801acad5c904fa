#include "smtpd/standalone.h"

#include <pwd.h>
#include <sysexits.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <utility>

#include "global/maildrop_stream.h"
#include "global/postdrop_client.h"
#include "global/queue_file.h"

namespace smtpd {
namespace {

// Printable ASCII without space: what maildrop_stream takes as a DSN ORCPT.
bool MaildropXtext(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return !s.empty();
}

class MaildropFile : public QueueFile {
 public:
  explicit MaildropFile(std::unique_ptr<postdrop_client::Submission> sub) : sub_(std::move(sub)) {}
  const std::string& queue_id() const override { return sub_->queue_id(); }

  void Record(char type, std::string_view data) override {
    switch (type) {
      case queue_file::kAttr:
        Attr(data);
        return;
      case queue_file::kDsnOrcpt:
        if (MaildropXtext(data)) sub_->Record(type, data);
        return;
      case queue_file::kTime:
      case queue_file::kSender:
      case queue_file::kOriginal:
      case queue_file::kDsnNotify:
      case queue_file::kRecipient:
      case queue_file::kMessage:
      case queue_file::kLine:
      case queue_file::kSegment:
        sub_->Record(type, data);
        return;
      default:  // X and E: Finish writes them
        return;
    }
  }

  util::StatusOr<cleanup_client::Result> Finish() override {
    postdrop_client::Outcome done = sub_->Finish();
    cleanup_client::Result r;
    r.queue_id = sub_->queue_id();
    if (done.exit_status == 0) {
      r.dsn = "2.0.0";
    } else if (done.exit_status == EX_DATAERR) {
      r.status = 5;
      r.dsn = "5.6.0";
      r.reason = done.reason;
    } else {
      r.status = 4;
      r.dsn = "4.3.0";
      r.reason = done.reason;
    }
    return r;
  }

 private:
  void Attr(std::string_view data) {
    size_t eq = data.find('=');
    if (eq == std::string_view::npos) return;
    std::string_view name = data.substr(0, eq);
    std::string value(data.substr(eq + 1));
    // The engine's RET= is cleanup's number; the maildrop stream's a word.
    if (name == maildrop::kAttrDsnRet) value = value == "1" ? "FULL" : value == "2" ? "HDRS" : "";
    if (!maildrop::CheckAttr(name, value).ok()) return;  // client_name, helo_name, ...
    sub_->Record(queue_file::kAttr, std::string(name) + "=" + value);
  }

  std::unique_ptr<postdrop_client::Submission> sub_;
};

class UnrestrictedChecker : public smtpd_check::Checker {
 public:
  explicit UnrestrictedChecker(std::unique_ptr<smtpd_check::Checker> inner)
      : inner_(std::move(inner)) {}
  smtpd_check::Verdict CheckConnect(smtpd_check::Session&) override { return {}; }
  smtpd_check::Verdict CheckHelo(smtpd_check::Session&) override { return {}; }
  smtpd_check::Verdict CheckSender(smtpd_check::Session&) override { return {}; }
  smtpd_check::Verdict CheckRecipient(smtpd_check::Session&) override { return {}; }
  smtpd_check::Verdict CheckData(smtpd_check::Session&) override { return {}; }
  smtpd_check::Verdict CheckEndOfData(smtpd_check::Session&) override { return {}; }
  smtpd_check::Verdict CheckVrfy(smtpd_check::Session&) override { return {}; }
  smtpd_check::Verdict CheckEtrn(smtpd_check::Session&, const std::string&) override { return {}; }
  void ResetTransaction(smtpd_check::Session&) override {}
  util::StatusOr<bool> InMynetworks(const smtpd_check::Session& s) override {
    return inner_ ? inner_->InMynetworks(s) : false;
  }
  util::StatusOr<bool> ClientMatches(config::AnyParam param,
                                     const smtpd_check::Session& s) override {
    // A local user may not claim to be another client (XCLIENT, XFORWARD).
    if (param.name() == "smtpd_authorized_xclient_hosts" ||
        param.name() == "smtpd_authorized_xforward_hosts")
      return false;
    return inner_ ? inner_->ClientMatches(param, s) : false;
  }

 private:
  std::unique_ptr<smtpd_check::Checker> inner_;
};

}  // namespace

bool LocalSubmission(const config::Config& cfg, bool standalone) {
  if (!standalone) return false;
  struct passwd* pw = getpwnam(cfg.Get("mail_owner").c_str());
  return pw == nullptr || pw->pw_uid != getuid();
}

std::function<util::StatusOr<std::unique_ptr<QueueFile>>()> MaildropQueue(
    const config::Config& cfg) {
  return [&cfg]() -> util::StatusOr<std::unique_ptr<QueueFile>> {
    auto sub = postdrop_client::Submission::Start(cfg);
    if (!sub.ok()) return sub.status();
    if ((*sub)->queue_id().empty()) return util::Unavailable((*sub)->Finish().reason);
    return std::unique_ptr<QueueFile>(new MaildropFile(std::move(*sub)));
  };
}

std::unique_ptr<smtpd_check::Checker> Unrestricted(std::unique_ptr<smtpd_check::Checker> inner) {
  return std::make_unique<UnrestrictedChecker>(std::move(inner));
}

}  // namespace smtpd

#include "cleanup/message.h"

#include <algorithm>

#include "global/address.h"
#include "global/cleanup_client.h"
#include "global/mail_date.h"
#include "util/msg.h"
#include "util/strings.h"

namespace cleanup {

Settings Settings::FromConfig(const config::Config& cfg) {
  Settings s;
  s.message_size_limit = cfg.GetInt("message_size_limit");
  s.header_size_limit = cfg.GetInt("header_size_limit");
  s.hopcount_limit = cfg.GetInt("hopcount_limit");
  s.duplicate_filter_limit = cfg.GetInt("duplicate_filter_limit");
  s.attribute_count_limit = cfg.GetInt("queue_file_attribute_count_limit");
  s.enable_original_recipient = cfg.GetBool("enable_original_recipient");
  s.always_add_missing_headers = cfg.GetBool("always_add_missing_headers");
  std::string format = cfg.Get("header_from_format");
  if (format != "standard" && format != "obsolete")
    msg::Fatal("invalid header_from_format value: \"%s\"", format.c_str());
  s.obsolete_from_format = format == "obsolete";
  s.drop_headers.clear();
  for (const std::string& h : util::SplitList(cfg.Get("message_drop_headers")))
    s.drop_headers.insert(util::Lowercase(h));
  s.myhostname = cfg.Get("myhostname");
  s.undisclosed_recipients_header = cfg.Get("undisclosed_recipients_header");
  s.empty_address_recipient = cfg.Get("empty_address_recipient");
  s.always_bcc = cfg.Get("always_bcc");
  s.remote_header_rewrite = !cfg.Get("remote_header_rewrite_domain").empty();
  s.body_checks_size_limit = cfg.GetInt("body_checks_size_limit");
  s.disable_mime_input_processing = cfg.GetBool("disable_mime_input_processing");
  s.mime_nesting_limit = cfg.GetInt("mime_nesting_limit");
  s.mime_boundary_length_limit = cfg.GetInt("mime_boundary_length_limit");
  return s;
}

Message::Message(const Settings& settings, AddressMapper& mapper, Output& out, unsigned flags,
                 std::string queue_id)
    : settings_(settings),
      mapper_(mapper),
      out_(out),
      flags_(flags),
      queue_id_(std::move(queue_id)) {}

void Message::Reject(Verdict v) {
  if (verdict_.ok()) verdict_ = std::move(v);
}

void Message::ProtocolError(const std::string& why) {
  if (!verdict_.ok()) return;
  msg::Warn("%s: message rejected: %s", queue_id_.c_str(), why.c_str());
  Reject(Verdict::Fail(4, "4.3.0", "Internal protocol error"));
}

void Message::Add(const util::Record& rec) {
  if (phase_ == Phase::kDone) return;
  if (!verdict_.ok()) {  // rejected: read to the end, write nothing
    if (rec.type == queue_file::kEnd) phase_ = Phase::kDone;
    return;
  }
  switch (phase_) {
    case Phase::kEnvelope:
      if (rec.type == queue_file::kMessage) {
        StartContent();
      } else if (rec.type == queue_file::kEnd) {
        ProtocolError("no message content");
        phase_ = Phase::kDone;
      } else {
        Envelope(rec);
      }
      break;
    case Phase::kContent:
      if (rec.type == queue_file::kLine || rec.type == queue_file::kSegment) {
        ContentPiece(rec);
      } else if (rec.type == queue_file::kExtra || rec.type == queue_file::kEnd) {
        EndContent();
        phase_ = Phase::kExtra;
        if (rec.type == queue_file::kEnd) Finish();
      } else {
        ProtocolError(util::StrFormat("unexpected record type %c in message content", rec.type));
      }
      break;
    case Phase::kExtra:
      if (rec.type == queue_file::kEnd) {
        Finish();
      } else if (rec.type == queue_file::kMessage || rec.type == queue_file::kSender ||
                 rec.type == queue_file::kTime || rec.type == queue_file::kExtra) {
        ProtocolError(util::StrFormat("unexpected record type %c in extracted envelope", rec.type));
      } else {
        Envelope(rec);
      }
      break;
    case Phase::kDone:
      break;
  }
  if (!verdict_.ok() && rec.type == queue_file::kEnd) phase_ = Phase::kDone;
}

// One N (line end) or L (segment) record of the content. Lines are
// assembled in partial_ up to a bound (header_size_limit, at least one
// queue-file segment); past it SpillPartial() passes a body line on in
// pieces or drops the rest of a header line.
void Message::ContentPiece(const util::Record& rec) {
  const bool end = rec.type == queue_file::kLine;
  if (dropping_header_rest_) {
    content_size_ += rec.data.size();
  } else {
    partial_ += rec.data;
  }
  if (!end) {
    if (settings_.message_size_limit > 0 &&
        content_size_ + partial_.size() > static_cast<uint64_t>(settings_.message_size_limit)) {
      content_size_ += partial_.size();
      partial_.clear();
      Reject(Verdict::Fail(5, "5.3.4", "Message size exceeds fixed limit"));
      return;
    }
    size_t bound = std::max<size_t>(static_cast<size_t>(std::max(0LL, settings_.header_size_limit)),
                                    queue_file::kMaxSegment);
    if (partial_.size() >= bound) SpillPartial();
    return;
  }
  dropping_header_rest_ = false;
  std::string line = std::move(partial_);
  partial_.clear();
  if (!spilled_body_) {
    Line(line);  // counts line.size() + 1
    return;
  }
  spilled_body_ = false;  // the last piece of a long body line
  content_size_ += line.size() + 1;
  if (settings_.message_size_limit > 0 &&
      content_size_ > static_cast<uint64_t>(settings_.message_size_limit)) {
    Reject(Verdict::Fail(5, "5.3.4", "Message size exceeds fixed limit"));
    return;
  }
  if (verdict_.ok()) out_.AddLine(line);
}

void Message::SpillPartial() {
  if (in_headers_) {
    std::string_view name, value;
    bool header = (have_header_ && (partial_[0] == ' ' || partial_[0] == '\t')) ||
                  address::SplitHeader(partial_, &name, &value);
    if (header) {
      // The header is cut at header_size_limit anyway: keep what it can
      // hold, count the rest, and end it when the line ends.
      dropping_header_rest_ = true;
      return;
    }
    // The first body line: the header section ends here.
    EndHeaders();
    if (verdict_.ok()) out_.AddLine("");
  }
  content_size_ += partial_.size();
  if (verdict_.ok()) out_.AddSegment(partial_);
  partial_.clear();
  spilled_body_ = true;
}

void Message::Envelope(const util::Record& rec) {
  switch (rec.type) {
    case queue_file::kTime: {
      std::vector<std::string> f = util::SplitList(rec.data);
      std::optional<long long> sec = f.size() == 2 ? util::ParseInt(f[0]) : std::nullopt;
      std::optional<long long> usec = f.size() == 2 ? util::ParseInt(f[1]) : std::nullopt;
      if (!sec || !usec || *sec < 0 || *usec < 0 || *usec > 999999) {
        ProtocolError("bad time record <" + util::Printable(rec.data) + ">");
        return;
      }
      if (have_time_) return;  // the first one counts
      have_time_ = true;
      arrival_ = static_cast<long>(*sec);
      out_.SetArrival(arrival_, static_cast<long>(*usec));
      return;
    }
    case queue_file::kAttr:
      Attribute(rec.data);
      return;
    case queue_file::kSender: {
      if (have_sender_) {
        ProtocolError("multiple envelope sender records");
        return;
      }
      have_sender_ = true;
      std::string s = rec.data.empty() ? "" : mapper_.Rewrite(rewrite::Context::kLocal, rec.data);
      if (!(flags_ & cleanup_client::kFlagNoAddressMaps)) {
        Verdict v = mapper_.Canonical(kClassEnvelopeSender, &s, queue_id_);
        if (!v.ok()) {
          Reject(v);
          return;
        }
      }
      sender_ = s;
      out_.SetSender(sender_);
      if (!(flags_ & (cleanup_client::kFlagNoAddressMaps | cleanup_client::kFlagInternal))) {
        std::string bcc;
        Verdict v = mapper_.SenderBcc(sender_, &bcc, queue_id_);
        if (!v.ok()) {
          Reject(v);
          return;
        }
        if (!bcc.empty()) BccRecipient(bcc);
      }
      return;
    }
    case queue_file::kOriginal:
      pending_.original = rec.data;
      pending_.have_original = true;
      return;
    case queue_file::kDsnOrcpt:
      pending_.orcpt = rec.data;
      return;
    case queue_file::kDsnNotify: {
      std::optional<long long> n = util::ParseInt(rec.data);
      if (!n || *n < 0 || *n > 15) {
        ProtocolError("bad DSN NOTIFY record <" + util::Printable(rec.data) + ">");
        return;
      }
      pending_.notify = static_cast<int>(*n);
      return;
    }
    case queue_file::kRecipient: {
      if (!have_sender_) {
        ProtocolError("envelope recipient precedes sender");
        return;
      }
      Pending p = std::move(pending_);
      pending_ = Pending();
      last_recipient_ = rec.data;
      Recipient(rec.data, p.have_original ? p.original : rec.data, p.orcpt, p.notify);
      return;
    }
    default:
      ProtocolError(util::StrFormat("unexpected record type %c in envelope", rec.type));
  }
}

void Message::Attribute(std::string_view data) {
  size_t eq = data.find('=');
  std::string_view name = data.substr(0, eq);
  if (eq == std::string_view::npos || !util::IsValidAttrName(name)) {
    ProtocolError("malformed attribute: " + util::Printable(data.substr(0, 100)));
    return;
  }
  std::string_view value = data.substr(eq + 1);
  if (++attributes_ > settings_.attribute_count_limit) {
    ProtocolError(
        util::StrFormat("attribute count exceeds limit %lld", settings_.attribute_count_limit));
    return;
  }
  if (name == cleanup_client::kAttrRewriteContext) {
    if (value != "local" && value != "remote") {
      ProtocolError("bad rewriting context: " + util::Printable(value.substr(0, 100)));
      return;
    }
    rewrite_context_ = std::string(value);
    out_.AddAttr(name, value);  // the smtp client forwards it (XFORWARD SOURCE)
  } else if (name == cleanup_client::kAttrFullName) {
    full_name_ = std::string(value);
  } else if (name == cleanup_client::kAttrHold) {
    hold_reason_ = std::string(value);
  } else if (name == cleanup_client::kAttrDiscard) {
    discard_ = true;
  } else if (name == cleanup_client::kAttrContentFilter) {
    // Only a content check chooses a filter; a client cannot.
  } else if (name == cleanup_client::kAttrRedirect) {
    if (!value.empty()) redirect_ = std::string(value);
  } else if (name == cleanup_client::kAttrFilter) {
    if (!value.empty()) filter_ = std::string(value);
  } else if (name == cleanup_client::kAttrBcc) {
    if (!value.empty()) bccs_.push_back(std::string(value));
  } else {
    // The client logged: the forwarded one (log_*, smtpd after XFORWARD,
    // written first) when there is one, as Postfix's cleanup.
    auto note = [&](std::string_view actual, std::string_view logged, std::string* field) {
      if (name == logged) {
        *field = std::string(value);
        forwarded_ = true;
      } else if (name == actual && !forwarded_) {
        *field = std::string(value);
      }
    };
    note("client_name", cleanup_client::kAttrLogClientName, &client_name_);
    note("client_address", cleanup_client::kAttrLogClientAddress, &client_address_);
    note("protocol", cleanup_client::kAttrLogProtocolName, &protocol_);
    note("helo_name", cleanup_client::kAttrLogHeloName, &helo_name_);
    out_.AddAttr(name, value);
  }
}

void Message::Recipient(const std::string& raw, const std::string& original,
                        const std::string& orcpt, int notify, bool bcc_lookup) {
  if (!verdict_.ok()) return;
  std::string addr = mapper_.Rewrite(rewrite::Context::kLocal,
                                     raw.empty() ? settings_.empty_address_recipient : raw);
  std::vector<std::string> targets;
  std::string bcc;
  if (flags_ & cleanup_client::kFlagNoAddressMaps) {
    targets.push_back(addr);
  } else {
    Verdict v = mapper_.Canonical(kClassEnvelopeRecipient, &addr, queue_id_);
    if (v.ok() && bcc_lookup && !(flags_ & cleanup_client::kFlagInternal))
      v = mapper_.RecipientBcc(addr, &bcc, queue_id_);
    if (v.ok()) v = mapper_.ExpandAliases(addr, &targets, queue_id_);
    if (!v.ok()) {
      Reject(v);
      return;
    }
  }
  // enable_original_recipient = no: duplicates are found on the final
  // address alone; the original is still written (as Postfix 3.7 does).
  const std::string& orig = original;
  if (!have_first_original_) {
    have_first_original_ = true;
    first_original_ = original;
  }
  for (const std::string& t : targets) {
    std::string key = orcpt + "\n" + std::to_string(notify) + "\n" +
                      (settings_.enable_original_recipient ? orig : "") + "\n" + t;
    if (dups_.count(key)) continue;
    if (settings_.duplicate_filter_limit <= 0 ||
        static_cast<long long>(dups_.size()) < settings_.duplicate_filter_limit)
      dups_.insert(key);
    queue_file::Recipient r;
    r.address = t;
    r.original = orig;
    r.dsn_orcpt = orcpt;
    r.dsn_notify = notify;
    out_.AddRecipient(r);
    ++recipients_;
  }
  if (!bcc.empty()) BccRecipient(bcc);
}

void Message::StartContent() {
  if (!have_time_) {
    ProtocolError("missing time envelope record");
    return;
  }
  if (!have_sender_) {
    ProtocolError("missing sender envelope record");
    return;
  }
  if (flags_ & cleanup_client::kFlagLocal) {
    header_context_ = HeaderContext::kLocal;
  } else if (rewrite_context_ == "remote") {
    header_context_ =
        settings_.remote_header_rewrite ? HeaderContext::kRemote : HeaderContext::kNone;
  } else {
    header_context_ = HeaderContext::kLocal;
  }
  phase_ = Phase::kContent;
  if (checks_ != nullptr) {
    mime::Mime::Limits l;
    l.disabled = settings_.disable_mime_input_processing;
    l.nesting_limit = static_cast<size_t>(std::max(1LL, settings_.mime_nesting_limit));
    l.boundary_length = static_cast<size_t>(std::max(1LL, settings_.mime_boundary_length_limit));
    l.header_size_limit = static_cast<size_t>(std::max(1LL, settings_.header_size_limit));
    mime_ = std::make_unique<mime::Mime>(l);
  }
  out_.BeginContent();
}

void Message::Line(std::string_view line) {
  content_size_ += line.size() + 1;
  if (settings_.message_size_limit > 0 &&
      content_size_ > static_cast<uint64_t>(settings_.message_size_limit)) {
    Reject(Verdict::Fail(5, "5.3.4", "Message size exceeds fixed limit"));
    return;
  }
  if (!verdict_.ok()) return;
  if (!in_headers_) {
    BodyLine(line);
    return;
  }
  if (have_header_ && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
    AppendToHeader(line);
    return;
  }
  if (have_header_) FlushHeader();
  if (!verdict_.ok()) return;
  std::string_view name, value;
  if (!line.empty() && address::SplitHeader(line, &name, &value)) {
    header_.clear();
    header_truncated_ = false;
    have_header_ = true;
    AppendToHeader(line);
    return;
  }
  EndHeaders();
  if (!verdict_.ok()) return;
  // The empty line that ends the headers is no body text (and no MIME).
  out_.AddLine("");
  if (!line.empty()) BodyLine(line);
}

void Message::LogAction(const char* action, const char* what, std::string_view content,
                        std::string_view text) {
  std::string origin = "unknown";
  if (!client_name_.empty() || !client_address_.empty())
    origin = client_name_ + "[" + client_address_ + "]";
  else if (flags_ & cleanup_client::kFlagLocal)
    origin = "local";
  std::string line =
      util::StrFormat("%s: %s: %s %s from %s;", queue_id_.c_str(), action, what,
                      util::ReplaceControls(content.substr(0, 200)).c_str(), origin.c_str());
  if (have_sender_) line += " from=<" + sender_ + ">";
  if (recipients_ > 0 || !last_recipient_.empty()) line += " to=<" + last_recipient_ + ">";
  if (!protocol_.empty()) line += " proto=" + protocol_;
  if (!helo_name_.empty()) line += " helo=<" + helo_name_ + ">";
  if (!text.empty()) line += ": " + std::string(text);
  msg::Info("%s", util::ReplaceControls(line).c_str());
}

bool Message::Inspect(content_checks::Table t, const char* what, std::string* text,
                      std::string* prepend) {
  if (checks_ == nullptr || inspect_done_ || !verdict_.ok() || !checks_->any(t)) return true;
  content_checks::Checks::Result r = checks_->Check(t, *text);
  if (r.temp_error) {
    msg::Warn("%s: %s map lookup problem -- message not accepted, try again later",
              queue_id_.c_str(), checks_->Name(t));
    Reject(Verdict::Fail(4, "4.3.0", "Temporary lookup failure"));
    return true;
  }
  using Kind = content_checks::Action::Kind;
  const content_checks::Action& a = r.action;
  const char* log = content_checks::Action::LogName(a.kind);
  bool header = std::string_view(what) == "header";
  switch (a.kind) {
    case Kind::kNone:
      return true;
    case Kind::kIgnore:
      return false;
    case Kind::kReject: {
      std::string dsn, reason;
      content_checks::RejectReason(a.text, &dsn, &reason);
      LogAction(log, what, *text, dsn + " " + reason);
      Reject(Verdict::Fail(dsn[0] == '4' ? 4 : 5, dsn, reason));
      content_rejected_ = true;
      inspect_done_ = true;
      return true;
    }
    case Kind::kWarn:
    case Kind::kInfo:
      LogAction(log, what, *text, a.text);
      return true;
    case Kind::kDiscard:
      LogAction(log, what, *text, a.text);
      discard_ = true;
      content_discarded_ = true;
      inspect_done_ = true;
      return true;
    case Kind::kHold:
      LogAction(log, what, *text, a.text);
      if (hold_reason_.empty()) hold_reason_ = a.text.empty() ? checks_->Name(t) : a.text;
      return true;
    case Kind::kRedirect:
    case Kind::kBcc:
    case Kind::kFilter: {
      // FILTER needs "transport:" at least; the destination may be empty.
      bool ok = !a.text.empty();
      if (a.kind == Kind::kFilter) ok = ok && a.text.find(':') != std::string::npos;
      if (!ok) {
        msg::Warn("%s: %s map: bad %s action: %s", queue_id_.c_str(), checks_->Name(t), log,
                  util::Printable(a.text).c_str());
        return true;
      }
      LogAction(log, what, *text, a.text);
      if (a.kind == Kind::kRedirect) redirect_ = a.text;
      if (a.kind == Kind::kBcc) bccs_.push_back(a.text);
      if (a.kind == Kind::kFilter) filter_ = a.text;
      return true;
    }
    case Kind::kPrepend:
    case Kind::kReplace: {
      std::string_view n, v;
      if (header && !address::SplitHeader(a.text, &n, &v)) {
        msg::Warn("%s: %s map: %s action without valid header text: %s", queue_id_.c_str(),
                  checks_->Name(t), a.kind == Kind::kPrepend ? "PREPEND" : "REPLACE",
                  util::Printable(a.text).c_str());
        return true;
      }
      LogAction(log, what, *text, a.text);
      if (a.kind == Kind::kPrepend) {
        *prepend = a.text;
      } else {
        *text = a.text;
      }
      return true;
    }
  }
  return true;
}

// One line after the primary headers: through the MIME classifier when
// content checks apply, else straight out.
void Message::BodyLine(std::string_view line) {
  if (!mime_) {
    out_.AddLine(line);
    return;
  }
  mime_->BodyLine(line, [this](const mime::Mime::Item& it) { MimeItem(it); });
}

void Message::MimeItem(const mime::Mime::Item& item) {
  if (!verdict_.ok()) return;
  std::string text(item.text);
  std::string prepend;
  bool keep = true;
  if (item.boundary) body_bytes_ = 0;  // a new part: its own body_checks_size_limit
  if (item.header) {
    body_bytes_ = 0;
    keep = Inspect(item.cls == mime::Mime::Class::kNested ? content_checks::kNestedHeader
                                                          : content_checks::kMimeHeader,
                   "header", &text, &prepend);
  } else if (settings_.body_checks_size_limit <= 0 ||
             body_bytes_ < settings_.body_checks_size_limit) {
    body_bytes_ += static_cast<long long>(item.text.size()) + 1;
    keep = Inspect(content_checks::kBody, "body", &text, &prepend);
  }
  if (!verdict_.ok()) return;
  if (!prepend.empty()) out_.AddLine(prepend);
  if (!keep) return;
  if (item.header) {
    for (const std::string& l : SplitLines(text)) out_.AddLine(l);
  } else {
    out_.AddLine(text);
  }
}

void Message::AppendToHeader(std::string_view line) {
  if (header_truncated_) return;
  size_t sep = header_.empty() ? 0 : 1;
  size_t limit = static_cast<size_t>(settings_.header_size_limit);
  if (header_.size() + sep + line.size() > limit) {
    size_t room = limit > header_.size() + sep ? limit - header_.size() - sep : 0;
    if (room > 0) {
      if (sep) header_ += '\n';
      header_.append(line.substr(0, room));
    }
    header_truncated_ = true;
    std::string_view name, value;
    address::SplitHeader(header_, &name, &value);
    msg::Info("%s: header %s exceeds header_size_limit %lld: truncated", queue_id_.c_str(),
              util::Printable(name.substr(0, 100)).c_str(), settings_.header_size_limit);
    return;
  }
  if (sep) header_ += '\n';
  header_.append(line);
}

std::string Message::RewriteHeaderAddress(unsigned cls, const std::string& address) {
  if (!verdict_.ok()) return address;
  rewrite::Context ctx = header_context_ == HeaderContext::kRemote ? rewrite::Context::kRemote
                                                                   : rewrite::Context::kLocal;
  std::string a = mapper_.Rewrite(ctx, address);
  if (!(flags_ & cleanup_client::kFlagNoAddressMaps)) {
    Verdict v = mapper_.Canonical(cls, &a, queue_id_);
    if (!v.ok()) {
      Reject(v);
      return address;
    }
  }
  return a;
}

void Message::FlushHeader() {
  have_header_ = false;
  std::string_view name, value;
  if (!address::SplitHeader(header_, &name, &value)) return;
  if (mime_) {
    mime::Mime::Class cls = mime_->PrimaryHeader(header_);
    std::string text = header_, prepend;
    bool keep = Inspect(
        cls == mime::Mime::Class::kMime ? content_checks::kMimeHeader : content_checks::kHeader,
        "header", &text, &prepend);
    if (!verdict_.ok()) return;
    if (!prepend.empty()) out_.AddLine(prepend);
    if (!keep) return;
    if (text != header_) {
      header_ = std::move(text);
      if (!address::SplitHeader(header_, &name, &value)) return;
    }
  }
  HeaderInfo info = FindHeader(name);
  seen_.insert(info.id);
  if (info.flags & kHdrResent) resent_ = true;
  if (info.id == HeaderId::kReceived && ++hops_ > settings_.hopcount_limit) {
    msg::Info("%s: message rejected: hopcount exceeded", queue_id_.c_str());
    Reject(Verdict::Fail(5, "5.4.0", "Too many hops"));
    return;
  }
  if (info.id == HeaderId::kMessageId || info.id == HeaderId::kResentMessageId) {
    msg::Info("%s: %smessage-id=%s", queue_id_.c_str(),
              info.id == HeaderId::kResentMessageId ? "resent-" : "",
              util::Printable(util::Trim(value)).c_str());
  }
  if ((flags_ & cleanup_client::kFlagExtract) && (info.flags & kHdrExtract)) {
    auto& list = (info.flags & kHdrResent) ? extracted_resent_ : extracted_;
    for (std::string& a : address::ParseAddressList(value)) list.push_back(std::move(a));
  }
  if (settings_.drop_headers.count(util::Lowercase(name))) return;
  std::string text = header_;
  if (header_context_ != HeaderContext::kNone && (info.flags & (kHdrSender | kHdrRecipient))) {
    unsigned cls = (info.flags & kHdrSender) ? kClassHeaderSender : kClassHeaderRecipient;
    size_t offset = static_cast<size_t>(value.data() - header_.data());
    text = header_.substr(0, offset) + RewriteAddresses(value, [&](const std::string& a) {
             return RewriteHeaderAddress(cls, a);
           });
    if (!verdict_.ok()) return;
  }
  for (const std::string& l : SplitLines(text)) out_.AddLine(l);
}

void Message::EndHeaders() {
  if (have_header_) FlushHeader();
  if (!in_headers_) return;
  in_headers_ = false;
  if (mime_) mime_->EndPrimaryHeaders();
  if (!verdict_.ok()) return;
  if (header_context_ != HeaderContext::kNone || settings_.always_add_missing_headers) {
    std::string prefix = resent_ ? "Resent-" : "";
    time_t when = have_time_ ? static_cast<time_t>(arrival_) : time(nullptr);
    HeaderId id = resent_ ? HeaderId::kResentMessageId : HeaderId::kMessageId;
    if (!Seen(id)) {
      std::string text = MessageIdText(when, queue_id_, settings_.myhostname);
      out_.AddLine(prefix + "Message-Id: <" + text + ">");
      msg::Info("%s: %smessage-id=<%s>", queue_id_.c_str(), resent_ ? "resent-" : "", text.c_str());
      seen_.insert(id);
    }
    if (!Seen(resent_ ? HeaderId::kResentDate : HeaderId::kDate))
      out_.AddLine(prefix + "Date: " + mail_date::MailDate(when));
    if (!Seen(resent_ ? HeaderId::kResentFrom : HeaderId::kFrom)) {
      std::string from = address::Quote(sender_.empty() ? "MAILER-DAEMON" : sender_);
      out_.AddLine(
          prefix + "From: " +
          FromHeaderValue(from, sender_.empty() ? "" : full_name_, settings_.obsolete_from_format));
    }
    if (!settings_.undisclosed_recipients_header.empty()) {
      bool visible = false;
      for (HeaderId r : {HeaderId::kTo, HeaderId::kCc, HeaderId::kBcc, HeaderId::kResentTo,
                         HeaderId::kResentCc, HeaderId::kResentBcc})
        visible = visible || Seen(r);
      std::string_view n, v;
      if (!visible && address::SplitHeader(settings_.undisclosed_recipients_header, &n, &v))
        out_.AddLine(settings_.undisclosed_recipients_header);
    }
  }
  if (!Seen(HeaderId::kMessageId)) msg::Info("%s: message-id=<>", queue_id_.c_str());
}

void Message::EndContent() {
  if (spilled_body_) {  // the long line never got its final N: end it
    spilled_body_ = false;
    content_size_ += partial_.size() + 1;
    if (verdict_.ok()) out_.AddLine(partial_);
    partial_.clear();
  }
  dropping_header_rest_ = false;
  if (!partial_.empty()) {  // an L segment without its final N: a line anyway
    std::string line = std::move(partial_);
    partial_.clear();
    Line(line);
  }
  if (in_headers_) EndHeaders();
  if (mime_) mime_->End([this](const mime::Mime::Item& it) { MimeItem(it); });
  if (!verdict_.ok()) return;
  const auto& list = extracted_resent_.empty() ? extracted_ : extracted_resent_;
  for (const std::string& a : list) Recipient(a, a, "", 0);
  for (const std::string& a : bccs_) Recipient(a, a, "", 0);
  if (!settings_.always_bcc.empty() &&
      !(flags_ & (cleanup_client::kFlagNoAddressMaps | cleanup_client::kFlagInternal)))
    BccRecipient(settings_.always_bcc);
  if (!redirect_.empty() && verdict_.ok()) {
    out_.CancelRecipients();
    recipients_ = 0;
    dups_.clear();
    Recipient(redirect_, have_first_original_ ? first_original_ : redirect_, "", 0);
  }
  if (!filter_.empty() && verdict_.ok()) out_.AddAttr(cleanup_client::kAttrContentFilter, filter_);
}

void Message::Finish() {
  phase_ = Phase::kDone;
  if (verdict_.ok() && recipients_ == 0)
    Reject(Verdict::Fail(5, "5.1.0", "No recipients specified"));
}

}  // namespace cleanup

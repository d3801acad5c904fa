#include "global/maildrop_stream.h"

#include "util/strings.h"

namespace maildrop {
namespace {

bool IsXtext(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

util::Status Bad(std::string_view what, std::string_view value) {
  return util::InvalidArgument("bad " + std::string(what) +
                               " value: " + util::Printable(value.substr(0, 100)));
}

util::Status CheckNotify(std::string_view value) {
  std::optional<long long> bits = util::ParseInt(value);
  if (!bits || *bits < 1 || *bits > 15 ||
      ((*bits & queue_file::kNotifyNever) && *bits != queue_file::kNotifyNever))
    return Bad("DSN NOTIFY", value);
  return util::OkStatus();
}

util::Status CheckTime(std::string_view value) {
  std::vector<std::string> parts = util::Split(value, ' ');
  if (parts.size() != 2 || !util::ParseInt(parts[0]) || !util::ParseInt(parts[1]) ||
      *util::ParseInt(parts[0]) < 0 || *util::ParseInt(parts[1]) < 0 ||
      *util::ParseInt(parts[1]) > 999999)
    return Bad("time", value);
  return util::OkStatus();
}

}  // namespace

util::Status CheckAttr(std::string_view name, std::string_view value) {
  if (name == kAttrRewriteContext) {
    if (value != "local" && value != "remote") return Bad(name, value);
  } else if (name == kAttrFullName) {
    if (util::HasControl(value) || value.size() > 1000) return Bad(name, value);
  } else if (name == kAttrEncoding) {
    if (value != "7bit" && value != "8bit") return Bad(name, value);
  } else if (name == kAttrDsnEnvid) {
    if (value.empty() || value.size() > 100 || !IsXtext(value)) return Bad(name, value);
  } else if (name == kAttrDsnRet) {
    if (value != "FULL" && value != "HDRS") return Bad(name, value);
  } else if (name == kAttrExtract) {
    if (value != "yes") return Bad(name, value);
  } else {
    return util::InvalidArgument("attribute not allowed: " + util::Printable(name.substr(0, 64)));
  }
  return util::OkStatus();
}

util::Status CheckAddress(std::string_view address, std::string_view what, bool allow_empty) {
  if (address.empty() && !allow_empty)
    return util::InvalidArgument("bad " + std::string(what) + " address: empty");
  if (address.size() > kMaxEnvelopeRecord || util::HasControl(address))
    return util::InvalidArgument("bad " + std::string(what) +
                                 " address: " + util::Printable(address.substr(0, 100)));
  return util::OkStatus();
}

util::Status CheckEnvelope(const queue_file::Envelope& env) {
  std::set<std::string, std::less<>> seen;
  for (const auto& [name, value] : env.attrs) {
    if (util::Status s = CheckAttr(name, value); !s.ok()) return s;
    if (!seen.insert(name).second) return util::InvalidArgument("duplicate attribute: " + name);
  }
  if (util::Status s = CheckAddress(env.sender, "sender", true); !s.ok()) return s;
  for (const queue_file::Recipient& r : env.recipients) {
    if (util::Status s = CheckAddress(r.address, "recipient", false); !s.ok()) return s;
    if (util::Status s = CheckAddress(r.original, "original recipient", true); !s.ok()) return s;
    if (!r.dsn_orcpt.empty() && !IsXtext(r.dsn_orcpt)) return Bad("DSN ORCPT", r.dsn_orcpt);
  }
  if (env.recipients.empty() && !env.Attr(kAttrExtract))
    return util::InvalidArgument("no recipients");
  return util::OkStatus();
}

util::Status Validator::Next(const util::Record& rec) {
  if (!error_.ok()) return error_;
  auto fail = [&](std::string why) {
    error_ = util::InvalidArgument(std::move(why));
    return error_;
  };
  switch (section_) {
    case Section::kBegin:
      if (rec.type != queue_file::kTime)
        return fail(util::StrFormat("record '%s' before the time record",
                                    util::Printable(std::string(1, rec.type)).c_str()));
      if (util::Status s = CheckTime(rec.data); !s.ok()) return fail(s.message());
      section_ = Section::kEnvelope;
      return util::OkStatus();
    case Section::kEnvelope:
      if (rec.type == queue_file::kMessage) {
        if (!have_sender_) return fail("missing sender record");
        if (pending_recipient_) return fail("recipient attributes without recipient");
        if (!rec.data.empty()) return fail("bad message record");
        section_ = Section::kContent;
        return util::OkStatus();
      }
      return Envelope(rec);
    case Section::kContent:
      if (rec.type == queue_file::kLine || rec.type == queue_file::kSegment) {
        if (rec.data.size() > queue_file::kMaxSegment) return fail("content record too long");
        if (rec.data.find('\n') != std::string::npos) return fail("newline in content record");
        pending_segment_ = rec.type == queue_file::kSegment;
        return util::OkStatus();
      }
      if (rec.type == queue_file::kExtra) {
        if (pending_segment_) return fail("incomplete content line");
        if (!rec.data.empty()) return fail("bad extra record");
        section_ = Section::kExtra;
        return util::OkStatus();
      }
      return fail(util::StrFormat("unexpected record type '%s' in content",
                                  util::Printable(std::string(1, rec.type)).c_str()));
    case Section::kExtra:
      if (rec.type == queue_file::kEnd) {
        if (pending_recipient_) return fail("recipient attributes without recipient");
        if (!rec.data.empty()) return fail("bad end record");
        if (recipients_ == 0 && !extract_) return fail("no recipients");
        section_ = Section::kDone;
        return util::OkStatus();
      }
      if (rec.type == queue_file::kSender || rec.type == queue_file::kTime)
        return fail(util::StrFormat("record '%c' after content", rec.type));
      return Envelope(rec);
    case Section::kDone:
      return fail("data after end record");
  }
  return fail("internal error");
}

util::Status Validator::Envelope(const util::Record& rec) {
  auto fail = [&](std::string why) {
    error_ = util::InvalidArgument(std::move(why));
    return error_;
  };
  if (rec.data.size() > kMaxEnvelopeRecord)
    return fail(
        util::StrFormat("record '%s' too long", util::Printable(std::string(1, rec.type)).c_str()));
  util::Status s;
  switch (rec.type) {
    case queue_file::kAttr: {
      size_t eq = rec.data.find('=');
      if (eq == std::string::npos) return fail("bad attribute record");
      std::string_view name = std::string_view(rec.data).substr(0, eq);
      std::string_view value = std::string_view(rec.data).substr(eq + 1);
      s = CheckAttr(name, value);
      if (s.ok() && !attrs_.emplace(name).second)
        return fail("duplicate attribute: " + std::string(name));
      if (s.ok() && name == kAttrExtract) extract_ = true;
      break;
    }
    case queue_file::kSender:
      if (have_sender_) return fail("duplicate sender record");
      have_sender_ = true;
      s = CheckAddress(rec.data, "sender", true);
      break;
    case queue_file::kOriginal:
      pending_recipient_ = true;
      s = CheckAddress(rec.data, "original recipient", true);
      break;
    case queue_file::kDsnOrcpt:
      pending_recipient_ = true;
      if (!IsXtext(rec.data)) s = Bad("DSN ORCPT", rec.data);
      break;
    case queue_file::kDsnNotify:
      pending_recipient_ = true;
      s = CheckNotify(rec.data);
      break;
    case queue_file::kRecipient:
      pending_recipient_ = false;
      ++recipients_;
      s = CheckAddress(rec.data, "recipient", false);
      break;
    default:
      return fail(util::StrFormat("unexpected record type '%s'",
                                  util::Printable(std::string(1, rec.type)).c_str()));
  }
  if (!s.ok()) return fail(s.message());
  return util::OkStatus();
}

util::Status Validator::Finish() const {
  if (!error_.ok()) return error_;
  if (section_ != Section::kDone) return util::InvalidArgument("missing end record");
  return util::OkStatus();
}

}  // namespace maildrop

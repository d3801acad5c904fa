#include "global/mime.h"

#include <algorithm>

#include "global/address.h"
#include "util/strings.h"

namespace mime {

Mime::Limits Mime::Limits::FromConfig(const config::Config& cfg) {
  Limits l;
  l.disabled = cfg.GetBool("disable_mime_input_processing");
  l.nesting_limit = static_cast<size_t>(std::max(1LL, cfg.GetInt("mime_nesting_limit")));
  l.boundary_length = static_cast<size_t>(std::max(1LL, cfg.GetInt("mime_boundary_length_limit")));
  l.header_size_limit = static_cast<size_t>(std::max(1LL, cfg.GetInt("header_size_limit")));
  return l;
}

bool Mime::IsMimeHeader(std::string_view name) {
  std::string n = util::Lowercase(util::Trim(name));
  return n.rfind("content-", 0) == 0 || n == "mime-version";
}

void Mime::ParseContentType(std::string_view value, std::string* type, std::string* boundary) {
  type->clear();
  boundary->clear();
  size_t i = 0;
  auto skip_space = [&] {
    while (i < value.size() &&
           (value[i] == ' ' || value[i] == '\t' || value[i] == '\n' || value[i] == '\r'))
      ++i;
  };
  auto token = [&] {
    size_t start = i;
    while (i < value.size() && value[i] != ';' && value[i] != '=' && value[i] != ' ' &&
           value[i] != '\t' && value[i] != '\n' && value[i] != '\r' && value[i] != '"')
      ++i;
    return value.substr(start, i - start);
  };
  skip_space();
  *type = util::Lowercase(token());
  while (i < value.size()) {
    // Next parameter: after a ';'.
    while (i < value.size() && value[i] != ';') {
      if (value[i] == '"') {  // skip a quoted string
        for (++i; i < value.size() && value[i] != '"'; ++i)
          if (value[i] == '\\') ++i;
      }
      ++i;
    }
    if (i >= value.size()) break;
    ++i;
    skip_space();
    std::string name = util::Lowercase(token());
    skip_space();
    if (i >= value.size() || value[i] != '=') continue;
    ++i;
    skip_space();
    std::string v;
    if (i < value.size() && value[i] == '"') {
      for (++i; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        v += value[i];
      }
      if (i < value.size()) ++i;
    } else {
      v = std::string(token());
    }
    if (name == "boundary" && boundary->empty()) *boundary = v;
  }
}

void Mime::NoteHeader(std::string_view header) {
  std::string_view name, value;
  if (!address::SplitHeader(header, &name, &value)) return;
  if (util::Lowercase(util::Trim(name)) == "content-type")
    ParseContentType(value, &type_, &boundary_);
}

Mime::Class Mime::PrimaryHeader(std::string_view header) {
  if (limits_.disabled) return Class::kPrimary;
  NoteHeader(header);
  std::string_view name, value;
  if (address::SplitHeader(header, &name, &value) && IsMimeHeader(name)) return Class::kMime;
  return Class::kPrimary;
}

void Mime::EndPrimaryHeaders() {
  if (limits_.disabled) {
    state_ = State::kBody;
    return;
  }
  EndEntityHeaders();
}

void Mime::EndEntityHeaders() {
  std::string type = std::move(type_);
  std::string boundary = std::move(boundary_);
  type_.clear();
  boundary_.clear();
  if (type.empty() && part_of_digest_) type = "message/rfc822";
  part_of_digest_ = false;
  nested_ = false;
  state_ = State::kBody;
  if (type.rfind("multipart/", 0) == 0 && !boundary.empty()) {
    if (levels_.size() >= limits_.nesting_limit) return;  // not opened: body text
    if (boundary.size() > limits_.boundary_length) boundary.resize(limits_.boundary_length);
    levels_.push_back({std::move(boundary), type == "multipart/digest"});
  } else if (type == "message/rfc822" || type == "message/global") {
    state_ = State::kPartHeaders;  // the attached message's headers follow
    nested_ = true;
  }
}

bool Mime::Boundary(std::string_view line) {
  if (levels_.empty() || line.size() < 3 || line[0] != '-' || line[1] != '-') return false;
  std::string_view rest = line.substr(2);
  // Trailing white space after a boundary is allowed (RFC 2046).
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t' || rest.back() == '\r'))
    rest.remove_suffix(1);
  for (size_t n = levels_.size(); n-- > 0;) {
    const std::string& b = levels_[n].boundary;
    if (rest.substr(0, b.size()) != b) continue;
    std::string_view after = rest.substr(b.size());
    bool close = after.size() >= 2 && after[0] == '-' && after[1] == '-';
    // A boundary longer than the limit is compared on its first bytes only.
    if (!after.empty() && !close && b.size() < limits_.boundary_length) continue;
    levels_.resize(n + 1);
    if (close) {
      levels_.pop_back();
      state_ = State::kBody;
      nested_ = false;
    } else {
      state_ = State::kPartHeaders;
      nested_ = false;
      part_of_digest_ = levels_.back().digest;
      type_.clear();
      boundary_.clear();
    }
    return true;
  }
  return false;
}

void Mime::FlushHeader(const Sink& sink) {
  if (!have_header_) return;
  have_header_ = false;
  NoteHeader(header_);
  std::string_view name, value;
  address::SplitHeader(header_, &name, &value);
  Item it;
  it.header = true;
  it.cls = nested_ && !IsMimeHeader(name) ? Class::kNested : Class::kMime;
  it.text = header_;
  sink(it);
  header_.clear();
}

void Mime::BodyLine(std::string_view line, const Sink& sink) {
  if (state_ == State::kPartHeaders) {
    if (have_header_ && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (header_full_) return;
      if (header_.size() + 1 + line.size() > limits_.header_size_limit) {
        size_t room = limits_.header_size_limit > header_.size() + 1
                          ? limits_.header_size_limit - header_.size() - 1
                          : 0;
        if (room > 0) {
          header_ += '\n';
          header_.append(line.substr(0, room));
        }
        header_full_ = true;
        return;
      }
      header_ += '\n';
      header_.append(line);
      return;
    }
    FlushHeader(sink);
    std::string_view name, value;
    if (!line.empty() && address::SplitHeader(line, &name, &value)) {
      have_header_ = true;
      header_full_ = line.size() > limits_.header_size_limit;
      header_.assign(line.substr(0, limits_.header_size_limit));
      return;
    }
    // The part's headers end here; this line is body text (the empty
    // line, or the first text line of a part without one).
    EndEntityHeaders();
  }
  Item it;
  if (state_ == State::kBody) it.boundary = Boundary(line);
  it.text = line;
  sink(it);
}

void Mime::End(const Sink& sink) { FlushHeader(sink); }

}  // namespace mime

// mime: the MIME structure of a message as cleanup's content checks need
// it (Postfix's mime_state, reduced to classification): which lines of the
// body are headers of a MIME part or of an attached message, and which are
// body text. Nothing is decoded and nothing is changed.
//
// Classes of a logical header (a "Name:" line and its continuation lines):
//   kPrimary   a header of the message itself           -> header_checks
//   kMime      a MIME header (Content-*, MIME-Version) anywhere, and every
//              header of a multipart body part          -> mime_header_checks
//   kNested    a non-MIME header of an attached message/rfc822 (or
//              message/global) message                  -> nested_header_checks
// Body lines (preamble, part bodies, boundary lines "--b", "--b--",
// epilogue, the empty line that ends part headers) go to body_checks.
//
// Structure: a Content-Type "multipart/..." with a boundary parameter
// opens a level; a body line "--BOUNDARY" starts a part of the innermost
// level that has that boundary (levels inside it end), "--BOUNDARY--"
// ends that level. A part's headers end at the first line that is not a
// header. "message/rfc822" or "message/global" (also the default type of a
// part of multipart/digest) makes the part's body an attached message:
// its headers are kNested. Hostile input stays bounded: boundaries are
// compared on their first mime_boundary_length_limit bytes (as Postfix),
// at most mime_nesting_limit multipart levels are kept (deeper ones are
// not opened: their lines are body text), and a part header is held only
// up to header_size_limit bytes; the excess is discarded, as Postfix does
// with every header.
//
// With disable_mime_input_processing = yes every header of the primary
// message is kPrimary and the whole body is body text.
//
//   mime::Mime mime(limits);
//   for (each logical primary header h) mime.PrimaryHeader(h);   // -> class
//   mime.EndPrimaryHeaders();
//   for (each body line l) mime.BodyLine(l, [&](const Mime::Item& it) {...});
//   mime.End(sink);   // a part header still held
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"

namespace mime {

class Mime {
 public:
  enum class Class { kPrimary, kMime, kNested };
  struct Limits {
    bool disabled = false;          // disable_mime_input_processing
    size_t nesting_limit = 100;     // mime_nesting_limit
    size_t boundary_length = 2048;  // mime_boundary_length_limit
    size_t header_size_limit = 102400;
    // disable_mime_input_processing, mime_nesting_limit,
    // mime_boundary_length_limit, header_size_limit (the caller declares
    // them).
    static Limits FromConfig(const config::Config& cfg);
  };
  // What BodyLine() hands on, in input order: a body line, or a whole
  // logical header of a part or attached message (lines joined by '\n',
  // at most header_size_limit bytes).
  struct Item {
    bool header = false;
    bool boundary = false;  // a body line that is a boundary of an open level
    Class cls = Class::kPrimary;
    std::string_view text;
  };
  using Sink = std::function<void(const Item&)>;

  explicit Mime(const Limits& limits) : limits_(limits) {}

  // One logical header of the primary message; returns its class.
  Class PrimaryHeader(std::string_view header);
  // The primary headers ended; body lines follow.
  void EndPrimaryHeaders();
  // One body line (without its terminator).
  void BodyLine(std::string_view line, const Sink& sink);
  // The end of the message: a part header still held goes out.
  void End(const Sink& sink);

  // Whether a header name is a MIME header (Content-*, MIME-Version).
  static bool IsMimeHeader(std::string_view name);
  // The media type ("multipart/mixed", lower case) and boundary parameter
  // of a Content-Type value; empty when absent.
  static void ParseContentType(std::string_view value, std::string* type, std::string* boundary);

  size_t depth() const { return levels_.size(); }

 private:
  enum class State { kPrimaryHeaders, kPartHeaders, kBody };
  struct Level {
    std::string boundary;  // at most boundary_length bytes
    bool digest = false;
  };
  // The Content-Type seen in the headers of the entity being read.
  void NoteHeader(std::string_view header);
  // The headers of the current entity ended: open what its type says.
  void EndEntityHeaders();
  void FlushHeader(const Sink& sink);
  bool Boundary(std::string_view line);

  Limits limits_;
  State state_ = State::kPrimaryHeaders;
  std::vector<Level> levels_;
  bool nested_ = false;          // the headers being read are an attached message's
  bool part_of_digest_ = false;  // default type message/rfc822
  std::string type_, boundary_;  // Content-Type of the entity being read
  bool have_header_ = false;
  std::string header_;  // the part header being collected
  bool header_full_ = false;
};

}  // namespace mime

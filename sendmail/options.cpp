#include "sendmail/options.h"

#include <string_view>

#include "global/queue_file.h"
#include "util/strings.h"

namespace sendmail {
namespace {

// Option letters that take a value.
constexpr std::string_view kWithValue = "ABCFLNORVXbcfhopqr";

util::Status ParseNotify(const std::string& value, int* bits) {
  *bits = 0;
  for (const std::string& word : util::SplitAny(value, ", \t")) {
    std::string w = util::Lowercase(word);
    if (w == "never") {
      *bits |= queue_file::kNotifyNever;
    } else if (w == "success") {
      *bits |= queue_file::kNotifySuccess;
    } else if (w == "delay") {
      *bits |= queue_file::kNotifyDelay;
    } else if (w == "failure") {
      *bits |= queue_file::kNotifyFailure;
    } else {
      return util::InvalidArgument("bad -N option value: " + value);
    }
  }
  if (*bits == 0 || ((*bits & queue_file::kNotifyNever) && *bits != queue_file::kNotifyNever))
    return util::InvalidArgument("bad -N option value: " + value);
  return util::OkStatus();
}

bool IsXtext(std::string_view s) {
  if (s.empty() || s.size() > 100) return false;
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

util::StatusOr<Options> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  if (!args.empty()) {
    std::string_view name = args[0];
    if (size_t slash = name.rfind('/'); slash != std::string_view::npos)
      name.remove_prefix(slash + 1);
    if (name == "mailq") o.mode = Options::Mode::kMailq;
    if (name == "newaliases") o.mode = Options::Mode::kNewAliases;
  }
  size_t i = 1;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') break;
    for (size_t j = 1; j < arg.size(); ++j) {
      char c = arg[j];
      if (kWithValue.find(c) == std::string_view::npos) {
        switch (c) {
          case 't':
            o.extract = true;
            break;
          case 'i':
            o.dot = false;
            break;
          case 'G':
            o.rewrite_context = "remote";
            break;
          case 'I':
            o.mode = Options::Mode::kNewAliases;
            break;
          case 'v':
            ++o.verbose;
            break;
          case 'm':
          case 'n':
          case 'U':
            break;  // ignored
          default:
            return util::InvalidArgument(std::string("invalid option -- '") + c + "'");
        }
        continue;
      }
      // The value: the rest of this argument, or the next argument. -q
      // alone (nothing attached) means "flush" and takes no value.
      std::string value;
      if (j + 1 < arg.size()) {
        value = arg.substr(j + 1);
      } else if (c == 'q') {
        value = "";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return util::InvalidArgument(std::string("option requires an argument -- '") + c + "'");
      }
      j = arg.size();  // the value used up this argument
      switch (c) {
        case 'b':
          if (value == "m") {
            o.mode = Options::Mode::kEnqueue;
          } else if (value == "s") {
            o.mode = Options::Mode::kSmtp;
          } else if (value == "p") {
            o.mode = Options::Mode::kMailq;
          } else if (value == "d" || value == "l") {
            o.mode = Options::Mode::kDaemon;
          } else if (value == "i") {
            o.mode = Options::Mode::kNewAliases;
          } else if (value == "h" || value == "H") {
            // ignored: Postfix has no persistent host status database
          } else {
            return util::InvalidArgument("unsupported: -b" + value);
          }
          break;
        case 'f':
        case 'r':
          o.have_sender = true;
          o.sender = value;
          break;
        case 'F':
          o.have_full_name = true;
          o.full_name = value;
          break;
        case 'C':
        case 'c':
          o.config_dir = value;
          break;
        case 'o':
          if (value == "i") o.dot = false;
          break;  // -o7 -o8 -om -oA... and the rest: ignored
        case 'B': {
          std::string v = util::Uppercase(value);
          if (v == "8BITMIME") {
            o.encoding = "8bit";
          } else if (v == "7BIT") {
            o.encoding = "7bit";
          } else {
            return util::InvalidArgument("-B option needs 8BITMIME or 7BIT");
          }
          break;
        }
        case 'N':
          if (util::Status s = ParseNotify(value, &o.dsn_notify); !s.ok()) return s;
          break;
        case 'R': {
          std::string v = util::Uppercase(value);
          if (v != "FULL" && v != "HDRS")
            return util::InvalidArgument("-R option needs FULL or HDRS");
          o.dsn_ret = v;
          break;
        }
        case 'V':
          if (!IsXtext(value)) return util::InvalidArgument("bad -V option value: " + value);
          o.dsn_envid = value;
          break;
        case 'X':
          if (!value.empty() && value[0] == 'V') o.verp = true;
          break;  // -X logfile: ignored
        case 'q':
          if (value.empty()) {
            o.mode = Options::Mode::kFlush;
          } else if (value[0] == 'I') {
            o.mode = Options::Mode::kFlush;
            o.flush_id = value.substr(1);
          } else if (value[0] == 'R') {
            o.mode = Options::Mode::kFlush;
            o.flush_site = value.substr(1);
          } else if (value[0] == 'S') {
            return util::InvalidArgument("-qS option is not implemented");
          }
          break;  // -qINTERVAL: ignored
        default:  // -A -h -L -O -p: ignored
          break;
      }
    }
  }
  for (; i < args.size(); ++i) o.recipients.push_back(args[i]);
  return o;
}

}  // namespace sendmail

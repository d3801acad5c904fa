// queue_file: the queue file format, with its one writer and one reader.
//
// A queue file is a sequence of typed records in util/attr's record
// encoding (`type length ":" data "\n"`), in three sections:
//
//   envelope   C size record, fixed width, patched in place when done:
//                "CONTENT_OFFSET CONTENT_SIZE RECIPIENTS EXTRA_OFFSET"
//              T arrival time "SEC USEC"
//              A attributes "name=value" (client_name, client_address,
//                protocol, helo_name, sasl_username, dsn_envid, dsn_ret,
//                encoding, smtputf8, log_ident ...)
//              S sender (empty for the null sender <>)
//              per recipient: [O original recipient] [o DSN ORCPT]
//                [n DSN NOTIFY bits] then R recipient (D once delivered)
//   content    M start of content, then N (one line, without its newline)
//              and L (a segment of a longer line that continues) records
//   extra      X start of the extra section: more A and recipient records
//              that were only known after the content (sendmail -t), then
//              E end of file
//
// Completeness: a file is visible and ready only once it is complete and
// synced. Where mail_queue::CreateQueueFile gives an unnamed file, the
// writer sets the owner-execute bit (0700, "ready"), syncs, and only then
// gives the file its name and syncs the directory: two syncs. On a file
// system whose journal commits names in order (util::JournalOrdersNames:
// ext4 with a journal, XFS, btrfs) it sets the bit, names the file and
// syncs once, which makes all three durable, as Postfix's one fsync does
// (a reader may see the file before that sync; its client has no 250 yet,
// and a crash before it leaves a file the reader calls corrupt). Elsewhere
// the file is named from the start with mode 0600 and, only after
// everything is written and synced, gets the ready bit and is synced
// again. Readers refuse files without that bit ("not ready") and files
// without the E record ("corrupt"), so a half-written file is never
// delivered. A recipient is marked done by rewriting its one-byte record
// type from R to D in place and syncing (MarkDone); a crash before the sync
// may deliver twice, never lose. The one exception: a message's last
// delivery (deliver_request::kFlagLastDelivery), where qmgr removes the
// file right after or syncs it before keeping it.
//
//   auto w = queue_file::Writer::Create(layout, mail_queue::kIncoming);
//   w->SetArrival(now); w->SetSender("alice@example.com");
//   queue_file::Recipient bob; bob.address = "bob@example.net"; w->AddRecipient(bob);
//   w->BeginContent(); w->AddLine("Subject: hi"); w->AddLine(""); w->AddLine("body");
//   util::StatusOr<std::string> id = w->Finish();   // durable and ready
//
//   auto r = queue_file::Reader::Open(layout.Path(mail_queue::kActive, id));
//   for (const Recipient& rc : r->envelope().recipients) if (!rc.done) ...
//   r->MarkDone(rc);
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "global/mail_queue.h"
#include "util/attr.h"
#include "util/fd.h"
#include "util/status.h"

namespace queue_file {

enum RecordType : char {
  kSize = 'C',
  kTime = 'T',
  kAttr = 'A',
  kSender = 'S',
  kOriginal = 'O',
  kDsnOrcpt = 'o',
  kDsnNotify = 'n',
  kRecipient = 'R',
  kDone = 'D',
  kMessage = 'M',
  kLine = 'N',
  kSegment = 'L',
  kExtra = 'X',
  kEnd = 'E',
};

// DSN NOTIFY bits (RFC 3461), as stored in 'n' records.
enum DsnNotify : int {
  kNotifyNever = 1,
  kNotifySuccess = 2,
  kNotifyFailure = 4,
  kNotifyDelay = 8,
};

struct Recipient {
  std::string address;    // the recipient to deliver to
  std::string original;   // as first received (before aliasing), may be empty
  std::string dsn_orcpt;  // RCPT ORCPT=, may be empty
  int dsn_notify = 0;     // DsnNotify bits, 0 = not specified
  bool done = false;      // delivered, bounced or otherwise finished
  uint64_t offset = 0;    // file offset of the R/D record (reader only)
};

struct Envelope {
  long arrival_sec = 0;
  long arrival_usec = 0;
  std::string sender;
  std::vector<std::pair<std::string, std::string>> attrs;
  std::vector<Recipient> recipients;
  uint64_t content_offset = 0;  // offset of the M record
  uint64_t content_size = 0;    // message size in bytes (lines + CRLF-free newlines)

  std::optional<std::string_view> Attr(std::string_view name) const;
  size_t LiveRecipients() const;
};

// The envelope records every reader of a queue or maildrop file handles
// alike: A (NAME=VALUE), S, and R/D recipients with the O, ORCPT and
// NOTIFY records before each collected in *pending. Returns whether `rec`
// was one of them (false: the caller handles the type), or
// kInvalidArgument for an A record without '='.
util::StatusOr<bool> AddEnvelopeRecord(const util::Record& rec, Envelope* env, Recipient* pending);

class Writer {
 public:
  // Creates a new queue file in `queue` (normally incoming or maildrop).
  static util::StatusOr<Writer> Create(const mail_queue::Layout& layout, std::string_view queue);
  Writer(Writer&&) = default;
  Writer& operator=(Writer&&) = default;
  ~Writer();  // an unfinished file is removed

  const std::string& id() const { return id_; }
  const std::string& path() const { return path_; }

  void SetArrival(long sec, long usec);
  void AddAttr(std::string_view name, std::string_view value);
  void SetSender(std::string_view sender);
  void AddRecipient(const Recipient& r);
  // Starts the content; envelope records after this go to the extra section.
  void BeginContent();
  // One line of content without its line terminator.
  void AddLine(std::string_view line);
  // The first part of a line whose rest follows (AddSegment or AddLine).
  void AddSegment(std::string_view part);
  uint64_t content_size() const { return content_size_; }
  // Marks every recipient written so far done (R becomes D in place, in
  // the buffer or in the file): cleanup's REDIRECT, which replaces them.
  void CancelRecipients();
  // Moves the unfinished file to another queue (the hold queue for a
  // message an smtpd access table put on HOLD), or names it there when it
  // is still unnamed; Finish() then makes it ready there, so no queue
  // manager ever sees it in the first queue.
  util::Status MoveTo(const mail_queue::Layout& layout, std::string_view queue);
  // Writes the end, patches the size record, syncs, marks the file ready
  // (and names it) and syncs its directory (unless this process may not
  // read it: maildrop/ for a local user, or the journal orders names;
  // see above). Errors (disk full...) leave no
  // ready file.
  util::StatusOr<std::string> Finish();
  // Removes the unfinished file.
  void Abort();

 private:
  Writer() = default;
  util::Status Flush();
  void Put(char type, std::string_view data);
  void EnvelopeRecord();
  void StartExtra();

  util::Fd fd_;
  std::string id_;
  std::string path_;
  std::string buf_;
  uint64_t written_ = 0;
  uint64_t content_offset_ = 0;
  uint64_t extra_offset_ = 0;
  uint64_t content_size_ = 0;
  size_t recipients_ = 0;
  std::vector<uint64_t> recipient_offsets_;  // of the live R records written
  bool in_content_ = false;
  bool extra_started_ = false;
  bool finished_ = false;
  bool unnamed_ = false;  // mail_queue::NewFile::unnamed: named by Finish
  util::Status error_;
};

class Reader {
 public:
  // Opens and parses the envelope (both envelope sections). Errors: the file
  // is not ready (kUnavailable "not ready"), truncated or malformed
  // (kInvalidArgument "corrupt queue file PATH: ..."), or missing.
  static util::StatusOr<Reader> Open(const std::string& path);
  // Opens for MarkDone too (read-write).
  static util::StatusOr<Reader> OpenForUpdate(const std::string& path);
  // Reads a file the caller has open already (qmgr, which holds it locked);
  // `path` names it in messages and for MarkDone. The Reader owns `fd`.
  static util::StatusOr<Reader> FromFd(util::Fd fd, const std::string& path);

  const Envelope& envelope() const { return envelope_; }
  const std::string& path() const { return path_; }

  // Streams the content lines; `line` is called with each whole line.
  util::Status ReadContent(const std::function<void(std::string_view line)>& line) const;
  // Marks a recipient done in place and syncs the file (sync = false leaves
  // the sync to the caller: deliver_request::kFlagLastDelivery).
  util::Status MarkDone(Recipient& r, bool sync = true);

  // A delivery agent holds this shared lock for the whole delivery request
  // (deliver_status::Reporter), as Postfix's agents lock the file they
  // deliver: a queue manager that starts meanwhile (reload, crash) sees
  // DeliveryInProgress and does not schedule the message a second time.
  // An open-file-description record lock (F_OFD_SETLK): independent of the
  // flock(2) lock qmgr holds while the message is in its memory, and held
  // until this Reader's descriptor is closed.
  util::Status LockForDelivery();

  // True when the file has the ready mode bit (for directory scanners).
  static bool IsReady(const std::string& path);

 private:
  static util::StatusOr<Reader> OpenMode(const std::string& path, bool update);
  util::Fd fd_;
  std::string path_;
  Envelope envelope_;
};

// Content records are at most this long; longer lines are split into
// kSegment records.
inline constexpr size_t kMaxSegment = 64 * 1024;

// Whether some delivery agent holds LockForDelivery on the file `fd` is open on.
bool DeliveryInProgress(int fd);

}  // namespace queue_file

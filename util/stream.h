// stream: buffered line and block I/O over a file descriptor, with timeouts.
//
// The transport of every line protocol (SMTP, LMTP, the internal
// attribute protocols) and of queue-file I/O. A Stream wraps one descriptor
// (owned: closed on destruction; or borrowed: left open), keeps a read
// buffer and a write buffer, and is move-only.
//
//   util::Stream s(std::move(fd));            // owns the descriptor
//   s.set_timeout(300);                       // seconds, 0 = wait forever
//   std::string line;
//   util::Stream::LineEnd end;
//   util::Status st = s.ReadLine(&line, 2048, &end);
//   if (s.eof()) ...                          // peer closed (st: kNotFound)
//   if (end == util::Stream::LineEnd::kLf) ... // bare LF (SMTP smuggling)
//   s.WriteF("250 %s\r\n", "ok");
//   st = s.Flush();
//
// Timeouts. The timeout is a deadline for each public operation as a whole
// (one ReadLine, ReadExact, ReadSome or Flush), not for each read(2) or
// write(2) call, so a peer that trickles one byte at a time cannot hold an
// operation open longer than the timeout. Waiting uses poll(2); a timeout
// gives kDeadlineExceeded. Both blocking and non-blocking descriptors work:
// EAGAIN is answered by polling, EINTR by retrying.
//
// End of file. A clean end of file is reported as Code::kNotFound with the
// message "end of file", and eof() becomes true. "Clean" means no byte of
// the requested unit had arrived:
//   - ReadLine: EOF before any byte of the line gives kNotFound. EOF after
//     some bytes but before the newline gives OK with the partial line and
//     LineEnd::kNone (the caller decides whether an unterminated last line
//     counts); the following call gives kNotFound.
//   - ReadExact: EOF before `n` bytes gives kNotFound ("end of file after
//     K of N bytes" when K > 0), with the K bytes appended to *out.
//   - ReadSome: kNotFound when nothing is buffered and the peer closed.
//
// Over-long lines. ReadLine(line, max_len) limits the line content (without
// its CR LF or LF). A longer line gives kResourceExhausted; *line holds its
// first max_len bytes, and the rest of that line, up to and including its
// newline, is read and discarded (within the same deadline), so the next
// ReadLine starts at the next line and the stream stays in sync. If the
// deadline or EOF comes first, that status is returned instead.
//
// Line ends. "\r\n" and "\n" both end a line and are stripped; LineEnd says
// which one it was (kCrLf, kLf, or kNone at EOF). A lone "\r" is ordinary
// data. last_line_end() repeats the value of the most recent ReadLine.
//
// Writes are buffered; Write/WriteF flush by themselves when the buffer
// passes kBufferSize, otherwise nothing reaches the descriptor until
// Flush(). Partial writes are continued until everything is written or the
// deadline passes. On sockets data is sent with send(MSG_NOSIGNAL), so a
// peer that went away gives kUnavailable ("Broken pipe") rather than
// SIGPIPE; on pipes and files write(2) is used, and programs are expected
// to ignore SIGPIPE (the daemon skeleton does). The destructor does NOT
// flush: unflushed output is discarded. Call Flush() (or Close()) first.
//
// I/O errors other than the above give ErrnoStatus (util/fd.h), normally
// kUnavailable. After an error the stream may be used again (e.g. a timeout
// on a read does not lose buffered input), but after a write error the
// unwritten output stays buffered; call DiscardOutput() to drop it.
//
// Two descriptors. Stream(read_fd, write_fd) reads one descriptor and
// writes another, both borrowed: a program talking a protocol on its
// standard input and output (smtpd -S, which sendmail -bs runs), where the
// two are separate pipes. fd() is the read side, write_fd() the write side;
// with one descriptor both are the same.
//
// Transports. By default the stream reads and writes the descriptor
// itself. set_transport() puts another layer between the buffers and the
// descriptor (util/tls.h: TLS after STARTTLS, or from the first byte); it
// is refused while input or output is buffered, so no plaintext read
// before the switch can be taken for data sent after it (the STARTTLS
// command-injection flaw): the caller discards pending input first. A
// transport never blocks: it says which direction it waits for, and the
// stream polls the descriptor under the operation's deadline.
//
// Not thread-safe; one owner at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/fd.h"
#include "util/status.h"

namespace util {

// A layer between a Stream's buffers and its descriptor (see above).
class Transport {
 public:
  enum class Want { kNone, kRead, kWrite };
  virtual ~Transport() = default;
  // Each returns the number of bytes moved (> 0); 0 from Read at a clean
  // end of file; -1 when it would block (*want says on what) or on an
  // error (*want == kNone, *error says why).
  virtual ssize_t Read(char* buf, size_t len, Want* want, Status* error) = 0;
  virtual ssize_t Write(const char* buf, size_t len, Want* want, Status* error) = 0;
  // Best effort, never blocking: ends the layer (e.g. TLS close_notify).
  virtual void Shutdown() {}
};

class Stream {
 public:
  enum class LineEnd { kNone, kLf, kCrLf };
  enum class Ownership { kOwned, kBorrowed };

  static constexpr size_t kBufferSize = 64 * 1024;

  // An empty stream (fd() == -1); every operation fails with kInternal.
  Stream() = default;
  // Takes ownership of `fd`.
  explicit Stream(Fd fd);
  // Wraps a raw descriptor, owned (closed on destruction) or borrowed.
  Stream(int fd, Ownership ownership);
  // Reads `read_fd` and writes `write_fd`; both borrowed (see above).
  Stream(int read_fd, int write_fd);
  ~Stream();

  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&& other) noexcept;

  int fd() const { return fd_; }
  int write_fd() const { return wfd_ >= 0 ? wfd_ : fd_; }

  // Deadline of each operation; 0 (the default) waits forever.
  void set_timeout(int seconds) { timeout_ = std::chrono::seconds(seconds); }
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // Reads one line into *line (replacing its contents), without the line
  // end; see the header comment for EOF, over-long lines and LineEnd.
  Status ReadLine(std::string* line, size_t max_len, LineEnd* end = nullptr);
  LineEnd last_line_end() const { return last_line_end_; }

  // Appends exactly n bytes to *out, waiting as needed.
  Status ReadExact(size_t n, std::string* out);

  // Appends between 1 and max_len bytes to *out: buffered input if there
  // is any, otherwise the result of one read(2) (waiting for it).
  Status ReadSome(std::string* out, size_t max_len = kBufferSize);

  // True once a read has seen the peer's end of file.
  bool eof() const { return eof_; }
  // Bytes read from the descriptor but not yet returned to the caller
  // (e.g. SMTP pipelining detection, or checking that nothing is pending
  // before a TLS handshake takes over the descriptor).
  size_t buffered_input() const { return rlen_ - rpos_; }

  // Buffers output; flushes by itself when the buffer passes kBufferSize.
  Status Write(std::string_view data);
  Status WriteF(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  // Writes all buffered output.
  Status Flush();
  size_t buffered_output() const { return wbuf_.size() - wpos_; }
  void DiscardOutput();

  // Descriptor passing on a UNIX-domain socket (util::SendWithFd; the
  // connection cache): AttachFd(fd) sends `fd` with the first byte that
  // Flush writes next (the caller keeps it open until then); with
  // CollectFds(sink), reads use util::ReceiveWithFds and append the
  // descriptors that arrive to *sink (nullptr: plain reads again). Not
  // with a transport.
  void AttachFd(int fd) { send_fd_ = fd; }
  void CollectFds(std::vector<Fd>* sink) { fd_sink_ = sink; }

  // Puts `t` between the buffers and the descriptor; FailedPrecondition
  // while input or output is buffered. Null: back to the descriptor.
  Status set_transport(std::unique_ptr<Transport> t);
  Transport* transport() const { return transport_.get(); }
  // Drops the input read but not yet returned (before set_transport()).
  void DiscardInput() {
    rlen_ = 0;
    rpos_ = 0;
  }

  // Flushes, then closes the descriptor if owned (a borrowed one is only
  // forgotten). The stream is empty afterwards whatever the result.
  Status Close();

 private:
  // Polls `fd` for `events` until `deadline` (time_point::max() = forever).
  Status Wait(int fd, short events, std::chrono::steady_clock::time_point deadline);
  // One read(2) into the read buffer; kNotFound at EOF.
  Status Fill(std::chrono::steady_clock::time_point deadline);
  // The outcome of a read of `n` >= 0 bytes past `old` (0: end of file).
  Status Filled(size_t old, ssize_t n);
  Status FillTransport(std::chrono::steady_clock::time_point deadline, size_t old);
  Status FlushTransport(std::chrono::steady_clock::time_point deadline);
  std::chrono::steady_clock::time_point Deadline() const;
  void CompactReadBuffer();
  void Reset();

  int fd_ = -1;
  int wfd_ = -1;  // a separate write descriptor (borrowed), or -1
  bool owned_ = false;
  bool eof_ = false;
  bool use_send_ = true;                // cleared after send(2) says ENOTSOCK
  int send_fd_ = -1;                    // AttachFd
  std::vector<Fd>* fd_sink_ = nullptr;  // CollectFds
  std::chrono::milliseconds timeout_{0};
  LineEnd last_line_end_ = LineEnd::kNone;
  // Input: rbuf_[rpos_, rlen_) is unread. rbuf_ only grows, so a read
  // never pays for clearing the space it is about to fill.
  std::string rbuf_;
  size_t rpos_ = 0;
  size_t rlen_ = 0;
  std::string wbuf_;
  size_t wpos_ = 0;
  std::unique_ptr<Transport> transport_;
};

}  // namespace util

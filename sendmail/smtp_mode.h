// smtp_mode: `sendmail -bs`, a small RFC 5321 server on standard input and
// output for local programs that speak SMTP to sendmail.
//
// Commands: HELO, EHLO (PIPELINING, SIZE, ENHANCEDSTATUSCODES, 8BITMIME,
// DSN, SMTPUTF8), MAIL FROM:<addr> [SIZE= BODY= RET= ENVID= SMTPUTF8],
// RCPT TO:<addr> [NOTIFY= ORCPT=], DATA, RSET, NOOP, QUIT; VRFY is
// disabled. Each message goes through postdrop into maildrop/ exactly as in
// the default mode (Submission), and DATA ends with
// "250 2.0.0 Ok: queued as ID" (the maildrop file's ID) once postdrop has
// made the file durable. Replies and codes are those of Postfix's smtpd.
// Lines may end in CRLF or LF; replies end in CRLF and are flushed when no
// more input is waiting (pipelining). After 20 errors
// (smtpd_hard_error_limit) the session ends with 421.
//
//   int status = RunSmtp(cfg, defaults, LineReader(0, ...), 1);
#pragma once

#include "global/config.h"
#include "sendmail/line_reader.h"
#include "sendmail/submission.h"

namespace sendmail {

// `defaults` gives the attributes that do not come from SMTP (full name,
// rewrite context); its sender and recipients are ignored. Returns the
// exit status (0 after QUIT or end of input).
int RunSmtp(const config::Config& cfg, const Envelope& defaults, LineReader& in, int out_fd);

}  // namespace sendmail

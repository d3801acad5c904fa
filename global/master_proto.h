// master_proto: the contract between master and the daemons it starts.
//
// Command line (as Postfix's master gives it): the program from master.cf's
// command column, run from daemon_directory, with
//   -n SERVICE   the service name (master.cf column 1, e.g. "smtp", "127.0.0.1:2525")
//   -t TYPE      the service type (inet, unix, unix-dgram, fifo, pass)
//   -s COUNT     how many listening descriptors follow kListenFd (normally 1)
//   -u           the service is unprivileged (master.cf unpriv column y)
//   -c           chroot requested (master.cf chroot column y; we log and ignore it).
//                It takes no argument: unlike the commands' -c DIR, a daemon
//                finds its configuration directory in $MAIL_CONFIG, which
//                master always exports.
//   -o NAME=VALUE  main.cf overrides from master.cf, in order
//   -v           more verbose logging (repeatable)
// followed by master.cf's remaining arguments (e.g. "-v" after the command).
//
// File descriptors, set up by master before exec:
//   kLifelineFd (3)  read end of a pipe master holds open. EOF on it means
//                    "stop": finish the client in progress, then exit 0. It
//                    also catches master's death.
//   kStatusFd (4)    write end of the service's status pipe: the child writes
//                    StatusMessage records (atomic: smaller than PIPE_BUF).
//   kFlowReadFd (5), kFlowWriteFd (6)
//                    the two ends of the mail system's flow-control pipe
//                    (global/mail_flow.h, in_flow_delay), one for all
//                    children, kept across reloads; non-blocking.
//   kListenFd (7..)  the listening descriptors (-s COUNT of them): sockets for
//                    inet/unix/unix-dgram/pass, the FIFO for fifo.
//
// $MASTER_GENERATION is a decimal number, copied into every StatusMessage.
//
// Status: a child writes kAvailable once ready to accept and again after
// each client (unless it is about to exit), kTaken when it accepts a client
// (multi- and trigger servers: while they handle a request). master forks
// another child when a listener is readable and no child of the service is
// available, up to maxproc.
//
// Wake-up (master.cf wakeup column, `postfix flush`, sendmail after
// postdrop): connect to the service's socket (public/NAME or private/NAME;
// write to the FIFO for fifo) and send one request byte: kTriggerWakeup
// ('W'), kTriggerFlush ('F': retry deferred mail now, and dead
// destinations), kTriggerScan ('S'), kTriggerReviveDead ('R': dead
// destinations come back; the flush service sends "RW" after it moved a
// site's mail to incoming/).
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace master_proto {

inline constexpr int kLifelineFd = 3;
inline constexpr int kStatusFd = 4;
inline constexpr int kFlowReadFd = 5;
inline constexpr int kFlowWriteFd = 6;
inline constexpr int kListenFd = 7;

enum class Status : int32_t {
  kAvailable = 1,  // idle, ready for a client
  kTaken = 2,      // serving a client
};

struct StatusMessage {
  int32_t pid;
  int32_t generation;  // the service generation master gave in $MASTER_GENERATION
  int32_t status;      // a Status value
};
static_assert(sizeof(StatusMessage) == 12);

// Environment variables master sets for its children.
inline constexpr const char* kEnvGeneration = "MASTER_GENERATION";
inline constexpr const char* kEnvConfig = "MAIL_CONFIG";

inline constexpr char kTriggerWakeup = 'W';
inline constexpr char kTriggerFlush = 'F';
inline constexpr char kTriggerScan = 'S';
inline constexpr char kTriggerReviveDead = 'R';

}  // namespace master_proto

// mail_flow: the in-flow control behind Postfix's in_flow_delay.
//
// master makes one pipe for the whole mail system when it starts and gives
// every child both ends (master_proto::kFlowReadFd, kFlowWriteFd; both
// non-blocking). Its bytes are tokens: qmgr produces them as it takes mail
// from incoming/ (Regulate), and the receiving processes (cleanup for each
// message, pickup for each scan) consume one before they go on
// (ConsumeOrWait). When there is none, mail is arriving faster than qmgr
// takes it in, and the process pauses in_flow_delay before it goes on
// anyway: arrivals are slowed down to what qmgr absorbs plus what the
// receiving processes can do with one message each per pause, never
// stopped. A message cleanup puts on hold gives its token back (qmgr
// never sees it). With in_flow_delay = 0 nothing of this happens.
//
// Outside master (a daemon run by hand with -S, the commands) there is no
// pipe: Available() is false and everything here is a no-op.
//
//   if (delay > 0) mail_flow::ConsumeOrWait(delay);                 // cleanup
//   mail_flow::Regulate(taken_from_incoming, incoming_idle, limit);  // qmgr
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>

namespace mail_flow {

// Whether the descriptors are master's flow pipe.
bool Available();
// Reads `n` tokens: n when they were there, -1 when fewer were (those are
// consumed: the caller slows down anyway).
ssize_t Get(size_t n);
// Writes `n` tokens; returns how many went in (a full pipe takes no more).
ssize_t Put(size_t n);
// The tokens in the pipe now; -1 without one.
ssize_t Count();

// The receiving side: takes a token, or pauses `delay` when there is none.
void ConsumeOrWait(std::chrono::milliseconds delay);

// qmgr's side after each turn of taking mail in: below `limit` tokens
// (default_process_limit), one more per message taken from incoming/, or
// the pipe topped up to `limit` when incoming/ has nothing left to take;
// above it, the excess is taken out. So an idle system lets the next
// `limit` messages in at once, and a busy one lets them in as fast as
// qmgr takes them.
void Regulate(size_t taken_from_incoming, bool incoming_idle, size_t limit);

}  // namespace mail_flow

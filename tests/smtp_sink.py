"""A test SMTP sink (standard library only): a threaded SMTP server on a
free loopback port that records what it receives and answers as told.

    with SmtpSink() as sink:                     # 127.0.0.1, a free port
        ... deliver to [127.0.0.1]:sink.port ...
        sink.wait_transactions(3)
        t = sink.transactions[0]
        t.helo, t.mail, t.rcpts, t.data          # "EHLO x", "MAIL FROM:<a> SIZE=9", [...], b"..."
        sink.max_concurrent                      # high-water mark of open connections

A connection counts as open from its accept until its client ended it: sent
QUIT or closed. When a connection arrives, the others are checked in the
kernel's buffers (a QUIT or the close already queued there counts as
ended), so a client that ends one session before it opens the next is never
seen with two, however late the sink's threads run.

Configuration (constructor keywords, also changeable while running):
    host            address to listen on ("127.0.0.2" to look like another host)
    ehlo            EHLO keywords, default PIPELINING SIZE 10240000 8BITMIME DSN
                    SMTPUTF8 ENHANCEDSTATUSCODES
    greeting        "220 ..." (e.g. "421 4.3.2 busy", "554 5.7.1 go away")
    ehlo_reply      None, or a reply to give EHLO instead (e.g. "502 5.5.2 ..."),
                    to test the HELO fallback
    replies         {"MAIL": r, "DATA": r, "END": r, "HELO": r} where END is the
                    reply after the final "."
    rcpt_replies    {"bob@example.com": r} per recipient (case-insensitive)
    delay           seconds to wait before each reply (timeouts)
    lmtp            speak LMTP (RFC 2033): LHLO instead of EHLO (EHLO is refused),
                    and after the final "." one reply per accepted recipient
    end_replies     LMTP: {"bob@example.com": r} the reply after "." for that
                    recipient (default "250 2.0.0 <ADDR> Ok: queued as SINKn")
    hangup_after_end  close the connection right after each reply to the final "."
                    (a server that ends idle sessions at once)
    tls_context     an ssl.SSLContext (server side): EHLO offers STARTTLS and
                    the sink starts TLS on it; `tls_sessions` counts them
    drop_second_mail  close the connection, without a reply, when a MAIL comes
                    on a session that has completed a transaction (a cached
                    connection that died under its client)
A reply r is a string, or a list used one element per use with the last
one repeating: ["451 4.3.0 try later", "250 2.1.5 Ok"] is "first attempt
451, then 250". Anything unspecified is the usual 250/354.

Each transaction records helo (the last EHLO/HELO line), mail (the MAIL
command line), rcpts (addresses inside <> of the accepted RCPTs),
rcpt_lines (every RCPT line, accepted or not), raw (the DATA bytes as
received, up to but without the final ".\\r\\n"), data (after removing
dot-stuffing) and peer; with LMTP also delivered (the recipients
whose reply after "." was 2xx). Only transactions whose content was
accepted (for LMTP: for some recipient) are appended to `transactions`; `sessions` counts connections and
`session_times` holds their start times (time.monotonic()).
"""

import re
import socket
import socketserver
import threading
import time


class Transaction:
    def __init__(self, peer, helo, mail):
        self.peer = peer
        self.helo = helo
        self.mail = mail
        self.rcpts = []
        self.rcpt_lines = []
        self.raw = b""
        self.data = b""
        self.delivered = []

    def __repr__(self):
        return "Transaction(mail=%r, rcpts=%r, %d bytes)" % (self.mail, self.rcpts, len(self.data))


DEFAULT_EHLO = ["PIPELINING", "SIZE 10240000", "8BITMIME", "DSN", "SMTPUTF8",
                "ENHANCEDSTATUSCODES"]


class SmtpSink:
    def __init__(self, host="127.0.0.1", ehlo=None, greeting="220 sink.example ESMTP test sink",
                 ehlo_reply=None, replies=None, rcpt_replies=None, delay=0, port=0,
                 lmtp=False, end_replies=None, hangup_after_end=False, drop_second_mail=False,
                 tls_context=None):
        self.host = host
        self.ehlo = list(DEFAULT_EHLO if ehlo is None else ehlo)
        self.greeting = greeting
        self.ehlo_reply = ehlo_reply
        self.replies = dict(replies or {})
        self.rcpt_replies = {k.lower(): v for k, v in (rcpt_replies or {}).items()}
        self.delay = delay
        self.lmtp = lmtp
        self.end_replies = {k.lower(): v for k, v in (end_replies or {}).items()}
        self.hangup_after_end = hangup_after_end
        self.drop_second_mail = drop_second_mail
        self.dropped = 0            # connections closed by drop_second_mail
        self.tls_context = tls_context
        self.tls_sessions = 0       # STARTTLS handshakes completed
        self.transactions = []
        self.commands = []          # every command line received, in order
        self.sessions = 0
        self.session_times = []     # time.monotonic() of each connection
        self.current = 0
        self.max_concurrent = 0
        self._open = {}             # id -> [socket, client ended it]
        self.port = port            # 0: a free one, chosen at start()
        self._uses = {}
        self._lock = threading.Lock()
        self._server = None
        self._thread = None
        self._counter = 0

    # --- lifecycle ---

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                sink._session(self.rfile, self.wfile, self.client_address, self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            # socketserver's default listen backlog is 5: under a load of many
            # agents the accept queue overflows, the kernel drops the client's final
            # ACK and the agent, ESTABLISHED on its side, waits for a greeting that
            # never comes (smtp_helo_timeout, 300s), as it would with any server.
            request_queue_size = 128
            allow_reuse_address = True

        self._server = Server((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self.port

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def nexthop(self):
        return "[%s]:%d" % (self.host, self.port)

    def wait_transactions(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.transactions) >= count:
                return self.transactions
            time.sleep(0.05)
        raise AssertionError("sink: %d transactions after %ss, wanted %d: %r"
                             % (len(self.transactions), timeout, count, self.transactions))

    def all_rcpts(self):
        return [r for t in self.transactions for r in t.rcpts]

    # --- the protocol ---

    def _pick(self, key, value, default):
        if value is None:
            return default
        if isinstance(value, str):
            return value
        with self._lock:
            n = self._uses.get(key, 0)
            self._uses[key] = n + 1
        return value[min(n, len(value) - 1)]

    @staticmethod
    def _ended(entry):
        """True when the client of an open session has ended it: QUIT seen,
        or a QUIT or the close waiting in the socket's receive buffer."""
        sock, ended = entry
        if ended:
            return True
        try:
            data = sock.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False
        except OSError:
            return True
        return data == b"" or b"QUIT" in data.upper()

    def _session(self, rfile, wfile, peer, sock):
        entry = [sock, False]
        with self._lock:
            self.sessions += 1
            self.session_times.append(time.monotonic())
            self.current = 1 + sum(1 for e in self._open.values() if not self._ended(e))
            self.max_concurrent = max(self.max_concurrent, self.current)
            self._open[id(entry)] = entry
        try:
            self._dialogue(rfile, wfile, peer, entry)
        except (ConnectionError, OSError):
            pass
        finally:
            with self._lock:
                del self._open[id(entry)]
                self.current = sum(1 for e in self._open.values() if not self._ended(e))

    def _send(self, wfile, text):
        if self.delay:
            time.sleep(self.delay)
        wfile.write(text.encode("utf-8", "surrogateescape") + b"\r\n")
        wfile.flush()

    def _dialogue(self, rfile, wfile, peer, entry):
        self._send(wfile, self.greeting)
        if not self.greeting.startswith("2"):
            return
        helo = None
        txn = None
        completed = 0               # transactions of this session that reached "."
        tls_active = False
        while True:
            raw = rfile.readline(65536)
            if not raw:
                return
            line = raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
            with self._lock:
                self.commands.append(line)
            verb = line.split(" ", 1)[0].upper()
            if self.lmtp and verb in ("EHLO", "HELO"):
                self._send(wfile, "500 5.5.1 This is LMTP: use LHLO")
                continue
            if verb == "EHLO" or (self.lmtp and verb == "LHLO"):
                if self.ehlo_reply:
                    self._send(wfile, self.ehlo_reply)
                    continue
                helo = line
                lines = ["sink.example"] + self.ehlo
                if self.tls_context is not None and not tls_active:
                    lines.append("STARTTLS")
                for i, kw in enumerate(lines):
                    self._send(wfile, ("250 " if i == len(lines) - 1 else "250-") + kw)
            elif verb == "HELO":
                helo = line
                self._send(wfile, self._pick("HELO", self.replies.get("HELO"), "250 sink.example"))
            elif verb == "MAIL":
                if self.drop_second_mail and completed > 0:
                    with self._lock:
                        self.dropped += 1
                    return
                reply = self._pick("MAIL", self.replies.get("MAIL"), "250 2.1.0 Ok")
                txn = Transaction(peer, helo, line) if reply.startswith("2") else None
                self._send(wfile, reply)
            elif verb == "RCPT":
                m = re.match(r"RCPT TO:<([^>]*)>", line, re.I)
                addr = m.group(1) if m else ""
                if txn is None:
                    self._send(wfile, "503 5.5.1 Error: need MAIL command")
                    continue
                txn.rcpt_lines.append(line)
                key = addr.lower()
                reply = self._pick("RCPT " + key, self.rcpt_replies.get(key), "250 2.1.5 Ok")
                if reply.startswith("2"):
                    txn.rcpts.append(addr)
                self._send(wfile, reply)
            elif verb == "DATA":
                if txn is None or not txn.rcpts:
                    self._send(wfile, "554 5.5.1 Error: no valid recipients")
                    continue
                reply = self._pick("DATA", self.replies.get("DATA"), "354 End data with <CR><LF>.<CR><LF>")
                self._send(wfile, reply)
                if not reply.startswith("354"):
                    txn = None
                    continue
                chunks = []
                while True:
                    data = rfile.readline(1 << 20)
                    if not data:
                        return
                    if data == b".\r\n":
                        break
                    chunks.append(data)
                txn.raw = b"".join(chunks)
                txn.data = b"".join(c[1:] if c.startswith(b".") else c for c in chunks)
                with self._lock:
                    self._counter += 1
                    n = self._counter
                if self.lmtp:
                    replies = []
                    for addr in txn.rcpts:
                        key = addr.lower()
                        replies.append(self._pick(
                            "END " + key, self.end_replies.get(key),
                            "250 2.0.0 <%s> Ok: queued as SINK%d" % (addr, n)))
                        if replies[-1].startswith("2"):
                            txn.delivered.append(addr)
                    if txn.delivered:
                        with self._lock:
                            self.transactions.append(txn)
                    self._send(wfile, "\r\n".join(replies))
                    txn = None
                    continue
                reply = self._pick("END", self.replies.get("END"),
                                   "250 2.0.0 Ok: queued as SINK%d" % n)
                if reply.startswith("2"):
                    with self._lock:
                        self.transactions.append(txn)
                self._send(wfile, reply)
                txn = None
                completed += 1
                if self.hangup_after_end:
                    return
            elif verb == "STARTTLS" and self.tls_context is not None and not tls_active:
                self._send(wfile, "220 2.0.0 Ready to start TLS")
                tls = self.tls_context.wrap_socket(entry[0], server_side=True)
                entry[0] = tls
                rfile, wfile = tls.makefile("rb"), tls.makefile("wb")
                tls_active = True
                helo = None
                with self._lock:
                    self.tls_sessions += 1
            elif verb == "RSET":
                txn = None
                self._send(wfile, "250 2.0.0 Ok")
            elif verb == "NOOP":
                self._send(wfile, "250 2.0.0 Ok")
            elif verb == "QUIT":
                with self._lock:
                    entry[1] = True
                self._send(wfile, "221 2.0.0 Bye")
                return
            else:
                self._send(wfile, "502 5.5.2 Error: command not recognized")


if __name__ == "__main__":
    import sys
    sink = SmtpSink(host=sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1")
    sink.start()
    print("listening on %s:%d" % (sink.host, sink.port), flush=True)
    try:
        while True:
            time.sleep(1)
            print("sessions=%d transactions=%d max_concurrent=%d"
                  % (sink.sessions, len(sink.transactions), sink.max_concurrent), flush=True)
    except KeyboardInterrupt:
        sink.stop()

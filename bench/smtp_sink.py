"""A minimal, fast SMTP sink on loopback for the benchmarks: accepts every message, keeps none.

    python bench/smtp_sink.py PORT [--workers 2] [--delay SECONDS] [--tally FILE]

Why not aiosmtpd: measured here it tops out near 240 messages/s of 69 KB whether one or four
clients send (one asyncio loop in one process parses DATA line by line), so it would hide any
gain from parallel connections. This sink reads DATA in 64 KB chunks and only looks for the
terminating CRLF.CRLF; each connection gets a thread and the listening socket is shared by
`--workers` forked processes. It speaks just enough ESMTP for smtplib (EHLO, MAIL, RCPT, DATA,
RSET, NOOP, QUIT) and never does TLS or AUTH. Loopback only: it binds 127.0.0.1.

`--delay` makes it a relay that spends that long on each message before its 250 (a real
relay queues to disk, scans, looks up DNS): against it parallel connections can help even
when the sender and the sink share two CPUs, which an instant sink cannot show.
`--tally FILE`: on SIGTERM each process appends how many messages it accepted (the bench
checks that every message it timed arrived).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import threading
import time

END = b"\r\n.\r\n"
_accepted = [0]
_count_lock = threading.Lock()
EHLO = b"250-sink.invalid\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n"


def _serve_client(conn: socket.socket, delay: float) -> None:
    with conn:
        conn.sendall(b"220 sink.invalid ESMTP bench sink\r\n")
        buf = b""
        while True:
            while b"\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            line, buf = buf.split(b"\r\n", 1)
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(EHLO if verb == b"EHLO" else b"250 sink.invalid\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                # The terminator is CRLF.CRLF, whose first CRLF may end the DATA line itself;
                # keep only 4 bytes of what was searched so each byte is scanned once.
                data = b"\r\n" + buf
                while (i := data.find(END)) < 0:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data = data[-4:] + chunk
                buf = data[i + len(END) :]
                if delay:
                    time.sleep(delay)
                with _count_lock:
                    _accepted[0] += 1
                conn.sendall(b"250 2.0.0 accepted\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                conn.sendall(b"250 ok\r\n")
            else:
                conn.sendall(b"502 not implemented\r\n")


def _accept_forever(listener: socket.socket, delay: float) -> None:
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_serve_client, args=(conn, delay), daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=int, help="0 = any free port (printed on stdout)")
    parser.add_argument("--workers", type=int, default=2, help="processes sharing the socket")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per message")
    parser.add_argument("--tally", default="", help="append the accepted count on SIGTERM")
    args = parser.parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(128)
    print(listener.getsockname()[1], flush=True)
    children: list[int] = []

    def stop(_sig: int, _frame: object) -> None:
        for pid in children:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)  # its tally first, so the file is whole when we exit
        if args.tally:
            with open(args.tally, "a", encoding="ascii") as tally:
                tally.write(f"{_accepted[0]}\n")
        os._exit(0)  # connection threads may still be blocked in recv

    for _ in range(args.workers - 1):
        pid = os.fork()
        if pid == 0:
            children.clear()
            signal.signal(signal.SIGTERM, stop)
            _accept_forever(listener, args.delay)
        children.append(pid)
    signal.signal(signal.SIGTERM, stop)
    _accept_forever(listener, args.delay)


if __name__ == "__main__":
    main()

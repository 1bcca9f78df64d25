"""Raw SMTP clients for the SMTP baselines, each connection in its own process (no GIL between
them, as a multi-connection sender could arrange).

    python -m bench.smtp_clients MODE PORT COUNT CONNECTIONS MESSAGE   (prints one JSON line)

- smtplib:   one persistent smtplib.SMTP per connection, sendmail() per message: the
             baseline #11 sets ("raw smtplib on one persistent connection");
- pipelined: MAIL, RCPT and DATA in one write, the dot-stuffed message prebuilt once: as
             little client work as SMTP allows, to show what the sink itself can take.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import smtplib
import socket
import sys
import time
from pathlib import Path

SENDER = "digest@news.example.org"


def _smtplib(port: int, numbers: range, message: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        for n in numbers:
            client.sendmail(SENDER, [f"reader{n:06d}@example.org"], message)


def _read_reply(sock: socket.socket, buf: bytearray) -> bytes:
    while True:
        end = buf.find(b"\r\n")
        while end >= 0:
            line = bytes(buf[: end + 2])
            del buf[: end + 2]
            if line[3:4] != b"-":
                if line[:1] not in (b"2", b"3"):
                    raise RuntimeError(f"sink said {line!r}")
                return line
            end = buf.find(b"\r\n")
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("sink closed the connection")
        buf += chunk


def _pipelined(port: int, numbers: range, message: bytes) -> None:
    body = re.sub(rb"(?m)^\.", b"..", message)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    body += b".\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray()
        _read_reply(sock, buf)
        sock.sendall(b"EHLO bench\r\n")
        _read_reply(sock, buf)
        for n in numbers:
            rcpt = f"reader{n:06d}@example.org".encode()
            sock.sendall(b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (SENDER.encode(), rcpt))
            for _ in range(3):
                _read_reply(sock, buf)
            sock.sendall(body)
            _read_reply(sock, buf)
        sock.sendall(b"QUIT\r\n")


MODES = {"smtplib": _smtplib, "pipelined": _pipelined}


def main() -> None:
    mode, port, count, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    message = Path(sys.argv[5]).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    shares = [range(c, count, conns) for c in range(conns)]
    start = time.perf_counter()
    workers = [
        multiprocessing.Process(target=MODES[mode], args=(port, share, message)) for share in shares
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - start
    if any(w.exitcode != 0 for w in workers):
        sys.exit(f"a {mode} client failed")
    print(json.dumps({"seconds": seconds, "count": count}))


if __name__ == "__main__":
    main()

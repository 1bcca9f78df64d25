"""SMTP relays for the delivery tests, each a real server on 127.0.0.1: an aiosmtpd handler
with the faults real relays produce, and a relay that accepts TCP and never says a word."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter


class FaultyRelay:
    """An aiosmtpd handler whose behaviour depends on the recipient's address:
    refuse… 550, tempfail… 451, close… answers 421 at RCPT (once per address); a local part
    with "drop" closes the connection after DATA without a reply, with "late" replies 250
    after `late` seconds. `delay` seconds are spent on every message (a relay that takes its
    time). Every MAIL FROM is timed (`started`: recipient → monotonic times of the
    transactions that named it), so a test can tell when a copy's hand-over began."""

    def __init__(self, late: float = 1.0, delay: float = 0.0) -> None:
        self.late = late
        self.delay = delay
        self.accepted: list[tuple[str, bytes]] = []  # (recipient, message) taken (250 or not)
        self.connections = 0
        self.rcpt: Counter = Counter()
        self.closed_once: set[str] = set()
        self.started: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        session.mail_started = time.monotonic()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt[address] += 1
        with self._lock:
            self.started.setdefault(address, []).append(session.mail_started)
        if address.startswith("refuse"):
            return "550 5.1.1 no such user"
        if address.startswith("tempfail"):
            return "451 4.2.0 mailbox busy, try later"
        if address.startswith("close") and address not in self.closed_once:
            self.closed_once.add(address)
            return "421 4.3.2 shutting down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        (rcpt,) = envelope.rcpt_tos
        if self.delay:
            await asyncio.sleep(self.delay)
        self.accepted.append((rcpt, envelope.content))
        if "drop" in rcpt.partition("@")[0]:
            server.transport.abort()
            return "250 OK"
        if "late" in rcpt.partition("@")[0]:
            await asyncio.sleep(self.late)
        return "250 OK"

    def delivered_to(self) -> list[str]:
        return [r for r, _m in self.accepted]


class SilentRelay:
    """Accepts TCP connections and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()

"""SMTP at wire speed, and honest about what the relay said.

- One TLS context per run (`ssl.create_default_context()` loads the whole CA store on every
  call), none at all without TLS.
- Persistent connections: the engine keeps `delivery.smtp_connections` of them open for the
  whole delivery, each reused for message after message (MAIL, RCPT, DATA per copy), reopened
  after a 421 or a drop; a reused connection the relay closed while idle is reopened once
  without counting as a failure.
- Copies arrive dot-stuffed (the constant parts were stuffed once, digest/message.py), so DATA is a
  plain `sendall` instead of smtplib's per-message regex over 70 KB.
- Replies are classed per stage: 5xx to RCPT, DATA or the end of DATA is permanent (the
  message is refused for good, never retried); 4xx is temporary (the engine backs off); a
  refused MAIL FROM, a 421, a failed connect or login is the relay's failure, and the copy
  goes back untried. A reply that does not come after the end of DATA (timeout) or a drop
  then is *in doubt*: the relay may have taken the message, so it is never silently resent
  (`delivery.in_doubt`), and the connection is thrown away: a late reply would otherwise be
  read as the answer to the next message.
- Every failure of the relay itself (no connection, a refused login or sender, a 421, a
  timeout) is marked `relay_failure`: `delivery.relay_failures` of them in a row trip the
  engine's circuit breaker, so a silent relay costs that many timeouts, not one per subscriber.
"""

from __future__ import annotations

import smtplib
import socket
import ssl

from syndicate.config import DeliveryConfig
from syndicate.delivery.handover import (
    WITHDRAWN,
    Copy,
    HandOver,
    Meanwhile,
    RateLimit,
    Result,
    nothing,
)


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"[:300]


class SmtpRelay:
    """The relay as the engine sees it: its settings, one TLS context and one rate limit
    shared by every connection."""

    dot_stuffed = True

    def __init__(self, settings: DeliveryConfig) -> None:
        self.settings = settings
        self.where = f"smtp://{settings.smtp_host}:{settings.smtp_port}"
        self.context: ssl.SSLContext | None = None
        if settings.smtp_security != "none":
            cafile = str(settings.smtp_cafile) if settings.smtp_cafile else None
            self.context = ssl.create_default_context(cafile=cafile)
        self.connections = settings.smtp_connections
        self.rate = RateLimit(settings.rate_limit)
        self.hostname = socket.getfqdn()  # smtplib would look it up per connection

    def connect(self) -> SmtpConnection:
        """A connection that opens on its first copy."""
        return SmtpConnection(self)


class SmtpConnection:
    def __init__(self, relay: SmtpRelay) -> None:
        self.relay = relay
        self.where = relay.where
        self.client: smtplib.SMTP | None = None

    @property
    def is_open(self) -> bool:
        return self.client is not None

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def send(self, copy: Copy, hand_over: HandOver, meanwhile: Meanwhile = nothing) -> Result:
        reused = self.client is not None
        result = self._attempt(copy, hand_over, meanwhile)
        if reused and result.kind == "untried" and self.client is None:
            # The relay closed a connection that sat idle: open a fresh one, once.
            result = self._attempt(copy, hand_over, meanwhile)
        return result

    def _open(self) -> smtplib.SMTP:
        s, relay = self.relay.settings, self.relay
        if s.smtp_security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host,
                s.smtp_port,
                local_hostname=relay.hostname,
                timeout=s.smtp_timeout,
                context=relay.context,
            )
        else:
            client = smtplib.SMTP(
                s.smtp_host, s.smtp_port, local_hostname=relay.hostname, timeout=s.smtp_timeout
            )
        try:
            client.ehlo_or_helo_if_needed()
            if s.smtp_security == "starttls":
                client.starttls(context=relay.context)
                client.ehlo()
            if s.smtp_username:
                client.login(s.smtp_username, s.smtp_password)
        except BaseException:
            client.close()
            raise
        return client

    def _drop(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.close()

    def _reset(self) -> None:
        try:
            if self.client is not None:
                self.client.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _attempt(self, copy: Copy, hand_over: HandOver, meanwhile: Meanwhile) -> Result:
        where = self.where
        client = self.client
        if client is None:
            try:
                client = self.client = self._open()
            except smtplib.SMTPAuthenticationError as exc:
                return Result(
                    "untried",
                    f"{where}: login refused: {_reply(exc.smtp_code, exc.smtp_error)}",
                    relay_failure=True,
                )
            except (OSError, smtplib.SMTPException) as exc:
                return Result("untried", f"{where}: cannot connect: {exc}", relay_failure=True)
        stage = "MAIL FROM"
        try:
            with hand_over() as wanted:  # held until the envelope is on its way
                if not wanted:
                    return WITHDRAWN
                commands = self._envelope_start(client, copy)
            replies = self._envelope_end(client, commands)
            stages = ("MAIL FROM", "RCPT TO", "DATA")
            for stage, (code, message), wanted in zip(
                stages, replies, (250, 250, 354), strict=True
            ):
                if code != wanted and not (stage == "RCPT TO" and code == 251):
                    if replies[-1][0] == 354:  # a server that took DATA anyway: end it empty
                        client.send(b".\r\n")
                        client.getreply()
                    return self._refused(stage, code, message, relay=stage == "MAIL FROM")
            stage = "message"
            client.send(copy.data + b".\r\n")
            stage = "end of DATA"
            try:
                meanwhile()  # the relay is working on it: its pause is ours to use
            except BaseException:
                self._drop()  # its reply stays unread: the connection cannot be reused
                raise
            code, message = client.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            if stage == "end of DATA":
                return Result(
                    "in_doubt",
                    f"{where}: no reply after the end of DATA ({exc}); the relay may have taken it",
                    relay_failure=True,
                )
            return Result(
                "untried", f"{where}: connection lost at {stage}: {exc}", relay_failure=True
            )
        if code == 250:
            return Result("sent", where)
        return self._refused(stage, code, message)

    @staticmethod
    def _envelope_start(client: smtplib.SMTP, copy: Copy) -> list[bytes]:
        """Write MAIL, RCPT and DATA in one go with PIPELINING (RFC 2920), else MAIL alone;
        the commands still to be written after the first reply. Written here rather than
        with smtplib's mail() and rcpt(), which parse both addresses again per message."""
        commands = [
            f"MAIL FROM:<{copy.sender}>\r\n".encode("ascii"),
            f"RCPT TO:<{copy.recipient}>\r\n".encode("ascii"),
            b"DATA\r\n",
        ]
        if client.has_extn("pipelining"):
            client.send(b"".join(commands))
            return []
        client.send(commands[0])
        return commands[1:]

    @staticmethod
    def _envelope_end(client: smtplib.SMTP, rest: list[bytes]) -> list[tuple[int, bytes]]:
        """The replies to MAIL, RCPT and DATA; without PIPELINING the commands in `rest` go
        one at a time after MAIL's reply, stopping at the first refusal."""
        if not rest:
            return [client.getreply() for _ in range(3)]
        replies = [client.getreply()]
        for command in rest:
            if replies[-1][0] not in (250, 251):
                break
            client.send(command)
            replies.append(client.getreply())
        return replies + [(0, b"not sent")] * (3 - len(replies))

    def _refused(self, stage: str, code: int, message: bytes, *, relay: bool = False) -> Result:
        detail = f"{self.where}: {stage}: {_reply(code, message)}"
        if code == 421 or code < 400 or relay:
            # The relay is closing, talking nonsense, or refusing our sender: its failure,
            # not this message's.
            self._drop() if code == 421 or code < 400 else self._reset()
            if stage == "end of DATA":
                return Result("temporary", detail, relay_failure=True)
            return Result("untried", detail, relay_failure=True)
        if stage != "end of DATA":
            self._reset()
        return Result("permanent" if code >= 500 else "temporary", detail)

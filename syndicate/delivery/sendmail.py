"""Hand copies to the local MTA through its `sendmail` program (Postfix, Exim, OpenSMTPD,
msmtp, nullmailer, ssmtp all ship one): `sendmail -i -t -f SENDER`, the message on stdin.

`-t` takes the recipients from the headers (each copy has exactly one To), `-i` keeps a line
holding a single "." from ending the message, `-f` sets the envelope sender (the VERP bounce
address). Lines go in with LF endings, as local submission expects; the MTA writes CRLF on
the wire, which is what a DKIM signature was computed over.

The exit status says what happened (sysexits.h): 0 queued; 67 no such user, 68 no such host,
65 bad data, 69 refused for good by the relay (msmtp) → permanent; 75 temporary failure →
retried with backoff; anything else (no such program, a crash, 78 a broken MTA config) is the
MTA's failure: the copy goes back untried and counts towards the circuit breaker. A program
still running after `delivery.smtp_timeout` is killed, and its copy is in doubt: it may have
queued the message already.
"""

from __future__ import annotations

import subprocess

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

_PERMANENT = {65: "bad message data", 67: "no such user", 68: "no such host", 69: "refused"}
EX_TEMPFAIL = 75


class SendmailPipe:
    """A relay whose "connections" are `delivery.smtp_connections` programs running at once;
    each copy is one run of the program, so a connection holds nothing between copies."""

    dot_stuffed = False

    def __init__(self, settings: DeliveryConfig) -> None:
        self.settings = settings
        self.where = f"sendmail ({settings.sendmail_path})"
        self.connections = settings.smtp_connections
        self.rate = RateLimit(settings.rate_limit)

    def connect(self) -> SendmailPipe:
        return self

    is_open = False  # a program per copy

    def close(self) -> None:
        pass

    def send(self, copy: Copy, hand_over: HandOver, meanwhile: Meanwhile = nothing) -> Result:
        # `meanwhile` goes unused: sendmail's exit is its answer, nothing to overlap with.
        command = [self.settings.sendmail_path, "-i", "-t"]
        if copy.sender:
            command += ["-f", copy.sender]
        try:
            with hand_over() as wanted:  # held until the program runs
                if not wanted:
                    return WITHDRAWN
                program = subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
        except OSError as exc:
            return Result("untried", f"{self.where}: cannot run: {exc}", relay_failure=True)
        try:
            _out, stderr = program.communicate(
                copy.data.replace(b"\r\n", b"\n"), timeout=self.settings.smtp_timeout
            )
        except subprocess.TimeoutExpired:
            program.kill()
            program.communicate()
            return Result(
                "in_doubt",
                f"{self.where} still running after {self.settings.smtp_timeout:g} s (killed);"
                " it may have queued the message",
                relay_failure=True,
            )
        said = " ".join(stderr.decode("utf-8", "replace").split())[:300]
        code = program.returncode
        if code == 0:
            return Result("sent", self.where)
        detail = f"{self.where} exit {code}" + (f": {said}" if said else "")
        if code in _PERMANENT:
            return Result("permanent", f"{detail} ({_PERMANENT[code]})")
        if code == EX_TEMPFAIL:
            return Result("temporary", detail, relay_failure=True)
        return Result("untried", detail, relay_failure=True)

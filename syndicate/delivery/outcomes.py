"""What one attempt means for its delivery: the relay's answer → the row to record, and the
line the operator reads.

- sent → `sent`;
- untried (never attempted: the relay was down, the run was stopped, the copy withdrawn) →
  nothing recorded, the claim is released, no attempt spent;
- permanent (5xx, an address no message can carry) → `dropped` with the reply, never retried;
- in doubt (no reply after the end of DATA) → `in_doubt` and held for the operator
  (`delivery.in_doubt = "hold"`), or retried like a temporary failure with the same
  Message-ID (`"resend"`), which receivers de-duplicate;
- temporary (4xx) → `failed`, retried after `delivery.retry_seconds` doubled per attempt (at
  most MAX_BACKOFF), until MAX_ATTEMPTS; then failed for good, waiting for the operator.
"""

from __future__ import annotations

from datetime import datetime

from syndicate.config import Config
from syndicate.core.report import RunReport
from syndicate.delivery.handover import Result
from syndicate.store.deliveries import MAX_ATTEMPTS, Delivery, Outcome

MAX_BACKOFF = 6 * 3600.0


def backoff(attempts: int, first: float) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: `first`, doubled each time."""
    return min(first * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def outcome_of(
    delivery: Delivery, result: Result, config: Config, now: float, report: RunReport
) -> Outcome | None:
    """What to record for one attempt made at epoch `now` (None: never tried, release it);
    the report gets the operator's line."""
    settings = config.delivery
    d, e = delivery.digest_id, delivery.email
    attempts = delivery.attempts + 1
    if result.kind == "sent":
        report.sent += 1
        return Outcome(d, e, "sent")
    if result.kind == "untried":
        return None
    if result.kind == "permanent":
        report.failed_for_good.append(f"{e}: {result.detail} (refused for good, not retried)")
        return Outcome(d, e, "dropped", result.detail)
    if result.kind == "in_doubt" and settings.in_doubt == "hold":
        report.failed_for_good.append(
            f"{e}: in doubt, held: {result.detail} (`syndicate run --retry-failed` sends it"
            " again with the same Message-ID)"
        )
        return Outcome(d, e, "in_doubt", result.detail)
    detail = result.detail
    if result.kind == "in_doubt":
        detail = f"in doubt, sending again: {detail}"
    if attempts >= MAX_ATTEMPTS:
        report.failed_for_good.append(f"{e}: {detail} (gave up after {attempts} attempts)")
        return Outcome(d, e, "failed", f"{detail}; gave up after {attempts} attempts")
    when = now + backoff(attempts, settings.retry_seconds)
    retry = datetime.fromtimestamp(when, config.site.tz).strftime("%Y-%m-%d %H:%M")
    report.failed.append(f"{e}: {detail}; attempt {attempts}, retried after {retry}")
    return Outcome(d, e, "failed", detail, next_attempt=when)


class CircuitBreaker:
    """Counts relay failures in a row across every connection; `limit` of them trip it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.reason = ""

    def record(self, result: Result) -> None:
        if result.relay_failure:
            self.count += 1
            if self.count >= self.limit and not self.reason:
                self.reason = (
                    f"{self.count} relay failures in a row (last: {result.detail});"
                    " delivery stopped for this run, the rest stays queued"
                )
        elif result.kind != "untried":
            self.count = 0

"""The service's background work: scheduled runs (cron), HTTP-triggered runs, and the resumer
that delivers what a crash or a relay outage left queued. Everything runs through
`pipeline`; nothing here writes state itself.

Digest jobs: `digest` on `schedule.digest`, or one `digest:ID` per [[newsletters]] on its own
schedule, each running the digest step for its newsletter only.

APScheduler 3 traps handled here: explicit job ids with replace_existing (no
duplicates on restart), coalesce + max_instances=1, a misfire grace of 15 minutes instead
of 1 s, a memory job store (a persistent one shared by two processes would double-send), and
crontab day-of-week numbers translated to names (cadence.cron_trigger).

Stopping: `stopping` is set on SIGTERM. A run in progress (scheduled or HTTP) is asked
before each recipient (pipeline.run's `should_stop`), so it finishes the current one, commits
and ends; the rest stays queued and the resumer sends it on the next start. A scheduled job
still waiting for the lock gives up at once.

At start, a `publish` run (never a digest) brings the site's pages up to date at once.

The resumer (every `server.resume_seconds`, and at start): forgets expired subscribe
requests, then delivers what is due and no worker holds (pending, or failed and past its
backoff) through the one delivery engine (pipeline.deliver_pending). A relay that is down
costs no attempt there (its copies come back untried and the circuit breaker stops the
pass), so the queue goes out within one interval of the relay coming back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime
from functools import partial
from typing import Any

from syndicate.config import Config, ConfigError
from syndicate.config.cadence import cron_trigger
from syndicate.config.newsletters import newsletters
from syndicate.run import pipeline
from syndicate.run.lock import RunInProgress, run_lock_held
from syndicate.store.confirmations import purge_unconfirmed
from syndicate.store.connection import has_state, open_db
from syndicate.store.db import StateError
from syndicate.web.confirmation import ConfirmationSender
from syndicate.web.runs import Job, recorded_run

log = logging.getLogger("syndicate.service")

# A scheduled job that finds another run going waits this long for the lock (publish and
# digest often fire in the same minute: the digest must not be skipped for a day).
SCHEDULED_LOCK_WAIT = 600.0
KEEP_JOBS = 100  # HTTP-triggered runs remembered for GET /api/runs/<id>


class Busy(Exception):
    """A run is going (in this process or another): the API answers 409."""


class RunNotStarted(Exception):
    """The run failed before it had an id (an unusable state, a config error)."""


# How long POST /api/runs waits for the run's id: the lock is free (checked first), so the id
# comes as soon as the state is open; past this the service is too busy to answer anyway.
START_WAIT = 30.0


def describe_failure(exc: BaseException) -> str:
    """One line for the log and the API; a traceback only for what is a bug."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    known = (OSError, StateError, RunInProgress)

    if not isinstance(exc, (*known, ConfigError)) and type(exc).__module__ != "jinja2.exceptions":
        log.exception("unexpected error (a bug; please report it)")
    return text


class Service:
    """The background half of `syndicate serve`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._jobs: OrderedDict[int, Job] = OrderedDict()
        self._active: Job | None = None
        self._threads: set[threading.Thread] = set()

        self.confirmations = ConfirmationSender(config)
        self.scheduler = build_scheduler(config, self)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self.scheduler.start()
        for job in self.scheduler.get_jobs():
            if job.id == "publish" or job.id.startswith("digest"):
                log.info("%s job: next at %s", job.id, f"{job.next_run_time:%Y-%m-%d %H:%M %Z}")

    def stop(self, deadline: float) -> bool:
        """Let work in progress finish its current step; True if all of it ended by
        `deadline` (time.monotonic())."""
        self.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.confirmations.close(max(0.1, deadline - time.monotonic()))
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        left = [t.name for t in self._threads if t.is_alive()]
        if left:
            log.warning("still busy after the grace period: %s", ", ".join(left))
        return not left

    def _tracked(self, fn, *args: Any) -> None:
        me = threading.current_thread()
        with self._lock:
            self._threads.add(me)
        try:
            fn(*args)
        finally:
            with self._lock:
                self._threads.discard(me)

    # ------------------------------------------------------------ HTTP-triggered runs

    def start_run(
        self, digest: str, *, admin: str | None = None, retry_failed: bool = False
    ) -> Job:
        """Start a run in the background and return it once it has its id. Busy if one is
        going; RunNotStarted if it failed before it had one. `admin`: the console account
        starting it (recorded with the run); `retry_failed`: as `run --retry-failed`."""
        with self._lock:
            if self._active is not None:
                going = f"run {self._active.id}" if self._active.id else "a run"
                raise Busy(f"{going} is going; try again when it ends")
            if self.stopping.is_set():
                raise Busy("the service is stopping")
            if run_lock_held(self.config):
                raise Busy("another syndicate run holds the lock; try again when it ends")
            job = Job(
                digest=digest, started=_now(self.config), admin=admin, retry_failed=retry_failed
            )
            self._active = job
        thread = threading.Thread(
            target=self._tracked, args=(self._run, job), name=f"run-{digest}", daemon=True
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()
        job.has_id.wait(START_WAIT)
        if job.id is None:
            why = "; ".join(job.errors) or "the run has not started yet; see the log"
            raise Busy(why) if job.state == "refused" else RunNotStarted(why)
        return job

    def _started(self, job: Job, run_id: int) -> None:
        with self._lock:
            job.id = run_id
            self._jobs[run_id] = job
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.popitem(last=False)
        job.has_id.set()
        log.info("run %d started (digest %s)", run_id, job.digest)

    def _run(self, job: Job) -> None:
        try:
            report = pipeline.run(
                self.config,
                digest=job.digest,  # type: ignore[arg-type]
                trigger=f"{'console' if job.admin else 'http'}:{job.digest}",
                should_stop=self.stopping.is_set,
                on_start=partial(self._started, job),
                report=job.report,
                admin=job.admin,
                retry_failed=job.retry_failed,
            )
        except RunInProgress as exc:
            job.state, job.errors = "refused", [str(exc)]
        except Exception as exc:
            job.state, job.errors = "failed", [describe_failure(exc)]
        else:
            job.state = "finished"
            job.counts = report.counts()
            job.errors = [*report.failed, *(f"{r.source}: {r.reason}" for r in report.rejected)]
            if report.config_problem:
                job.errors.append(report.config_problem)
            job.warnings = list(report.warnings)
            job.digest_note = report.digest_note
            job.notes = list(report.notes)
        finally:
            job.finished = _now(self.config)
            with self._lock:
                if self._active is job:
                    self._active = None
            job.has_id.set()  # a run that failed before its id: start_run says why
        log.info(
            "run %s %s: %s",
            job.id,
            job.state,
            _summary(job.counts) or "; ".join(job.errors) or job.digest_note,
        )

    def job(self, run_id: int) -> dict[str, Any] | None:
        """A run by id: an HTTP-triggered one from memory, any other (CLI, schedule, or one
        from before a restart) from the runs table."""
        with self._lock:
            job = self._jobs.get(run_id)
        if job is not None:
            return job.as_dict()
        return recorded_run(self.config, run_id)

    # ------------------------------------------------------------ scheduled work

    def scheduled_run(self, job: str) -> None:
        """The `publish` job never makes a digest; a digest job (`digest`, or `digest:ID`
        for each of the [[newsletters]], on its own schedule) makes one when it is due by
        the cadence rule, so a restart or a repeated firing never makes two."""
        deadline = time.monotonic() + SCHEDULED_LOCK_WAIT
        kind, _colon, newsletter = job.partition(":")
        while not self.stopping.is_set():
            try:
                report = pipeline.run(
                    self.config,
                    trigger=f"schedule:{job}",
                    digest="due" if kind == "digest" else "never",
                    newsletter=newsletter or None,
                    should_stop=self.stopping.is_set,
                )
            except RunInProgress as exc:
                if time.monotonic() >= deadline:
                    log.warning("scheduled %s skipped: %s", job, exc)
                    return
                self.stopping.wait(1.0)
                continue
            except Exception as exc:
                log.error("scheduled %s failed: %s", job, describe_failure(exc))
                return
            log.info("scheduled %s: %s", job, _summary(report.counts()) or "nothing to do")
            for rejection in report.rejected:
                log.warning("rejected %s: %s", rejection.source, rejection.reason)
            for failure in report.failed:
                log.warning("delivery failed (stays queued): %s", failure)
            return

    def resume(self) -> None:
        if self.stopping.is_set() or not has_state(self.config):
            return
        try:
            self._resume()
        except Exception as exc:
            log.error("resuming deliveries failed: %s", describe_failure(exc))

    def _resume(self) -> None:
        config = self.config
        now = time.time()
        conn = open_db(config)
        try:
            forgotten = purge_unconfirmed(conn, before=now - config.server.confirm_hours * 3600)
        finally:
            conn.close()
        if forgotten:
            log.info("forgot %d unconfirmed subscribe request(s)", forgotten)
        try:
            report = pipeline.deliver_pending(config, should_stop=self.stopping.is_set)
        except RunInProgress:
            log.info("deliveries waiting; a run is going: next look after it")
            return
        if report is None:
            return
        log.info("resumed deliveries: sent %d, failed %d", report.sent, len(report.failed))
        for failure in report.failed + report.failed_for_good:
            log.warning("delivery failed: %s", failure)
        if report.delivery_stopped:
            # A relay that is down costs no attempt (the engine releases its copies
            # untried): the queue goes out within one interval of the relay coming back.
            log.warning(
                "deliveries waiting: %s; next look in %gs",
                report.delivery_stopped,
                config.server.resume_seconds,
            )


def build_scheduler(config: Config, service: Service):
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = BackgroundScheduler(
        timezone=config.site.tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 900},
    )
    jobs = [("publish", config.schedule.publish)]
    jobs += [(f"digest:{n.id}" if n.id else "digest", n.schedule) for n in newsletters(config)]
    for job_id, expr in jobs:
        scheduler.add_job(
            partial(service._tracked, service.scheduled_run, job_id),
            cron_trigger(expr, config.site.tz),
            id=job_id,
            name=f"syndicate {job_id}",
            replace_existing=True,
        )
    # Once at start too: the site's pages exist (or catch up with new templates or config)
    # without waiting for the first firing. Never a digest: that keeps its cadence.
    scheduler.add_job(
        partial(service._tracked, service.scheduled_run, "publish"),
        "date",
        run_date=datetime.now(config.site.tz),
        id="publish-at-start",
        name="syndicate publish at start",
        replace_existing=True,
    )
    scheduler.add_job(
        partial(service._tracked, service.resume),
        IntervalTrigger(seconds=config.server.resume_seconds, timezone=config.site.tz),
        id="resume",
        name="syndicate resume deliveries",
        replace_existing=True,
        next_run_time=datetime.now(config.site.tz),  # at start too: what a crash left
        misfire_grace_time=max(1, int(config.server.resume_seconds)),
    )
    return scheduler


def _now(config: Config) -> str:
    return datetime.now(config.site.tz).isoformat(timespec="seconds")


def _summary(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v)

"""`syndicate serve`: APScheduler runs the pipeline on cron; HTTP serves the outputs.

HTTP (stdlib ThreadingHTTPServer; SimpleHTTPRequestHandler already answers If-Modified-Since
with 304, which is what feed readers need to be polite):
  GET  /rss.xml, /atom.xml, /feed.json, /digests/…, /articles/…   the published files
  GET  /health                      JSON: ok + last run
  POST /run                         trigger a run now (409 if one is running); local clients
                                    only, or any with $SYNDICATE_TRIGGER_TOKEN as bearer token
  GET  /unsubscribe/<token>         confirmation page (GET never unsubscribes: link scanners)
  POST /unsubscribe/<token>         unsubscribe; RFC 8058 one-click POSTs here

APScheduler 3 traps handled here: explicit job ids with replace_existing (no duplicates on
restart), coalesce + max_instances=1, a misfire grace of 15 minutes instead of 1 s, a memory job
store (a persistent one shared by two processes would double-send), and crontab day-of-week
numbers translated to names because APScheduler counts 0 as Monday.
"""

from __future__ import annotations

import hmac
import html
import json
import os
import signal
import sys
import threading
from datetime import datetime
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from apscheduler.schedulers.background import BackgroundScheduler

from syndicate import pipeline, state, store
from syndicate.cadence import cron_trigger
from syndicate.config import Config
from syndicate.feeds import content_type

# A scheduled job that finds another run going waits this long before giving up (see
# pipeline.run_lock); the misfire grace below is longer, so the job is not dropped meanwhile.
SCHEDULED_LOCK_WAIT = 600.0


def scheduled_run(config: Config, *, job: str) -> None:
    """The `publish` job never makes a digest; the `digest` job makes one when it is due by
    the cadence rule, so a restart or a repeated firing never makes two in one period."""
    try:
        report = pipeline.run(
            config,
            trigger=f"schedule:{job}",
            digest="due" if job == "digest" else "never",
            wait_for_lock=SCHEDULED_LOCK_WAIT,
        )
    except pipeline.RunInProgress as exc:
        print(f"syndicate: scheduled {job} skipped: {exc}", file=sys.stderr, flush=True)
        return
    except store.StateError as exc:  # lost or older state: refused, and said once per firing
        print(f"syndicate: scheduled {job} refused: {exc}", file=sys.stderr, flush=True)
        return
    counts = ", ".join(f"{k} {v}" for k, v in report.counts().items() if v)
    print(f"syndicate: scheduled {job}: {counts or 'nothing to do'}", flush=True)
    for rejection in report.rejected:
        print(f"syndicate: rejected {rejection.source}: {rejection.reason}", flush=True)


def build_scheduler(config: Config) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone=config.site.tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 900},
    )
    for job_id, expr in (
        ("publish", config.schedule.publish),
        ("digest", config.schedule.digest),
    ):
        scheduler.add_job(
            partial(scheduled_run, config, job=job_id),
            cron_trigger(expr, config.site.tz),
            id=job_id,
            name=f"syndicate {job_id}",
            replace_existing=True,
        )
    return scheduler


def _page(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title></head>"
        "<body style='font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;"
        f"padding:0 1em'><h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


def make_handler(config: Config) -> type[SimpleHTTPRequestHandler]:
    feeds_dir = str(config.path("feeds"))

    class Handler(SimpleHTTPRequestHandler):
        server_version = "syndicate"

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=feeds_dir, **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"http: {self.address_string()} {format % args}\n")

        def guess_type(self, path: str | Path) -> str:
            name = Path(path).name
            if name.endswith((".xml", ".json")):
                return content_type(name)  # feeds and their archive pages
            if name.endswith(".html"):
                return "text/html; charset=utf-8"
            return super().guess_type(path)

        def list_directory(self, path: str | Path) -> None:  # no directory listings
            self.send_error(HTTPStatus.NOT_FOUND)
            return None

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, data: dict) -> None:
            self._send(status, json.dumps(data).encode(), "application/json")

        def do_GET(self) -> None:
            route = self.path.split("?", 1)[0]
            if route == "/health":
                return self._health()
            if route.startswith("/unsubscribe/"):
                # No form action: post back to this very URL, whatever path prefix a reverse
                # proxy put in front of it.
                body = (
                    f"<p>Stop receiving the {html.escape(config.site.title)} digest?</p>"
                    "<form method='post'><button type='submit'>Unsubscribe</button></form>"
                )
                return self._send(200, _page("Unsubscribe", body), "text/html; charset=utf-8")
            return super().do_GET()

        def do_POST(self) -> None:
            route = self.path.split("?", 1)[0]
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(min(length, 65536))
            if route == "/run":
                return self._trigger()
            if route.startswith("/unsubscribe/"):
                return self._unsubscribe(route.removeprefix("/unsubscribe/"))
            self.send_error(HTTPStatus.NOT_FOUND)
            return None

        def _health(self) -> None:
            last = None
            if state.has_state(config):
                conn = state.open_db(config)
                try:
                    runs = store.recent_runs(conn, limit=1)
                finally:
                    conn.close()
                last = runs[0] if runs else None
            self._json(200, {"status": "ok", "last_run": last})

        def _trigger_allowed(self) -> bool:
            """With $SYNDICATE_TRIGGER_TOKEN set, a matching bearer token is required. Without
            it, only direct local clients: a request relayed by a reverse proxy also comes from
            127.0.0.1, so anything carrying forwarding headers counts as remote."""
            token = os.environ.get("SYNDICATE_TRIGGER_TOKEN", "")
            if token:
                given = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                return hmac.compare_digest(given.encode(), token.encode())
            forwarded = self.headers.get("Forwarded") or self.headers.get("X-Forwarded-For")
            local = self.client_address[0].startswith(("127.", "::1"))
            return local and not forwarded

        def _trigger(self) -> None:
            if not self._trigger_allowed():
                self._json(
                    403,
                    {
                        "error": "runs can be triggered from this host, or with"
                        " 'Authorization: Bearer $SYNDICATE_TRIGGER_TOKEN'"
                    },
                )
                return
            query = parse_qs(self.path.partition("?")[2])
            mode = (query.get("digest") or ["due"])[0]
            if mode not in pipeline.DIGEST_MODES:
                self._json(400, {"error": "digest must be due, now or never"})
                return
            try:
                report = pipeline.run(config, trigger="http", digest=mode)
            except pipeline.RunInProgress as exc:
                self._json(409, {"error": str(exc)})
                return
            except store.StateError as exc:
                self._json(503, {"error": str(exc)})
                return
            self._json(200, {"status": "done", **report.counts()})

        def _unsubscribe(self, token: str) -> None:
            conn = state.open_db(config)
            try:
                email = store.unsubscribe(conn, datetime.now(config.site.tz), token=token)
            finally:
                conn.close()
            if email is None:
                body = "<p>This link is not valid (already used, or mistyped).</p>"
                return self._send(404, _page("Unsubscribe", body), "text/html; charset=utf-8")
            body = f"<p>{html.escape(email)} will get no more digests.</p>"
            return self._send(200, _page("Unsubscribed", body), "text/html; charset=utf-8")

    return Handler


def make_server(config: Config) -> ThreadingHTTPServer:
    config.path("feeds").mkdir(parents=True, exist_ok=True)
    return ThreadingHTTPServer((config.server.host, config.server.port), make_handler(config))


def serve(config: Config) -> int:
    scheduler = build_scheduler(config)
    server = make_server(config)
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scheduler.start()
    host, port = server.server_address[:2]
    print(f"syndicate: serving {config.path('feeds')} on http://{host}:{port}/", flush=True)
    for job in scheduler.get_jobs():
        print(f"syndicate: {job.id} next at {job.next_run_time:%Y-%m-%d %H:%M %Z}", flush=True)
    try:
        server.serve_forever()
    finally:
        scheduler.shutdown(wait=True)  # let a run in progress finish: never half a delivery
        server.server_close()
        print("syndicate: stopped", flush=True)
    return 0

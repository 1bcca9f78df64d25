"""Shared fixtures: a throwaway site (config + inbox) in a temp folder, with real paths."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

from syndicate.config import Config, load_config

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "articles" / "000_6bd5c2adaf47451d.txt"

BASE_CONFIG = """
[site]
title = "Test Site"
base_url = "https://news.example.org/"
language = "id"
timezone = "Asia/Jakarta"
postal_address = "Jl. Contoh No. 1, Jakarta"

[paths]
templates = "{templates}"

[digest]
from = "Test Site <digest@news.example.org>"
subscribers = ["Reader One <one@example.org>"]
"""


def write_config(root: Path, extra: str = "") -> Path:
    path = root / "config.toml"
    path.write_text(
        BASE_CONFIG.format(templates=(REPO / "templates").as_posix()) + extra, encoding="utf-8"
    )
    (root / "articles").mkdir(exist_ok=True)
    return path


def queued_site(root: Path, delivery: str, readers: int, state_url: str = "") -> Config:
    """A site in `root` with the sample article, `readers` subscribers (r00000@example.org,
    …) besides the config's own, and its first digest queued: `syndicate run` would make
    and deliver it; here nothing is sent yet. `delivery`: the [delivery] table's lines."""
    from datetime import datetime

    from syndicate.run import pipeline
    from syndicate.store.connection import open_db
    from syndicate.store.digests import create_digest, undigested_articles
    from syndicate.store.subscribers import add_subscriber

    table = f'\n[state]\nurl = "{state_url}"\n' if state_url else ""
    write_config(root, f"\n[delivery]\n{delivery}\n{table}")
    shutil.copy(SAMPLE, root / "articles")
    config = load_config(root / "config.toml")
    pipeline.run(config, digest="never")
    conn = open_db(config)
    try:
        # Seeding only: one commit per subscriber need not wait for the disk.
        conn.execute("SET synchronous_commit = off" if state_url else "PRAGMA synchronous=OFF")
        now = datetime.now(config.site.tz)
        for i in range(readers):
            add_subscriber(conn, f"r{i:05d}@example.org", "", now, resubscribe=True)
        create_digest(conn, undigested_articles(conn), now, now.date().isoformat())
    finally:
        conn.close()
    return config


def smtp_site_with_verp(site: Path, smtp_port: int, emails: Sequence[str]) -> Config:
    """The site delivering over SMTP to `smtp_port` with VERP (bounces@news.example.org),
    `emails` subscribed besides the config's own."""
    from datetime import datetime

    from syndicate.store.sqlite import open_store
    from syndicate.store.subscribers import add_subscriber

    write_config(
        site,
        f"\n[delivery]\nmethod = 'smtp'\nsmtp_port = {smtp_port}\n"
        "bounce_address = 'bounces@news.example.org'\n",
    )
    config = load_config(site / "config.toml")
    conn = open_store(config.db_path)
    for email in emails:
        add_subscriber(conn, email, "", datetime.now(config.site.tz), resubscribe=True)
    conn.close()
    return config


def age(path: Path, seconds: float = 60) -> None:
    """Make a file look written a while ago: its stat signature is then trusted (a file
    modified within the last seconds is hashed again, inbox.RACY_SECONDS)."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def record_calls(monkeypatch, owner: object, name: str, pick: Callable[..., object]) -> list:
    """Replace `owner.name` with a wrapper that records `pick(*args)` of every call (and
    then calls the real one); the list of what was recorded."""
    calls: list = []
    real = getattr(owner, name)

    def recording(*args, **kwargs):
        calls.append(pick(*args, **kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return calls


def counting_fingerprint(monkeypatch) -> list[Path]:
    """Every inbox file a run reads (hashes), in order."""
    from syndicate import ingest

    return record_calls(monkeypatch, ingest, "file_fingerprint", lambda path, max_bytes: path)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder with config.toml and an inbox holding the sample article."""
    write_config(tmp_path)
    shutil.copy(SAMPLE, tmp_path / "articles" / SAMPLE.name)
    return tmp_path


@pytest.fixture
def config(site: Path) -> Config:
    return load_config(site / "config.toml")


class RecordingHandler(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:
        self.messages.append(message)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 no such user"
        if address.startswith("tempfail"):
            return "451 4.2.0 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def free_port() -> int:
    # aiosmtpd's Controller checks readiness by connecting to the port it was given, so it
    # cannot take port 0: ask the kernel for a free one first.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_on_loopback(handler) -> Iterator[int]:
    """A real SMTP server (aiosmtpd) on a free loopback port, with `handler`; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    handler = RecordingHandler()
    with smtp_on_loopback(handler) as port:
        yield handler, port


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (openssl, as .ci/run installs)."""
    import subprocess

    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL server for the session (tests/pg_cluster.py)."""
    import os

    from tests.pg_cluster import SKIP_ENV, Cluster, find_bin

    bindir = find_bin()
    if bindir is None:
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(f"no PostgreSQL server installed ({SKIP_ENV}=1 opts out)")
        pytest.fail(
            "the PostgreSQL tests need the server binaries (initdb, pg_ctl): install the"
            f" distribution's package (apt-get install postgresql; .ci/run does), or set"
            f" {SKIP_ENV}=1 to skip them on purpose"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.fail("the PostgreSQL tests need psycopg: pip install -e '.[test]'")
    cluster = Cluster(bindir)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster, monkeypatch) -> str:
    """A fresh PostgreSQL database for one test; its password is in the environment, where
    syndicate reads it ($SYNDICATE_STATE_PASSWORD)."""
    from tests.pg_cluster import PASSWORD

    monkeypatch.setenv("SYNDICATE_STATE_PASSWORD", PASSWORD)
    return pg_cluster.create_database()

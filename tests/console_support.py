"""Helpers for the console's tests: a site with a console account, logging in over real
HTTP (httpx against the service on a free loopback port), and the CSRF token of a page."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import httpx

from syndicate.config import Config, load_config
from syndicate.ops.admins import create_account
from syndicate.store.connection import open_db
from tests.conftest import SAMPLE, write_config

NAME, PASSWORD = "ana", "correct horse battery"


def console_site(root: Path, extra: str = "") -> Config:
    """A site (the sample article in its inbox) whose state has the account NAME."""
    write_config(root, extra)
    shutil.copy(SAMPLE, root / "articles" / SAMPLE.name)
    config = load_config(root / "config.toml")
    with open_db(config) as conn:
        create_account(conn, NAME, PASSWORD, datetime.now(config.site.tz))
    return config


def token_in(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def logged_in(base: str, name: str = NAME, password: str = PASSWORD) -> httpx.Client:
    """A client holding a session (its cookie), as a browser would after the login form."""
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    form = client.get("/admin/login")
    answer = client.post(
        "/admin/login",
        data={"csrf": token_in(form.text), "name": name, "password": password},
        headers={"Origin": base},
    )
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(client: httpx.Client, path: str = "/admin/") -> str:
    return token_in(client.get(path).text)


def post(client: httpx.Client, path: str, data: dict, **kwargs) -> httpx.Response:
    """A console form posted as a browser on the console's page would (its Origin)."""
    headers = {"Origin": str(client.base_url).rstrip("/"), **kwargs.pop("headers", {})}
    return client.post(path, data=data, headers=headers, **kwargs)

"""The console end to end in a real browser (#24): Playwright (pytest-playwright) driving
the system's Chromium against `syndicate serve`'s app on a free loopback port. Log in,
import a CSV, start a digest and watch it finish, retract an article, log out; at 390 px
(a phone) and 1280 px, with JavaScript and without (every action works without it; the run
page then refreshes itself). On every page: nothing wider than the viewport.

Playwright cannot download its own browser here: it drives /usr/bin/chromium (or
$SYNDICATE_CHROMIUM), the one tests/test_render_chromium.py uses. A phone's width comes
from Playwright's viewport, which is the DevTools device-metrics override: headless
Chromium's window cannot be narrower than 500 px. Without Chromium the test fails with
that hint, unless SYNDICATE_SKIP_BROWSER=1.

Screenshots go to tests/artifacts/ (gitignored); with SYNDICATE_UPDATE_SCREENSHOTS=1 also
to docs/console/, where the README's are kept.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from syndicate.store.connection import open_db
from syndicate.store.subscribers import subscriber_counts
from tests.conftest import RecordingHandler, smtp_on_loopback
from tests.console_support import NAME, PASSWORD, console_site
from tests.web_support import running

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOCS = REPO / "docs" / "console"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
# Elements whose right edge passes the viewport (the layout must never need a sideways scroll).
OVERFLOW = """() => {
  const vw = document.documentElement.clientWidth;
  const over = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > vw + 1) over.push(el.tagName + '#' + el.id + '.' + el.className);
  }
  return {scroll: document.documentElement.scrollWidth, width: vw, over: over.slice(0, 5)};
}"""


def chromium() -> str:
    for name in (os.environ.get("SYNDICATE_CHROMIUM"), "/usr/bin/chromium", "chromium"):
        if name and shutil.which(name):
            return shutil.which(name)  # type: ignore[return-value]
    if os.environ.get("SYNDICATE_SKIP_BROWSER") == "1":
        pytest.skip("SYNDICATE_SKIP_BROWSER=1: the console's browser test not run")
    pytest.fail(
        "the console's browser test needs Chromium: apt-get install chromium (.ci/run does),"
        " or SYNDICATE_CHROMIUM=/path/to/chromium; SYNDICATE_SKIP_BROWSER=1 skips it"
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": chromium(), "args": FLAGS}


class SlowRelay(RecordingHandler):
    """A relay taking 30 ms a message: a digest to ~80 subscribers takes a few seconds, so
    the browser sees the run going before it sees it finished."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.03)
        return await super().handle_DATA(server, session, envelope)


def seeded_site(root: Path, smtp_port: int):
    """The console's site with 90 days of subscribers behind it (for the growth chart),
    delivering to a relay on loopback."""
    config = console_site(root, f"\n[delivery]\nmethod = 'smtp'\nsmtp_port = {smtp_port}\n")
    conn = open_db(config)
    today = datetime.now(config.site.tz).replace(hour=9, minute=0, second=0, microsecond=0)
    try:
        for i in range(60):
            added = (today - timedelta(days=88 - i * 1.4)).isoformat()
            status = "unsubscribed" if i % 9 == 4 else "active"
            conn.execute(
                "INSERT INTO subscribers (email, name, token, status, added, changed)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (f"pembaca{i:02d}@example.org", f"Pembaca {i}", f"t{i}", status, added, added),
            )
    finally:
        conn.close()
    csv = root / "daftar.csv"
    rows = [f"baru{i}@example.org,Baru {i}" for i in range(12)]
    csv.write_text("email,name\n" + "\n".join([*rows, "bukan alamat,Salah"]) + "\n")
    return config, csv


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("SYNDICATE_UPDATE_SCREENSHOTS") == "1" and "nojs" not in name:
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS / path.name)


def fits(page, what: str) -> None:
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and not found["over"], (what, found)


@pytest.mark.parametrize(("width", "script"), [(1280, True), (390, True), (390, False)])
def test_the_console_in_a_browser(browser, tmp_path, width, script):
    relay = SlowRelay()
    with smtp_on_loopback(relay) as smtp_port, running(seeded_site(tmp_path, smtp_port)[0]) as web:
        csv = tmp_path / "daftar.csv"
        context = browser.new_context(
            viewport={"width": width, "height": 900}, java_script_enabled=script
        )
        page = context.new_page()
        size = f"{width}{'' if script else '-nojs'}"

        # Log in: any console page sends the browser to the login form first.
        page.goto(web.base + "/admin/subscribers")
        assert page.url.startswith(web.base + "/admin/login")
        fits(page, "login")
        page.fill("#name", NAME)
        page.fill("#password", PASSWORD)
        page.click("form[action='/admin/login'] button")
        page.wait_for_url(web.base + "/admin/subscribers")
        fits(page, "subscribers")

        # Import a CSV: the per-row report.
        page.set_input_files("#file", str(csv))
        page.click("form[action='/admin/subscribers/import'] button")
        summary = page.text_content("#import-summary")
        assert summary == "daftar.csv: 13 rows: 12 added, 1 invalid", summary
        assert page.locator("#import-rows tbody tr").count() == 13
        fits(page, "import report")
        shot(page, f"import-{size}")

        # Start a digest and watch it finish (JavaScript polls; without it the page reloads).
        page.goto(web.base + "/admin/runs")
        fits(page, "runs")
        page.click("form[action='/admin/runs']:has(input[value=now]) button")
        page.wait_for_url(re.compile(r".*/admin/runs/\d+$"))
        assert page.get_attribute("#run", "data-state") == "running"  # followed live …
        if script:  # … the numbers move in place: messages sent, of those to send
            page.wait_for_function(
                "() => Number(document.getElementById('p-sent')?.textContent) > 0"
                " || document.getElementById('run').dataset.state !== 'running'",
                timeout=60_000,
            )
            shot(page, f"run-live-{size}")
        page.wait_for_selector("#run[data-state=finished]", timeout=60_000)
        assert page.text_content("#run-state") == "selesai"
        with open_db(web.config) as conn:
            active = subscriber_counts(conn)["active"]
        assert len(relay.messages) == active
        assert page.text_content("#count-sent") == str(active)
        fits(page, "run")
        shot(page, f"run-{size}")

        # Retract the article with a reason.
        page.goto(web.base + "/admin/articles")
        fits(page, "articles")
        page.click("#articles tbody a")
        page.fill("#reason", "angka yang salah")
        page.click("form[action='/admin/articles/retract'] button")
        assert "angka yang salah" in page.text_content("#retracted")
        assert "deleted-entry" in (web.config.path("feeds") / "atom.xml").read_text()
        fits(page, "article")

        # The dashboard and the other pages.
        for path in ("/admin/digests", "/admin/bounces", "/admin/"):
            page.goto(web.base + path)
            fits(page, path)
        assert page.locator("svg.chart polyline").count() == 1
        shot(page, f"dashboard-{size}")

        # Log out: the session is gone.
        page.click("form[action='/admin/logout'] button")
        page.wait_for_url(web.base + "/admin/login")
        page.goto(web.base + "/admin/")
        assert page.url.startswith(web.base + "/admin/login")
        context.close()

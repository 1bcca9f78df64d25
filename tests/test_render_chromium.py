"""The digest (and the article page) rendered in headless Chromium.

At 375 px (phone) and 600 px, light and dark: no horizontal scrolling, text not tiny, enough
contrast, and dark mode actually applied. Screenshots are kept in tests/artifacts/ (gitignored)
for a human to look at.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe, stdlib
only): a headless *window* cannot be narrower than ~500 px, so the phone width and the colour
scheme are emulated (Emulation.setDeviceMetricsOverride / setEmulatedMedia) instead.

Needs the Debian package `chromium` (or $SYNDICATE_CHROMIUM). Without it the test FAILS
unless SYNDICATE_SKIP_BROWSER=1 is set: a silently skipped browser check is no check.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from syndicate.core.model import Article, Author, Block, Digest, Subscriber
from syndicate.digest.message import build_message
from syndicate.digest.render import render_digest
from syndicate.site.article_pages import render_article_page
from tests.factories import make_config

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIB = timezone(timedelta(hours=7))
TIMEOUT = 30.0

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--disable-dev-shm-usage",  # containers often have a 64 MB /dev/shm
    "--remote-debugging-pipe",
)

# Runs in the page: layout width vs viewport, offending elements, smallest font, and the
# colours (with the first opaque background up the tree) of the text that matters.
MEASURE = r"""
(() => {
  const vw = document.documentElement.clientWidth;
  const over = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > vw + 1 && getComputedStyle(el).display !== 'none') {
      over.push(el.tagName + '.' + el.className + ' right=' + Math.round(r.right));
    }
  }
  const bg = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (c && c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  let minFont = 1e9;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el.getClientRects().length) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden' || cs.opacity === '0') continue;
    let hidden = false;
    for (let p = el; p; p = p.parentElement) {
      if (getComputedStyle(p).display === 'none') { hidden = true; break; }
    }
    if (!hidden) minFont = Math.min(minFont, parseFloat(cs.fontSize));
  }
  const pairs = {};
  for (const sel of SELECTORS) {
    const el = document.querySelector(sel);
    if (el) pairs[sel] = [getComputedStyle(el).color, bg(el)];
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: vw,
    innerWidth: window.innerWidth,
    height: document.documentElement.scrollHeight,
    dark: matchMedia('(prefers-color-scheme: dark)').matches,
    overflowing: over.slice(0, 8),
    minFont,
    pairs,
  };
})()
"""
DIGEST_SELECTORS = [
    ".summary",
    ".title a",
    ".byline",
    ".bullets li",
    ".bio",
    ".footer",
    ".button a",
]
PAGE_SELECTORS = ["article p", "h1", ".meta", ".summary p", "footer a"]


# --------------------------------------------------------------------------- browser


def find_chromium() -> str | None:
    for name in (os.environ.get("SYNDICATE_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class DevTools:
    """A minimal Chrome DevTools Protocol client over --remote-debugging-pipe (fd 3 in, 4 out)."""

    def __init__(self, binary: str, profile: str):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds() -> None:  # in the child: the protocol's fixed descriptors 3 and 4
            # Move both ends above 10 first: a pipe end may itself be fd 3 or 4, and dup2()
            # onto itself neither moves it nor clears close-on-exec.
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)  # dup2 targets are inheritable
            os.dup2(high_w, 4)

        # Chromium logs a lot (D-Bus, GPU) to stderr: a file, so a full pipe never blocks it.
        self.log = open(Path(profile) / "chromium.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            preexec_fn=wire_fds,  # runs before close_fds would close 3 and 4 …
            close_fds=False,  # … but keep it simple: our pipes are CLOEXEC, dup2'd ones not
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict] = []

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the browser may be gone already
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)
        self.log.close()

    def _read_message(self, deadline: float) -> dict:
        import select

        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise RuntimeError("Chromium stopped answering on the DevTools pipe")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(
        self,
        method: str,
        params: dict | None = None,
        session: str | None = None,
        *,
        timeout: float = TIMEOUT,
    ) -> dict:
        self._next_id += 1
        msg: dict = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, session: str, *, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method and ev.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))


@pytest.fixture(scope="module")
def browser():
    binary = find_chromium()
    if binary is None:
        if os.environ.get("SYNDICATE_SKIP_BROWSER") == "1":
            pytest.skip("SYNDICATE_SKIP_BROWSER=1: Chromium rendering checks not run")
        pytest.fail(
            "Chromium not found: install it (Debian: apt-get install -y chromium) or set "
            "SYNDICATE_CHROMIUM=/path/to/chromium; set SYNDICATE_SKIP_BROWSER=1 to skip "
            "these rendering checks explicitly",
            pytrace=False,
        )
    with tempfile.TemporaryDirectory(prefix="syndicate-chromium-") as profile:
        tools = DevTools(binary, profile)
        try:
            yield tools
        finally:
            tools.close()


def render_in(tools: DevTools, path: Path, width: int, scheme: str, selectors, shot: Path) -> dict:
    target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    try:
        tools.send("Page.enable", session=session)
        metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 768}
        tools.send("Emulation.setDeviceMetricsOverride", metrics, session)
        tools.send(
            "Emulation.setEmulatedMedia",
            {"media": "screen", "features": [{"name": "prefers-color-scheme", "value": scheme}]},
            session,
        )
        tools.send("Page.navigate", {"url": path.as_uri()}, session)
        tools.wait_event("Page.loadEventFired", session)
        expr = MEASURE.replace("SELECTORS", json.dumps(list(selectors)))
        result = tools.send(
            "Runtime.evaluate", {"expression": expr, "returnByValue": True}, session
        )["result"]["value"]
        # What a reader sees first (one screen), then the full page: the viewport grown to
        # the page's height (capped) and captured.
        top = tools.send("Page.captureScreenshot", {"format": "png"}, session)["data"]
        shot.with_name(shot.stem + "-top.png").write_bytes(base64.b64decode(top))
        metrics["height"] = min(int(result["height"]), 8000)
        tools.send("Emulation.setDeviceMetricsOverride", metrics, session)
        png = tools.send("Page.captureScreenshot", {"format": "png"}, session)["data"]
        shot.write_bytes(base64.b64decode(png))
        return result
    finally:
        tools.send("Target.closeTarget", {"targetId": target})


# --------------------------------------------------------------------------- colour maths


def _rgb(css: str) -> tuple[float, float, float]:
    nums = css[css.index("(") + 1 : css.index(")")].replace("/", ",").split(",")
    return tuple(float(n) for n in nums[:3])  # type: ignore[return-value]


def _luminance(rgb) -> float:
    def ch(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (ch(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: str, bg: str) -> float:
    a, b = sorted((_luminance(_rgb(fg)), _luminance(_rgb(bg))), reverse=True)
    return (a + 0.05) / (b + 0.05)


# --------------------------------------------------------------------------- content

LONG_WORD = "https://publisher.example/" + "sangat-panjang-" * 8 + "tanpa-spasi"
UNBROKEN = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstalt" * 2


def sample_articles(n: int = 4) -> tuple[Article, ...]:
    bio = (
        "Alexander Rossi is the Creator and Editor for Gadget & Teknologi with a degree in "
        "Information Technology from the University of California, Berkeley. With over 11 "
        "years of experience in technology journalism, Alexander has covered cutting-edge "
        "innovations, product reviews, and digital trends globally."
    )
    return tuple(
        Article(
            source=f"{i:03}.txt",
            title=(
                "Kerja sama militer antara Korea Utara dan Rusia pada umumnya adalah demi "
                "kepentingan Tiongkok dalam melawan Barat"
            ),
            blocks=(
                Block("paragraph", "Lebih dari 11.000 tentara Korea Utara terlibat."),
                Block("item", "Keuntungan geopolitik", "•"),
                Block("heading", "Kemungkinan risiko bagi Tiongkok"),
                Block("paragraph", "Meskipun Tiongkok secara umum menyetujui. " + LONG_WORD),
            ),
            author=Author("Alexander Rossi", bio=bio),
            language="id",
            summary=(
                "Lebih dari 11.000 tentara Korea Utara, dan mungkin lebih, terlibat dalam "
                "pertempuran di pihak Rusia dalam perang melawan Ukraina. Tiongkok mungkin "
                f"melihat keuntungan tertentu dari hal ini. Sumber: {LONG_WORD} {UNBROKEN}"
            ),
            key_bullets=(
                "Tiongkok memandang perang di Ukraina sebagai cara melemahkan fokus AS",
                "Dasar ideologis dan strategis kerja sama " + UNBROKEN,
                "Peran instrumental DPRK",
            ),
            id=f"tag:news.example.org,2026:artikel-{i}",
            slug=f"artikel-{i}",
            published=datetime(2026, 11, 26, 9, i, tzinfo=WIB),
            first_seen=datetime(2026, 11, 26, 9, i, tzinfo=WIB),
        )
        for i in range(n)
    )


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("render")
    cfg = make_config()
    arts = sample_articles()
    digest = Digest("2026-11-27-001", datetime(2026, 11, 27, 7, tzinfo=WIB), arts)
    rendered = render_digest(digest, cfg, web_url="https://news.example.org/digests/x.html")
    msg = build_message(
        rendered,
        Subscriber("reader@example.org", "Pembaca", "t"),
        cfg,
        message_id="<x@news.example.org>",
        unsubscribe_url="https://news.example.org/unsubscribe?token=t",
    )
    # Right-to-left: an Arabic site and articles, one Indonesian article among them.
    cfg_ar = cfg.model_copy(update={"site": cfg.site.model_copy(update={"language": "ar"})})
    arabic = (
        tuple(
            a.with_(
                language="ar",
                title="التعاون العسكري بين كوريا الشمالية وروسيا يخدم مصالح الصين في مواجهة الغرب",
                summary="يشارك أكثر من أحد عشر ألف جندي كوري شمالي في القتال إلى جانب روسيا. " * 3,
                key_bullets=("المكاسب الجيوسياسية", "الأسس الأيديولوجية والاستراتيجية"),
                author=Author("ألكسندر روسي", bio="محرر التكنولوجيا."),
            )
            for a in arts[:2]
        )
        + arts[2:3]
    )
    rtl = render_digest(
        Digest("2026-11-27-002", digest.created, arabic),
        cfg_ar,
        web_url="https://news.example.org/digests/y.html",
    )
    out = {
        "email": msg.get_body(("html",)).get_content(),
        "email-rtl": rtl.html.replace(rtl.unsubscribe_placeholder, "https://x.example/u"),
        "web": rendered.web_html,
        "article": render_article_page(arts[0], cfg),
    }
    paths = {}
    for name, html in out.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(html, encoding="utf-8")
    return paths


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("page", ["email", "email-rtl", "web", "article"])
def test_renders_without_horizontal_scroll_and_readable(browser, pages, page, width, scheme):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"{page}-{width}-{scheme}.png"
    selectors = PAGE_SELECTORS if page == "article" else DIGEST_SELECTORS
    m = render_in(browser, pages[page], width, scheme, selectors, shot)
    assert m["clientWidth"] == width, m
    assert m["dark"] is (scheme == "dark")
    assert m["scrollWidth"] <= m["clientWidth"], f"horizontal scroll: {m['overflowing']}"
    assert m["minFont"] >= 12, m["minFont"]
    assert shot.stat().st_size > 1000
    assert m["pairs"], "none of the text selectors matched"
    for sel, (fg, bg) in m["pairs"].items():
        ratio = contrast(fg, bg)
        assert ratio >= 4.5, f"{sel}: contrast {ratio:.2f} ({fg} on {bg}) at {scheme}"
    body_bg = m["pairs"][selectors[0]][1]
    if scheme == "dark":
        assert _luminance(_rgb(body_bg)) < 0.1, f"dark mode not applied: {body_bg}"
    else:
        assert _luminance(_rgb(body_bg)) > 0.8, body_bg


def test_measurement_catches_overflow(browser, tmp_path):
    """Control: the check above must be able to fail (a fixed 600 px table on a phone)."""
    page = tmp_path / "wide.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width">'
        '</head><body><table width="600"><tr><td>x</td></tr></table></body></html>',
        encoding="utf-8",
    )
    m = render_in(browser, page, 375, "light", ["td"], tmp_path / "wide.png")
    assert m["clientWidth"] == 375 and m["scrollWidth"] > 375
    assert m["overflowing"] and m["dark"] is False

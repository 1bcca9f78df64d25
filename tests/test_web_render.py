"""The site's own pages in headless Chromium at phone and desktop widths, light and dark:
no horizontal scrolling, readable text, enough contrast (the same measurements as the
digest's, tests/test_render_chromium.py). Screenshots go to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.config import Config
from syndicate.core.labels import fill
from syndicate.run.pipeline import run
from syndicate.web.views import labels, page
from tests.test_render_chromium import (  # noqa: F401  (browser is a fixture)
    ARTIFACTS,
    _luminance,
    _rgb,
    browser,
    contrast,
    render_in,
)

SELECTORS = ["main p", "h1", ".masthead a", ".meta", "footer", "label", "button"]


@pytest.fixture(scope="module")
def site_pages(tmp_path_factory) -> dict[str, Path]:
    from syndicate.config import load_config
    from tests.conftest import SAMPLE, write_config

    root = tmp_path_factory.mktemp("site")
    write_config(root)
    (root / "articles" / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    (root / "articles" / "long.md").write_text(
        "---\ntitle: " + "Sangatpanjangsekalitanpaspasi" * 6 + "\nauthor: Penulis Tamu\n"
        # A lead image that is not there (file:// has no /img/): its alt text and width
        # attribute must not push the page sideways.
        "image: /img/lead.png\n---\n"
        "Isi artikel kedua dengan " + "kata" * 40 + " yang panjang.\n",
        encoding="utf-8",
    )
    config: Config = load_config(root / "config.toml")
    run(config, digest="now")
    feeds = config.path("feeds")
    words = labels(config)
    confirm = page(
        config,
        200,
        title_key="confirm_title",
        message=[fill(words["confirm_question"], site="Test Site", email="pembaca@example.org")],
        button=words["confirm_button"],
        show_subscribe=True,
    ).body
    (root / "confirm.html").write_bytes(confirm)
    return {
        "front": feeds / "index.html",
        "articles": feeds / "articles" / "index.html",
        "digests": feeds / "digests" / "index.html",
        "article": next((feeds / "articles").glob("long*.html")),
        "confirm": root / "confirm.html",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1024])
@pytest.mark.parametrize("name", ["front", "articles", "digests", "confirm", "article"])
def test_site_pages_fit_a_phone_and_read_well(browser, site_pages, name, width, scheme):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"site-{name}-{width}-{scheme}.png"
    m = render_in(browser, site_pages[name], width, scheme, SELECTORS, shot)
    assert m["clientWidth"] == width
    assert m["scrollWidth"] <= m["clientWidth"], f"horizontal scroll: {m['overflowing']}"
    assert m["minFont"] >= 12, m["minFont"]
    assert m["pairs"], "none of the selectors matched"
    for sel, (fg, bg) in m["pairs"].items():
        assert contrast(fg, bg) >= 4.5, f"{sel}: {fg} on {bg} ({scheme})"
    body_bg = m["pairs"]["h1"][1]
    assert (
        (_luminance(_rgb(body_bg)) < 0.1) if scheme == "dark" else (_luminance(_rgb(body_bg)) > 0.8)
    )

"""Articles → RSS 2.0, Atom 1.0 and JSON Feed bytes. The only module that touches feedgen.
Issue #5."""

from __future__ import annotations

from collections.abc import Sequence

from syndicate.config import Config
from syndicate.model import Article


def render_feeds(articles: Sequence[Article], config: Config) -> dict[str, bytes]:
    """File name (relative to the feeds folder) → bytes, for every feed document.

    `articles` are stored articles (id, slug, first_seen, published, updated set), any order.
    Deterministic: the same articles give byte-identical output.
    """
    raise NotImplementedError


def ping_hub(hub_url: str, topic_urls: list[str], *, timeout: float = 10) -> None:
    raise NotImplementedError

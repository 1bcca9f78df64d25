"""Articles → digest HTML (jinja2, CSS inlined by premailer) and a plain-text alternative.
Issue #6."""

from __future__ import annotations

from dataclasses import dataclass

from syndicate.config import Config
from syndicate.model import Article, Digest


@dataclass(frozen=True)
class RenderedDigest:
    """Rendered and inlined once per digest; mail.py only fills per-subscriber links."""

    subject: str
    html: str  # may hold a placeholder for the subscriber's unsubscribe URL
    text: str
    web_html: str  # the web version (feeds/digests/<id>.html): no personal links


def render_digest(digest: Digest, config: Config, *, web_url: str) -> RenderedDigest:
    raise NotImplementedError


def render_article_page(article: Article, config: Config) -> str:
    """The article's own web page (feeds/articles/<slug>.html): the link of feed entries
    without a canonical URL."""
    raise NotImplementedError

"""Articles → digest HTML (jinja2, CSS inlined by premailer) and a plain-text alternative.
Issue #6."""

from __future__ import annotations

from dataclasses import dataclass

from syndicate.config import Config
from syndicate.model import Article, Digest


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    html: str  # CSS inlined once per digest; per-subscriber links filled by mail.py
    text: str


def render_digest(digest: Digest, config: Config) -> RenderedDigest:
    raise NotImplementedError


def render_article_page(article: Article, config: Config) -> str:
    """The article's own web page (feeds/articles/<slug>.html): the link of feed entries
    without a canonical URL."""
    raise NotImplementedError

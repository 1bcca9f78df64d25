"""Inbox files → Article. One module per format; chosen by suffix, or by sniffing. Issue #3."""

from __future__ import annotations

from pathlib import Path

from syndicate.model import Article


class ArticleError(Exception):
    """This inbox file cannot be used; str(exc) is the reason, fit for the operator."""


def is_candidate(path: Path) -> bool:
    """False for names publishers' tools use while writing (.*, *.tmp, *.part, *~)."""
    raise NotImplementedError


def read_article(path: Path, *, inbox: Path, max_bytes: int = 5_000_000) -> Article:
    """Read one inbox file; raise ArticleError with a reason for anything unusable."""
    raise NotImplementedError

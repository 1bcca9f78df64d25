"""The exceptions readers raise; they live apart so every reader module can import them."""

from __future__ import annotations


class ArticleError(Exception):
    """This inbox file cannot be used; str(exc) is the reason, fit for the operator."""


class ArticleChanging(ArticleError):
    """The file changed between discovery and reading, or while being read: a publisher is
    still writing it. Not a rejection: skip it quietly and read it again on the next run."""

"""The one exception readers raise; lives apart so every reader module can import it."""

from __future__ import annotations


class ArticleError(Exception):
    """This inbox file cannot be used; str(exc) is the reason, fit for the operator."""

"""syndicate: articles in an inbox → RSS/Atom/JSON feeds and an inlined-CSS email digest."""

from syndicate.text import summarize

__all__ = ["__version__", "summarize"]
__version__ = "0.1.0"

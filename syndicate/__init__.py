"""syndicate: articles in an inbox → RSS/Atom/JSON feeds and an inlined-CSS email digest."""

__all__ = ["DEFAULT_CONFIG_NAME", "DEFAULT_INBOX", "__version__", "summarize"]
__version__ = "0.1.0"
DEFAULT_CONFIG_NAME = "config.toml"  # in the current folder, unless --config says otherwise
DEFAULT_INBOX = "articles"  # paths.inbox (config.py); named here for early_listing.py


def __getattr__(name: str) -> object:
    # The summarizer (and its stop-word lists) only when asked for: every command imports
    # this package, and a no-op run must not pay for it (nor for `typing`: this runs before
    # the early listing's fork, early_listing.py).
    if name == "summarize":
        from syndicate.text import summarize

        return summarize
    raise AttributeError(f"module 'syndicate' has no attribute {name!r}")

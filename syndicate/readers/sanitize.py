"""HTML that came from an inbox file → safe HTML (nh3) or plain text."""

from __future__ import annotations

import html as html_lib
import re

from syndicate.readers.hygiene import single_line

# What an article body may keep. No forms, frames, media players or styling: the body ends up
# in feeds and in email, where anything active is either stripped by clients or dangerous.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dfn",
        "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small",
        "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time",
        "tr", "u", "ul", "bdi", "bdo", "ruby", "rt", "rp",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "reversed"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    # dir/lang keep right-to-left and mixed-language passages rendering correctly.
    "*": {"dir", "lang"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def clean_html(markup: str) -> str:
    """Sanitize untrusted HTML: no scripts, event handlers, styles or javascript: URLs."""
    import nh3

    cleaned = nh3.clean(
        markup,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return cleaned.strip()


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment, on one line (script/style contents dropped)."""
    import nh3

    text = nh3.clean(markup, tags=set(), attributes={})
    text = html_lib.unescape(text)
    return single_line(re.sub(r"\s+", " ", text))

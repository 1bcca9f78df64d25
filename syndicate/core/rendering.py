"""What every rendered page and message shares: text hygiene for output, the locale helpers
(direction, dates), the one Jinja environment over the user's and the built-in templates, and
the article view the templates see. The digest (digest/render.py), the site's pages (site/),
the mail headers (digest/message.py) and the service's pages (web/) all render through here.

Article text is data: it goes through jinja2 autoescaping and is never compiled as a template.
jinja2 and Babel are imported where a template is first loaded and a date first written, so
a command that renders nothing never loads them.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from syndicate.config import Config
from syndicate.core.files import BUILTIN_TEMPLATES
from syndicate.core.language import primary_subtag
from syndicate.core.model import Article, article_link

if TYPE_CHECKING:
    import jinja2
    from babel import Locale

# The templates that ship with syndicate (files.BUILTIN_TEMPLATES) are the fallback for any
# file missing from the user's templates folder (config.paths.templates), so a user can
# override one file, not all of them.
TEXT_WIDTH = 78  # plain-text alternative, RFC 5322's recommended line length
# Scripts written right to left; Babel knows most locales, this covers unknown/partial ones.
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ku", "ps", "sd", "ug", "ur", "yi"}
)


# --------------------------------------------------------------------------- text hygiene

# C0/C1 controls, BOM/non-characters, and lone surrogates (they cannot even be encoded).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\ufffe\uffff\ud800-\udfff]")
# Bidi embeddings/overrides/isolates: in a subject they can make text display reversed.
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]+")


def clean_text(s: str) -> str:
    """Drop control characters (lxml and mail clients choke on them); keep newlines."""
    s = s.replace("\r\n", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _CONTROL.sub("", s.replace("\r", "\n"))


def one_line(s: str, limit: int = 0) -> str:
    """A single line with no line breaks or controls: safe for headers and titles.

    Line/paragraph separators and controls become spaces (the email package refuses U+2028
    in headers, CR/LF would end the header); bidi overrides go. Other format characters stay:
    ZWNJ/ZWJ are spelling in Persian and parts of emoji.
    """
    s = _BIDI_CONTROLS.sub("", _LINE_BREAKS.sub(" ", s))
    s = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch for ch in s)
    s = " ".join(s.split())
    if limit and len(s) > limit:
        s = s[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:–—-") + "…"
    return s


def site_link(url: str, config: Config, *, local: bool) -> str:
    """`url` as a page shows it: on the site's own pages (`local`) a URL under base_url
    becomes root-relative (SiteConfig.root), so the pages browse wherever they are served;
    mail and feeds, read elsewhere, keep it absolute."""
    base = config.site.base_url
    if local and url.startswith(base):
        return config.site.root + url[len(base) :]
    return url


def image_url(url: str | None, config: Config) -> str:
    """An image's absolute http(s) URL (a relative one is taken from base_url), or "":
    an article's lead image (front matter or sidecar `image`, an HTML page's og:image) or
    the site's logo."""
    url = clean_text(url or "").strip()
    return safe_url(urljoin(config.site.base_url, url)) if url else ""


def safe_url(url: str | None) -> str:
    """`url` if it is an absolute http(s) URL without spaces or controls, else "".

    Links come from article input: a `javascript:` or `data:` URL must never become an href.
    """
    url = (url or "").strip()
    if not re.match(r"(?i)https?://[^\s/?#]+", url) or re.search(r"[\s\x00-\x1f\x7f<>\"]", url):
        return ""
    return url


_LONG_RUN = re.compile(r"\S{31,}")


def breakable(s: str) -> str:
    """Allow line breaks inside very long unbroken runs (URLs, compounds, hostile input).

    A 120-character word stretches a table-based email past a phone's width in every client;
    CSS (word-break, overflow-wrap) is not honoured everywhere, a zero-width space is. Only
    for HTML: the plain-text part keeps the text as written.
    """

    def split(m: re.Match[str]) -> str:
        run, out = m.group(0), []
        for i, ch in enumerate(run):
            # never before a combining mark: it would detach from its base character
            if i and i % 15 == 0 and unicodedata.category(ch)[0] != "M":
                out.append("\u200b")
            out.append(ch)
        return "".join(out)

    return _LONG_RUN.sub(split, s)


# --------------------------------------------------------------------------- language


@lru_cache(maxsize=64)
def _locale(lang: str) -> Locale:
    from babel import Locale, UnknownLocaleError  # where dates are written

    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        try:
            return Locale.parse(primary_subtag(lang))
        except (UnknownLocaleError, ValueError, TypeError):
            return Locale("en")


def text_direction(lang: str | None) -> str:
    if not lang:
        return "ltr"
    if primary_subtag(lang) in RTL_LANGUAGES:
        return "rtl"
    return "rtl" if _locale(lang).character_order == "right-to-left" else "ltr"


def language_name(tag: str, lang: str) -> str:
    """The language `tag` named in `lang` ("id" in "en": "Indonesian"; in "id": "Indonesia"),
    from CLDR; the tag itself for one CLDR does not know."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name(_locale(lang))
    except (UnknownLocaleError, ValueError, TypeError):
        return tag
    return name or tag


def _local_day(when: datetime | date, tz) -> date:
    # The calendar day in the site's time zone (a naive datetime is taken as it is).
    if isinstance(when, datetime):
        return when.astimezone(tz).date() if when.tzinfo else when.date()
    return when


def format_day(when: datetime | date | None, lang: str, tz) -> str:
    from babel.dates import format_date

    if when is None:
        return ""
    return format_date(_local_day(when, tz), format="long", locale=_locale(lang))


def format_moment(when: datetime, lang: str, tz) -> str:
    """The day (as format_day) and the time of day (CLDR's short time), joined by the
    language's own date-time pattern: "7 December 2026, 07:00", "7 Desember 2026 07.00"."""
    from babel.dates import format_time

    local = when.astimezone(tz) if when.tzinfo else when
    locale = _locale(lang)
    pattern = locale.datetime_formats["medium"]
    pattern = pattern if isinstance(pattern, str) else "{1} {0}"
    time = format_time(local, format="short", locale=locale)
    return pattern.replace("{1}", format_day(local, lang, tz)).replace("{0}", time)


def _iso_day(when: datetime | None, tz) -> str:
    return "" if when is None else _local_day(when, tz).isoformat()


def format_span(start: datetime, end: datetime, lang: str, tz) -> str:
    """ "3–14 Mar 2026", "28 Feb – 3 Mar 2026", "1 Mar 2026" in the reader's language: CLDR's
    interval formats (babel), which know what to repeat and what to drop."""
    from babel.dates import format_date, format_interval

    first, last = _local_day(start, tz), _local_day(end, tz)
    if first == last:
        return format_date(first, format="medium", locale=_locale(lang))
    return format_interval(first, last, "yMMMd", locale=_locale(lang))


# --------------------------------------------------------------------------- jinja


def _wrap(text: str, indent: str = "", first: str | None = None, width: int = TEXT_WIDTH) -> str:
    """textwrap for the plain-text part; never breaks URLs or words, keeps paragraphs."""
    paras = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    out = []
    for i, para in enumerate(paras):
        out.append(
            textwrap.fill(
                " ".join(para.split()),
                width=width,
                initial_indent=first if (first is not None and i == 0) else indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n\n".join(out)


@lru_cache(maxsize=8)
def _environment(templates: str) -> jinja2.Environment:
    import jinja2  # the heavy edge: where a template is first needed

    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(templates)]
    if Path(templates).resolve() != BUILTIN_TEMPLATES:
        loaders.append(jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # .html.j2 escapes; .txt.j2 must not (a text part showing &amp; is a bug too).
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2", "htm.j2", "xml.j2"),
            default_for_string=True,
            default=False,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wrap"] = _wrap
    env.filters["breakable"] = breakable
    return env


def template(config: Config, name: str) -> jinja2.Template:
    """One of the templates (the user's folder first, then the built-in ones), from the one
    environment every page and message shares."""
    return _environment(str(config.path("templates"))).get_template(name)


# --------------------------------------------------------------------------- the article view


@dataclass(frozen=True)
class ArticleView:
    """What the templates see of an article: cleaned strings, links and language."""

    number: int
    title: str
    link: str
    byline: str
    author_name: str
    bio: str
    date: str
    iso_date: str  # the same day for machines (<time datetime>), "" when there is none
    summary: str
    bullets: tuple[str, ...]
    lang: str  # "" when the same as the page's
    dir: str  # "" when the same as the page's
    image: str = ""  # the lead image's URL, "" when there is none


def article_view(
    a: Article, number: int, lang: str, config: Config, labels, *, local: bool = False
) -> ArticleView:
    """The article as the digest, the lists and its own page show it, in a page in `lang`.
    `local`: for the site's own pages, whose links to the site are root-relative."""
    author = a.author.name if a.author else ""
    author = one_line(clean_text(author))
    alang = (a.language or "").strip()
    same = (
        not alang
        or primary_subtag(alang) == primary_subtag(lang)
        or not re.fullmatch(r"[A-Za-z0-9-]+", alang)
    )
    adir = text_direction(alang) if not same else ""
    summary = clean_text(a.summary).strip() or (a.paragraphs[0] if a.paragraphs else "")
    return ArticleView(
        number=number,
        title=one_line(clean_text(a.title)) or "—",
        link=site_link(
            safe_url(article_link(a, config.site.base_url))
            or f"{config.site.base_url}articles/{a.slug}.html",
            config,
            local=local,
        ),
        byline=labels["byline"].replace("{name}", author) if author else "",
        author_name=author,
        bio=clean_text(a.author.bio).strip() if a.author else "",
        date=format_day(a.published or a.first_seen, lang, config.site.tz),
        iso_date=_iso_day(a.published or a.first_seen, config.site.tz),
        summary=clean_text(summary).strip(),
        bullets=tuple(one_line(clean_text(b)) for b in a.key_bullets if b.strip()),
        lang=alang if not same else "",
        dir=adir if adir != text_direction(lang) else "",
        image=site_link(image_url(a.image, config), config, local=local),
    )

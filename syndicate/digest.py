"""Articles → digest HTML (jinja2, CSS inlined by premailer) and a plain-text alternative.
Issue #6.

The digest is rendered and inlined once per digest; the only per-subscriber part, the
unsubscribe URL, is left as an unguessable placeholder that `mail.build_message` replaces.
Article text is data: it goes through jinja2 autoescaping and is never compiled as a template.
"""

from __future__ import annotations

import hashlib
import logging
import re
import textwrap
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from markupsafe import Markup

from syndicate.config import Config
from syndicate.files import BUILTIN_TEMPLATES
from syndicate.labels import fill, labels_for, plural_label
from syndicate.model import Article, Digest, article_link
from syndicate.text import split_sentences

# The templates that ship with syndicate: the fallback for any file missing from the user's
# templates folder (config.paths.templates), so a user can override one file, not all of them.
# In a checkout they are the top-level templates/; a wheel may carry them as package data.
TEXT_WIDTH = 78  # plain-text alternative, RFC 5322's recommended line length
PREHEADER_CHARS = 180  # inbox previews show ~90–140 characters; a bit more is harmless
# Scripts written right to left; Babel knows most locales, this covers unknown/partial ones.
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ku", "ps", "sd", "ug", "ur", "yi"}
)


@dataclass(frozen=True)
class RenderedDigest:
    """Rendered and inlined once per digest; mail.py only fills per-subscriber links."""

    subject: str
    html: str  # may hold a placeholder for the subscriber's unsubscribe URL
    text: str
    web_html: str  # the web version (feeds/digests/<id>.html): no personal links
    # Added by the digest module (default keeps the constructor compatible): the exact token
    # standing for the unsubscribe URL in `html` and `text`. Derived from the content hash,
    # so article text cannot contain it by accident or on purpose.
    unsubscribe_placeholder: str = ""
    created: datetime | None = None  # the digest's creation time: the messages' Date:


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


BIO_CHARS = 200  # the digest shows at most this much of an author's bio; the page shows it all


def digest_bio(bio: str, limit: int = BIO_CHARS) -> str:
    """The bio's first sentence, cut at a word boundary to at most `limit` characters ("…"
    included): a bio printed whole under every entry crowds out the news."""
    first = next(iter(split_sentences(" ".join(bio.split()))), "")
    if len(first) <= limit:
        return first
    cut = first[: limit - 1]
    if not first[limit - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]  # drop the word the limit falls in
    return cut.rstrip(" ,.;:–—-") + "…"


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


def _primary(lang: str) -> str:
    return lang.replace("_", "-").split("-", 1)[0].lower()


@lru_cache(maxsize=64)
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        try:
            return Locale.parse(_primary(lang))
        except (UnknownLocaleError, ValueError, TypeError):
            return Locale("en")


def text_direction(lang: str | None) -> str:
    if not lang:
        return "ltr"
    if _primary(lang) in RTL_LANGUAGES:
        return "rtl"
    return "rtl" if _locale(lang).character_order == "right-to-left" else "ltr"


def format_day(when: datetime | date | None, lang: str, tz) -> str:
    if when is None:
        return ""
    if isinstance(when, datetime):
        when = when.astimezone(tz).date() if when.tzinfo else when.date()
    return format_date(when, format="long", locale=_locale(lang))


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


def _template(config: Config, name: str) -> jinja2.Template:
    return _environment(str(config.path("templates"))).get_template(name)


def _read_css(config: Config, name: str) -> str:
    for folder in (config.path("templates"), BUILTIN_TEMPLATES):
        try:
            return (folder / name).read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
    raise FileNotFoundError(f"{name} not found in {config.path('templates')}")


def _strip_css_comments(css: str) -> str:
    # Comments in the kept block would ship in every message (bytes count toward Gmail's clip).
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S).strip()


# --------------------------------------------------------------------------- premailer


def inline_css(html: str) -> str:
    """Inline the <style> block into style="" attributes, at settings that are safe here.

    - allow_network=False: rendering never fetches a <link> (article HTML is hostile input).
    - strip_important=False: `!important` is what lets @media rules beat inline styles.
    - <style data-premailer="ignore"> (mobile + dark mode) is left untouched by premailer.
    - remove_classes=False: the kept @media rules select by class.
    - cssutils logs every vendor property (mso-*) as an error; its level is set per call
      through premailer's own option instead of touching logging at import.
    """
    from premailer import Premailer  # imported here: premailer pulls in cssutils (slow)

    return Premailer(
        html,
        allow_network=False,
        strip_important=False,
        remove_classes=False,
        keep_style_tags=False,
        disable_validation=True,
        cssutils_logging_level=logging.CRITICAL,
        include_star_selectors=False,
        exclude_pseudoclasses=True,
        align_floating_images=False,
        capitalize_float_margin=False,
        base_url=None,
    ).transform()


# --------------------------------------------------------------------------- render


@dataclass(frozen=True)
class _ArticleView:
    """What the templates see of an article: cleaned strings, links and language."""

    number: int
    title: str
    link: str
    byline: str
    author_name: str
    bio: str
    date: str
    summary: str
    bullets: tuple[str, ...]
    lang: str  # "" when the same as the digest's
    dir: str  # "" when the same as the digest's


def _article_view(a: Article, number: int, lang: str, config: Config, labels) -> _ArticleView:
    author = a.author.name if a.author else ""
    author = one_line(clean_text(author))
    alang = (a.language or "").strip()
    same = (
        not alang or _primary(alang) == _primary(lang) or not re.fullmatch(r"[A-Za-z0-9-]+", alang)
    )
    adir = text_direction(alang) if not same else ""
    summary = clean_text(a.summary).strip() or (a.paragraphs[0] if a.paragraphs else "")
    return _ArticleView(
        number=number,
        title=one_line(clean_text(a.title)) or "—",
        link=safe_url(article_link(a, config.site.base_url))
        or f"{config.site.base_url}articles/{a.slug}.html",
        byline=labels["byline"].replace("{name}", author) if author else "",
        author_name=author,
        bio=clean_text(a.author.bio).strip() if a.author else "",
        date=format_day(a.published or a.first_seen, lang, config.site.tz),
        summary=clean_text(summary).strip(),
        bullets=tuple(one_line(clean_text(b)) for b in a.key_bullets if b.strip()),
        lang=alang if not same else "",
        dir=adir if adir != text_direction(lang) else "",
    )


def _placeholder(digest: Digest, web_url: str) -> str:
    h = hashlib.sha256(repr((digest, web_url)).encode("utf-8", "surrogatepass")).hexdigest()
    return f"SYNDICATE-UNSUBSCRIBE-{h[:24]}"


def digest_subject(digest: Digest, config: Config) -> str:
    lang = config.site.language
    first = digest.articles[0].title if digest.articles else ""
    subject = config.digest.subject.format(
        site=one_line(config.site.title),
        count=len(digest.articles) + digest.omitted,
        date=format_day(digest.created, lang, config.site.tz),
        first_title=one_line(clean_text(first), limit=120),
    )
    # Sanitize the result as well: a config template could carry a newline too.
    return one_line(subject, limit=250)


def render_digest(digest: Digest, config: Config, *, web_url: str) -> RenderedDigest:
    if not digest.articles:
        # "No new articles → no digest" is the pipeline's call; an empty email is never right.
        raise ValueError(f"digest {digest.id!r} has no articles")
    lang = config.site.language or "en"
    labels = labels_for(lang, config.path("templates"))
    site = one_line(config.site.title)
    articles = [
        replace(view, bio=digest_bio(view.bio))
        for view in (
            _article_view(a, i, lang, config, labels) for i, a in enumerate(digest.articles, 1)
        )
    ]
    lead = articles[0].summary if articles else ""
    placeholder = _placeholder(digest, web_url)
    context = {
        "lang": lang,
        "dir": text_direction(lang),
        "labels": labels,
        "site": site,
        "site_url": config.site.base_url,
        "subject": digest_subject(digest, config),
        "date": format_day(digest.created, lang, config.site.tz),
        "intro": plural_label(labels, "intro", len(articles) + digest.omitted, lang),
        "more": plural_label(labels, "more", digest.omitted, lang) if digest.omitted else "",
        "why": labels["why"].replace("{site}", site),
        "articles": articles,
        "preheader": one_line(lead, limit=PREHEADER_CHARS),
        "web_url": web_url,
        "postal_address": one_line(config.site.postal_address),
        "css": _read_css(config, "digest.css"),
        # Jinja must not escape CSS (a `>` selector would become `&gt;`); it is our file.
        "responsive_css": Markup(_strip_css_comments(_read_css(config, "digest-responsive.css"))),
    }
    html_tpl = _template(config, "digest.html.j2")
    html = inline_css(html_tpl.render(context, web=False, unsubscribe_url=placeholder))
    web_html = inline_css(html_tpl.render(context, web=True, unsubscribe_url=""))
    text = _template(config, "digest.txt.j2").render(context, unsubscribe_url=placeholder)
    text = "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"
    return RenderedDigest(
        subject=context["subject"],
        html=html,
        text=text,
        web_html=web_html,
        unsubscribe_placeholder=placeholder,
        created=digest.created,
    )


def render_article_page(article: Article, config: Config) -> str:
    """The article's own web page (feeds/articles/<slug>.html): the link of feed entries
    without a canonical URL."""
    site_lang = config.site.language or "en"
    lang = (article.language or site_lang).strip()
    if not re.fullmatch(r"[A-Za-z0-9-]+", lang):
        lang = site_lang
    labels = labels_for(lang, config.path("templates"))
    view = _article_view(article, 1, lang, config, labels)
    if not article.summary.strip():  # no summary: the page shows the body, not its 1st para twice
        view = replace(view, summary="")
    # Group consecutive list items so they become one <ul>, as the reader saw them.
    groups: list[tuple[str, list[str]]] = []
    for b in article.blocks:
        text = clean_text(b.text).strip()
        if not text:
            continue
        if b.kind == "item" and groups and groups[-1][0] == "item":
            groups[-1][1].append(text)
        else:
            groups.append((b.kind, [text]))
    body_html = ""
    if not groups and article.body_html:
        # Only when the reader produced no blocks. Sanitized again here (it came from input,
        # and a template is the last edge before a browser); images stay out: no tracking or
        # remote loads from our pages.
        import nh3

        body_html = Markup(
            nh3.clean(
                clean_text(article.body_html),
                tags=nh3.ALLOWED_TAGS - {"img"},
                url_schemes={"http", "https", "mailto"},
            )
        )
    return _template(config, "article.html.j2").render(
        body_html=body_html,
        lang=lang,
        dir=text_direction(lang),
        labels=labels,
        site=one_line(config.site.title),
        site_url=config.site.base_url,
        article=view,
        canonical=safe_url(article.url),
        groups=groups,
        tags=tuple(one_line(t) for t in article.tags),
        related=tuple(
            (one_line(clean_text(r.title)), safe_url(r.url)) for r in article.related if r.title
        ),
        location=one_line(article.location or ""),
    )


def render_retracted_page(article: Article, config: Config) -> str:
    """What stays at a retracted article's address: a dated notice, no title, no text."""
    lang = config.site.language or "en"
    labels = labels_for(lang, config.path("templates"))
    date = format_day(article.retracted, lang, config.site.tz)
    return _template(config, "retracted.html.j2").render(
        lang=lang,
        dir=text_direction(lang),
        labels=labels,
        notice=fill(labels["retracted_notice"], date=date),
        site=one_line(config.site.title),
        site_url=config.site.base_url,
    )

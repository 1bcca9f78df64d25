"""Articles → digest HTML (jinja2, CSS inlined by premailer) and a plain-text alternative.
Issue #6.

The digest is rendered and inlined once per digest; the only per-subscriber part, the
unsubscribe URL, is left as an unguessable placeholder that `mail.build_message` replaces.
Article text is data: it goes through jinja2 autoescaping and is never compiled as a template.
What the digest shares with the site's pages (text hygiene, dates and direction, the Jinja
environment, the article view) is in core/rendering.py; the article pages in site/.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from markupsafe import Markup

from syndicate.config import Config
from syndicate.config.newsletters import Newsletter, newsletter_for
from syndicate.core.files import BUILTIN_TEMPLATES
from syndicate.core.labels import fill, labels_for, plural_label
from syndicate.core.language import primary_subtag
from syndicate.core.model import Digest
from syndicate.core.rendering import (
    article_view,
    clean_text,
    format_day,
    image_url,
    one_line,
    template,
    text_direction,
)
from syndicate.text.sentences import split_sentences

PREHEADER_CHARS = 180  # inbox previews show ~90–140 characters; a bit more is harmless


@dataclass(frozen=True)
class RenderedDigest:
    """Rendered and inlined once per digest; digest/message.py only fills per-subscriber links."""

    subject: str
    html: str  # may hold a placeholder for the subscriber's unsubscribe URL
    text: str
    web_html: str  # the web version (feeds/digests/<id>.html): no personal links; "" when
    # rendered in another language than the site's (the web version is the site's)
    # Added by the digest module (default keeps the constructor compatible): the exact token
    # standing for the unsubscribe URL in `html` and `text`. Derived from the content hash,
    # so article text cannot contain it by accident or on purpose.
    unsubscribe_placeholder: str = ""
    created: datetime | None = None  # the digest's creation time: the messages' Date:
    # The token standing for the subscriber's preference page URL, made as the one above.
    preferences_placeholder: str = ""


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
    - disable_basic_attributes=width, height: premailer copies CSS widths into attributes,
      and an image's fluid `width: 100%` would replace its width="536": Outlook for Windows
      (which reads only the attribute) takes a percentage of the file's own width, and
      height="auto" is no attribute at all.
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
        disable_basic_attributes=["width", "height"],
        capitalize_float_margin=False,
        base_url=None,
    ).transform()


# --------------------------------------------------------------------------- render


def message_context(config: Config, lang: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """What every message's templates start from (the digest's, the welcome message's): its
    language and direction, its labels, the site's name and URL."""
    return {
        "lang": lang,
        "dir": text_direction(lang),
        "labels": labels,
        "site": one_line(config.site.title),
        "site_url": config.site.base_url,
    }


def _placeholder(kind: str, digest: Digest, web_url: str, lang: str) -> str:
    seed = repr((digest, web_url, lang)).encode("utf-8", "surrogatepass")
    return f"SYNDICATE-{kind}-{hashlib.sha256(seed).hexdigest()[:24]}"


def digest_subject(
    digest: Digest, config: Config, newsletter: Newsletter | None = None, lang: str = ""
) -> str:
    """The subject line: the newsletter's (or `digest.subject`) in the site's language; in
    another language the `digest_subject` label of that language (labels.toml), so a
    subscriber reads it in theirs. `{site}` is the newsletter's name."""
    newsletter = newsletter or newsletter_for(config, "")
    lang = lang or config.site.language
    first = digest.articles[0].title if digest.articles else ""
    values = {
        "site": one_line(newsletter.name),
        "count": len(digest.articles) + digest.omitted,
        "date": format_day(digest.created, lang, config.site.tz),
        "first_title": one_line(clean_text(first), limit=120),
    }
    if primary_subtag(lang) == primary_subtag(config.site.language):
        subject = newsletter.subject.format(**values)
    else:
        labels = labels_for(lang, config.path("templates"))
        subject = fill(plural_label(labels, "digest_subject", values["count"], lang), **values)
    # Sanitize the result as well: a config template could carry a newline too.
    return one_line(subject, limit=250)


def render_digest(
    digest: Digest,
    config: Config,
    *,
    web_url: str,
    newsletter: Newsletter | None = None,
    lang: str = "",
) -> RenderedDigest:
    """The digest of `newsletter` (None: the one of a config without [[newsletters]]) in
    `lang` (the subscriber's; "": the site's) for its copies, and its web version; the
    articles keep their own language (article_view marks it)."""
    if not digest.articles:
        # "No new articles → no digest" is the pipeline's call; an empty email is never right.
        raise ValueError(f"digest {digest.id!r} has no articles")
    newsletter = newsletter or newsletter_for(config, "")
    lang = lang or config.site.language or "en"
    labels = labels_for(lang, config.path("templates"))
    name = one_line(newsletter.name)
    articles = [
        replace(view, bio=digest_bio(view.bio))
        for view in (
            article_view(a, i, lang, config, labels) for i, a in enumerate(digest.articles, 1)
        )
    ]
    lead = articles[0].summary if articles else ""
    placeholder = _placeholder("UNSUBSCRIBE", digest, web_url, lang)
    preferences = _placeholder("PREFERENCES", digest, web_url, lang)
    context = {
        **message_context(config, lang, labels),
        "logo": image_url(config.site.logo, config),
        "newsletter": name if newsletter.id else "",
        "subject": digest_subject(digest, config, newsletter, lang),
        "date": format_day(digest.created, lang, config.site.tz),
        "article_count": len(articles) + digest.omitted,
        "intro": plural_label(labels, "intro", len(articles) + digest.omitted, lang),
        "more": plural_label(labels, "more", digest.omitted, lang) if digest.omitted else "",
        "why": labels["why"].replace("{site}", name),
        "articles": articles,
        "preheader": one_line(lead, limit=PREHEADER_CHARS),
        "web_url": web_url,
        "postal_address": one_line(config.site.postal_address),
        "css": _read_css(config, "digest.css"),
        # Jinja must not escape CSS (a `>` selector would become `&gt;`); it is our file.
        "responsive_css": Markup(_strip_css_comments(_read_css(config, "digest-responsive.css"))),
    }
    html_tpl = template(config, "digest.html.j2")
    personal = {"unsubscribe_url": placeholder, "preferences_url": preferences}
    html = inline_css(html_tpl.render(context, web=False, **personal))
    # The web version is the site's, in its language: a rendering for the copies in another
    # language leaves it out (one CSS inlining less per language, #23's bench).
    web_html = (
        inline_css(html_tpl.render(context, web=True, unsubscribe_url="", preferences_url=""))
        if lang == (config.site.language or "en")
        else ""
    )
    text = template(config, "digest.txt.j2").render(context, **personal)
    text = "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"
    return RenderedDigest(
        subject=context["subject"],
        html=html,
        text=text,
        web_html=web_html,
        unsubscribe_placeholder=placeholder,
        created=digest.created,
        preferences_placeholder=preferences,
    )

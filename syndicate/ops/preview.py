"""`syndicate preview`: what the next digest would hold, rendered into files as a subscriber
would get it, delivering and recording nothing (`pending_articles` is also what
`syndicate send-test` sends: ops/control.py).

With several newsletters, `preview` renders each one's next digest (or the one
`--newsletter` names), as `send-test` sends each: the console previews one at a time
(preview_files). Files named on the command line go into every chosen newsletter's preview
whatever its filter: the operator asked to see them.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from syndicate.config import Config
from syndicate.config.newsletters import Newsletter, chosen_newsletters, newsletters
from syndicate.core.files import write_atomic
from syndicate.core.model import Article, Digest, Subscriber, capped_digest, digest_page
from syndicate.delivery.copies import preferences_url, unsubscribe_url
from syndicate.digest.message import MAIL_POLICY, Recipient, build_template
from syndicate.digest.render import render_digest
from syndicate.inbox.changes import inbox_changes, inbox_files
from syndicate.ingest import understand
from syndicate.readers.errors import ArticleError
from syndicate.store.articles import slugify
from syndicate.store.connection import has_state, open_db
from syndicate.store.digests import undigested_articles

# example.com (RFC 2606): reserved, with a null MX (RFC 7505), so nothing is ever delivered
# there; a .invalid address would fail the one address check the copy goes through.
PREVIEW_SUBSCRIBER = Subscriber("preview@example.com", "Preview", "preview")


def preview(
    config: Config, paths: list[Path], out_dir: Path, newsletter: str | None = None
) -> list[tuple[Newsletter, list[Path]]]:
    """Render each newsletter's next digest (`newsletter`, an id: that one's; None: every
    one's, as `send-test` sends them) for the given files (or its pending ones) into
    out_dir: one newsletter's files into out_dir itself, several's each into out_dir/<id>/
    (ids are slugs). Returns each newsletter with the files written (none: nothing to show).

    Touches no state: articles not yet stored get provisional ids and slugs.
    """
    chosen = chosen_newsletters(config, newsletter)
    previews = []
    for n in chosen:
        folder = Path(out_dir) / n.id if len(chosen) > 1 else Path(out_dir)
        written = []
        for name, data in preview_files(config, paths, n).items():
            write_atomic(folder / name, data)
            written.append(folder / name)
        previews.append((n, written))
    return previews


def preview_files(
    config: Config, paths: list[Path], newsletter: Newsletter | None = None
) -> dict[str, bytes]:
    """The digest the given files (or, with none, the articles waiting for `newsletter`'s
    next digest; None: the config's first newsletter's) would make, as `syndicate preview`
    writes it and the console shows it: digest.html, digest.txt, digest-web.html,
    digest.eml. Empty when there is nothing to show."""
    now = datetime.now(config.site.tz)
    newsletter = newsletter or newsletters(config)[0]
    articles = pending_articles(config, now, newsletter) if not paths else []
    articles += [_provisional(understand(p, config), now) for p in paths]
    if not articles:
        return {}
    digest = capped_digest("preview", now, articles, config.digest.max_articles)
    web_url = config.site.base_url + digest_page("preview")
    return render_preview(digest, config, web_url=web_url, newsletter=newsletter)


def pending_articles(config: Config, now: datetime, newsletter: Newsletter) -> list[Article]:
    """What `newsletter`'s next digest would hold: stored articles waiting for one, plus
    inbox files not stored yet that it would take (with provisional ids). Reads the state,
    changes nothing."""
    inbox = config.path("inbox")
    articles: list[Article] = []
    if has_state(config):
        conn = open_db(config)
        try:
            articles = undigested_articles(conn, newsletter.id)
            fresh = [inbox / source for source in inbox_changes(conn, config).unread]
        finally:
            conn.close()
    else:
        fresh = inbox_files(inbox)

    for path in fresh:
        try:
            article = _provisional(understand(path, config), now)
        except ArticleError:
            continue
        if newsletter.takes(article.tags, article.language):
            articles.append(article)
    return articles


def _provisional(article: Article, now: datetime) -> Article:
    slug = slugify(Path(article.source).stem)
    return article.with_(
        id=article.url or f"preview:{slug}",
        slug=slug,
        first_seen=now,
        published=article.published or now,
        updated=article.updated or article.published or now,
    )


def render_preview(
    digest: Digest, config: Config, *, web_url: str, newsletter: Newsletter | None = None
) -> dict[str, bytes]:
    """The digest as the subscriber would get it (digest.html, digest.txt, digest-web.html,
    digest.eml), without delivering or recording.

    The .eml is addressed to a reserved preview address and carries a dummy unsubscribe
    token, so it can be opened in a mail client or fed to an email checker as is.
    """
    import email
    from email.message import EmailMessage

    rendered = render_digest(digest, config, web_url=web_url, newsletter=newsletter)
    template = build_template(rendered, config)
    raw = template.copy(
        Recipient(
            PREVIEW_SUBSCRIBER.email,
            PREVIEW_SUBSCRIBER.name,
            f"<preview.{re.sub(r'[^A-Za-z0-9.-]+', '-', digest.id)}@{config.site.domain}>",
            unsubscribe_url(config, PREVIEW_SUBSCRIBER.token),
            preferences_url=preferences_url(config, PREVIEW_SUBSCRIBER.token),
        )
    )
    msg = email.message_from_bytes(raw, _class=EmailMessage, policy=MAIL_POLICY)
    return {
        "digest.html": msg.get_body(("html",)).get_content().encode("utf-8"),
        "digest.txt": msg.get_body(("plain",)).get_content().encode("utf-8"),
        "digest-web.html": rendered.web_html.encode("utf-8"),
        "digest.eml": raw,
    }

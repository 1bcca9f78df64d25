"""Store → files under `paths.feeds`: feeds and archive pages, article pages, digest web
versions, and the front page and lists of articles and digests (pages.py).

Each output is rendered only when what it is rendered from has changed. The inputs of an
output are summed up in a *render key* (the article's stored data, its retraction, the site
config, the templates, syndicate's version); the key is recorded after the file is written.
A run re-renders every output whose key differs from the recorded one, so:
- a config or template change re-renders every page on the next run, not only new ones;
- a run that died half-way (full disk, kill) leaves keys unrecorded and the next run heals;
- a run with nothing new decodes no article and writes no byte;
- `syndicate rebuild` forgets every key and so renders everything again.
Files are written atomically and only when their bytes change (files.write_atomic), so a
re-render that produces the same bytes keeps the file's mtime (HTTP Last-Modified).

What a run costs does not grow with the history:
- a run in which nothing changed reads one key: the fingerprint and the store's articles
  version (every write to articles or digests renews it) are recorded after a full publish,
  and when both are the same (and the main feeds exist) no row is read at all. A file
  deleted by hand is then put back by the next change or by `syndicate rebuild`;
- each feed document set (the main feeds, and each RFC 5005 archive page in three formats)
  has its own key, computed from the light article rows (id, data hash, dates) paginated as
  the feeds are: an edit re-renders the main feeds and the one archive page holding the
  article, and only their articles are decoded;
- existing pages are known from one listing per folder, not a stat per article.
The topic and language feeds (site/topics.py) follow the same rules, one key per topic.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any, NamedTuple

from syndicate import __version__
from syndicate.config import Config
from syndicate.config.newsletters import newsletter_for
from syndicate.core.files import BUILTIN_TEMPLATES, is_temp_name
from syndicate.core.model import Article, article_page, capped_digest, digest_page, epoch_seconds
from syndicate.core.report import RunReport
from syndicate.digest.render import render_digest
from syndicate.site.article_pages import render_article_page, render_retracted_page
from syndicate.site.feeds.archive import Page, file_name, paginate
from syndicate.site.feeds.entries import prepare_entry
from syndicate.site.feeds.jsonfeed import render_json
from syndicate.site.feeds.websub import ping_hub
from syndicate.site.feeds.xml import render_atom, render_rss
from syndicate.site.outputs import Outputs
from syndicate.site.pages import publish_site_pages
from syndicate.site.topics import fill_topics, publish_topics
from syndicate.store.article_rows import ArticleRow, article_rows
from syndicate.store.articles import articles_by_id, articles_version, get_article
from syndicate.store.db import Database
from syndicate.store.digests import digest_articles
from syndicate.store.digests import digest_members as members_by_digest
from syndicate.store.renders import render_key, render_keys, set_render_key

MAIN_FEEDS = ("rss.xml", "atom.xml", "feed.json")
FEEDS_KEY = "feeds"  # "feeds:N": the key of feed page N (0 = the main feeds), all formats
PUBLISH_KEY = "publish"  # one key for everything: the fingerprint and the articles version


@dataclass(frozen=True)
class Pass:
    """One publishing pass over the outputs: what every step writes with and compares
    against. `keys` are the render keys recorded so far; `rows` the light article rows."""

    conn: Database
    config: Config
    report: RunReport
    outputs: Outputs
    fingerprint: str
    keys: dict[str, str]
    rows: list[ArticleRow]

    @cached_property
    def digest_members(self) -> dict[str, list[tuple[str, str, str | None]]]:
        """Every digest's articles (id, data hash, retracted): read once for the digest web
        versions and the list of digests."""
        return members_by_digest(self.conn)

    @cached_property
    def archival(self) -> list[ArticleRow]:
        """The rows in the feeds' archival order (whole seconds first seen, then id): the
        order the site's lists and the topic feeds are cut in."""
        return sorted(self.rows, key=attrgetter("first_seen_s", "id"))

    @cached_property
    def slots(self) -> dict[str, _Slot]:
        """Every article's place in the feeds (main and topic feeds), from its row."""
        return {row.id: _Slot.of(row) for row in self.rows}

    def key(self, *parts: object) -> str:
        """A render key: what an output shows (`parts`) and what every output is rendered
        from (the fingerprint)."""
        return _key(self.fingerprint, *parts)

    def write_page(
        self, name: str, key: str, render: Callable[..., str | None], *args: Any, force=False
    ) -> None:
        """Render (`render(*args)`) and write page `name` unless its recorded key is `key` and
        the file is there (`force`: this run changed what it shows); record the key after the
        write. Arguments rather than a closure: this runs once per stored article."""
        if not force and self.keys.get(name) == key and self.outputs.present(name):
            return
        html = render(*args)
        if html is None:  # its subject is gone since the rows were read
            return
        if self.outputs.write(name, html.encode("utf-8")):
            self.report.pages_written.append(name)
        set_render_key(self.conn, name, key)


def render_fingerprint(config: Config) -> str:
    """Everything outside the store that every output is rendered from: the configuration
    (less what no page shows: subscribers, delivery, schedule, server, limits), the
    templates, syndicate's version."""
    h = hashlib.sha256(__version__.encode())
    settings = config.model_dump(mode="json", by_alias=True)
    for section in ("delivery", "schedule", "server", "limits"):
        settings.pop(section, None)
    settings["digest"].pop("subscribers", None)
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for folder in dict.fromkeys((config.path("templates").resolve(), BUILTIN_TEMPLATES)):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            path = folder / name
            if path.is_file():
                h.update(f"\0{folder}/{name}\0".encode())
                h.update(path.read_bytes())
    return h.hexdigest()


def _key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")).hexdigest()


def publish(
    conn: Database,
    config: Config,
    report: RunReport,
    outputs: Outputs,
    *,
    changed_ids: Iterable[str] = (),
    rendered_digests: Mapping[str, Any] | None = None,
) -> None:
    """Bring every output up to date with the store. `changed_ids`: articles this run
    stored anew or changed (their pages are written even if a key matched by accident);
    `rendered_digests`: digests this run already rendered (id → RenderedDigest), whose web
    versions are used as they are instead of rendering (and CSS-inlining) them again."""
    fingerprint = render_fingerprint(config)
    changed = set(changed_ids)
    whole = _key(fingerprint, articles_version(conn))
    if (
        not changed
        and render_key(conn, PUBLISH_KEY) == whole
        and all(outputs.exists(n) for n in MAIN_FEEDS)
    ):
        return  # nothing any output is rendered from has changed: no row is read

    run = Pass(
        conn,
        config,
        report,
        outputs,
        fingerprint,
        render_keys(conn),
        fill_topics(conn, article_rows(conn)),
    )
    _publish_feeds(run)
    publish_topics(run)
    _publish_article_pages(run, changed)
    _publish_digest_pages(run, rendered_digests or {})
    publish_site_pages(run)
    set_render_key(conn, PUBLISH_KEY, whole)


def announce(config: Config, report: RunReport) -> None:
    """Ping the WebSub hub once for the main feeds this run changed (if a hub is set)."""
    if not config.feed.hub or report.dry_run:
        return
    topics = [config.site.base_url + n for n in report.feeds_written if "/" not in n]
    if not topics:
        return

    try:
        ping_hub(config.feed.hub, topics)
    except Exception as exc:  # the feeds are published; a hub outage is only a warning
        report.warnings.append(f"WebSub hub {config.feed.hub}: {exc}")


class _Slot(NamedTuple):
    """An article's place in the feeds, from its row alone: what `feeds.paginate` sorts and
    cuts by — the same instants `feeds.prepare_entry` computes from the decoded article, as
    whole epoch seconds (its `utc()` drops the microseconds), which compare the same and
    cost less than building 10,000 UTC datetimes."""

    id: str
    order: tuple[int, str]
    published: int
    updated: int
    token: str  # what its entry is rendered from

    @classmethod
    def of(cls, row: ArticleRow) -> _Slot:
        published = row.published_s
        updated = epoch_seconds(row.retracted) if row.retracted else max(row.updated_s, published)
        token = f"{row.id}|{row.data_hash}|{row.retracted}"
        return cls(row.id, (row.first_seen_s, row.id), published, updated, token)


def _publish_feeds(run: Pass) -> None:
    conn, config, report, outputs = run.conn, run.config, run.report, run.outputs
    # feedgen and lxml: only when a feed changes

    renderers = (("rss", render_rss), ("atom", render_atom), ("json", render_json))
    pages = paginate(list(run.slots.values()), config.feed.entries, config.feed.archive_page_size)
    expected: set[str] = set()
    todo = []
    for page in pages:
        names = [file_name(kind, page.number) for kind, _render in renderers]
        expected.update(names)
        slot_key = f"{FEEDS_KEY}:{page.number}"
        key = run.key(
            page.number,
            page.prev_archive,
            page.next_archive,
            *(slot.token for slot in page.entries),
        )
        if run.keys.get(slot_key) != key or not all(outputs.present(n) for n in names):
            todo.append((page, names, slot_key, key))
    wanted = {slot.id for page, *_rest in todo for slot in page.entries}
    entries = {a.id: prepare_entry(a, config) for a in articles_by_id(conn, wanted)}
    for page, names, slot_key, key in todo:
        document = Page(
            page.number,
            tuple(entries[slot.id] for slot in page.entries if slot.id in entries),
            page.prev_archive,
            page.next_archive,
        )
        for (_kind, render), name in zip(renderers, names, strict=True):
            if outputs.write(name, render(document, config)):
                report.feeds_written.append(name)
        set_render_key(conn, slot_key, key)
    # Archive pages that the current settings no longer produce (archive_page_size changed)
    # would sit there unlinked and stale: remove them.
    # One listing, no stat per file: at 10,000 articles the folder holds ~600 pages.
    archive = outputs.root / "archive"
    try:
        with os.scandir(archive) as found:
            files = sorted(entry.name for entry in found if entry.is_file())
    except (FileNotFoundError, NotADirectoryError):
        files = []
    for file in files:
        if f"archive/{file}" in expected or outputs.removed(f"archive/{file}"):
            continue
        outputs.remove(f"archive/{file}")
        if is_temp_name(file):
            report.warnings.append(f"removed {archive / file}, half-written by an interrupted run")
        else:
            report.warnings.append(f"removed stale archive page {archive / file}")


def _publish_article_pages(run: Pass, changed: set[str]) -> None:
    def render(article_id: str) -> str | None:
        article = get_article(run.conn, article_id)
        if article is None:  # gone since the rows were read
            return None
        if article.retracted:
            return render_retracted_page(article, run.config)
        return render_article_page(article, run.config)

    # One pass per stored article on every publish with a change: the key is hashed from a
    # copy of the fingerprint's hash state and an up-to-date page is passed over here, not in
    # write_page (the same keys as run.key), which halves this loop at 10,000 articles.
    prefix = hashlib.sha256(f"{run.fingerprint}\x1f".encode())
    keys, present = run.keys, run.outputs.present
    for row in run.rows:
        name = article_page(row.slug)
        hashed = prefix.copy()
        hashed.update(f"{row.data_hash}\x1f{row.retracted}".encode("utf-8", "surrogatepass"))
        key = hashed.hexdigest()
        if keys.get(name) == key and row.id not in changed and present(name):
            continue
        run.write_page(name, key, render, row.id, force=row.id in changed)


def _publish_digest_pages(run: Pass, rendered_digests: Mapping[str, Any]) -> None:
    def render(digest_id: str, retracted: str | None) -> str | None:
        if digest_id in rendered_digests and retracted is None:
            return rendered_digests[digest_id].web_html  # made by this run a moment ago
        return render_digest_web_version(
            run.conn, run.config, digest_id, all_retracted_at=retracted
        )

    for digest_id, members in sorted(run.digest_members.items()):
        retracted = max((r for _i, _h, r in members if r), default=None)
        run.write_page(
            digest_page(digest_id),
            run.key(digest_id, *(f"{i}|{h}|{r}" for i, h, r in members)),
            render,
            digest_id,
            retracted,
        )


def render_digest_web_version(
    conn: Database, config: Config, digest_id: str, *, all_retracted_at: str | None = None
) -> str | None:
    """The web version of a stored digest as it stands now (retracted articles left out;
    a notice dated `all_retracted_at` if none is left)."""
    found = digest_articles(conn, digest_id)
    if found is None:
        return None
    created, articles, newsletter = found
    if not articles:  # every article in it was retracted
        from datetime import datetime

        when = datetime.fromisoformat(all_retracted_at) if all_retracted_at else created
        notice = Article(source="", title="", blocks=(), retracted=when)
        return render_retracted_page(notice, config)
    digest = capped_digest(digest_id, created, articles, config.digest.max_articles)
    web_url = config.site.base_url + digest_page(digest_id)
    rendered = render_digest(
        digest, config, web_url=web_url, newsletter=newsletter_for(config, newsletter)
    )
    return rendered.web_html

"""Topic and language feeds (#23): `feeds/tags/<tag>/` and `feeds/lang/<tag>/`, each with
`rss.xml`, `atom.xml`, `feed.json` and an `index.html` that announces them
(`<link rel="alternate">`), for every tag and language that has articles.

Decisions:
- What a topic is (core/topics.py) is stored with each article's light row, so publishing
  groups the rows by topic without decoding an article; rows stored before that was kept
  (a state from before schema 7, `state adopt`) are decoded once and their topics recorded
  (`fill_topics`).
- A topic feed is the newest `feed.entries` articles of the topic in the feeds' archival
  order (first seen, then id), one document per format, without archive pages or hub: the
  full history is the main feed's archive, and the hub is pinged for the main feeds. A
  retracted article stays in its place as in the main feed (an Atom tombstone, gone from
  RSS and JSON Feed). Entries keep their ids: one article is one entry wherever it appears
  (a reader following two feeds sees it once; newsboat keys on the id alone).
- History-independent like the main feeds: each topic has a render key made of its
  entries' tokens (id, data hash, retraction) and the render fingerprint; a run renders
  and decodes only the topics whose entries changed, and a run in which nothing changed
  reads no row at all (publish.py's first check).
- A topic that has no article left (its tag edited away) loses its files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from syndicate.core.labels import fill
from syndicate.core.rendering import article_view, language_name, one_line
from syndicate.core.topics import LANGUAGES, TAGS, article_topics, topic_slug
from syndicate.site.feeds.archive import (
    ATOM_TYPE,
    JSON_TYPE,
    RSS_TYPE,
    Channel,
    Page,
    document_url,
    file_name,
    paginate,
)
from syndicate.site.feeds.entries import prepare_entry
from syndicate.site.feeds.jsonfeed import render_json
from syndicate.site.feeds.xml import render_atom, render_rss
from syndicate.site.pages import page_context, render
from syndicate.store.article_rows import ArticleRow, set_topics
from syndicate.store.articles import articles_by_id
from syndicate.store.db import Database
from syndicate.store.renders import set_render_key

if TYPE_CHECKING:
    from syndicate.core.model import Article
    from syndicate.site.publish import Pass

TOPIC_KEY = "topic"  # "topic:tags/ports": the render key of one topic's four files
_RENDERERS = (("rss", render_rss), ("atom", render_atom), ("json", render_json))
_TYPES = {"rss": RSS_TYPE, "atom": ATOM_TYPE, "json": JSON_TYPE}


def fill_topics(conn: Database, rows: list[ArticleRow]) -> list[ArticleRow]:
    """`rows` with every article's topics known: those not recorded yet are decoded once
    and recorded."""
    missing = [r.id for r in rows if r.topics is None]
    if not missing:
        return rows
    found = {a.id: article_topics(a.tags, a.language) for a in articles_by_id(conn, missing)}
    set_topics(conn, found)
    return [r._replace(topics=found.get(r.id, "")) if r.topics is None else r for r in rows]


def publish_topics(run: Pass) -> None:
    """Bring every topic's feeds and page up to date (called by publish.publish)."""
    groups: dict[str, list[ArticleRow]] = {}
    for row in run.archival:
        for topic in (row.topics or "").split():
            groups.setdefault(topic, []).append(row)
    todo = []
    for topic, rows in sorted(groups.items()):
        newest = rows[-run.config.feed.entries :]
        key = run.key(TOPIC_KEY, topic, *(run.slots[r.id].token for r in newest))
        names = _names(topic)
        if run.keys.get(f"{TOPIC_KEY}:{topic}") != key or not all(map(run.outputs.present, names)):
            todo.append((topic, newest, key))
    wanted = {r.id for _topic, rows, _key in todo for r in rows}
    articles = {a.id: a for a in articles_by_id(run.conn, wanted)} if wanted else {}
    for topic, rows, key in todo:
        _publish_topic(run, topic, [articles[r.id] for r in rows if r.id in articles])
        set_render_key(run.conn, f"{TOPIC_KEY}:{topic}", key)
    _remove_stale(run, set(groups))


def _names(topic: str) -> list[str]:
    folder = f"{topic}/"
    return [
        *(file_name(kind, 0, Channel(folder)) for kind, _r in _RENDERERS),
        f"{folder}index.html",
    ]


def _publish_topic(run: Pass, topic: str, articles: Sequence[Article]) -> None:
    config = run.config
    kind, _slash, name = topic.partition("/")
    heading = _heading(run, kind, name, articles)
    site = one_line(config.site.title)
    channel = Channel(
        folder=f"{topic}/",
        title=f"{site}: {heading}",
        language=name if kind == LANGUAGES else "",
        home=f"{config.site.base_url}{quote(topic)}/",
    )
    entries = [prepare_entry(a, config) for a in articles]
    # One page of them all (the caller cut the newest), newest first as the main feed is.
    document = paginate(entries, len(entries) or 1, len(entries) + 1)[0]
    for kind_name, renderer in _RENDERERS:
        name_ = file_name(kind_name, 0, channel)
        if run.outputs.write(name_, renderer(document, config, channel)):
            run.report.feeds_written.append(name_)
    html = _topic_page(run, channel, heading, document, articles)
    if run.outputs.write(f"{topic}/index.html", html.encode("utf-8")):
        run.report.pages_written.append(f"{topic}/index.html")


def _heading(run: Pass, kind: str, name: str, articles: Sequence[Article]) -> str:
    labels = page_context(run.config)["labels"]
    if kind == LANGUAGES:
        return fill(
            labels["topic_language_title"], language=language_name(name, run.config.site.language)
        )
    # The tag as its newest article spells it ("Ports & Harbours"), not its slug.
    spelled = next((t for a in reversed(articles) for t in a.tags if topic_slug(t) == name), name)
    return fill(labels["topic_tag_title"], tag=one_line(spelled))


def _topic_page(
    run: Pass, channel: Channel, heading: str, document: Page, articles: Sequence[Article]
) -> str:
    config = run.config
    context = page_context(config)
    by_id = {a.id: a for a in articles}
    lang = context["lang"]
    views = [
        article_view(by_id[e.id], n, lang, config, context["labels"], local=True)
        for n, e in enumerate((e for e in document.entries if not e.deleted), 1)
        if e.id in by_id
    ]
    root = config.site.root
    feeds = tuple(
        (_TYPES[kind], f"{channel.title} ({label})", document_url(root, kind, 0, channel))
        for (kind, _r), label in zip(_RENDERERS, ("RSS", "Atom", "JSON Feed"), strict=True)
    )
    return render(
        config,
        "topic.html.j2",
        heading=heading,
        articles=views,
        feeds=feeds,
        canonical=channel.home,
    )


def _remove_stale(run: Pass, topics: set[str]) -> None:
    """The files of topics no article has any more (one listing per kind of topic)."""
    for kind in (TAGS, LANGUAGES):
        try:
            with os.scandir(run.outputs.root / kind) as found:
                folders = sorted(entry.name for entry in found if entry.is_dir())
        except (FileNotFoundError, NotADirectoryError):
            continue
        for folder in folders:
            if f"{kind}/{folder}" in topics:
                continue
            for name in _names(f"{kind}/{folder}"):
                if run.outputs.present(name) and not run.outputs.removed(name):
                    run.outputs.remove(name)

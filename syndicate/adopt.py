"""`syndicate state adopt`: rebuild the state from the outputs it wrote, so that a lost or
old state costs nothing: same ids, nothing resent, unsubscribe links still working.

Into whatever state there is (a new, empty one; a restored backup; a state that was
replaced), under the run lock and in one transaction, it adds what the outputs show and the
state lacks — never removing or re-minting anything it already knows:

1. Articles. Each inbox file the state does not know as it is now is read and matched to the
   feed entry it became: by canonical URL (= the entry id), by the slug in its `tag:` id or
   article page link (the file name's slug, or slug-N), then by title. It is stored under the
   entry's id, slug and dates (published, updated from the feeds; first seen rebuilt to keep
   the feeds' archival order: the page an entry is on bounds it). Entries with no inbox file
   left are kept as stubs from the JSON Feed item, so their ids stay in the feeds; tombstones
   in Atom restore retractions.
2. Digests: every id in feeds/digests/ or the outbox is recorded, so it is never minted again
   (nor its Message-IDs); its articles are those its web version links to, plus older ones
   not shown (a digest shows the newest `digest.max_articles`) — an article earlier in
   archival order than one a digest announced was announced by that digest or an earlier one.
   Its creation time is its messages' Date: (else its web version's mtime).
3. Deliveries: every message in the outbox (Maildir new/ and cur/, .eml) is marked sent;
   its recipient is added as a subscriber if unknown, with the unsubscribe token its message
   carries. Resends are counted so their numbered Message-IDs are not reused. With SMTP
   nothing local tells what the relay took: a restored (older) state's queued deliveries are
   held as `in_doubt` for the operator instead of being sent again.
4. Unsubscribes: a subscriber the state knows keeps its status (a restored backup keeps
   every unsubscribe up to the backup). The outputs hold no record of unsubscribes: without
   any state, people who left since their last message would be active again; the report
   says so, and `--subscribers FILE.csv` (a `subscribers export`) applies their choices.
5. The stamp: the state takes on the outputs' identity and a generation no lower than
   theirs, so the stamps stay byte-identical like every other output.

Finally every output is rendered from the adopted state and compared with the files (nothing
is written): the report lists any that the next run would change.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syndicate import state, store
from syndicate.config import Config
from syndicate.evidence import (
    FeedEntry,
    canonical_slugs,
    read_digest_pages,
    read_feed_entries,
    read_outbox,
)
from syndicate.model import Article, Author


@dataclass
class AdoptReport:
    articles: int = 0  # adopted from inbox files
    stubs: int = 0  # adopted from the feeds alone (their inbox file is gone)
    known: int = 0  # already in the state
    digests: int = 0
    deliveries: int = 0
    subscribers: int = 0
    resends: int = 0
    held: int = 0
    state_id: str = ""
    generation: int = 0
    would_change: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def adopt(config: Config, now: datetime, *, subscribers_csv: Path | None = None) -> AdoptReport:
    from syndicate.pipeline import run_lock

    report = AdoptReport()
    with run_lock(config):
        conn = state.open_db(config)
        try:
            stamps = _stamps(config)
            older = any(s.generation > store.generation(conn) for s in stamps.values())
            with store.transaction(conn):
                _adopt_all(conn, config, now, report, older=older)
                if subscribers_csv is not None:
                    _apply_roster(conn, subscribers_csv, now, report)
                _take_identity(conn, config, stamps, report)
            _verify(conn, config, report)
        finally:
            conn.close()
    return report


def _stamps(config: Config) -> dict[str, state.Stamp]:
    found = {n: state.read_stamp(f) for n, f in state.targets(config).items()}
    stamps = {n: s for n, s in found.items() if s is not None}
    if len({s.state_id for s in stamps.values()}) > 1:
        where = ", ".join(
            f"{state.targets(config)[n]}: {s.state_id[:8]}" for n, s in stamps.items()
        )
        raise store.StateError(
            f"the outputs come from two different states ({where}); point paths.feeds and"
            " paths.outbox at the outputs of one site"
        )
    return stamps


def _adopt_all(
    conn: store.Database, config: Config, now: datetime, report: AdoptReport, *, older: bool
) -> None:
    entries = read_feed_entries(config.path("feeds"))
    known = store.stored_identities(conn)
    report.known = sum(1 for i in entries if i in known)
    matches, slugs = _match_inbox(conn, config, entries, known)
    exact = {m.entry.id for m in matches if m.article.published is None}
    first_seen = _first_seen(conn, entries, exact)
    _adopt_articles(conn, config, entries, known, slugs, matches, first_seen, report)
    _adopt_digests(conn, config, entries, first_seen, report)
    _adopt_outbox(conn, config, now, report)
    if older and config.delivery.method == "smtp":
        report.held = store.hold_open_deliveries(
            conn,
            "restored state: may have been sent after the backup; check the relay's log,"
            " then `syndicate digest resend` where needed",
        )


# ---------------------------------------------------------------- articles


@dataclass(frozen=True)
class _Match:
    article: Article
    entry: FeedEntry
    source: str
    file_hash: str


def _match_inbox(
    conn: store.Database,
    config: Config,
    entries: dict[str, FeedEntry],
    known: dict,
) -> tuple[list[_Match], dict[str, str | None]]:
    """The inbox files whose feed entry the state lacks (or shows older than the feeds)."""
    from syndicate.feeds.entries import base_url
    from syndicate.ingest import _fingerprint, inbox_files, source_name, understand
    from syndicate.readers import ArticleError

    base = base_url(config)
    canonical = canonical_slugs(config.path("feeds"))
    slugs = {i: _slug_of(e, base, canonical) for i, e in entries.items()}
    by_source = {src: (i, h) for i, (src, _slug, h) in known.items()}
    claimed = {i for i, (src, _s, _h) in known.items()}
    found = []
    inbox = config.path("inbox")
    for path in inbox_files(inbox):
        source = source_name(path, inbox)
        try:
            file_hash, _st = _fingerprint(path, config.limits.max_article_bytes)
        except OSError:
            continue
        stored_id, stored_hash = by_source.get(source, (None, None))
        if stored_hash is not None and stored_hash == file_hash:
            continue
        try:
            article = understand(path, config)
        except (ArticleError, OSError, ValueError):
            continue  # the next run reports it
        entry = _match(article, source, entries, slugs, claimed, stored_id)
        if entry is None:
            continue  # not published yet: the next run ingests it as new (or updated)
        if stored_id is not None and not _feeds_show_edit(conn, entry):
            continue  # the edit is newer than the feeds: the next run publishes it
        claimed.add(entry.id)
        found.append(_Match(article, entry, source, file_hash))
    return found, slugs


def _first_seen(
    conn: store.Database, entries: dict[str, FeedEntry], exact: set[str]
) -> dict[str, datetime]:
    """A first-seen time per entry, in the feeds' archival order. Stored ones are as stored;
    an undated article's is its publication time (the store dated it by first sight); a
    dated one's is unknown: no earlier than the entries on earlier archive pages, nor its
    own date. Each is pushed just past the previous entry where that order needs it."""
    stored = {r.id: r.first_seen for r in store.article_rows(conn)}
    pages: dict[int, list[FeedEntry]] = {}
    for e in entries.values():
        pages.setdefault(e.page, []).append(e)
    result: dict[str, datetime] = {}
    prev: tuple[datetime, str] | None = None
    for number in sorted(pages):
        floor = prev[0] if prev else _EPOCH
        guess = {}
        for e in pages[number]:
            if e.id in stored:
                guess[e.id] = stored[e.id]
            elif e.id in exact and e.published:
                guess[e.id] = e.published
            else:  # a tombstone has no date of its own but its retraction: the floor
                guess[e.id] = max(_sec(e.published or _EPOCH), _sec(floor))
        for e in sorted(pages[number], key=lambda e: (_sec(guess[e.id]), e.id)):
            fs = guess[e.id]
            if e.id not in stored and prev and (_sec(fs), e.id) < (_sec(prev[0]), prev[1]):
                fs = _sec(prev[0]) + timedelta(seconds=1)
            result[e.id] = fs
            prev = (fs, e.id)
    return result


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _sec(dt: datetime) -> datetime:
    from syndicate.feeds.entries import utc

    return utc(dt)


def _slug_of(entry: FeedEntry, base: str, canonical: dict[str, str]) -> str | None:
    if entry.id.startswith("tag:") and ":" in entry.id[4:]:
        return entry.id.rsplit(":", 1)[1]
    prefix = base + "articles/"
    if entry.link.startswith(prefix) and entry.link.endswith(".html"):
        return entry.link[len(prefix) : -len(".html")]
    return canonical.get(entry.id)


def _adopt_articles(
    conn: store.Database,
    config: Config,
    entries: dict[str, FeedEntry],
    known: dict,
    slugs: dict[str, str | None],
    matches: list[_Match],
    first_seen: dict[str, datetime],
    report: AdoptReport,
) -> None:
    from syndicate.feeds.entries import base_url

    for m in matches:
        if m.entry.id in known:
            slug = known[m.entry.id][1]
        else:
            slug = slugs.get(m.entry.id) or store.slugify(Path(m.source).stem)
        outcome = _store(conn, config, m.article, m.entry, slug, first_seen, m.file_hash)
        report.articles += outcome == "added"
        if outcome == "conflict":
            report.warnings.append(f"{m.source}: matches entry {m.entry.id}, whose slug is taken")
    matched = {m.entry.id for m in matches}
    base = base_url(config)
    for entry in entries.values():
        if entry.id in matched or entry.id in known:
            continue
        slug = slugs.get(entry.id) or store.slugify(entry.title or entry.id)
        stub = _stub(entry, base, slug)
        hashed = "adopted:" + hashlib.sha256(entry.id.encode()).hexdigest()
        if _store(conn, config, stub, entry, slug, first_seen, hashed) == "added":
            report.stubs += 1
            report.warnings.append(
                f"{entry.id}: no inbox file left; kept from the feeds ({stub.source})"
            )
    for article_id in known:  # retractions made or undone after a restored backup
        if article_id in entries:
            store.set_retraction(conn, article_id, entries[article_id].retracted)


def _match(article, source, entries, slugs, claimed, stored_id) -> FeedEntry | None:
    from syndicate.feeds.entries import plain_text

    if stored_id is not None:
        return entries.get(stored_id)
    if article.url and article.url in entries and article.url not in claimed:
        return entries[article.url]
    free = [e for e in entries.values() if e.id not in claimed]
    base = store.slugify(Path(source).stem)
    pattern = re.compile(rf"^{re.escape(base)}(-\d+)?$")
    by_slug = [e for e in free if pattern.match(slugs.get(e.id) or "")]
    title = plain_text(article.title)
    for group in (
        [e for e in by_slug if slugs.get(e.id) == base],
        [e for e in by_slug if e.title == title],
        by_slug if len(by_slug) == 1 else [],
        [e for e in free if title and e.title == title],
    ):
        if len(group) == 1:
            return group[0]
    return None


def _feeds_show_edit(conn: store.Database, entry: FeedEntry) -> bool:
    row = store.get_article(conn, entry.id)
    if row is None or row.updated is None:
        return True
    return _sec(row.updated) != entry.updated or bool(row.retracted) != bool(entry.retracted)


def _store(conn, config, article, entry, slug, first_seen, file_hash) -> str:
    tz = config.site.tz
    fs = first_seen[entry.id].astimezone(tz)
    published = article.published
    if published is None or entry.published is None or _sec(published) != entry.published:
        published = entry.published.astimezone(tz) if entry.published else fs
    updated = article.updated
    if updated is None or entry.updated is None or _sec(max(updated, published)) != entry.updated:
        updated = entry.updated.astimezone(tz) if entry.updated else published
    stored = article.with_(
        id=entry.id, slug=slug, first_seen=fs, published=published, updated=updated
    )
    return store.adopt_article(
        conn,
        stored,
        file_hash=file_hash,
        content_hash=article.content_hash(),
        retracted_at=entry.retracted.astimezone(tz) if entry.retracted else None,
    )


def _stub(entry: FeedEntry, base: str, slug: str) -> Article:
    item = entry.item
    link = entry.link
    authors = item.get("authors") or []
    return Article(
        source=f".adopted/{slug}",
        title=entry.title,
        blocks=(),
        author=Author(authors[0].get("name", ""), url=authors[0].get("url")) if authors else None,
        language=item.get("language"),
        url=None if link.startswith(base + "articles/") or not link else link,
        tags=tuple(item.get("tags") or ()),
        image=item.get("image"),
        body_html=item.get("content_html") or None,
        summary=item.get("summary", ""),
    )


# ---------------------------------------------------------------- digests and the outbox


def _adopt_digests(
    conn: store.Database,
    config: Config,
    entries: dict[str, FeedEntry],
    first_seen: dict[str, datetime],
    report: AdoptReport,
) -> None:
    """Digests from their web versions and messages. Members: the entries a web version
    links to, and every other article first seen no later than the digest was made (a
    digest takes all that wait); the earliest such digest. Erring this way never mails an
    article twice; the comparison after adoption names any web version whose counts differ."""
    pages = read_digest_pages(config.path("feeds"))
    messages = read_outbox(config.path("outbox"))
    dates: dict[str, datetime] = {}
    for m in messages:
        if m.date and m.resend == 0:
            dates[m.digest_id] = min(dates.get(m.digest_id, m.date), m.date)
    ids = sorted(set(pages) | {m.digest_id for m in messages})
    created = {
        d: dates.get(d) or (pages[d].written if d in pages else None) or _id_date(d, config)
        for d in ids
    }
    ids.sort(key=lambda d: (_sec(created[d]), d))
    link_to_id = {e.link: e.id for e in entries.values() if e.link}
    rows = {r.id: r for r in store.article_rows(conn)}
    shown = {
        d: list(dict.fromkeys(link_to_id[h] for h in pages[d].links if h in link_to_id))
        if d in pages
        else []
        for d in ids
    }
    members = {d: list(shown[d]) for d in ids}
    taken = {i for d in ids for i in shown[d]}
    for article_id, fs in first_seen.items():
        row = rows.get(article_id)
        if article_id in taken or row is None or row.digest_id or row.skipped:
            continue
        owner = next((d for d in ids if _sec(created[d]) >= _sec(fs)), None)
        if owner is not None:
            members[owner].append(article_id)
    existing = store.digest_ids(conn)
    for d in ids:
        extra = sorted(
            members[d][len(shown[d]) :],
            key=lambda i: (-_sec(rows[i].published).timestamp(), i),
        )
        if d in existing:
            store.adopt_digest(conn, d, created[d], extra)  # only marks the articles
            continue
        when = created[d].astimezone(config.site.tz)
        report.digests += store.adopt_digest(conn, d, when, shown[d] + extra)


def _id_date(digest_id: str, config: Config) -> datetime:
    try:
        return datetime.fromisoformat(digest_id[:10]).replace(tzinfo=config.site.tz)
    except ValueError:
        return datetime.now(config.site.tz)


def _adopt_outbox(conn: store.Database, config: Config, now: datetime, report: AdoptReport) -> None:
    resends: dict[tuple[str, str], tuple[int, datetime, str]] = {}
    for m in read_outbox(config.path("outbox")):
        at = m.date or now
        if m.token:
            report.subscribers += store.adopt_subscriber(conn, m.email, m.name, m.token, now)
        if m.resend:
            best = resends.get((m.digest_id, m.email))
            if best is None or best[0] < m.resend:
                resends[(m.digest_id, m.email)] = (m.resend, at, str(m.path))
            continue
        if store.get_subscriber(conn, m.email) is None:
            continue  # erased since: its deliveries carry only a hash
        report.deliveries += store.adopt_delivery(
            conn, m.digest_id, m.email, at.astimezone(config.site.tz), f"adopted: {m.path}"
        )
    for (digest_id, email), (n, at, where) in resends.items():
        report.resends += store.adopt_resends(conn, digest_id, email, n, at, where)
    if report.subscribers:
        report.warnings.append(
            f"{report.subscribers} subscriber(s) restored from the outbox as active: the outputs"
            " cannot tell who unsubscribed after their last message; apply your latest"
            " `syndicate subscribers export` (`subscribers import FILE.csv`: leaving wins)"
            " before the next digest"
        )


def _apply_roster(conn: store.Database, path: Path, now: datetime, report: AdoptReport) -> None:
    from syndicate.roster import import_csv

    rows = import_csv(conn, path, now)
    report.warnings = [w for w in report.warnings if "restored from the outbox" not in w]
    report.warnings.append(f"{path}: {len(rows)} subscriber row(s) applied")


# ---------------------------------------------------------------- identity and the check


def _take_identity(
    conn: store.Database, config: Config, stamps: dict[str, state.Stamp], report: AdoptReport
) -> None:
    if stamps:
        stamp = max(stamps.values(), key=lambda s: s.generation)
        store.set_identity(conn, stamp.state_id, stamp.generation)
    else:  # outputs from before stamps, or none: this state's own identity
        store.bump_generation(conn)
    report.state_id = store.state_id(conn)
    report.generation = store.generation(conn)
    current = state.Stamp(report.state_id, report.generation)
    for name, folder in state.targets(config).items():
        if name in stamps or state.has_outputs(name, folder):
            state.write_stamp(folder, current)


def _verify(conn: store.Database, config: Config, report: AdoptReport) -> None:
    """Render every output from the adopted state and compare, writing nothing; then forget
    the render keys that comparison recorded, so the next run renders (and writes) for real
    whatever differs."""
    from syndicate.publish import Outputs, publish
    from syndicate.report import RunReport

    outputs = Outputs(config.path("feeds"), dry_run=True)
    publish(conn, config, RunReport(dry_run=True), outputs)
    store.forget_render_keys(conn)
    report.would_change = sorted(set(outputs.changed))

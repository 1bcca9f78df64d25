"""Reading back what syndicate published and sent: the evidence `state adopt` rebuilds the
state from (feeds, archive pages, article pages, digest web versions, the outbox).

Readers of our own outputs only, tolerant of anything else lying there: a file that does not
parse is skipped, never a reason to stop. What each output can tell:
- JSON Feed documents (main + archive pages): every live entry's id, link, title, dates and
  content; the page it sits on, which bounds its place in archival (first-seen) order;
- Atom documents: the same ids, plus RFC 6721 tombstones (`at:deleted-entry`) of retracted
  articles, which the other two formats leave out;
- article pages: `<link rel="canonical">` ties a page (its slug) to an article whose id is
  its canonical URL;
- digest web versions: which entries a digest showed (its links), and when it was written;
- the outbox (Maildir new/ and cur/, or .eml files): per message the digest id and resend
  number (its deterministic file name), the recipient (To:), the unsubscribe token
  (List-Unsubscribe) and the digest's creation time (Date:).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from html import unescape
from pathlib import Path

MAIN_PAGE = 1 << 30  # sorts after every archive page number
AT_NS = "http://purl.org/atompub/tombstones/1.0"


@dataclass
class FeedEntry:
    id: str
    page: int  # archive page number, or MAIN_PAGE
    link: str = ""
    title: str = ""
    published: datetime | None = None  # UTC, whole seconds
    updated: datetime | None = None  # UTC, whole seconds (the feeds' sub-second tie-break off)
    retracted: datetime | None = None
    item: dict = field(default_factory=dict)  # the JSON Feed item, for stubs


def _utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).replace(microsecond=0)


def _page_number(path: Path) -> int:
    match = re.search(r"-(\d+)\.\w+$", path.name)
    return int(match.group(1)) if match and path.parent.name == "archive" else MAIN_PAGE


def read_feed_entries(feeds: Path) -> dict[str, FeedEntry]:
    """Every entry the feeds show, by id (an archived entry repeated in the main feed keeps
    its archive page)."""
    entries: dict[str, FeedEntry] = {}
    for path in [feeds / "feed.json", *sorted((feeds / "archive").glob("feed-*.json"))]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        page = _page_number(path)
        for item in doc.get("items", []):
            if not isinstance(item, dict) or not item.get("id"):
                continue
            known = entries.get(item["id"])
            if known is not None and known.page <= page:
                continue
            entries[item["id"]] = FeedEntry(
                id=item["id"],
                page=page,
                link=item.get("url", ""),
                title=item.get("title", ""),
                published=_utc(item.get("date_published")),
                updated=_utc(item.get("date_modified")),
                item=item,
            )
    for path in [feeds / "atom.xml", *sorted((feeds / "archive").glob("atom-*.xml"))]:
        for ref, when in _tombstones(path):
            page = _page_number(path)
            known = entries.get(ref)
            if known is None or known.page > page:
                entries[ref] = FeedEntry(id=ref, page=page, retracted=when)
    return entries


def _tombstones(path: Path) -> list[tuple[str, datetime | None]]:
    if not path.is_file():
        return []
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except (OSError, etree.XMLSyntaxError):
        return []
    return [
        (node.get("ref"), _utc(node.get("when")))
        for node in root.iter(f"{{{AT_NS}}}deleted-entry")
        if node.get("ref")
    ]


def canonical_slugs(feeds: Path) -> dict[str, str]:
    """Canonical URL → slug of its article page."""
    found = {}
    for path in sorted((feeds / "articles").glob("*.html")):
        if path.stem == LIST_PAGE:
            continue
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:8192]
        except OSError:
            continue
        match = re.search(r'<link rel="canonical" href="([^"]+)"', head)
        if match:
            found[unescape(match.group(1))] = path.stem
    return found


# articles/index.html and digests/index.html are the lists (site/pages.py); the store never gives
# an article or a digest that name.
LIST_PAGE = "index"


@dataclass(frozen=True)
class WebDigest:
    id: str
    links: tuple[str, ...]  # every href, in page order
    written: datetime  # the file's mtime: about when the digest was made
    # How many articles it had, shown or not (digest.max_articles caps what is shown): its
    # <meta name="syndicate-digest-articles">; None on a page without it (a custom template,
    # or one written before the tag existed).
    article_count: int | None = None


_ARTICLE_COUNT = re.compile(r'<meta name="syndicate-digest-articles" content="(\d+)"')


def read_digest_pages(feeds: Path) -> dict[str, WebDigest]:
    found = {}
    for path in sorted((feeds / "digests").glob("*.html")):
        if path.stem == LIST_PAGE:  # the list of digests, not one of them
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            continue
        links = tuple(unescape(h) for h in re.findall(r'href="([^"]+)"', text))
        count = _ARTICLE_COUNT.search(text)
        found[path.stem] = WebDigest(path.stem, links, written, int(count[1]) if count else None)
    return found


@dataclass(frozen=True)
class SentMessage:
    digest_id: str
    resend: int  # 0 for the queued delivery, N for `digest resend` number N
    email: str
    name: str
    token: str  # unsubscribe token, "" if none found
    date: datetime | None  # the Date: header: when the digest was made
    path: Path


_MESSAGE_NAME = re.compile(
    r"^(?P<digest>[^.]+)\.(?P<key>[0-9a-f]{16})(?:\.resend-(?P<n>\d+))?\.syndicate"
    r"(?:\.eml)?(?::2,.*)?$"
)
_UNSUBSCRIBE = re.compile(r"<([^<>]*/unsubscribe/([^<>/?#]+))>")


def outbox_files(outbox: Path) -> list[Path]:
    files: list[Path] = []
    for sub in ("new", "cur"):
        if (outbox / sub).is_dir():
            files += sorted((outbox / sub).iterdir())
    if outbox.is_dir():
        files += sorted(outbox.glob("*.eml"))
    return files


def read_outbox(outbox: Path) -> list[SentMessage]:
    """Every digest message in the outbox (test messages and foreign files are skipped)."""
    parser = BytesHeaderParser(policy=default_policy)
    found = []
    for path in outbox_files(outbox):
        match = _MESSAGE_NAME.match(path.name)
        if not match:
            continue
        try:
            with path.open("rb") as fh:
                head = fh.read(65536).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
            headers = parser.parsebytes(head)
            to = headers["To"].addresses[0]
        except (OSError, IndexError, AttributeError, ValueError, TypeError):
            continue
        token = _UNSUBSCRIBE.search(str(headers.get("List-Unsubscribe", "")))
        try:
            date = parsedate_to_datetime(str(headers["Date"])) if headers["Date"] else None
        except (TypeError, ValueError):
            date = None
        found.append(
            SentMessage(
                digest_id=match.group("digest"),
                resend=int(match.group("n") or 0),
                email=to.addr_spec.lower(),
                name=to.display_name,
                token=unescape(token.group(2)) if token else "",
                date=date,
                path=path,
            )
        )
    return found

"""JSON Feed 1.1, written with `json` (feedgen has none) from the same entries as the XML
formats, so the three cannot drift apart."""

from __future__ import annotations

import json
from datetime import datetime

from syndicate.config import Config
from syndicate.site.feeds.entries import absolute_url, base_url, plain_text, site_language
from syndicate.site.feeds.archive import MAIN, Channel, Page, document_url, file_name


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def render_json(page: Page, config: Config, channel: Channel = MAIN) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1); older pages chained via next_url."""
    site = config.site
    base = base_url(config)
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": plain_text(channel.title or site.title) or "Syndicate",
        "home_page_url": channel.home or base,
        "feed_url": document_url(base, "json", page.number, channel),
        "description": plain_text(channel.description or site.description),
        "language": channel.language or site_language(config),
        "authors": [{"name": plain_text(site.title) or "Syndicate"}],
    }
    # JSON Feed wants a square icon (512 px) and a small favicon: both from site.icon; the
    # wide logo is the fallback for the former only.
    icon = absolute_url(site.icon or site.logo, base)
    favicon = absolute_url(site.icon, base)
    if icon:
        feed["icon"] = icon
    if favicon:
        feed["favicon"] = favicon
    if config.feed.hub.strip() and channel == MAIN:
        feed["hubs"] = [{"type": "WebSub", "url": config.feed.hub.strip()}]
    if page.prev_archive:
        # JSON Feed paginates towards older items with next_url.
        feed["next_url"] = base + file_name("json", page.prev_archive)
    items = []
    for e in page.entries:
        if e.deleted:
            continue  # retracted: JSON Feed has no tombstones, the item just goes
        item: dict[str, object] = {
            "id": e.id,
            "url": e.link,
            "title": e.title,
            "content_html": e.content_html,
            "summary": e.summary,
            "date_published": _iso(e.published),
            "date_modified": _iso(e.updated_stamp),
        }
        if e.image:
            item["image"] = e.image
        if e.author:
            author = {"name": e.author}
            if e.author_url:
                author["url"] = e.author_url
            item["authors"] = [author]
        if e.tags:
            item["tags"] = list(e.tags)
        if e.language:
            item["language"] = e.language
        if e.enclosure:
            item["attachments"] = [
                {
                    "url": e.enclosure.url,
                    "mime_type": e.enclosure.type,
                    "size_in_bytes": e.enclosure.length,
                }
            ]
        items.append(item)
    feed["items"] = items
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

"""Articles and configs for the feed tests (issue #5). Fixed dates only: no clock reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from syndicate.config import Config, FeedConfig, SiteConfig
from syndicate.core.model import Article, Author, Block

FEEDS_BASE = "https://news.example.org/"
FEEDS_T0 = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def feeds_config(
    root: Path | None = None, *, entries: int = 50, page: int = 50, hub: str = "", **site: str
) -> Config:
    values = {
        "title": "Kabar Syndicate",
        "description": "Berita dan analisis pilihan.",
        "base_url": FEEDS_BASE,
        "language": "id",
        **site,
    }
    return Config(
        site=SiteConfig(**values),
        feed=FeedConfig(entries=entries, archive_page_size=page, hub=hub),
        root=root or Path("."),
    )


def feeds_article(n: int, **changes: object) -> Article:
    """Article number n: first seen n hours after FEEDS_T0; ids and slugs derive from n."""
    seen = FEEDS_T0 + timedelta(hours=n)
    article = Article(
        source=f"{n:03d}.txt",
        title=f"Artikel nomor {n}",
        blocks=(
            Block("paragraph", f"Paragraf pembuka artikel {n}. Kalimat kedua."),
            Block("heading", "Latar belakang"),
            Block("item", "Poin pertama", marker="•"),
            Block("item", "Poin kedua", marker="•"),
            Block("paragraph", "Paragraf penutup."),
        ),
        author=Author(name="Sari Wulandari", bio="Wartawan senior."),
        language="id",
        published=seen - timedelta(minutes=30),
        updated=None,
        tags=("politik", "asia"),
        summary=f"Ringkasan artikel {n}.",
        key_bullets=("Butir satu.", "Butir dua."),
        id=f"tag:news.example.org,2026:articles/{n:03d}",
        slug=f"artikel-{n:03d}",
        first_seen=seen,
    )
    return article.with_(**changes) if changes else article


HOSTILE_TITLES = (
    "<b>Bold</b> &amp; <script>alert('x')</script> title",
    "Control\x00\x01\x07\x1b\x7f\x85 chars \ufffe\uffff end",
    "CDATA ]]> breaker ]]&gt; twice",
    "Emoji 🎉🇮🇩 and ZWJ 👩‍💻",
    "RTL עברית and العربية mixed",
    "&lt;script&gt;alert(1)&lt;/script&gt; escaped",
    "Lone surrogate \ud800 here",
)


def feeds_hostile_articles() -> list[Article]:
    """Articles whose text tries to break a feed: markup, controls, CDATA ends, huge bodies."""
    out = []
    for i, title in enumerate(HOSTILE_TITLES):
        out.append(
            feeds_article(
                100 + i,
                title=title,
                summary=title + " <i>summary</i> \x0b",
                author=Author(name=f"<b>Eve</b> \x08{i}", bio="]]> bio"),
                tags=("<tag>", "a&b", "", "a&b"),
            )
        )
    words = " ".join(f"kata{i}" for i in range(5000))
    out.append(
        feeds_article(
            120,
            title="Five thousand words",
            blocks=(Block("paragraph", words),),
            summary="",
        )
    )
    out.append(
        feeds_article(
            121,
            title="HTML body with script and relative links",
            body_html=(
                '<p onclick="x()">Read <a href="/about">about</a> and '
                '<a href="javascript:alert(1)">this</a>.</p>'
                "<script>alert(1)</script><style>p{}</style>"
                '<img src="img/a b.png" alt="pic"><p>]]></p><!-- comment -->'
            ),
            url="https://publisher.example.com/2026/11/story.html",
            id="https://publisher.example.com/2026/11/story.html",
        )
    )
    out.append(
        feeds_article(
            122,
            title="English piece",
            language="en",
            author=Author(name="John Smith"),
            image="https://cdn.example.net/lead.jpg",
        )
    )
    return out

"""Hand-built configs and articles for the writer tests (digest, mail, rendering), so those
tests do not depend on the readers or the summarizer."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from syndicate.config import Config, DigestConfig, PathsConfig, SiteConfig
from syndicate.core.model import Article, Author, Block, Digest

REPO = Path(__file__).resolve().parent.parent
WIB = timezone(timedelta(hours=7))
WEB_URL = "https://news.example.org/digests/2026-11-27-001.html"
BIO = (
    "Alexander Rossi is the Creator and Editor for Gadget & Teknologi with a degree in "
    "Information Technology from the University of California, Berkeley."
)
SUMMARY = (
    "Lebih dari 11.000 tentara Korea Utara terlibat dalam pertempuran di pihak Rusia. "
    "Tiongkok mungkin melihat keuntungan tertentu dari kerja sama Pyongyang dengan Moskow."
)
BULLETS = ("Keuntungan geopolitik", "Dasar ideologis dan strategis", "Peran instrumental DPRK")


def make_config(language: str = "id", paths: dict | None = None, **digest) -> Config:
    return Config(
        site=SiteConfig(
            title="Kabar Syndicate",
            base_url="https://news.example.org/",
            language=language,
            timezone="Asia/Jakarta",
            postal_address="Jl. Contoh No. 1, Jakarta 10110, Indonesia",
        ),
        digest=DigestConfig(**{"from_": "Kabar Syndicate <digest@news.example.org>", **digest}),
        paths=PathsConfig(**(paths or {})),
        root=REPO,
    )


def make_article(i: int = 0, **changes) -> Article:
    a = Article(
        source=f"{i:03}.txt",
        title="Kerja sama militer antara Korea Utara dan Rusia demi kepentingan Tiongkok",
        blocks=(
            Block("paragraph", "Lebih dari 11.000 tentara Korea Utara terlibat."),
            Block("item", "Keuntungan geopolitik", "•"),
            Block("item", "Dasar ideologis dan strategis", "•"),
            Block("heading", "Kemungkinan risiko bagi Tiongkok"),
            Block("paragraph", "Meskipun Tiongkok secara umum menyetujui tindakan Korea Utara."),
        ),
        author=Author("Alexander Rossi", bio=BIO),
        language="id",
        summary=SUMMARY,
        key_bullets=BULLETS,
        id=f"tag:news.example.org,2026:artikel-{i}",
        slug=f"artikel-{i}",
        published=datetime(2026, 11, 26, 9, 0, tzinfo=WIB),
        first_seen=datetime(2026, 11, 26, 9, 5, tzinfo=WIB),
    )
    return a.with_(**changes) if changes else a


def make_digest(*articles: Article, n: int = 1) -> Digest:
    arts = articles or tuple(make_article(i) for i in range(n))
    return Digest(id="2026-11-27-001", created=datetime(2026, 11, 27, 7, tzinfo=WIB), articles=arts)

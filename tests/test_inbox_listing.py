"""The inbox listing a no-op run compares: what changes its key and what does not, and the
early listing (a forked child lists the inbox while `run` starts up) that must give the
very key a run's own listing gives, and only ever save work."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from syndicate import ingest
from syndicate.config import Config, load_config
from syndicate.inbox.changes import LISTING_WIRE
from syndicate.inbox.sources import scan_inbox
from syndicate.run import pipeline
from syndicate.store.inbox_index import inbox_index, set_meta_value
from syndicate.store.sqlite import open_store
from tests.conftest import age, counting_fingerprint, record_calls


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    (folder / "2026" / "11").mkdir(parents=True)
    (folder / "satu.txt").write_text("Satu\n\nBerita satu.\n", encoding="utf-8")
    (folder / "dua.md").write_text("# Dua\n\nBerita dua.\n", encoding="utf-8")
    (folder / "dua.md.meta.toml").write_text('author = "Rina"\n', encoding="utf-8")
    (folder / "2026" / "11" / "tiga.txt").write_text("Tiga\n\nBerita tiga.\n", "utf-8")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "empat.txt").write_text("Empat\n\nTersembunyi.\n", "utf-8")
    for path in folder.rglob("*"):
        age(path)
    return folder


def test_the_listing_pairs_sidecars_and_sorts_by_source(inbox: Path):
    listing = scan_inbox(inbox)
    files = listing.files
    assert [f.source for f in files] == ["2026/11/tiga.txt", "dua.md", "satu.txt"]
    assert len(listing) == 3  # the sidecar belongs to dua.md, the hidden folder is skipped
    paired = {f.source: f.sidecar for f in files}
    assert paired["dua.md"] == str(inbox / "dua.md.meta.toml")
    assert paired["satu.txt"] is None
    assert listing.settled(time.time_ns())


def test_listing_through_a_descriptor_or_by_path_gives_the_same_listing(inbox: Path, monkeypatch):
    # The folders are listed through a descriptor where the system allows (listing.py); the
    # path-based fallback must list the same files, nested folders and symlinks included.
    import syndicate.inbox.listing

    (inbox / "2026" / "tautan.txt").symlink_to(inbox / "satu.txt")
    (inbox / "2026" / "putus.txt").symlink_to(inbox / "tidak-ada.txt")  # dangling
    through_fd = syndicate.inbox.listing.list_folder(inbox)
    monkeypatch.setattr(syndicate.inbox.listing, "_BY_FD", False)
    assert syndicate.inbox.listing.list_folder(inbox) == through_fd
    names = through_fd[0]
    assert sorted(names) == sorted(
        ["satu.txt", "dua.md", "dua.md.meta.toml", "2026/11/tiga.txt", "2026/tautan.txt",
         "2026/putus.txt"]
    )  # fmt: skip


def test_a_listing_counts_its_articles_as_its_files_are_made(inbox: Path):
    # len() counts in the wire's bytes; it must agree with the files, whatever the case of a
    # sidecar's name and wherever it falls in the listing (last, nested, or alone).
    (inbox / "2026" / "11" / "TIGA.TXT.META.TOML").write_text('title = "T"\n', "utf-8")
    (inbox / "lima.Meta.Toml").write_text('title = "L"\n', "utf-8")
    (inbox / "metatoml.txt").write_text("Enam\n\nBerita enam.\n", "utf-8")
    listing = scan_inbox(inbox)
    assert len(listing) == len(listing.files) == 4
    only = inbox / "2026" / "11"
    assert len(scan_inbox(only)) == len(scan_inbox(only).files) == 1
    assert len(scan_inbox(inbox / "missing")) == 0


@pytest.mark.parametrize(
    "change",
    [
        "new file",
        "removed file",
        "edit in place, mtime put back",
        "sidecar edit",
        "nested edit",
        "renamed file",
    ],
)
def test_every_change_a_run_must_see_changes_the_key(inbox: Path, change: str):
    before = scan_inbox(inbox).key
    assert scan_inbox(inbox).key == before  # an unchanged folder lists the same
    target = inbox / "satu.txt"
    if change == "new file":
        (inbox / "lima.txt").write_text("Lima\n\nBerita lima.\n", encoding="utf-8")
    elif change == "removed file":
        target.unlink()
    elif change == "edit in place, mtime put back":
        st = target.stat()
        target.write_text("Satu\n\nBerita SATU.\n", encoding="utf-8")  # same size
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # only ctime moves
    elif change == "sidecar edit":
        (inbox / "dua.md.meta.toml").write_text('author = "Rini"\n', encoding="utf-8")
    elif change == "nested edit":
        (inbox / "2026" / "11" / "tiga.txt").write_text("Tiga\n\nDiubah.\n", "utf-8")
    else:
        target.rename(inbox / "satu-baru.txt")
    assert scan_inbox(inbox).key != before


def test_files_being_written_do_not_change_the_key(inbox: Path):
    before = scan_inbox(inbox).key
    for name in (".satu.txt.swp", "#satu.txt#", "satu.txt~", "unduhan.txt.part", "~$tiga.docx"):
        (inbox / name).write_text("sedang ditulis", encoding="utf-8")
    (inbox / ".hidden" / "enam.txt").write_text("Enam\n\nTersembunyi.\n", "utf-8")
    assert scan_inbox(inbox).key == before


@pytest.fixture
def published(site: Path) -> tuple[Config, Path]:
    """The sample site, its files old enough to be trusted, published once (its listing
    recorded)."""
    config = load_config(site / "config.toml")
    inbox = config.path("inbox")
    for path in inbox.iterdir():
        age(path)
    pipeline.run(config, digest="never")
    return config, inbox


def _index_reads(monkeypatch) -> list:
    """What each run asked of the inbox index: None for every row, else the sources."""

    return record_calls(
        monkeypatch,
        ingest,
        "inbox_index",
        lambda conn, sources=None: None if sources is None else sorted(sources),
    )


def test_a_changed_inbox_is_compared_with_the_last_listing_not_row_by_row(site: Path, monkeypatch):
    config = load_config(site / "config.toml")
    inbox = config.path("inbox")
    for name, text in (
        ("dua.txt", "Dua\n\nBerita dua.\n"),
        ("tiga.txt", "Tiga\n\nBerita tiga.\n"),
        ("rusak.txt", ""),  # empty: rejected
    ):
        (inbox / name).write_text(text, encoding="utf-8")
    for path in inbox.iterdir():
        age(path)
    first = pipeline.run(config, digest="never")
    assert len(first.new) == 3 and [r.source for r in first.rejected] == ["rusak.txt"]
    asked = _index_reads(monkeypatch)
    read = counting_fingerprint(monkeypatch)

    (inbox / "baru.txt").write_text("Baru\n\nBerita baru.\n", encoding="utf-8")
    (inbox / "dua.txt").write_text("Dua\n\nBerita dua, diubah.\n", encoding="utf-8")
    (inbox / "tiga.txt").unlink()
    age(inbox / "baru.txt")
    age(inbox / "dua.txt")
    report = pipeline.run(config, digest="never")
    assert asked == [["baru.txt", "dua.txt"]]
    assert sorted(p.name for p in read) == ["baru.txt", "dua.txt"]
    assert [a.source for a in report.new] == ["baru.txt"]
    assert [a.source for a in report.updated] == ["dua.txt"]
    assert report.unchanged == 1  # the sample
    assert [r.source for r in report.still_rejected] == ["rusak.txt"]

    conn = open_store(config.db_path)
    try:
        assert "tiga.txt" not in inbox_index(conn)
    finally:
        conn.close()

    def run_after_writing(name: str, text: str):
        asked.clear()
        (inbox / name).write_text(text, encoding="utf-8")
        age(inbox / name)
        return pipeline.run(config, digest="never")

    # A sidecar that comes or goes changes an article the diff cannot see: every file is
    # compared with the index then.
    report = run_after_writing("baru.txt.meta.toml", 'title = "Judul editor"\n')
    assert asked == [None] and [a.title for a in report.updated] == ["Judul editor"]
    # So is a recorded listing that does not hash to its key.
    conn = open_store(config.db_path)
    set_meta_value(conn, LISTING_WIRE, "bm90IHRoaXM=.AAAA")
    conn.close()
    report = run_after_writing("dua.txt", "Dua\n\nBerita dua, diubah lagi.\n")
    assert asked == [None] and [a.source for a in report.updated] == ["dua.txt"]


def test_a_run_that_left_a_file_unsettled_is_not_compared_with(published, monkeypatch):
    config, inbox = published
    (inbox / "baru.txt").write_text("Baru\n\nBaru saja ditulis.\n", encoding="utf-8")
    pipeline.run(config, digest="never")  # too recent to trust: nothing recorded
    asked = _index_reads(monkeypatch)
    (inbox / "baru.txt").write_text("Baru\n\nDitulis lagi, sama panjang\n", encoding="utf-8")
    report = pipeline.run(config, digest="never")
    assert asked == [None] and [a.source for a in report.updated] == ["baru.txt"]

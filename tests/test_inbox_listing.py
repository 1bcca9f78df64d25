"""The inbox listing a no-op run compares: what changes its key and what does not, and the
early listing (a forked child lists the inbox while `run` starts up) that must give the
very key a run's own listing gives, and only ever save work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from syndicate import ingest, pipeline
from syndicate.cli import main
from syndicate.config import Config, load_config
from syndicate.inbox import Listing, scan_inbox
from tests.conftest import age, counting_fingerprint, record_calls, write_config


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
    import syndicate.listing

    (inbox / "2026" / "tautan.txt").symlink_to(inbox / "satu.txt")
    (inbox / "2026" / "putus.txt").symlink_to(inbox / "tidak-ada.txt")  # dangling
    through_fd = syndicate.listing.list_folder(inbox)
    monkeypatch.setattr(syndicate.listing, "_BY_FD", False)
    assert syndicate.listing.list_folder(inbox) == through_fd
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
    sources, stats = listing.wire
    received = Listing.from_wire(inbox, sources, stats, listing.newest_ns)
    assert received is not None and len(received) == 4
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


_EARLY = """
import json, os, sys
from pathlib import Path
from syndicate.early_listing import list_early
from syndicate.inbox import scan_inbox

inbox = Path(sys.argv[1])
early = list_early(lambda: inbox, min_cpus=1)  # this check holds on one CPU too
received, listed_at = early.listing(inbox)
listing = scan_inbox(inbox)
other = list_early(lambda: inbox, min_cpus=1)
elsewhere = other.listing(inbox.parent)
stopped = list_early(lambda: inbox, min_cpus=1)
stopped.close()
try:
    os.waitpid(stopped._pid, os.WNOHANG)
    reaped = False
except ChildProcessError:
    reaped = True
# A lock the parent held when it forked is free as soon as the parent lets it go, while
# the child is still at work: the child keeps none of the parent's open files.
import fcntl, time
held = os.open(inbox / "lock", os.O_RDWR | os.O_CREAT)
fcntl.flock(held, fcntl.LOCK_EX)
slow = list_early(lambda: (time.sleep(1), inbox)[1], min_cpus=1)
time.sleep(0.2)
os.close(held)
other_open = os.open(inbox / "lock", os.O_RDWR)
try:
    fcntl.flock(other_open, fcntl.LOCK_EX | fcntl.LOCK_NB)
    lock_free = True
except BlockingIOError:
    lock_free = False
slow.close()
os.unlink(inbox / "lock")
def files(found):
    return [
        [f.source, f.location, f.signature, f.sidecar, f.settled(time.time_ns())]
        for f in found.files
    ]
print(json.dumps({
    "files": [files(received), files(listing)],
    "received_key": received.key,
    "listed_at": listed_at,
    "lock_free": lock_free,
    "early": [received.key, len(received), received.newest_ns],
    "own": [listing.key, len(listing), listing.newest_ns],
    "elsewhere": elsewhere,
    "reaped": reaped,
    "settled": received.settled(listed_at),
}))
"""


def test_the_early_listing_gives_the_key_the_run_would_list(inbox: Path):
    # In a child interpreter: the test process may have threads, and the early listing
    # (rightly) never forks a threaded process.
    done = subprocess.run(
        [sys.executable, "-c", _EARLY, str(inbox)], capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout)
    assert found["early"] == found["own"]
    assert found["early"][1] == 3
    # The listing received from the child is the run's own listing, file by file.
    received, own = found["files"]
    assert received == own and len(own) == 3 and found["received_key"] == found["own"][0]
    assert [f[3] is not None for f in own] == [False, True, False]  # dua.md's sidecar
    assert found["elsewhere"] is None  # a listing of another folder is never used
    assert found["reaped"] and found["settled"] and found["lock_free"]
    assert done.stderr == ""


class _Listed:
    """An early listing whose child already answered with `listing`."""

    def __init__(self, listing: Listing, listed_at: int | None = None) -> None:
        self._sent = (listing, time.time_ns() if listed_at is None else listed_at)
        self.asked: list[Path] = []
        self.closed = False

    def listing(self, inbox: Path) -> tuple[Listing, int]:
        self.asked.append(inbox)
        return self._sent

    def close(self) -> None:
        self.closed = True


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


def test_a_run_takes_the_early_listing_instead_of_listing_again(published, monkeypatch):
    config, inbox = published
    listing = scan_inbox(inbox)
    same = _Listed(listing)

    def forbidden(folder):
        raise AssertionError("listed the inbox again")

    monkeypatch.setattr(ingest, "scan_inbox", forbidden)
    report = pipeline.run(config, digest="never", early_listing=same)
    assert same.asked == [inbox] and report.unchanged == 1 and report.new == []

    # Something changed: the run reads what changed, from the child's listing.
    (inbox / "baru.txt").write_text("Baru\n\nBerita baru.\n", encoding="utf-8")
    age(inbox / "baru.txt")
    monkeypatch.undo()
    now = scan_inbox(inbox)
    monkeypatch.setattr(ingest, "scan_inbox", forbidden)
    report = pipeline.run(config, digest="never", early_listing=_Listed(now))
    assert [a.source for a in report.new] == ["baru.txt"]
    report = pipeline.run(config, digest="never", early_listing=_Listed(now))  # recorded
    assert report.new == [] and report.unchanged == 2
    monkeypatch.undo()

    # A file written after the child listed is the next run's, as it would be for a file
    # written just after any listing: never lost.
    (inbox / "lain.txt").write_text("Lain\n\nBerita lain.\n", encoding="utf-8")
    age(inbox / "lain.txt")
    report = pipeline.run(config, digest="never", early_listing=_Listed(now))
    assert report.new == []
    report = pipeline.run(config, digest="never")
    assert [a.source for a in report.new] == ["lain.txt"]

    # A listing that is not settled (a file written within the last seconds) is used, but
    # not recorded as the state of the inbox: the next run compares every file again.
    (inbox / "lain.txt").write_text("Lain\n\nBerita lain, diubah.\n", encoding="utf-8")
    racy = scan_inbox(inbox)
    report = pipeline.run(config, digest="never", early_listing=_Listed(racy))
    assert [a.source for a in report.updated] == ["lain.txt"]
    from syndicate import store

    conn = store.open_store(config.db_path)
    assert store.meta_value(conn, ingest.LISTING_KEY) != racy.key
    conn.close()


def test_run_and_publish_start_the_early_listing_of_the_configured_inbox(site: Path, monkeypatch):
    import syndicate.early_listing

    located: list[Path | None] = []
    monkeypatch.setattr(
        syndicate.early_listing, "list_early", lambda locate: located.append(locate())
    )
    config = site / "config.toml"
    assert main(["--config", str(config), "publish", "--quiet"]) == 0
    assert main(["run", f"--config={config}", "--digest", "never", "--quiet"]) == 0
    monkeypatch.chdir(site)
    assert main(["run", "--dry-run", "--quiet"]) == 0  # ./config.toml
    assert main(["--config", str(config), "status"]) == 0  # lists nothing
    assert [Path(p) for p in located] == [load_config(config).path("inbox")] * 3


def _config_with_inbox(root: Path, inbox_line: str) -> Path:
    """The test config with `inbox_line` ("{absolute}": a folder outside `root`) in [paths]."""
    config_file = write_config(root)
    text = config_file.read_text(encoding="utf-8")
    line = inbox_line.format(absolute=(root / "elsewhere").as_posix())
    config_file.write_text(text.replace("[paths]\n", "[paths]\n" + line), "utf-8")
    return config_file


_INBOX_LINES = [
    "",
    'inbox = "masuk"\n',
    'inbox = "./masuk/"\n',
    'inbox = "masuk//baru/../baru"\n',
    'inbox = "{absolute}"\n',
]


@pytest.mark.parametrize("inbox_line", _INBOX_LINES)
def test_the_child_finds_the_inbox_the_validated_config_names(
    tmp_path: Path, inbox_line: str, monkeypatch
):
    from syndicate.early_listing import inbox_named_in

    config_file = _config_with_inbox(tmp_path, inbox_line)
    assert Path(inbox_named_in(config_file)) == load_config(config_file).path("inbox")
    # From another folder, through a relative path to the config file.
    monkeypatch.chdir(tmp_path.parent)
    relative = Path(tmp_path.name) / "config.toml"
    assert Path(inbox_named_in(relative)) == load_config(relative).path("inbox")


_START = """
import json, os, sys
os.sched_getaffinity = lambda pid: {0, 1}  # the check below holds on one CPU too
from syndicate.early_listing import start
early = start(["--config", sys.argv[1], "run", "--quiet"])  # as the `syndicate` script does
from syndicate.config import load_config
received = early.listing(load_config(sys.argv[1]).path("inbox"))
print(json.dumps([len(received[0]), len(received[0].files)] if received else None))
"""


@pytest.mark.parametrize("inbox_line", _INBOX_LINES)
def test_the_run_takes_the_childs_listing_however_the_config_spells_the_inbox(
    tmp_path: Path, inbox_line: str
):
    # The child names the folder with os.path, the run with pathlib (Config.path): a
    # trailing slash or a "./" must not make the run list the inbox a second time.
    config_file = _config_with_inbox(tmp_path, inbox_line)
    inbox = load_config(config_file).path("inbox")
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "satu.txt").write_text("Satu\n\nBerita satu.\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _START, str(config_file)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert json.loads(done.stdout) == [1, 1]


def test_the_child_gives_up_quietly_on_a_config_it_cannot_read(tmp_path: Path):
    from syndicate.early_listing import inbox_named_in

    assert inbox_named_in(tmp_path / "missing.toml") is None
    (tmp_path / "bad.toml").write_text("[paths\ninbox = ", encoding="utf-8")
    assert inbox_named_in(tmp_path / "bad.toml") is None
    (tmp_path / "odd.toml").write_text("paths = 3\n", encoding="utf-8")
    assert inbox_named_in(tmp_path / "odd.toml") is None


def _seen(listing: Listing) -> list[tuple]:
    return [(f.source, f.location, f.signature, f.sidecar) for f in listing.files]


def test_a_listing_sent_as_bytes_is_the_listing_it_was_made_from(inbox: Path):
    listing = scan_inbox(inbox)
    sources, stats = listing.wire
    again = Listing.from_wire(inbox, sources, stats, listing.newest_ns)
    assert again is not None and _seen(again) == _seen(listing) and len(again) == len(listing)
    assert again.key == listing.key  # the receiver hashes what it received
    flipped = Listing.from_wire(inbox, sources, bytes([stats[0] ^ 1]) + stats[1:], 0)
    assert flipped is not None and flipped.key != listing.key  # one bit of one file's size
    assert Listing.from_wire(inbox, sources, stats[:-8], 0) is None  # a stat short


def _index_reads(monkeypatch) -> list:
    """What each run asked of the inbox index: None for every row, else the sources."""
    from syndicate import store

    return record_calls(
        monkeypatch,
        store,
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
    from syndicate import store

    conn = store.open_store(config.db_path)
    try:
        assert "tiga.txt" not in store.inbox_index(conn)
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
    conn = store.open_store(config.db_path)
    store.set_meta_value(conn, ingest.LISTING_WIRE, "bm90IHRoaXM=.AAAA")
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


_PLAIN = [
    "",
    "[site]\ntitle = 'x'\n",
    '[paths]\ninbox = "masuk"\n',
    "[paths]\ninbox='masuk' # where publishers drop files\nfeeds = \"f\"\n",
    '[paths]  # the folders\n  inbox  =  "sub dir/masuk"  \n[feed]\nentries = 5\n',
    "[paths]\ninbox = 'C:\\masuk'\n",
    '[paths]\ninbox = ""\n',
    '[site]\ntitle = "[paths]"\n[paths]\nfeeds = "f"\n',
    '[paths.extra]\ninbox = "not this one"\n[paths]\ninbox = "masuk"\n',
    '[digest]\nsubscribers = [\n  "a@example.org",\n  "inbox = b@example.org",\n]\n',
]
_UNSURE = [
    'paths = { inbox = "masuk" }\n',
    'paths.inbox = "masuk"\n',
    '[paths]\ninbox = "ma\\u0073uk"\n',
    '[paths]\n"inbox" = "masuk"\n',
    '["paths"]\ninbox = "masuk"\n',
    '[paths]\ninbox = """masuk"""\n',
    '[site]\ndescription = """\n[paths]\ninbox = "x"\n"""\n',
    "[paths]\ninbox = 3\n",
    "[[paths]]\ninbox = 'x'\n",
]


@pytest.mark.parametrize("text", _PLAIN + _UNSURE)
def test_the_childs_own_reading_of_the_inbox_is_tomllibs_or_none(text: str):
    # The child reads paths.inbox without importing tomllib when the config spells it
    # plainly; whatever it reads must be what tomllib reads, and anything else is left to
    # tomllib (early_listing._plain_inbox_setting).
    import tomllib

    from syndicate.early_listing import _plain_inbox_setting

    guess = _plain_inbox_setting(text, "articles")
    if text in _PLAIN:
        assert guess == tomllib.loads(text).get("paths", {}).get("inbox", "articles")
    else:
        assert guess is None

"""A throwaway syndicate site, made and driven the way a user would: a folder with config.toml
and an inbox, and `syndicate` run as a command. Nothing here imports syndicate (see
bench/internals.py for the few things that must)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.measure import REPO, Measured, best_of, run_child

SAMPLE = REPO / "articles" / "000_6bd5c2adaf47451d.txt"

# The digest shows each article's summary and bullets, not its body, so the message size
# hardly depends on this: 15 of these articles make an ~84 KB message with today's templates
# and encoding (#11 measured with 69 KB). run.py prints the real size; the baselines copy it.
PARAGRAPHS = 12


def syndicate_command() -> list[str]:
    """The console script next to this interpreter (what a user types), else `-m syndicate`."""
    script = Path(sys.executable).parent / "syndicate"
    return [str(script)] if script.exists() else [sys.executable, "-m", "syndicate"]


def write_articles(inbox: Path, numbers: range) -> None:
    """No list of the paths is kept: 10,000 Paths would lift the bench's own peak RSS."""
    inbox.mkdir(parents=True, exist_ok=True)
    kept = [p for p in SAMPLE.read_text(encoding="utf-8").split("\n") if p.strip()][:PARAGRAPHS]
    for n in numbers:
        title = f"Kabar {n}: kerja sama militer Korea Utara dan Rusia"
        text = f"{title}\n\n" + "\n\n".join(kept) + f"\n\nCatatan redaksi nomor {n}.\n"
        (inbox / f"kabar-{n:06d}.txt").write_text(text, encoding="utf-8")


def write_ready_articles(inbox: Path, numbers: range) -> list[Path]:
    """Markdown articles whose front matter gives the summary and bullets, so reading one
    costs reading and storing it, not running the summarizer (whose cost does not depend on
    the store and would hide one that does)."""
    inbox.mkdir(parents=True, exist_ok=True)
    kept = [p for p in SAMPLE.read_text(encoding="utf-8").split("\n") if p.strip()]
    paths = []
    for n in numbers:
        path = inbox / f"siap-{n:06d}.md"
        path.write_text(
            "---\n"
            f"title: {json.dumps(f'Kabar siap {n}: kerja sama militer Korea Utara dan Rusia')}\n"
            f"summary: {json.dumps(kept[0])}\n"  # JSON is valid YAML, quoting included
            f"bullets: {json.dumps([kept[1][:120], kept[2][:120], f'Catatan {n}.'])}\n"
            "lang: id\n"
            "---\n" + "\n\n".join(kept[:PARAGRAPHS]) + "\n",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def make_site(root: Path, *, articles: int, delivery: dict[str, str | int] | None = None) -> Path:
    """A site folder with `articles` inbox files and a minimal config; returns config.toml.

    The config names only what the bench needs (every key is optional), so it keeps working
    as the sample config.toml grows.
    """
    root.mkdir(parents=True, exist_ok=True)
    write_articles(root / "articles", range(articles))
    settings = {"method": "maildir", **(delivery or {})}
    lines = [
        "[site]",
        'title = "Kabar Bench"',
        'base_url = "https://news.example.org/"',
        'language = "id"',
        'timezone = "Asia/Jakarta"',
        'postal_address = "Jl. Contoh No. 1, Jakarta 10110, Indonesia"',
        "[paths]",
        f'templates = "{(REPO / "templates").as_posix()}"',
        "[digest]",
        'from = "Kabar Bench <digest@news.example.org>"',
        "max_articles = 15",
        "[delivery]",
        *(f"{k} = {v!r}".replace("'", '"') for k, v in settings.items()),
    ]
    config = root / "config.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def temp_root(label: str) -> Path:
    """A fresh folder on the same disk as the system temp dir (ext4 here, not tmpfs: fsync
    must cost what it costs on a server)."""
    return Path(tempfile.mkdtemp(prefix=f"syndicate-bench-{label}-"))


def remove(root: Path) -> None:
    """`rm -rf` in a child: shutil.rmtree lists a folder into memory first, and 100,000
    outbox entries would lift the bench process's peak RSS, the floor under every child's
    figure (measure.py)."""
    subprocess.run(["rm", "-rf", "--", str(root)], check=False)


def syndicate(config: Path, *args: str, ok_codes: tuple[int, ...] = (0,)) -> Measured:
    """One `syndicate <args> --config config` as a user would run it, measured."""
    return run_child(
        [*syndicate_command(), *args, "--config", str(config)],
        cwd=config.parent,
        ok_codes=ok_codes,
    )


def syndicate_best_of(times: int, config: Path, *args: str) -> Measured:
    return best_of(times, [*syndicate_command(), *args, "--config", str(config)], cwd=config.parent)


def outbox_messages(config: Path) -> list[Path]:
    new = config.parent / "outbox" / "new"
    return sorted(new.iterdir()) if new.is_dir() else []


def outbox_count(config: Path) -> int:
    """Messages in outbox/new/, counted without a list: the bench's own process must stay
    small (see measure.py), and 100,000 Paths would add ~40 MB to every later child's
    reported peak RSS."""
    new = config.parent / "outbox" / "new"
    if not new.is_dir():
        return 0
    with os.scandir(new) as entries:
        return sum(1 for _ in entries)


def fill_cur(config: Path, count: int) -> None:
    """`count` read messages in outbox/cur/, named as a mail client leaves them (empty files:
    only the directory size matters to a scan)."""
    if not count:
        return
    cur = config.parent / "outbox" / "cur"
    for sub in ("tmp", "new", "cur"):
        (config.parent / "outbox" / sub).mkdir(parents=True, exist_ok=True)
    host = os.uname().nodename
    for i in range(count):
        (cur / f"1700000000.M{i}P4242.{host}:2,S").touch()

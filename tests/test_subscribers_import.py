"""`syndicate subscribers import` of a whole list (issue #20): one transaction (all rows or
none after an I/O error), one progress line on a terminal, a summary instead of a line per
row unless --verbose. Its speed against `export` is a bench row (bench/run.py subscribers)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from syndicate.cli import main
from syndicate.config import load_config
from syndicate.store.connection import open_db
from syndicate.store.subscribers import subscribers


def _roster(path: Path, n: int, *, start: int = 0) -> Path:
    rows = "".join(f"reader{i}@list{i % 7}.example.net,Reader {i}\n" for i in range(start, n))
    path.write_text("email,name\n" + rows, encoding="utf-8")
    return path


def _addresses(site: Path) -> set[str]:
    conn = open_db(load_config(site / "config.toml"))
    try:
        return {s.email for s in subscribers(conn)}
    finally:
        conn.close()


def test_a_full_disk_half_way_commits_no_row(site: Path, tmp_path: Path, capsys, monkeypatch):
    config = str(site / "config.toml")
    assert main(["publish", "--config", config]) == 0
    before = _addresses(site)
    real_connect = sqlite3.connect

    def small_disk(*args, **kwargs):
        # SQLite's own "database or disk is full" once the file would grow by ~40 KB: the
        # rows of 3,000 subscribers need far more than that.
        conn = real_connect(*args, **kwargs)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 10}")
        return conn

    monkeypatch.setattr(sqlite3, "connect", small_disk)
    capsys.readouterr()
    roster = _roster(tmp_path / "list.csv", 3000)
    assert main(["subscribers", "import", str(roster), "--config", config]) == 74
    assert "full" in capsys.readouterr().err
    monkeypatch.undo()
    assert _addresses(site) == before  # not one of the 3,000

    assert main(["subscribers", "import", str(roster), "--config", config]) == 0
    assert capsys.readouterr().out == "list.csv: 3,000 rows: 3,000 added\n"
    assert len(_addresses(site) - before) == 3000


def test_rows_already_there_and_new_ones_in_one_file(site: Path, tmp_path: Path, capsys):
    config = str(site / "config.toml")
    first = _roster(tmp_path / "a.csv", 10)
    assert main(["subscribers", "import", str(first), "--config", config]) == 0
    assert main(["subscribers", "remove", "reader3@list3.example.net", "--config", config]) == 0
    capsys.readouterr()
    both = _roster(tmp_path / "b.csv", 15)
    assert main(["subscribers", "import", str(both), "--verbose", "--config", config]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "b.csv:2: reader0@list0.example.net: exists"
    assert lines[3] == "b.csv:5: reader3@list3.example.net: unsubscribed"  # stays out
    assert lines[10] == "b.csv:12: reader10@list3.example.net: added"
    assert lines[-1] == "b.csv: 15 rows: 5 added, 9 exists, 1 unsubscribed"


def test_one_progress_line_on_a_terminal_and_none_in_a_pipe(site: Path, tmp_path: Path):
    import pty

    config = str(site / "config.toml")
    roster = _roster(tmp_path / "list.csv", 1200)
    command = [sys.executable, "-m", "syndicate", "subscribers", "import", str(roster)]
    command += ["--config", config]
    primary, secondary = pty.openpty()
    proc = subprocess.run(
        command,
        stderr=secondary,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    os.close(secondary)
    shown = b""
    try:
        while chunk := os.read(primary, 4096):
            shown += chunk
    except OSError:  # the terminal's other side is closed: all read
        pass
    os.close(primary)
    assert proc.returncode == 0
    assert proc.stdout == "list.csv: 1,200 rows: 1,200 added\n"
    text = shown.decode()
    assert text.count("\n") == 1  # one line, rewritten in place
    assert "\r  … list.csv: 500/1,200 rows checked" in text
    assert text.rstrip().endswith("1,200/1,200 rows checked")

    piped = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
    )
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout == "list.csv: 1,200 rows: 1,200 exists\n"

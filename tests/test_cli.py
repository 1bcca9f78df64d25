"""The operator's commands, through `main()` and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from syndicate.cli import main
from tests.conftest import SAMPLE

INSPECT_KEYS = {
    "title", "author", "dek", "language", "published", "url", "tags",
    "summary", "bullets", "sections", "related", "body",
}  # fmt: skip


def test_run_prints_a_one_screen_report_and_exits_0(site: Path, capsys):
    assert main(["run", "--config", str(site / "config.toml")]) == 0
    out = capsys.readouterr().out
    assert "new          1" in out
    assert SAMPLE.name in out
    assert "1 written to the Maildir" in out
    assert len(out.splitlines()) < 25
    assert main(["--config", str(site / "config.toml"), "run"]) == 0
    out = capsys.readouterr().out
    assert "unchanged    1" in out and "digest     none" in out


def test_rejected_input_gives_exit_3_and_names_the_file(site: Path, capsys):
    (site / "articles" / "kosong.txt").write_text("\n\n", encoding="utf-8")
    assert main(["run", "--config", str(site / "config.toml")]) == 3
    out = capsys.readouterr().out
    assert "kosong.txt: " in out
    assert "new          1" in out


def test_config_error_exit_78_without_traceback(tmp_path: Path):
    bad = tmp_path / "config.toml"
    bad.write_text("[feed]\nentries = 'many'\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "syndicate", "run", "--config", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 78
    assert "feed.entries" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_inspect_json_on_the_sample(site: Path, capsys):
    assert main(["inspect", str(SAMPLE), "--json", "--config", str(site / "config.toml")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == INSPECT_KEYS
    assert data["author"]["name"] == "Alexander Rossi"
    assert data["author"]["bio"].startswith("Alexander Rossi is the Creator and Editor")
    assert data["language"] == "id"
    assert data["dek"] == ""  # the sample has no standfirst
    for heading in (
        "Keuntungan geopolitik",
        "Dasar ideologis dan strategis",
        "Peran instrumental DPRK",
    ):
        assert heading in data["sections"]
    everything = json.dumps(data, ensure_ascii=False)
    for furniture in ("Baca juga", "Anda mungkin juga tertarik", "Sumber"):
        assert furniture not in data["body"]
        assert furniture not in data["summary"]
        assert all(furniture not in b for b in data["bullets"])
    assert "Pasukan Korea Utara di garis depan" in everything  # kept as a related link
    assert "Pasukan Korea Utara di garis depan" not in data["body"]


def test_inspect_unusable_file_exits_65_with_one_line(site: Path):
    empty = site / "articles" / "empty.txt"
    empty.write_text("", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "syndicate",
            "inspect",
            str(empty),
            "--config",
            str(site / "config.toml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 65
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "empty.txt" in proc.stderr
    assert proc.stdout == ""


def test_preview_writes_files_and_records_nothing(site: Path, capsys):
    out_dir = site / "pv"
    assert main(["preview", "--out", str(out_dir), "--config", str(site / "config.toml")]) == 0
    printed = capsys.readouterr().out.split()
    names = ["digest.html", "digest.txt", "digest-web.html", "digest.eml"]
    assert printed == [str(out_dir / name) for name in names]
    assert "Alexander Rossi" in (out_dir / "digest.txt").read_text(encoding="utf-8")
    assert not (site / "outbox").exists()
    assert not (site / "state" / "syndicate.db").exists()


def test_subscribers_add_list_remove(site: Path, capsys):
    cfg = ["--config", str(site / "config.toml")]
    assert main(["subscribers", "add", "Budi <Budi@Example.org>", *cfg]) == 0
    assert "budi@example.org: added" in capsys.readouterr().out
    assert main(["subscribers", "list", *cfg]) == 0
    assert "budi@example.org\tactive\tBudi" in capsys.readouterr().out
    assert main(["subscribers", "remove", "budi@example.org", *cfg]) == 0
    assert main(["subscribers", "list", *cfg]) == 0
    assert "budi@example.org\tunsubscribed" in capsys.readouterr().out
    assert main(["subscribers", "add", "not-an-address", *cfg]) == 2


def test_status_after_a_run(site: Path, capsys):
    cfg = ["--config", str(site / "config.toml")]
    main(["run", *cfg])
    capsys.readouterr()
    assert main(["status", *cfg]) == 0
    out = capsys.readouterr().out
    assert "articles     1 stored, 0 waiting" in out
    assert "deliveries   1 sent, 0 pending, 0 failed" in out


def test_preview_with_nothing_pending_says_so(site: Path, capsys):
    cfg = ["--config", str(site / "config.toml")]
    main(["run", *cfg])
    capsys.readouterr()
    assert main(["preview", "--out", str(site / "pv"), *cfg]) == 0
    assert "nothing to preview" in capsys.readouterr().out
    assert main(["preview", str(SAMPLE), "--out", str(site / "pv"), *cfg]) == 0
    assert (site / "pv" / "digest.eml").exists()


def test_broken_user_template_is_a_clear_error_and_the_digest_waits(site: Path, capsys):
    own = site / "my-templates"
    own.mkdir()
    (own / "digest.html.j2").write_text("<html>{% if %}</html>", encoding="utf-8")
    config_path = site / "config.toml"
    config_path.write_text(
        config_path.read_text(encoding="utf-8").replace(
            'templates = "', 'templates = "my-templates" # was "'
        ),
        encoding="utf-8",
    )
    cfg = ["--config", str(config_path)]
    assert main(["run", *cfg]) == 78
    err = capsys.readouterr().err
    assert "template error" in err and "digest.html.j2:1" in err
    assert (site / "feeds" / "atom.xml").exists()  # feeds were published before the digest
    (own / "digest.html.j2").unlink()  # fixed: the built-in template is used again
    assert main(["run", *cfg]) == 0
    out = capsys.readouterr().out
    assert "1 written to the Maildir" in out
    assert list((site / "feeds" / "digests").glob("*.html"))  # web version written on resume


def test_unwritable_state_is_an_io_error_not_a_traceback(site: Path, capsys):
    (site / "state").write_text("not a folder", encoding="utf-8")
    assert main(["run", "--config", str(site / "config.toml")]) == 74
    err = capsys.readouterr().err
    assert err.startswith("syndicate: ") and "state" in err


def test_refused_delivery_fails_for_good_and_runs_say_so_until_resolved(
    site: Path, smtp_server, capsys
):
    handler, port = smtp_server
    config_path = site / "config.toml"
    config_path.write_text(
        config_path.read_text(encoding="utf-8").replace("one@example.org", "refuse@example.org")
        + f"\n[delivery]\nmethod = 'smtp'\nsmtp_port = {port}\n",
        encoding="utf-8",
    )
    cfg = ["--config", str(config_path)]
    assert main(["run", "--quiet", *cfg]) == 4
    out = capsys.readouterr().out  # --quiet still tells
    assert "refuse@example.org: smtp://127.0.0.1" in out and "550 5.1.1 no such user" in out
    assert "1 failed for good" in out
    assert main(["run", "--quiet", *cfg]) == 4  # not retried, and still needs the operator
    assert "1 delivery(ies) to active subscribers failed for good" in capsys.readouterr().out
    assert main(["status", *cfg]) == 0
    status = capsys.readouterr().out
    assert "failed for good" in status and "550 5.1.1" in status
    assert main(["subscribers", "remove", "refuse@example.org", *cfg]) == 0
    capsys.readouterr()
    assert main(["run", "--quiet", *cfg]) == 0
    assert capsys.readouterr().out == ""
    assert handler.messages == []


def test_report_fits_one_screen_after_a_big_first_run(site: Path, capsys):
    for i in range(30):
        (site / "articles" / f"berita-{i:02d}.txt").write_text(
            f"Berita nomor {i}\n\nIsi berita nomor {i} yang cukup panjang untuk dibaca.\n",
            encoding="utf-8",
        )
    for i in range(12):
        (site / "articles" / f"kosong-{i:02d}.txt").write_text(" \n", encoding="utf-8")
    assert main(["run", "--config", str(site / "config.toml")]) == 3
    out = capsys.readouterr().out
    assert len(out.splitlines()) <= 30
    assert "new         31" in out and "… and 23 more" in out
    assert "skipped     12" in out and "… and 4 more" in out
    assert "31 articles were waiting before this list's first digest" in out


def test_missing_inbox_is_reported_even_with_quiet(tmp_path: Path, capsys):
    config_path = tmp_path / "config.toml"
    config_path.write_text("[paths]\ninbox = 'nowhere'\n", encoding="utf-8")
    assert main(["run", "--quiet", "--config", str(config_path)]) == 0
    out = capsys.readouterr().out
    assert "inbox" in out and "nowhere does not exist" in out


def _commands(parser) -> dict:
    import argparse

    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


_NO_OP = """
import sys
from syndicate.__main__ import main
sys.argv = ["syndicate", "run", "--quiet"]
code = main()
print(code, sorted(name for name in {heavy!r} if name in sys.modules))
"""


def test_a_run_with_nothing_to_do_imports_none_of_the_heavy_libraries(site: Path):
    # The heavy third-party libraries are imported where they are used (feeds, CSS inlining,
    # HTML extraction, the service, PostgreSQL): a scheduled run that finds nothing new
    # never pays for them. (APScheduler is not among them: it checks the config's cron
    # lines when the config loads.)
    from tests.conftest import age

    for path in (site / "articles").iterdir():
        age(path)
    for _ in range(2):  # publishes and mails the sample; then records the settled inbox
        subprocess.run([sys.executable, "-m", "syndicate", "run", "--quiet"], cwd=site, check=True)
    heavy = [
        "feedgen", "lxml", "premailer", "trafilatura", "starlette", "uvicorn", "psycopg",
    ]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", _NO_OP.replace("{heavy!r}", repr(heavy))],
        cwd=site,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split(" ", 1) == ["0", "[]\n"], done.stdout + done.stderr

"""Issue #20, a first day without accidents: `syndicate init`, no back catalogue mailed by an
automatic digest, the bundled sample's values flagged, every address checked at load. All
through the command line, as a new user types it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from syndicate.cli import main
from syndicate.config import SAMPLE_VALUES, Config, Section, load_config
from tests.conftest import REPO

INIT = [
    "--title",
    "The Harbour Ledger",
    "--url",
    "https://harbour-ledger.net/",
    "--language",
    "en-GB",
    "--from",
    "The Harbour Ledger <news@harbour-ledger.net>",
]


def _keys(table: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in table.items():
        if isinstance(value, dict):
            out |= _keys(value, f"{prefix}{key}.")
        else:
            out.add(prefix + key)
    return out


def _settings(section: type[Section], prefix: str = "") -> set[str]:
    out = set()
    for name, field in section.model_fields.items():
        key = field.alias or name
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, Section):
            out |= _settings(kind, f"{prefix}{key}.")
        elif key != "root":
            out.add(prefix + key)
    return out


def _init(folder: Path, *extra: str) -> int:
    return main(["init", str(folder), *INIT, *extra])


def _articles(inbox: Path, n: int) -> None:
    for i in range(n):
        (inbox / f"story-{i:03d}.md").write_text(
            f"---\ntitle: Story {i} from the quay\nsummary: What happened at the quay, {i}.\n"
            f"bullets: [First point {i}., Second point {i}.]\n---\n\nThe body of story {i}.\n",
            encoding="utf-8",
        )


def _subscribers(folder: Path, n: int) -> Path:
    path = folder / "list.csv"
    rows = "".join(f"reader{i}@harbour-ledger.net,Reader {i}\n" for i in range(n))
    path.write_text("email,name\n" + rows, encoding="utf-8")
    return path


def _messages(folder: Path) -> list[Path]:
    new = folder / "outbox" / "new"
    return sorted(new.iterdir()) if new.is_dir() else []


def _set(config_path: Path, key: str, value: str) -> None:
    lines = config_path.read_text(encoding="utf-8").splitlines()
    out = [f"{key} = {json.dumps(value)}" if x.startswith(f"{key} = ") else x for x in lines]
    config_path.write_text("\n".join(out) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- init


def test_init_writes_a_complete_config_with_the_values_given_and_nothing_of_the_sample(
    tmp_path: Path, capsys
):
    site = tmp_path / "news"
    assert _init(site, "--timezone", "Europe/London") == 0
    out = capsys.readouterr().out
    assert "site.postal_address" in out
    raw = tomllib.loads((site / "config.toml").read_text(encoding="utf-8"))
    assert raw["site"]["title"] == "The Harbour Ledger"
    assert raw["site"]["base_url"] == "https://harbour-ledger.net/"
    assert raw["site"]["language"] == "en-GB"
    assert raw["site"]["timezone"] == "Europe/London"
    assert raw["digest"]["from"] == "The Harbour Ledger <news@harbour-ledger.net>"
    assert raw["digest"]["subscribers"] == []
    assert raw["site"]["postal_address"] == ""
    # Complete: every key of every section is written out, as in the sample.
    sample = tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))
    # [[newsletters]] is a commented example: an array of tables has no default to write.
    optional = {"delivery.smtp_cafile", "digest.reply_to", "newsletters"}
    assert _keys(raw) == _settings(Config) - optional
    assert _keys(raw) == _keys(sample)
    text = (site / "config.toml").read_text(encoding="utf-8")
    assert text.count("\n#") > 10  # commented
    for value in SAMPLE_VALUES.values():
        assert value not in text
    config = load_config(site / "config.toml")
    assert config.sample_leftovers() == []
    for name in ("inbox", "feeds", "outbox", "state"):
        assert config.path(name).is_dir()


def test_init_refuses_to_overwrite_and_refuses_bad_values_naming_the_key(tmp_path: Path, capsys):
    assert _init(tmp_path) == 0
    before = (tmp_path / "config.toml").read_bytes()
    assert _init(tmp_path) == 2
    assert "exists" in capsys.readouterr().err
    assert (tmp_path / "config.toml").read_bytes() == before

    other = tmp_path / "other"
    code = main(
        ["init", str(other), "--title", "T", "--url", "harbour.net", "--language", "en",
         "--from", "news@harbour.invalid"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 78
    assert "--url (site.base_url)" in err and "--from (digest.from)" in err
    assert not (other / "config.toml").exists()


def test_init_keeps_a_title_with_quotes_and_backslashes_exact(tmp_path: Path):
    title = 'The "Quay" \\ Ledger'
    assert main(["init", str(tmp_path), *INIT[2:], "--title", title]) == 0
    assert load_config(tmp_path / "config.toml").site.title == title


def test_the_sample_values_are_those_of_the_bundled_config():
    raw = tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))
    assert SAMPLE_VALUES["site.description"] == raw["site"]["description"]
    assert SAMPLE_VALUES["site.postal_address"] == raw["site"]["postal_address"]
    assert SAMPLE_VALUES["digest.subject"] == raw["digest"]["subject"]
    assert f"<{SAMPLE_VALUES['digest.from']}>" in raw["digest"]["from"]
    subscriber = f"<{SAMPLE_VALUES['digest.subscribers']}>"
    assert any(subscriber in s for s in raw["digest"]["subscribers"])


# ---------------------------------------------------------------- day one


def test_a_first_run_over_a_back_catalogue_mails_nothing_and_says_how_to_go_on(
    tmp_path: Path, capsys
):
    assert _init(tmp_path) == 0
    config = str(tmp_path / "config.toml")
    _articles(tmp_path / "articles", 20)  # more than digest.max_articles (15)
    assert main(["subscribers", "import", str(_subscribers(tmp_path, 7)), "--config", config]) == 0
    capsys.readouterr()

    assert main(["run", "--dry-run", "--config", config]) == 0
    beforehand = capsys.readouterr().out
    assert "20 articles were waiting before this list's first digest" in beforehand
    assert "`syndicate digest skip`" in beforehand and "`syndicate run --digest now`" in beforehand

    assert main(["run", "--config", config]) == 0
    out = capsys.readouterr().out
    assert _messages(tmp_path) == []
    assert "new         20" in out
    assert "20 articles were waiting before this list's first digest" in out
    assert "`syndicate digest skip`" in out and "`syndicate run --digest now`" in out
    assert (tmp_path / "feeds" / "rss.xml").is_file()  # published all the same

    assert main(["status", "--json", "--config", config]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schedule"]["digest_due"] is False
    assert "digest skip" in data["schedule"]["digest_note"]
    assert main(["status", "--config", config]) == 0
    assert "20 articles were waiting" in capsys.readouterr().out

    # The schedule's runs say the same: still nothing.
    assert main(["run", "--config", config]) == 0
    assert _messages(tmp_path) == []

    # Mailing them on purpose needs the footer's postal address first, a test copy too.
    assert main(["run", "--digest", "now", "--config", config]) == 78
    captured = capsys.readouterr()
    assert "site.postal_address" in captured.err
    assert main(["send-test", "--to", "me@harbour-ledger.net", "--config", config]) == 78
    assert "site.postal_address" in capsys.readouterr().err
    assert _messages(tmp_path) == []
    _set(tmp_path / "config.toml", "postal_address", "1 Quay Street, Harbourtown")
    assert main(["run", "--digest", "now", "--config", config]) == 0
    assert "20 article(s) (15 shown) for 7 recipient(s)" in capsys.readouterr().out
    assert len(_messages(tmp_path)) == 7


def test_digest_skip_starts_the_list_and_the_next_article_is_mailed(tmp_path: Path, capsys):
    assert _init(tmp_path) == 0
    config = str(tmp_path / "config.toml")
    _set(tmp_path / "config.toml", "postal_address", "1 Quay Street, Harbourtown")
    _articles(tmp_path / "articles", 16)
    main(["subscribers", "add", "reader@harbour-ledger.net", "--config", config])
    assert main(["digest", "skip", "--config", config]) == 0
    assert main(["run", "--config", config]) == 0
    assert _messages(tmp_path) == []
    (tmp_path / "articles" / "fresh.md").write_text(
        "---\ntitle: The first real story\nsummary: It is news.\nbullets: [One.]\n---\n\nBody.\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["run", "--config", config]) == 0
    assert "made: 1 article(s) for 1 recipient(s)" in capsys.readouterr().out
    assert len(_messages(tmp_path)) == 1


def test_publish_over_a_back_catalogue_says_the_next_run_will_not_mail_it(tmp_path: Path, capsys):
    assert _init(tmp_path) == 0
    _articles(tmp_path / "articles", 16)
    assert main(["publish", "--config", str(tmp_path / "config.toml")]) == 0
    out = capsys.readouterr().out
    assert "the next `syndicate run` sends no digest" in out and "digest skip" in out


def test_the_quick_start_still_mails_its_one_sample_digest_and_flags_the_sample(tmp_path: Path):
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    shutil.copytree(REPO / "articles", tmp_path / "articles")
    proc = subprocess.run(
        [sys.executable, "-m", "syndicate", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(_messages(tmp_path)) == 1
    assert "made: 1 article(s) for 1 recipient(s)" in proc.stdout
    for key in ("site.base_url", "site.postal_address", "digest.from", "digest.subscribers"):
        assert f"note       {key} is still" in proc.stdout, key


# ---------------------------------------------------------------- every value checked at load


@pytest.mark.parametrize(
    ("key", "line", "value"),
    [
        ("digest.from", "from", "Harbour <news@harbour.invalid>"),
        ("digest.from", "from", "Harbour <néws@harbour-ledger.net>"),
        ("digest.from", "from", "Harbour <news@harbour_ledger.net>"),
        ("digest.reply_to", "reply_to", "desk@harbour.test"),
        ("delivery.bounce_address", "bounce_address", "bounces@localhost.local"),
    ],
)
def test_an_undeliverable_sender_address_stops_every_command_with_78(
    tmp_path: Path, capsys, key: str, line: str, value: str
):
    assert _init(tmp_path) == 0
    path = tmp_path / "config.toml"
    text = path.read_text(encoding="utf-8")
    if line == "reply_to":
        text = text.replace("[digest]\n", f"[digest]\nreply_to = {json.dumps(value)}\n")
    else:
        text = "\n".join(
            f"{line} = {json.dumps(value)}" if x.startswith(f"{line} = ") else x
            for x in text.splitlines()
        )
    path.write_text(text, encoding="utf-8")
    csv = _subscribers(tmp_path, 1)
    for command in (
        ["publish"],
        ["run", "--dry-run"],
        ["status"],
        ["subscribers", "import", str(csv)],
        ["digest", "skip"],
    ):
        assert main([*command, "--config", str(path)]) == 78, command
        assert key in capsys.readouterr().err, command
    assert not (tmp_path / "state" / "syndicate.db").exists()


# ---------------------------------------------------------------- status sees the inbox


def test_status_counts_inbox_files_not_read_yet_and_changed_since_the_last_run(
    tmp_path: Path, capsys
):
    assert _init(tmp_path) == 0
    config = str(tmp_path / "config.toml")
    inbox = tmp_path / "articles"
    _articles(inbox, 2)
    capsys.readouterr()
    assert main(["status", "--json", "--config", config]) == 0  # no state yet
    data = json.loads(capsys.readouterr().out)
    assert data["state"] is None and data["inbox"]["unread"] == 2
    assert main(["publish", "--config", config]) == 0
    assert main(["status", "--json", "--config", config]) == 0
    capsys.readouterr()

    (inbox / "late.txt").write_text("A late story\n\nIt came in after the run.\n", "utf-8")
    (inbox / "story-001.md").write_text(
        (inbox / "story-001.md").read_text(encoding="utf-8") + "\nA correction.\n", "utf-8"
    )
    assert main(["status", "--json", "--config", config]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["inbox"]["unread"] == 1 and data["inbox"]["changed"] == 1
    assert data["inbox"]["files"] == {"unread": ["late.txt"], "changed": ["story-001.md"]}
    assert data["articles"]["pending"] == 2  # the state alone would say nothing changed
    assert main(["status", "--config", config]) == 0
    out = capsys.readouterr().out
    assert "1 file(s) not read yet, 1 changed since the last run" in out
    assert "late.txt" in out and "story-001.md" in out

    assert main(["publish", "--config", config]) == 0
    capsys.readouterr()
    assert main(["status", "--json", "--config", config]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["inbox"]["unread"], data["inbox"]["changed"]) == (0, 0)

"""What the operator reads: hostile file names are escaped in every report line (run,
status, articles, the service's log), and an I/O error names its path, a full disk
included (a real one: a small tmpfs in a user and mount namespace), with exit 74."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from syndicate.cli import main
from syndicate.core.files import naming
from syndicate.core.report import printable
from syndicate.web.server import configure_logging

FORGED = "evil\n  skipped      0 (forged line)\x1b[2J\u202etxt.exe.txt"


def cli(site: Path, *args: str) -> int:
    return main([*args, "--config", str(site / "config.toml")])


def test_printable_escapes_what_could_forge_or_drive_a_line():
    assert printable("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert printable("\x1b[2J\x07\x9b\x7f") == "\\x1b[2J\\x07\\x9b\\x7f"
    assert (
        printable("\u202eexe.txt \u2028 \u2066x\u2069") == "\\u202eexe.txt \\u2028 \\u2066x\\u2069"
    )
    assert printable(os.fsdecode(b"caf\xe9.txt")) == "caf\\xe9.txt"  # not UTF-8
    assert printable("Berita ü 中文 عربى — ok") == "Berita ü 中文 عربى — ok"
    assert printable("a\nb\tc", keep="\n") == "a\nb\\tc"


def test_hostile_file_names_are_escaped_in_every_report(site: Path, capsys):
    inbox = site / "articles"
    (inbox / FORGED).write_text("Judul berita\n\nIsi berita yang cukup panjang.\n", "utf-8")
    (inbox / "empty\x1b]0;pwned\x07.txt").write_text("", "utf-8")
    with open(os.path.join(os.fsencode(inbox), b"caf\xe9.txt"), "wb") as fh:  # not UTF-8
        fh.write(b"Kafe\n\nIsi berita kafe.\n")
    assert cli(site, "publish") == 3  # rejected files: the rest was published
    report = capsys.readouterr().out
    escaped = printable(FORGED)
    assert f"      {escaped}  “Judul berita”" in report.splitlines()
    assert "      empty\\x1b]0;pwned\\x07.txt: empty file" in report.splitlines()
    assert "      caf\\xe9.txt: the file name is not UTF-8; rename it" in report.splitlines()
    assert [line for line in report.splitlines() if line.startswith("  skipped")] == [
        "  skipped      2"
    ]
    for command in (("status",), ("articles",)):
        assert cli(site, *command) == 0
        out = capsys.readouterr().out
        assert escaped in out and "\x1b" not in out and "\u202e" not in out, command
        assert not any(line.startswith("  skipped") for line in out.splitlines())
    # The service logs one line per event, escaped the same way.
    root = logging.getLogger()
    before = root.handlers[:], root.level
    try:
        configure_logging()
        handler = root.handlers[0]
    finally:  # other tests' threads keep logging: leave the root logger as it was
        root.handlers[:] = before[0]
        root.setLevel(before[1])
    record = logging.LogRecord("syndicate.service", logging.INFO, "", 0, "read %s", (FORGED,), None)
    assert handler.format(record).endswith(f"read {escaped}")


FULL_DISK = """
set -e
mount -t tmpfs -o size=3m tmpfs "$SITE"
cp "$SRC/config.toml" "$SITE/" && cp -r "$SRC/articles" "$SITE/"
cd "$SITE"
"$PY" -m syndicate run --quiet
echo "first=$?"
printf 'Berita kedua\\n\\nIsi berita kedua yang cukup panjang untuk dibaca.\\n' > articles/next.txt
dd if=/dev/zero of=filler bs=4k 2>/dev/null || true
set +e
"$PY" -m syndicate run --digest now 2>&1
echo "full=$?"
rm filler
"$PY" -m syndicate run --digest now --quiet
echo "freed=$?"
ls feeds/articles
"""


def test_a_full_disk_names_the_path_exits_74_and_the_next_run_heals(site: Path, tmp_path: Path):
    if (
        shutil.which("unshare") is None
        or subprocess.run(
            ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True
        ).returncode
    ):
        pytest.fail(
            "this test fills a real disk: a 3 MB tmpfs mounted in a user and mount namespace"
            " (`unshare --user --map-root-user --mount`, util-linux); the kernel must allow"
            " unprivileged user namespaces"
        )
    mount = tmp_path / "small-disk"
    mount.mkdir()
    script = textwrap.dedent(FULL_DISK)
    env = {**os.environ, "SITE": str(mount), "SRC": str(site), "PY": sys.executable}
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout
    assert "first=0" in out, out + done.stderr
    run, _, rest = out.split("first=0\n", 1)[1].partition("full=")
    assert rest.startswith("74\n"), out + done.stderr
    (message,) = [line for line in run.splitlines() if line.startswith("syndicate: ")]
    assert "Traceback" not in out
    # One line naming a path on the full disk, and what is wrong there.
    assert message.startswith(f"syndicate: {mount}/"), message
    whys = ("No space left on device", "database or disk is full", "cannot write the state")
    assert any(why in message for why in whys), message
    if "No space left on device" in message:  # an OSError says what to do about it
        assert message.endswith("and run again: nothing is lost"), message
    # Space again: the next run publishes what the full one could not, exit 0.
    assert "freed=0" in out, out + done.stderr
    assert "next.html" in out.split("freed=0", 1)[1].split()


def test_a_write_on_a_descriptor_is_raised_again_naming_its_path(tmp_path: Path):
    # /dev/full answers every write with ENOSPC, as a full disk does: from a descriptor,
    # with no file name, until files.naming says which path it was for.
    target = tmp_path / "feeds" / "rss.xml"
    fd = os.open("/dev/full", os.O_WRONLY)
    try:
        with pytest.raises(OSError) as caught, naming(target):
            os.write(fd, b"<rss/>")
    finally:
        os.close(fd)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(target)
    assert str(caught.value) == f"[Errno 28] No space left on device: '{target}'"

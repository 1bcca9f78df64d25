"""Unusable inbox files: each raises ArticleError with one clear reason; hostile text is inert."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.readers.errors import ArticleChanging, ArticleError
from syndicate.readers.read import is_candidate, read_article

BODY = "Paragraf pertama berita ini cukup panjang untuk dibaca sebagai isi artikel.\n"


def write(inbox: Path, name: str, data: bytes | str) -> Path:
    path = inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def reason(path: Path, inbox: Path, **kwargs) -> str:
    with pytest.raises(ArticleError) as exc_info:
        read_article(path, inbox=inbox, **kwargs)
    message = str(exc_info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.txt",
        ".~lock.a.txt#",
        "draft.txt.tmp",
        "upload.md.part",
        "story.txt~",
        "x.TMP",
        "#autosave#",
        "a.crdownload",
        ".a.swp",
        "~$draft.txt",  # Microsoft Office lock file
    ],
)
def test_temporary_names_are_never_candidates(name):
    assert not is_candidate(Path("inbox") / name)


@pytest.mark.parametrize("name", ["story.txt", "a.md", "page.html", "noext", "v1.2.txt", "tmp.txt"])
def test_ordinary_names_are_candidates(name):
    assert is_candidate(Path("inbox") / name)


@pytest.mark.parametrize(
    "data", [b"", b"   \n\n\t  \r\n", "\ufeff".encode(), "\u200b\u200b\n\u00a0\n".encode()]
)
def test_empty_or_whitespace_only(tmp_path, data):
    path = write(tmp_path, "empty.txt", data)
    assert reason(path, tmp_path).startswith("empty file")


def test_title_without_body(tmp_path):
    path = write(tmp_path, "t.txt", "Judul saja tanpa isi\n\n\n")
    assert reason(path, tmp_path) == "title but no body text"


def test_title_and_only_furniture_is_no_body(tmp_path):
    path = write(tmp_path, "t.txt", "Judul berita\n\nBaca juga:\n\nSumber\n\nEditor: Budi\n")
    assert reason(path, tmp_path) == "title but no body text"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04\x14\x00\x06\x00word/document.xml",
        b"Title\n\nsome text\x00\x00\x00\x01\x02 more",
        bytes(range(256)) * 4,
    ],
)
def test_binary(tmp_path, data):
    path = write(tmp_path, "b.txt", data)
    assert reason(path, tmp_path) == "binary file, not text"


def test_undecodable_bytes(tmp_path):
    # Neither UTF-8 nor any sensible legacy text: random high bytes with no structure.
    data = bytes((i * 97 + 13) % 128 + 128 for i in range(600))
    path = write(tmp_path, "u.txt", data)
    assert reason(path, tmp_path).startswith("undecodable")


def test_bad_utf16_after_bom_is_undecodable(tmp_path):
    path = write(tmp_path, "u.txt", b"\xff\xfeT\x00i\x00\x00\xd8")  # lone surrogate
    assert reason(path, tmp_path).startswith("undecodable")


def test_too_large_is_refused_before_reading(tmp_path, monkeypatch):
    path = write(tmp_path, "big.txt", "Judul\n\n" + BODY * 200)
    size = path.stat().st_size

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was opened although it is over the limit")

    monkeypatch.setattr(Path, "open", no_reading)
    message = reason(path, tmp_path, max_bytes=size - 1)
    assert message == f"too large: {size:,} bytes (limit {size - 1:,})"


def test_at_the_limit_is_fine(tmp_path):
    path = write(tmp_path, "ok.txt", "Judul\n\n" + BODY)
    article = read_article(path, inbox=tmp_path, max_bytes=path.stat().st_size)
    assert article.title == "Judul"


def test_symlink_outside_the_inbox(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    secret = write(tmp_path, "secret.txt", "Rahasia\n\n" + BODY)
    link = inbox / "link.txt"
    link.symlink_to(secret)
    assert reason(link, inbox) == "symlink leads outside the inbox; not following it"
    # Through a symlinked folder too.
    (inbox / "sub").symlink_to(tmp_path, target_is_directory=True)
    assert reason(inbox / "sub" / "secret.txt", inbox).startswith("symlink leads outside")


def test_symlink_inside_the_inbox_is_followed(tmp_path):
    target = write(tmp_path, "real/a.txt", "Judul\n\n" + BODY)
    (tmp_path / "b.txt").symlink_to(target)
    article = read_article(tmp_path / "b.txt", inbox=tmp_path)
    assert article.source == "b.txt"
    assert article.paragraphs == (BODY.strip(),)


def test_missing_file(tmp_path):
    assert reason(tmp_path / "gone.txt", tmp_path) == "file vanished before it could be read"


def test_a_directory_is_not_an_article(tmp_path):
    (tmp_path / "folder.txt").mkdir()
    assert reason(tmp_path / "folder.txt", tmp_path) == "not a regular file"


def test_hostile_text_is_kept_as_inert_text(tmp_path):
    text = (
        "<script>alert(1)</script> {{ 7*7 }} ]]> judul\r\nBcc: victim@example.org\n\n"
        "Paragraf dengan <img src=x onerror=alert(1)> dan {% include '/etc/passwd' %} "
        "serta ]]> di tengah kalimat yang cukup panjang.\n"
    )
    path = write(tmp_path, "h.txt", text)
    article = read_article(path, inbox=tmp_path)
    assert article.title == "<script>alert(1)</script> {{ 7*7 }} ]]> judul"
    assert "\n" not in article.title and "\r" not in article.title
    assert article.paragraphs[-1] == (
        "Paragraf dengan <img src=x onerror=alert(1)> dan {% include '/etc/passwd' %} "
        "serta ]]> di tengah kalimat yang cukup panjang."
    )
    assert article.body_html is None  # plain text never becomes markup


def test_broken_symlink(tmp_path):
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    assert reason(tmp_path / "dangling.txt", tmp_path) == "broken symlink"


def test_file_changed_since_discovery_waits_for_the_next_run(tmp_path):
    path = write(tmp_path, "growing.txt", "Judul\n\n" + BODY)
    discovered = path.stat()
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\nParagraf yang masih ditulis.\n")
    with pytest.raises(ArticleChanging) as exc_info:
        read_article(path, inbox=tmp_path, discovered=discovered)
    assert isinstance(exc_info.value, ArticleError)  # callers that only know ArticleError
    assert str(exc_info.value) == "changed since the inbox was listed (still being written?)"
    # Unchanged since discovery: read normally.
    article = read_article(path, inbox=tmp_path, discovered=path.stat())
    assert article.paragraphs[-1] == "Paragraf yang masih ditulis."


def test_importing_the_readers_does_not_import_trafilatura():
    # trafilatura is a heavy edge, imported where an HTML page is read: a plain-text article
    # is read without it (checked in a fresh interpreter).
    import subprocess
    import sys

    code = (
        "import sys, pathlib, tempfile; from syndicate.readers.read import read_article;"
        " d = pathlib.Path(tempfile.mkdtemp()); p = d / 'a.txt';"
        " p.write_text('Judul\\n\\nIsi berita.\\n', encoding='utf-8');"
        " read_article(p, inbox=d, discovered=p.stat());"
        " print('trafilatura' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.stdout.strip() == "False"

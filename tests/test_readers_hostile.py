"""Hostile front matter and damaged text: rejected with a reason (or cleaned), never a hang,
a crash or a 200 MB author name. Issue #13."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.cli import main
from syndicate.readers.errors import ArticleError
from syndicate.readers.frontmatter import MAX_DEPTH, split_front_matter
from syndicate.readers.read import read_article

BODY = "The article body is an ordinary paragraph, long enough to be read as text.\n"


def alias_bomb() -> str:
    """Nine 9-way aliases in `author`, padded to the 482 bytes of the reported file: once
    expanded, 9⁹ strings."""
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    head = "---\ntitle: Alias bomb\n" + "\n".join(rows) + "\nauthor: *i\n"
    text = head + "---\n" + BODY
    padding = 482 - len(text.encode())
    return head + "#" * max(padding - 1, 0) + "\n---\n" + BODY


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejection(path: Path) -> str:
    with pytest.raises(ArticleError) as caught:
        read_article(path, inbox=path.parent)
    return str(caught.value)


def test_the_reported_alias_bomb_is_482_bytes():
    assert len(alias_bomb().encode()) == 482


def test_alias_bomb_in_author_is_refused(tmp_path):
    message = rejection(write(tmp_path, "bomb.md", alias_bomb()))
    assert "alias" in message and "beyond its own size" in message


def test_alias_bomb_in_a_text_file_is_refused_too(tmp_path):
    assert "alias" in rejection(write(tmp_path, "bomb.txt", alias_bomb()))


def test_a_modest_alias_is_fine(tmp_path):
    text = (
        "---\ntitle: Reused author\n"
        "author: &me {name: Jane Doe, bio: Jane Doe covers energy.}\neditor: *me\n---\n" + BODY
    )
    article = read_article(write(tmp_path, "ok.md", text), inbox=tmp_path)
    assert article.author is not None and article.author.name == "Jane Doe"


def test_an_alias_to_itself_is_refused(tmp_path):
    message = rejection(write(tmp_path, "rec.md", "---\ntitle: X\nauthor: &a [*a]\n---\n" + BODY))
    assert "refers to itself" in message


@pytest.mark.parametrize(
    "front_matter",
    [
        "author: " + "[" * 900 + "]" * 900,  # flow style
        "author: " + "{a: " * 900 + "1" + "}" * 900,
    ],
)
def test_900_deep_yaml_is_refused_not_a_recursion_error(tmp_path, front_matter):
    text = f"---\ntitle: Deep\n{front_matter}\n---\n{BODY}"
    message = rejection(write(tmp_path, "deep.md", text))
    assert f"nested more than {MAX_DEPTH} levels" in message


def test_block_style_nesting_is_refused(tmp_path):
    nested = "".join("  " * i + "-\n" for i in range(100))
    text = f"---\ntitle: Deep\nauthor:\n{nested}---\n{BODY}"
    message = rejection(write(tmp_path, "deep.md", text))
    assert "nested more than" in message


@pytest.mark.parametrize(
    "front_matter",
    [
        "author = " + "[" * 900 + "]" * 900,
        "author = " + "{a = " * 900 + "1" + "}" * 900,
        "[" + ".".join(["x"] * 900) + "]",  # dotted keys nest without recursing in tomllib
    ],
)
def test_900_deep_toml_is_refused(tmp_path, front_matter):
    text = f"+++\ntitle = 'Deep'\n{front_matter}\n+++\n{BODY}"
    assert "nested more than" in rejection(write(tmp_path, "deep.md", text))


def test_huge_front_matter_is_refused(tmp_path):
    text = "---\ntitle: Big\nauthor: " + "x" * 70_000 + "\n---\n" + BODY
    assert "front matter is 70," in rejection(write(tmp_path, "big.md", text))


def test_reasonable_nesting_still_reads():
    meta, _ = split_front_matter("---\nauthor:\n  name: Jane\n  links: [{url: x}]\n---\nBody\n")
    assert meta == {"author": {"name": "Jane", "links": [{"url": "x"}]}}


@pytest.mark.parametrize("name", ["bomb.md", "deep.md"])
def test_inspect_exits_65_with_the_reason(tmp_path, capsys, name):
    text = alias_bomb() if name == "bomb.md" else "---\na: " + "[" * 900 + "]" * 900 + "\n---\nx\n"
    path = write(tmp_path, name, text)
    config = write(tmp_path, "config.toml", "")
    assert main(["inspect", str(path), "--config", str(config)]) == 65
    err = capsys.readouterr().err
    assert name in err and ("alias" in err or "nested" in err)
    assert "Traceback" not in err


def test_stray_nul_bytes_in_text_are_cleaned_not_binary(tmp_path):
    data = (
        b"A title for a damaged export\n\n"
        b"The first paragraph\x00 of the story is ordinary text that a buggy tool damaged.\n\n"
        b"The second\x00\x01 paragraph has a stray byte or two\x1b as well, and goes on.\n"
    )
    path = tmp_path / "damaged.txt"
    path.write_bytes(data)
    article = read_article(path, inbox=tmp_path)
    assert article.title == "A title for a damaged export"
    assert "The first paragraph of the story" in article.text
    assert not any(ch in article.text for ch in "\x00\x01\x1b")


def test_mostly_control_bytes_is_still_binary(tmp_path):
    path = tmp_path / "b.txt"
    path.write_bytes(b"Title\n\n" + b"text \x00\x01\x02\x03" * 200)
    assert rejection(path) == "binary file, not text"

"""Reading the sample articles and throwaway files the way the pipeline does."""

from __future__ import annotations

from pathlib import Path

from syndicate.core.model import Article
from syndicate.readers.read import read_article

SAMPLES = Path(__file__).parent / "samples" / "readers"


def read_sample(name: str, **kwargs) -> Article:
    return read_article(SAMPLES / name, inbox=SAMPLES, **kwargs)


def read_string(tmp_path: Path, text: str, name: str, **kwargs) -> Article:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_article(path, inbox=tmp_path, **kwargs)

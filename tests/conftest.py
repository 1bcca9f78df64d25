"""Shared fixtures: a throwaway site (config + inbox) in a temp folder, with real paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from syndicate.config import Config, load_config

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "articles" / "000_6bd5c2adaf47451d.txt"

BASE_CONFIG = """
[site]
title = "Test Site"
base_url = "https://news.example.org/"
language = "id"
timezone = "Asia/Jakarta"
postal_address = "Jl. Contoh No. 1, Jakarta"

[paths]
templates = "{templates}"

[digest]
from = "Test Site <digest@news.example.org>"
subscribers = ["Reader One <one@example.org>"]
"""


def write_config(root: Path, extra: str = "") -> Path:
    path = root / "config.toml"
    path.write_text(
        BASE_CONFIG.format(templates=(REPO / "templates").as_posix()) + extra, encoding="utf-8"
    )
    (root / "articles").mkdir(exist_ok=True)
    return path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder with config.toml and an inbox holding the sample article."""
    write_config(tmp_path)
    shutil.copy(SAMPLE, tmp_path / "articles" / SAMPLE.name)
    return tmp_path


@pytest.fixture
def config(site: Path) -> Config:
    return load_config(site / "config.toml")

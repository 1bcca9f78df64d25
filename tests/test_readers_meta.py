"""Bylines, names and dates as publishers write them (readers/meta.py, readers/dates.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from syndicate.readers.dates import parse_date
from syndicate.readers.markers import load_markers
from syndicate.readers.meta import as_name, byline_name

PREFIXES = load_markers().byline
WIB = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("By Jane Doe", "Jane Doe"),
        ("BY JANE DOE", "JANE DOE"),
        ("By Jane Doe, Staff Writer", "Jane Doe"),
        ("By Jane Doe for The Ledger", "Jane Doe"),
        ("By Ludwig van Beethoven", "Ludwig van Beethoven"),
        ("By Ann Lee, Bo Chen and Cy Dee", "Ann Lee, Bo Chen and Cy Dee"),
        ("Oleh Muhammad bin Salleh", "Muhammad bin Salleh"),
        ("Oleh: Siti Nurhaliza (Kontributor Bandung)", "Siti Nurhaliza"),
        ("Penulis: Rina Marlina | Editor: Dani", "Rina Marlina"),
        ("Reporter: Made Wirawan", "Made Wirawan"),
        ("作者：王伟", "王伟"),
        ("记者 李明", "李明"),
        ("بقلم: أحمد منصور", "أحمد منصور"),
        ("Par Jean-Luc Dupont", "Jean-Luc Dupont"),
        ("Byron Smith wrote this", None),  # "By" must be a whole word
        ("By the end of the year, prices rose", None),
        ("Oleh karena itu pemerintah bertindak", None),
        ("By 2030 the plant will be finished", None),
        ("Written by", None),
    ],
)
def test_byline_name(line, name):
    assert byline_name(line, PREFIXES) == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Alexander Rossi", "Alexander Rossi"),
        ("Jane Doe, Reuters", "Jane Doe"),
        ("O'Brien McAllister", "O'Brien McAllister"),
        ("the minister said", None),
        ("Jane Doe!", None),
        ("Agent 007", None),
        ("One Two Three Four Five Six Seven", None),
    ],
)
def test_as_name(text, name):
    assert as_name(text) == name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-27", datetime(2026, 11, 27, tzinfo=WIB)),
        ("2026-11-27T10:30:00Z", datetime(2026, 11, 27, 10, 30, tzinfo=UTC)),
        ("2026-11-27T10:30:00+0700", datetime(2026, 11, 27, 10, 30, tzinfo=WIB)),
        ("27 November 2026", datetime(2026, 11, 27, tzinfo=WIB)),
        ("Kamis, 27 November 2026 10:30 WIB", datetime(2026, 11, 27, 10, 30, tzinfo=WIB)),
        ("27 Agustus 2026 pukul 08.15 WITA",
         datetime(2026, 8, 27, 8, 15, tzinfo=timezone(timedelta(hours=8)))),
        ("Nov. 26, 2026 6:45 p.m. EST",
         datetime(2026, 11, 26, 18, 45, tzinfo=timezone(timedelta(hours=-5)))),
        ("November 26th, 2026 at 12:05 am GMT", datetime(2026, 11, 26, 0, 5, tzinfo=UTC)),
        ("26/11/2026, 14:30 WIB", datetime(2026, 11, 26, 14, 30, tzinfo=WIB)),
        ("2026年11月26日 9:05", datetime(2026, 11, 26, 9, 5, tzinfo=WIB)),
        (date(2026, 1, 2), datetime(2026, 1, 2, tzinfo=WIB)),
        (datetime(2026, 1, 2, 3, 4), datetime(2026, 1, 2, 3, 4, tzinfo=WIB)),
        ("31 February 2026", None),
        ("yesterday", None),
        (20261127, None),
        ("", None),
    ],
)  # fmt: skip
def test_parse_date(value, expected):
    parsed = parse_date(value, WIB)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None

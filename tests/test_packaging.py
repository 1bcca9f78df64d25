"""The wheel holds every package: a folder missing from pyproject's list installs fine and then
fails at the first import on a user's machine (the editable install used by the tests hides it)."""

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "syndicate").rglob("__init__.py")
    }
    assert found - listed == set()

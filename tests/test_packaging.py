"""The wheel holds every package: a folder missing from pyproject's list installs fine and then
fails at the first import on a user's machine (the editable install used by the tests hides it)."""

import fnmatch
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


def test_every_template_file_is_shipped_in_the_wheel():
    # The console's templates live in templates/console/: a glob without that folder ships
    # an installed console without its pages.
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    globs = data["setuptools"]["package-data"]["syndicate.templates"]
    folder = REPO / "templates"
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    missing = [
        f
        for f in files
        if not any(fnmatch.fnmatch(f, g) and g.count("/") == f.count("/") for g in globs)
    ]
    assert not missing

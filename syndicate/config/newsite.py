"""`syndicate init`: a new site's folder — a complete, commented config.toml holding the
operator's own values and nothing of the bundled sample, and the folders a run uses.

Decisions (issue #20):
- The config is written from one template (syndicate/data/init-config.toml) that lists every
  key with its default, so the file documents itself as the sample does; the values given
  are filled in as TOML strings and the result is loaded with the same checks as every run
  before a byte is written (a bad --from or --url is refused naming the key, exit 78).
- No subscriber and no postal address: the sample's were mailed to real lists. A digest is
  not made while `site.postal_address` is empty (Config.require_postal_address), so the
  operator is told before the first send, not after.
- Never overwrites: the file is linked into place (`link()` fails on an existing name), so
  even two `init`s at once leave one whole config.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from syndicate import DEFAULT_CONFIG_NAME
from syndicate.config import Config, ConfigError, config_problems
from syndicate.core.files import fsync_dir

TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "init-config.toml"
# The template's placeholders (quoted, so the template itself is valid TOML), the option
# each comes from, and the key it fills.
FIELDS = {
    "title": ("--title", "site.title"),
    "url": ("--url", "site.base_url"),
    "language": ("--language", "site.language"),
    "timezone": ("--timezone", "site.timezone"),
    "from": ("--from", "digest.from"),
}


class InitError(Exception):
    """The site cannot be set up as asked; the message says why."""


@dataclass(frozen=True)
class NewSite:
    config_path: Path
    config: Config
    folders: tuple[Path, ...]  # created by this init (those already there are not listed)


def config_text(values: dict[str, str]) -> str:
    """The template with `values` (FIELDS' names) filled in as TOML basic strings (JSON's
    escapes are TOML's)."""
    text = TEMPLATE.read_text(encoding="utf-8")
    for name in FIELDS:
        text = text.replace(f'"@@{name}@@"', json.dumps(values[name], ensure_ascii=False))
    return text


def init_site(folder: Path, values: dict[str, str]) -> NewSite:
    """Write `folder`/config.toml and make the folders it names. InitError if a config is
    there already, ConfigError (naming the key and the option) for a value that fails the
    config's checks."""
    folder = Path(folder)
    path = folder / DEFAULT_CONFIG_NAME
    if path.exists():
        raise InitError(
            f"{path} exists; nothing was changed (edit it, or pass another folder to init)"
        )
    text = config_text(values)
    try:
        config = Config.model_validate({**tomllib.loads(text), "root": folder.resolve()})
    except ValidationError as exc:
        options = {key: option for option, key in FIELDS.values()}
        problems = config_problems(exc)
        lines = [f"{options.get(key, key)} ({key}): {why}" for key, why in problems]
        raise ConfigError("\n  ".join(["the values given cannot be used:", *lines])) from None
    folder.mkdir(parents=True, exist_ok=True)
    _write_new(path, text.encode("utf-8"))
    made = []
    for name in ("inbox", "feeds", "outbox", "state"):
        target = config.path(name)
        if not target.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            made.append(target)
    return NewSite(path, config, tuple(made))


def _write_new(path: Path, data: bytes) -> None:
    """Write `path` whole, or not at all if something took the name meanwhile."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise InitError(f"{path} exists; nothing was changed") from None
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)

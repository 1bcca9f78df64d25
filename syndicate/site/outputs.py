"""The feeds folder as a run writes it: every file atomically and only when its bytes
change (so pollers see stable Last-Modified times and never half a file), each folder listed
once per run. A dry run compares instead of writing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from syndicate.core.files import write_atomic


@dataclass
class Outputs:
    """The feeds folder as a run sees it. A dry run compares instead of writing, and keeps
    what it would have written (`_would`: name → bytes, None for a removal), so a second
    publish in the same run (after the digest is made) sees the folder as the real run
    would: a dry run lists and counts each output once, as many as the run writes."""

    root: Path
    dry_run: bool = False
    changed: list[str] = field(default_factory=list)
    _would: dict[str, bytes | None] = field(default_factory=dict)

    def write(self, name: str, data: bytes) -> bool:
        """Write `name` (relative to root) if its bytes differ; True if they did."""
        path = self.root / name
        if self.dry_run:
            if name in self._would:
                differs = self._would[name] != data
            else:
                try:
                    differs = path.read_bytes() != data
                except OSError:
                    differs = True
            self._would[name] = data
        else:
            differs = write_atomic(path, data)
        self._written(name)
        if differs:
            self.changed.append(name)
        return differs

    _listings: dict[str, set[str]] = field(default_factory=dict)

    def exists(self, name: str) -> bool:
        if name in self._would:
            return self._would[name] is not None
        return (self.root / name).is_file()

    def present(self, name: str) -> bool:
        """`exists`, from one listing of the file's folder per run (then kept up to date)."""
        folder, _, base = name.rpartition("/")
        if folder not in self._listings:
            try:
                self._listings[folder] = set(os.listdir(self.root / folder))
            except (FileNotFoundError, NotADirectoryError):
                self._listings[folder] = set()
        return base in self._listings[folder]

    def _written(self, name: str) -> None:
        folder, _, base = name.rpartition("/")
        if folder in self._listings:
            self._listings[folder].add(base)

    def removed(self, name: str) -> bool:
        """Removed by this (dry) run: still listed in the folder, but gone for the run."""
        return name in self._would and self._would[name] is None

    def remove(self, name: str) -> None:
        if self.dry_run:
            self._would[name] = None
        else:
            (self.root / name).unlink(missing_ok=True)
        folder, _, base = name.rpartition("/")
        self._listings.get(folder, set()).discard(base)
        self.changed.append(name)

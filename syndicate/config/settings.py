"""Typed, checked settings from TOML tables: the converter under syndicate/config.py.

A section is a class of annotated settings (`port: int = 8080`, or `= setting(…)` with
bounds and checks); constructing one — from a TOML table with `from_dict`, or in code —
converts and checks every setting and reports every problem with its dotted key.

Decision: written here rather than with pydantic (~65 ms to import, with email-validator
~115 ms: more than a no-op `syndicate run` may cost) or msgspec (no Path type, and a check
made after decoding is reported against the section, not the key). Not dataclasses either:
the decorator costs ~1 ms a class at every start. The config has ~45 settings of eight
shapes (str, int, float, bool, Path, Literal, list, optional), which is all this handles.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any, ClassVar, Literal, Union, get_args, get_origin


class ConfigError(Exception):
    """The config file is missing or invalid; the message says which key and why."""


class ConfigValueError(ConfigError, ValueError):
    """Settings that fail their checks; `problems` are (dotted key, what is wrong)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {why}" for key, why in problems))


class Setting:
    """A setting's default and checks (see `setting`)."""

    __slots__ = ("check", "default", "each", "factory", "ge", "gt", "key", "le")

    def __init__(self, default: Any, factory: Any, meta: dict[str, Any]) -> None:
        self.default, self.factory = default, factory
        for name in ("ge", "gt", "le", "check", "each", "key"):
            setattr(self, name, meta.get(name))

    def make_default(self) -> Any:
        return self.factory() if self.factory is not None else self.default


def setting(
    default: Any = None,
    *,
    factory: Any = None,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    check: Any = None,
    each: Any = None,
    key: str | None = None,
) -> Any:
    """A setting's default (or `factory` for one) and checks: bounds, `check(value) ->
    value` (ValueError when wrong), `each` for every list item, `key` when the TOML key is
    not the attribute name."""
    if isinstance(default, list):
        default, factory = None, (lambda items=tuple(default): list(items))
    meta = {"ge": ge, "gt": gt, "le": le, "check": check, "each": each, "key": key}
    return Setting(default, factory, meta)


def _type_name(kind: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    return names.get(kind, getattr(kind, "__name__", str(kind)))


def _convert(kind: Any, value: Any) -> Any:
    """`value` as `kind` (str, int, float, bool, Path, Literal, list[…], X | None, a
    section), or ValueError saying what was expected."""
    origin = get_origin(kind)
    if origin is Union or origin is types.UnionType:
        options = get_args(kind)
        if value is None and type(None) in options:
            return None
        return _convert(next(o for o in options if o is not type(None)), value)
    if origin is Literal:
        if value not in get_args(kind):
            choices = ", ".join(repr(c) for c in get_args(kind))
            raise ValueError(f"must be one of {choices}, not {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a list, got {value!r}")
        (item_kind,) = get_args(kind)
        items = []
        for place, item in enumerate(value, 1):
            try:
                items.append(_convert(item_kind, item))
            except ConfigValueError as exc:  # a table of an array of tables: say which one
                raise ConfigValueError([(f"[{place}].{k}", w) for k, w in exc.problems]) from None
        return items
    if isinstance(kind, type) and issubclass(kind, Section):
        if isinstance(value, kind):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"expected a table of settings, got {value!r}")
        return kind.from_dict(value)
    if kind is Path:
        if isinstance(value, Path):
            return value
        if isinstance(value, str):
            return Path(value)
    elif kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise ValueError(f"expected {_type_name(kind)}, got {value!r}")


class Section:
    """A table of the config: immutable, and every setting converted and checked when it is
    constructed. Settings are declared as annotated class attributes (`port: int = 8080`, or
    `= setting(…)` for checks). Not a dataclass: the decorator costs ~1 ms a class at every
    start, and every command starts by loading the config."""

    _settings: ClassVar[dict[str, Setting]] = {}
    _types: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        settings = {}
        # inspect.get_annotations would import inspect (~3 ms); the class's own dict is enough
        for name in cls.__dict__.get("__annotations__", {}):  # noqa: RUF063
            if name.startswith("_"):
                continue
            value = cls.__dict__.get(name)
            if isinstance(value, type) and issubclass(value, Section):
                value = Setting(None, value, {})
            elif not isinstance(value, Setting):
                value = Setting(value, None, {})
            settings[name] = value
            if name in cls.__dict__:
                delattr(cls, name)  # instances hold the values
        cls._settings = settings
        cls._types = {}  # resolved on first use

    @classmethod
    def _resolved_types(cls) -> dict[str, Any]:
        if not cls._types:
            own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
            if any(isinstance(kind, str) for kind in own.values()):
                import typing  # string annotations (`from __future__ import annotations`)

                cls._types = typing.get_type_hints(cls)
            else:  # config.py: evaluated when the class was made, no compile per key
                cls._types = {k: v for k, v in own.items() if not k.startswith("_")}
        return cls._types

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Any:
        """A section from a TOML table; unknown keys are errors, reported with the others."""
        by_key = {s.key or name: name for name, s in cls._settings.items()}
        problems = [
            (key, "unknown key (typo?); see the configuration reference in README.md")
            for key in raw
            if key not in by_key
        ]
        values = {by_key[k]: v for k, v in raw.items() if k in by_key}
        try:
            section = cls(**values)
        except ConfigValueError as exc:
            problems += exc.problems
        if problems:
            raise ConfigValueError(problems)
        return section

    def __init__(self, **values: Any) -> None:
        unknown = set(values) - set(self._settings)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown setting(s) {sorted(unknown)}")
        problems: list[tuple[str, str]] = []
        types_ = self._resolved_types()
        for name, spec in self._settings.items():
            key = spec.key or name
            value = values[name] if name in values else spec.make_default()
            try:
                value = _checked(_convert(types_[name], value), spec)
            except ConfigValueError as exc:  # a nested section
                problems += [
                    (f"{key}{k}" if k.startswith("[") else f"{key}.{k}", why)
                    for k, why in exc.problems
                ]
                continue
            except ValueError as exc:
                problems.append((key, str(exc)))
                continue
            object.__setattr__(self, name, value)
        if not problems:
            try:
                self._check()
            except ConfigValueError as exc:  # a check that names its keys
                problems += exc.problems
            except ValueError as exc:
                problems.append(("(table)", str(exc)))
        if problems:
            raise ConfigValueError(problems)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use model_copy(update=…)")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._settings)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._settings)
        return f"{type(self).__name__}({inner})"

    def _check(self) -> None:
        """Checks across settings of the section."""

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        """A copy with some settings changed (checked again)."""
        values = {n: getattr(self, n) for n in self._settings}
        return type(self)(**{**values, **(update or {})})

    def model_dump(self) -> dict[str, Any]:
        out = {}
        for name, spec in self._settings.items():
            value = getattr(self, name)
            if isinstance(value, Section):
                value = value.model_dump()
            elif isinstance(value, Path):
                value = str(value)
            out[spec.key or name] = value
        return out


def _checked(value: Any, spec: Setting) -> Any:
    if value is None:
        return value
    if spec.ge is not None and value < spec.ge:
        raise ValueError(f"must be greater than or equal to {spec.ge}")
    if spec.gt is not None and value <= spec.gt:
        raise ValueError(f"must be greater than {spec.gt}")
    if spec.le is not None and value > spec.le:
        raise ValueError(f"must be less than or equal to {spec.le}")
    if spec.each is not None:
        value = [spec.each(item) for item in value]
    if spec.check is not None:
        value = spec.check(value)
    return value

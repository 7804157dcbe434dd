"""Declarative parameter schemas and a validator that collects every problem at once.

Parameters are declared once, with type, unit, bounds and a description (as PyPSA declares
component attributes). :func:`validate` walks raw TOML data against a schema, fills defaults,
and returns a frozen :class:`Section` tree plus the list of every :class:`Problem` found:
wrong types, values out of range, unknown keys (with a "did you mean" suggestion), missing
required keys and missing data files. Nothing stops at the first problem.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pvcluster.errors import Problem
from pvcluster.resources import resolve_data_path


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

_KIND_WORDS = {
    "number": "a number",
    "integer": "an integer",
    "string": "a string",
    "bool": "true or false",
    "path": "a path to an existing file (string)",
    "number_list": "a list of numbers",
    "string_list": "a list of strings",
    "value_list": "a non-empty list of numbers, strings or booleans",
    "matrix": "a square list of lists of numbers",
}


@dataclass(frozen=True)
class Field:
    """One scalar or list parameter.

    kind: number, integer, string, bool, path, number_list or string_list.
    A path may be empty ("") when ``optional_path`` is set: that means "no file".
    """

    kind: str
    default: Any = REQUIRED
    unit: str = ""
    doc: str = ""
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: tuple[str, ...] | None = None
    length: int | None = None  # exact length of a list
    optional_path: bool = False
    pattern: str | None = None  # a string must match this regular expression (fully)
    pattern_doc: str = ""  # what the pattern allows, in words

    def describe(self) -> str:
        words = _KIND_WORDS[self.kind]
        bounds = []
        if self.ge is not None:
            bounds.append(f">= {self.ge:g}")
        if self.gt is not None:
            bounds.append(f"> {self.gt:g}")
        if self.le is not None:
            bounds.append(f"<= {self.le:g}")
        if self.lt is not None:
            bounds.append(f"< {self.lt:g}")
        if self.kind == "number_list":
            if self.length is not None:
                words = f"a list of {self.length} numbers"
            if bounds:
                words += ", each " + " and ".join(bounds)
        elif bounds:
            words += " " + " and ".join(bounds)
        if self.choices:
            words = "one of " + ", ".join(repr(c) for c in self.choices)
        if self.pattern_doc:
            words = f"{words}: {self.pattern_doc}"
        if self.unit:
            words += f" (unit: {self.unit})"
        return words


@dataclass(frozen=True)
class Table:
    """A TOML table with known keys. ``check`` runs cross-field rules after the fields."""

    fields: Mapping[str, Field | Table | TableArray]
    doc: str = ""
    check: Callable[[Section], list[tuple[str, str, str]]] | None = None
    optional: bool = False  # the whole table may be left out (its defaults apply)


@dataclass(frozen=True)
class TableArray:
    """An array of tables (``[[villages]]``), each validated against ``table``."""

    table: Table
    doc: str = ""
    min_items: int = 0
    unique_key: str | None = None


class Section(Mapping[str, Any]):
    """A frozen, validated table: read it by attribute (``scn.plant.capacity_kwp``) or key."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]):
        object.__setattr__(self, "_data", dict(data))

    def __getattr__(self, name: str) -> Any:
        if name == "_data":  # not yet set (while unpickling)
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a validated Section is read-only")

    def __reduce__(self):  # pickled for studies on other processes (its __setattr__ refuses the default way)
        return (Section, (self._data,))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Section({self._data!r})"


@dataclass
class Context:
    """Where the data came from, for error messages and relative paths."""

    where: str
    base_dir: Path | None = None
    origins: dict[str, str] = field(default_factory=dict)  # key path -> origin label
    problems: list[Problem] = field(default_factory=list)

    def add(self, key: str, expected: str, found: str) -> None:
        where = self.where
        for path, origin in self.origins.items():
            if key == path or key.startswith(path + "."):
                where = origin
                break
        self.problems.append(Problem(where, key, expected, found))


def _found(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    return repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_bounds(f: Field, x: float) -> bool:
    if not math.isfinite(x):
        return False
    return not (
        (f.ge is not None and x < f.ge)
        or (f.gt is not None and x <= f.gt)
        or (f.le is not None and x > f.le)
        or (f.lt is not None and x >= f.lt)
    )


def _validate_field(f: Field, value: Any, key: str, ctx: Context) -> Any:
    expected = f.describe()
    if f.kind in ("number", "integer"):
        ok_type = _is_number(value) if f.kind == "number" else (
            isinstance(value, int) and not isinstance(value, bool)
        )
        if not ok_type or not _check_bounds(f, float(value)):
            ctx.add(key, expected, _found(value))
            return None
        return float(value) if f.kind == "number" else int(value)
    if f.kind == "bool":
        if not isinstance(value, bool):
            ctx.add(key, expected, _found(value))
            return None
        return value
    if f.kind == "string":
        if isinstance(value, str) and f.pattern and not re.fullmatch(f.pattern, value):
            ctx.add(key, expected, _found(value))
            return None
        if not isinstance(value, str) or (f.choices and value not in f.choices):
            found = _found(value)
            if isinstance(value, str) and f.choices:
                close = difflib.get_close_matches(value, f.choices, n=1)
                if close:
                    found += f" (did you mean {close[0]!r}?)"
            ctx.add(key, expected, found)
            return None
        return value
    if f.kind == "path":
        if not isinstance(value, str):
            ctx.add(key, expected, _found(value))
            return None
        if value == "" and f.optional_path:
            return None
        if ".." in Path(value).parts:
            ctx.add(key, "a path inside the scenario's folder or the package's data (no '..')", repr(value))
            return None
        found_path, looked = resolve_data_path(value, ctx.base_dir)
        if found_path is None:
            places = " and ".join(str(p) for p in looked)
            ctx.add(key, "an existing data file", f"{value!r}, which is not at {places}")
            return None
        return found_path
    if f.kind in ("number_list", "string_list"):
        item_ok = _is_number if f.kind == "number_list" else (lambda v: isinstance(v, str))
        if (
            not isinstance(value, list)
            or not all(item_ok(v) for v in value)
            or (f.length is not None and len(value) != f.length)
        ):
            ctx.add(key, expected, _found(value))
            return None
        if f.kind == "number_list":
            bad = [i for i, v in enumerate(value) if not _check_bounds(f, float(v))]
            if bad:
                ctx.add(f"{key}[{bad[0]}]", expected, f"{value[bad[0]]!r}")
                return None
            return tuple(float(v) for v in value)
        return tuple(value)
    if f.kind == "value_list":
        if not isinstance(value, list) or not value or not all(
                isinstance(v, (bool, str)) or (_is_number(v) and math.isfinite(float(v))) for v in value):
            ctx.add(key, expected, _found(value))
            return None
        return tuple(value)
    if f.kind == "matrix":
        n = len(value) if isinstance(value, list) else 0
        if not n or not all(isinstance(row, list) and len(row) == n and all(_is_number(x) and math.isfinite(float(x))
                                                                            for x in row) for row in value):
            ctx.add(key, expected, _found(value))
            return None
        bad = [(i, j) for i in range(n) for j in range(n) if not _check_bounds(f, float(value[i][j]))]
        if bad:
            i, j = bad[0]
            ctx.add(f"{key}[{i}][{j}]", expected + " " + " and ".join(
                b for b in (f"each >= {f.ge:g}" if f.ge is not None else "", f"<= {f.le:g}" if f.le is not None else "")
                if b), repr(value[i][j]))
            return None
        return tuple(tuple(float(x) for x in row) for row in value)
    raise ValueError(f"unknown field kind {f.kind!r}")  # a bug in a schema, not user input


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return ""


def _validate_table(t: Table, raw: Any, prefix: str, ctx: Context) -> Section | None:
    if not isinstance(raw, dict):
        ctx.add(prefix or "(top level)", "a table", _found(raw))
        return None
    out: dict[str, Any] = {}
    known = list(t.fields)
    for name in raw:
        if name not in t.fields:
            key = f"{prefix}.{name}" if prefix else name
            ctx.add(key, f"a known key{' of ' + prefix if prefix else ''}",
                    f"unknown key {name!r}{_suggest(name, known)}")
    ok = True
    for name, spec in t.fields.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(spec, Table):
            if name not in raw and spec.optional:
                sub = _validate_table(spec, {}, key, ctx)
            elif name not in raw:
                ctx.add(key, "a table", "nothing (the table is missing)")
                sub = None
            else:
                sub = _validate_table(spec, raw[name], key, ctx)
            ok &= sub is not None
            out[name] = sub
        elif isinstance(spec, TableArray):
            items = raw.get(name, [])
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                ctx.add(key, "an array of tables", _found(items))
                ok = False
                out[name] = None
                continue
            if len(items) < spec.min_items:
                ctx.add(key, f"at least {spec.min_items} entr{'y' if spec.min_items == 1 else 'ies'}",
                        f"{len(items)}")
            subs = tuple(_validate_table(spec.table, item, f"{key}.{i}", ctx)
                         for i, item in enumerate(items))
            if spec.unique_key:
                seen: dict[Any, int] = {}
                for i, item in enumerate(items):
                    v = item.get(spec.unique_key)
                    if not isinstance(v, str):  # a wrong type is reported by the field itself
                        continue
                    if v in seen:
                        ctx.add(f"{key}.{i}.{spec.unique_key}", "a name not used before",
                                f"{v!r}, already used by entry {seen[v]}")
                    seen.setdefault(v, i)
            ok &= all(s is not None for s in subs)
            out[name] = subs
        else:
            if name not in raw:
                if spec.default is REQUIRED:
                    ctx.add(key, spec.describe(), "nothing (the key is required)")
                    ok = False
                    out[name] = None
                    continue
                value = spec.default
                if spec.kind == "path" and value:
                    value = _validate_field(spec, value, key, ctx)
                elif spec.kind == "path":
                    value = None  # an empty optional path means "no file", as when written out

                out[name] = tuple(value) if isinstance(value, list) else value
                continue
            v = _validate_field(spec, raw[name], key, ctx)
            if v is None and not (spec.kind == "path" and spec.optional_path and raw[name] == ""):
                ok = False
            out[name] = v
    section = Section(out)
    if ok and t.check is not None:
        for sub_key, expected, found in t.check(section):
            ctx.add(f"{prefix}.{sub_key}" if prefix else sub_key, expected, found)
    return section


def validate(raw: dict, schema: Table, ctx: Context) -> Section | None:
    """Validate ``raw`` against ``schema``; problems are appended to ``ctx.problems``."""
    return _validate_table(schema, raw, "", ctx)


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_toml(path: Path, what: str) -> dict:
    """Read and parse a TOML file named by the user (``what``: "scenario", "study"): every failure -
    missing, not UTF-8, unreadable, bad syntax, nested too deep - is an InputError naming the file."""
    from pvcluster.errors import InputError

    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(Problem(where, "", f"an existing {what} file (.toml)", "no such file"),
                         headline=f"cannot read the {what}") from None
    except UnicodeDecodeError as exc:
        raise InputError(Problem(where, "", "a TOML file in UTF-8", f"byte {exc.object[exc.start]:#04x} at "
                                 f"position {exc.start}, which is not UTF-8"), headline=f"cannot read the {what}") from None
    except OSError as exc:
        raise InputError(Problem(where, "", f"a readable {what} file", exc.strerror or str(exc)),
                         headline=f"cannot read the {what}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(toml_error(Path(path), exc), headline=f"cannot parse the {what}") from None
    except RecursionError:
        raise InputError(Problem(where, "", "TOML nested to a sensible depth", "nesting too deep to parse"),
                         headline=f"cannot parse the {what}") from None


def toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> Problem:
    """A Problem naming the line of a TOML syntax error (Python 3.11-3.13 put it in the text)."""
    text = str(exc)
    m = _TOML_AT.search(text)
    line = getattr(exc, "lineno", None) or (int(m.group(1)) if m else None)
    col = getattr(exc, "colno", None) or (int(m.group(2)) if m else None)
    detail = getattr(exc, "msg", None) or _TOML_AT.sub("", text)
    where = f"{path}:{line}" if line else str(path)
    at = f" at line {line}, column {col}" if line else ""
    return Problem(where, "", "valid TOML", f"a syntax error{at}: {detail}")

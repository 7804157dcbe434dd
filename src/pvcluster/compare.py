"""Compare two runs' summaries key by key: what CI pipelines use as a regression check.

Keys are flattened to dotted paths (``finance.county_pv.npv_krw``; list items by index,
``generation.energy_station.monthly_mwh.3``). Two numbers agree when
``|a - b| <= atol + rtol * |b|`` (``numpy.isclose``'s rule, B as the reference); anything else must be
equal. Per-key tolerances go by glob (``{"finance.*.irr_fraction": (1e-6, 0.0)}``); the first matching
pattern wins, else the defaults apply.
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pvcluster.errors import InputError, Problem


@dataclass(frozen=True)
class Difference:
    key: str
    a: Any
    b: Any
    reason: str  # "value", "missing in A", "missing in B", "type"

    @property
    def abs_diff(self) -> float | None:
        return abs(self.a - self.b) if _is_number(self.a) and _is_number(self.b) else None

    @property
    def rel_diff(self) -> float | None:
        d = self.abs_diff
        return None if d is None else (d / abs(self.b) if self.b else math.inf if d else 0.0)

    def __str__(self) -> str:
        if self.reason != "value":
            return f"{self.key}: {self.reason} (A {_show(self.a)}, B {_show(self.b)})"
        if self.abs_diff is not None:
            return (f"{self.key}: A {_show(self.a)}, B {_show(self.b)} (difference {self.abs_diff:.6g}, "
                    f"relative {self.rel_diff:.3g})")
        return f"{self.key}: A {_show(self.a)}, B {_show(self.b)}"


_MISSING = object()


def _show(x) -> str:
    return "-" if x is _MISSING else json.dumps(x) if not isinstance(x, float) else f"{x:.10g}"


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def load_summary(path: str | Path, label: str = "A") -> dict:
    """A summary.json file, or a run folder holding one; InputError naming the file otherwise."""
    p = Path(path)
    file = p / "summary.json" if p.is_dir() else p
    if not file.is_file():
        raise InputError(Problem(str(p), "", f"a summary.json file or a run folder holding one ({label})",
                                 "no such file" if not p.exists() else "a folder without summary.json"))
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(Problem(str(file), "", "a JSON summary written by pvcluster", f"{type(exc).__name__}: {exc}"))
    if not isinstance(data, dict):
        raise InputError(Problem(str(file), "", "a JSON object (a pvcluster summary)", type(data).__name__))
    return data


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists as one dict of dotted keys to scalars."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list):
        if not value:
            out[prefix] = []
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}.{i}"))
    else:
        out[prefix] = value
    return out


def tolerance_for(key: str, rtol: float, atol: float,
                  tolerances: Mapping[str, tuple[float, float]] | None) -> tuple[float, float]:
    for pattern, tol in (tolerances or {}).items():
        if fnmatch.fnmatchcase(key, pattern):
            return tol
    return rtol, atol


def compare(a: Mapping | str | Path, b: Mapping | str | Path, *, rtol: float = 1e-9, atol: float = 0.0,
            keys: Sequence[str] | None = None,
            tolerances: Mapping[str, tuple[float, float]] | None = None) -> list[Difference]:
    """Every key of two summaries (dicts, summary.json files or run folders) that differs beyond tolerance.

    Parameters
    ----------
    a, b : mapping, str or Path
        The summaries; ``b`` is the reference of the relative tolerance.
    rtol, atol : float
        Default relative and absolute tolerances for numbers.
    keys : sequence of str, optional
        Glob patterns of dotted keys to compare (``"finance.*.npv_krw"``); all keys when None.
    tolerances : mapping, optional
        Glob pattern -> (rtol, atol) for the keys it matches (first match wins).
    """
    fa = flatten(a if isinstance(a, Mapping) else load_summary(a, "A"))
    fb = flatten(b if isinstance(b, Mapping) else load_summary(b, "B"))
    out = []
    for key in sorted(set(fa) | set(fb)):
        if keys and not any(fnmatch.fnmatchcase(key, k) for k in keys):
            continue
        va, vb = fa.get(key, _MISSING), fb.get(key, _MISSING)
        if va is _MISSING or vb is _MISSING:
            out.append(Difference(key, va, vb, "missing in A" if va is _MISSING else "missing in B"))
        elif _is_number(va) and _is_number(vb):
            r, t = tolerance_for(key, rtol, atol, tolerances)
            if not math.isclose(va, vb, rel_tol=0.0, abs_tol=t + r * abs(vb)):
                out.append(Difference(key, va, vb, "value"))
        elif type(va) is not type(vb) and not (va is None or vb is None):
            out.append(Difference(key, va, vb, "type"))
        elif va != vb:
            out.append(Difference(key, va, vb, "value"))
    return out

"""pvcluster's Python API: run the chain in memory and get typed results; write files only when asked.

>>> import pvcluster
>>> results = pvcluster.run(overrides={"sizing.periods": "typical_days"})    # doctest: +SKIP
>>> results.finance.projects["county_pv"].npv_krw                           # doctest: +SKIP
>>> results.hourly["county_grid_import_kw"].resample("MS").sum()             # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pvcluster.pipeline import Results, compute
from pvcluster.scenario import Scenario
from pvcluster.scenario import load_scenario as _load

__all__ = ["run", "load_scenario", "Results"]


def _override_strings(overrides) -> list[str]:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [f"{key}={_toml(value)}" for key, value in overrides.items()]
    if isinstance(overrides, str):
        return [overrides]
    return [str(o) for o in overrides]


def _toml(value: Any) -> str:
    """A Python value as a TOML literal (for ``--set``-style overrides)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"overrides: expected numbers, strings, booleans or lists of them; found {type(value).__name__}")


def load_scenario(path_or_name: str | Path | None = None, overrides: Mapping[str, Any] | Sequence[str] | None = None
                  ) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    path_or_name : str or Path, optional
        A scenario TOML file, or the name of a packaged scenario (``"yeongwol"``); None is the packaged
        default.
    overrides : mapping or sequence of str, optional
        Values to set before validation, as ``{"plant.capacity_kwp": 40000}`` or
        ``["plant.capacity_kwp=40000"]`` (any key path ``--set`` accepts, facts as
        ``overrides.<kind>.<fact>``).

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    pvcluster.errors.InputError
        Listing every problem (file, key, expected, found).
    """
    path = None
    if path_or_name is not None:
        candidate = Path(path_or_name)
        if not candidate.suffix and not candidate.exists():
            from pvcluster.resources import data_root

            packaged = data_root() / "models" / f"{path_or_name}.toml"
            candidate = packaged if packaged.is_file() else candidate
        path = candidate
    return _load(path, _override_strings(overrides))


def run(scenario: Scenario | str | Path | None = None, *, overrides: Mapping[str, Any] | Sequence[str] | None = None,
        out_dir: str | Path | None = None, progress: Callable[[str], None] | None = None,
        format: str = "csv", sensitivity: bool = True) -> Results:
    """Run the whole chain in memory.

    Parameters
    ----------
    scenario : Scenario, str or Path, optional
        A loaded scenario, a scenario file or a packaged scenario's name; None is the packaged default.
    overrides : mapping or sequence of str, optional
        Values to set (see :func:`load_scenario`); only with a file, a name or None.
    out_dir : str or Path, optional
        Also write the output folder there (as ``pvcluster run --out``); by default nothing is written.
    progress : callable, optional
        Receives a line of text per stage.
    format : {"csv", "parquet"}
        Format of the hourly and cash-flow tables when writing.
    sensitivity : bool
        Compute the one-at-a-time sensitivity of the portfolio NPV (a few seconds; the report's headline
        shows its top three).

    Returns
    -------
    Results
        Each stage's record, the summary, the hourly and cash-flow tables (see :class:`Results`).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        raise TypeError("overrides: give them with a scenario file or name, or load the scenario with them")
    results = compute(scenario, progress or (lambda message: None), sensitivity=sensitivity)
    if out_dir is not None:
        results.write(out_dir, format=format)
    return results

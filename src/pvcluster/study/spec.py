"""The study file: what to vary, how to sample it, what to keep - validated like a scenario.

A study file is TOML::

    scenario = ""              # a scenario file (relative to the study file), "" = the embedded default
    method = "monte_carlo"     # grid, oat, monte_carlo, lhs, sobol or morris
    samples = 200              # cases (monte_carlo, lhs), base samples N (sobol: N (D + 2) cases),
                               # trajectories (morris: N (D + 1) cases); unused by grid and oat
    seed = 1
    design = ""                # fixed (keep the base case's sizing) or resize; "" = the method's default
    weather_years = false      # sample the synthetic ensemble's years as one more dimension
    delta_fraction = 0.1       # oat: a numeric parameter without values or bounds swings +/- this share
    outputs = []               # summary.json key paths (globs); [] = the defaults below
    correlation = []           # rank correlations of the parameters (monte_carlo, lhs), a square matrix

    [overrides]                # applied to every case, as --set
    "sizing.periods" = "typical_days"

    [[parameters]]
    key = "overrides.market.smp_krw_per_kwh"   # any key --set accepts; facts as overrides.<kind>.<fact>
    distribution = "triangular"                # uniform, normal, triangular, lognormal, discrete
    low = 90.0
    mode = 117.26
    high = 150.0

Every problem is listed at once with the file, the key, what was expected and what was found, and
a "did you mean" for misspelt keys; parameter keys and override values are checked by loading the
scenario with them, so a study fails before its first case, not in its thousandth.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pvcluster.errors import InputError, Problem
from pvcluster.schema import Context, Field, Table, TableArray, read_toml, validate

METHODS = ("grid", "oat", "monte_carlo", "lhs", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "normal", "triangular", "lognormal", "discrete")
DESIGNS = ("fixed", "resize")
#: the method's design when the study file leaves it empty: a lender's sensitivity keeps the sizing,
#: an engineer's design sweep re-sizes
DEFAULT_DESIGN = {"grid": "resize", "oat": "fixed", "monte_carlo": "fixed", "lhs": "fixed", "sobol": "fixed",
                  "morris": "fixed"}
#: outputs when the study names none (globs over summary.json's keys)
DEFAULT_OUTPUTS = ("finance.*.npv_krw", "finance.*.irr_fraction", "finance.*.equity_irr_fraction",
                   "finance.*.min_dscr", "finance.portfolio.total_npv_krw", "sizing.sites.*.pv_new_capacity_kwp",
                   "sizing.sites.*.storage_energy_kwh")

_N, _S, _I, _B = "number", "string", "integer", "bool"

PARAMETER = Table({
    "key": Field(_S, doc="a scenario key path as --set takes it; facts as overrides.<kind>.<fact>"),
    "label": Field(_S, default="", doc="a name for people (default: the key)"),
    "values": Field("value_list", default=(), doc="grid and oat levels, or a discrete distribution's values"),
    "weights": Field("number_list", default=(), ge=0, doc="a discrete distribution's weights (default: equal)"),
    "distribution": Field(_S, default="", choices=("",) + DISTRIBUTIONS),
    "low": Field(_N, default=None, doc="uniform, triangular: lower bound; normal: truncation; oat: low level"),
    "high": Field(_N, default=None, doc="uniform, triangular: upper bound; normal: truncation; oat: high level"),
    "mode": Field(_N, default=None, doc="triangular: the most likely value"),
    "mean": Field(_N, default=None, doc="normal, lognormal: the mean of the value"),
    "sd": Field(_N, default=None, gt=0, doc="normal, lognormal: the standard deviation of the value"),
})

STUDY_SCHEMA = Table({
    "scenario": Field(_S, default="", doc="scenario file, relative to the study file; empty: the embedded default"),
    "method": Field(_S, choices=METHODS),
    "samples": Field(_I, default=100, ge=1, le=1_000_000),
    "seed": Field(_I, default=1, ge=0),
    "design": Field(_S, default="", choices=("",) + DESIGNS),
    "weather_years": Field(_B, default=False),
    "delta_fraction": Field(_N, default=0.1, gt=0, lt=1),
    "outputs": Field("string_list", default=()),
    "correlation": Field("matrix", default=(), ge=-1, le=1),
    "batch_cases": Field(_I, default=0, ge=0, le=10_000, doc="cases per task; 0 = chosen from the cases and workers"),
    "warm_start": Field(_B, default=False, doc="resized cases restart HiGHS from the last case's basis: faster, "
                        "but a degenerate LP may give another dispatch of the same cost, so answers depend on "
                        "case order"),
    "overrides": Table({}, optional=True),  # free-form: checked by loading the scenario with them
    "parameters": TableArray(PARAMETER, min_items=1, unique_key="key"),
})


@dataclass(frozen=True)
class ParameterSpec:
    """One varied input: its key, and its levels or distribution."""

    key: str
    label: str
    values: tuple = ()
    weights: tuple[float, ...] = ()
    distribution: str = ""
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None

    @property
    def is_fact(self) -> bool:
        return self.key.startswith("overrides.")

    @property
    def fact_key(self) -> str:
        """``<kind>.<fact>`` of a fact parameter."""
        return self.key[len("overrides."):]


@dataclass(frozen=True)
class StudySpec:
    path: Path | None
    scenario_path: Path | None  # None: the embedded default
    method: str
    samples: int
    seed: int
    design: str
    weather_years: bool
    delta_fraction: float
    outputs: tuple[str, ...]
    correlation: tuple[tuple[float, ...], ...]
    batch_cases: int
    overrides: tuple[str, ...]  # "key=value" as --set, applied to every case
    parameters: tuple[ParameterSpec, ...]
    warm_start: bool = False  # resized cases start HiGHS from the last case's basis (ModelCache(warm=True))

    @property
    def sha256(self) -> str:
        """Identifies the study's cases (for --resume): everything but the outputs and batch size."""
        text = repr((self.scenario_path and self.scenario_path.read_bytes(), self.method, self.samples, self.seed,
                     self.design, self.weather_years, self.delta_fraction, self.correlation, self.overrides,
                     self.parameters) + ((True,) if self.warm_start else ()))
        return hashlib.sha256(text.encode()).hexdigest()


def _flatten_table(raw: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in raw.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict):
            out.update(_flatten_table(v, key))
        else:
            out[key] = v
    return out


def _parameter_problems(i: int, p: ParameterSpec, method: str, delta: float, add) -> None:
    key = f"parameters.{i}"
    sampled = method in ("monte_carlo", "lhs", "sobol", "morris")
    d = p.distribution
    if method == "grid" and not p.values:
        add(f"{key}.values", "the parameter's levels (values = [...]) for a grid", "nothing")
    if method == "oat" and not p.values and (p.low is None) != (p.high is None):
        add(f"{key}.low", "both low and high (or values, or neither: +/- delta_fraction of the base value)",
            f"low {p.low}, high {p.high}")
    if sampled and not d:
        add(f"{key}.distribution", "one of " + ", ".join(DISTRIBUTIONS) + f" (method {method} samples it)", "nothing")
    if not sampled and d:
        add(f"{key}.distribution", f"no distribution (method {method} takes values or low/high)", repr(d))
    if not sampled:
        return
    need = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"), "normal": ("mean", "sd"),
            "lognormal": ("mean", "sd"), "discrete": ()}.get(d, ())
    for name in need:
        if getattr(p, name) is None:
            add(f"{key}.{name}", f"a number ({d} distribution)", "nothing")
    if d == "discrete" and not p.values:
        add(f"{key}.values", "the discrete distribution's values", "nothing")
    if d != "discrete" and p.values:
        add(f"{key}.values", f"no values with a {d} distribution (values belong to discrete)", f"{list(p.values)}")
    if p.weights and (d != "discrete" or len(p.weights) != len(p.values) or sum(p.weights) <= 0):
        add(f"{key}.weights", "one weight >= 0 per value of a discrete distribution, summing above 0",
            f"{list(p.weights)}")
    if d in ("uniform", "triangular") and None not in (p.low, p.high) and not p.low < p.high:
        add(f"{key}.high", f"a bound above low ({p.low})", repr(p.high))
    if d == "triangular" and None not in (p.low, p.mode, p.high) and not p.low <= p.mode <= p.high:
        add(f"{key}.mode", f"a value from low ({p.low}) to high ({p.high})", repr(p.mode))
    if d == "normal" and None not in (p.low, p.high) and not p.low < p.high:
        add(f"{key}.high", f"a truncation above low ({p.low})", repr(p.high))
    if d == "lognormal" and p.mean is not None and p.mean <= 0:
        add(f"{key}.mean", "a mean > 0 (a lognormal value is positive)", repr(p.mean))
    if d in ("lognormal", "discrete") and (p.low is not None or p.high is not None):
        add(f"{key}.low", f"no low or high with a {d} distribution (they are not truncated)",
            f"low {p.low}, high {p.high}")


def load_study(path: str | Path) -> StudySpec:
    """Read and validate a study file; InputError lists every problem (file, key, expected, found)."""
    path = Path(path)
    where = str(path)
    raw = read_toml(path, "study")
    overrides_raw = raw.pop("overrides", {}) if isinstance(raw.get("overrides"), dict) else raw.get("overrides")
    ctx = Context(where=where, base_dir=path.parent)
    section = validate(raw, STUDY_SCHEMA, ctx)
    if overrides_raw is not None and not isinstance(overrides_raw, dict):
        ctx.add("overrides", "a table of scenario keys and values", repr(overrides_raw))
        overrides_raw = {}
    problems = list(ctx.problems)
    if section is None or problems:
        raise InputError(problems or [Problem(where, "", "a study", "nothing valid")], headline="invalid study")
    return _build(path, section, overrides_raw or {})


def _build(path: Path, s, overrides_raw: dict) -> StudySpec:
    from pvcluster.api import _toml

    where = str(path)
    problems: list[Problem] = []

    def add(key: str, expected: str, found: str) -> None:
        problems.append(Problem(where, key, expected, found))

    scenario_path = None
    if s.scenario:
        scenario_path = (path.parent / s.scenario).resolve() if not Path(s.scenario).is_absolute() else Path(s.scenario)
        if not scenario_path.is_file():
            add("scenario", "an existing scenario file (relative to the study file)", f"{s.scenario!r}, which is not "
                f"at {scenario_path}")
    params = tuple(ParameterSpec(key=p.key, label=p.label or p.key, values=tuple(p["values"]), weights=tuple(p["weights"]),
                                 distribution=p.distribution, low=p.low, high=p.high, mode=p.mode, mean=p.mean,
                                 sd=p.sd) for p in s.parameters)
    for i, p in enumerate(params):
        _parameter_problems(i, p, s.method, s.delta_fraction, add)
    n = len(params)
    corr = tuple(s.correlation)
    if corr:
        if s.method not in ("monte_carlo", "lhs"):
            add("correlation", "no correlation (sobol and morris need independent inputs; grid and oat are not "
                "sampled)", f"a {len(corr)} x {len(corr)} matrix")
        elif len(corr) != n:
            add("correlation", f"a {n} x {n} matrix (one row per parameter)", f"{len(corr)} x {len(corr)}")
        else:
            import numpy as np

            c = np.asarray(corr)
            if not np.allclose(c, c.T) or not np.allclose(np.diag(c), 1.0):
                add("correlation", "a symmetric matrix with ones on the diagonal", f"{[list(r) for r in corr]}")
            elif np.linalg.eigvalsh(c).min() <= 1e-10:
                add("correlation", "a positive definite matrix (a correlation that can exist)",
                    f"smallest eigenvalue {np.linalg.eigvalsh(c).min():.3g}")
            if s.samples < max(10, 2 * n):
                add("samples", f"at least {max(10, 2 * n)} cases to impose a {n} x {n} rank correlation",
                    str(s.samples))
            if any(p.distribution == "discrete" and any(isinstance(v, str | bool) for v in p.values) for p in params):
                add("correlation", "numeric parameters only (a rank correlation needs an order)",
                    "a discrete parameter with text values")
    if s.weather_years and s.method == "oat":
        add("weather_years", "false for oat (a tornado moves one input at a time; sample the weather years with "
            "monte_carlo, lhs, sobol or morris, or sweep them in a grid)", "true")
    design = s.design or DEFAULT_DESIGN[s.method]
    overrides = tuple(f"{k}={_toml(v)}" for k, v in _flatten_table(overrides_raw).items())
    if s.method in ("sobol", "morris") and s.samples < 2:
        add("samples", f"at least 2 base samples for {s.method}", str(s.samples))
    spec = StudySpec(path=path, scenario_path=scenario_path, method=s.method, samples=s.samples, seed=s.seed,
                     design=design, weather_years=s.weather_years, delta_fraction=s.delta_fraction,
                     outputs=tuple(s.outputs) or DEFAULT_OUTPUTS, correlation=corr, batch_cases=s.batch_cases,
                     overrides=overrides, parameters=params, warm_start=s.warm_start)
    if problems:
        raise InputError(problems, headline="invalid study")
    problems += check_against_scenario(spec)
    if problems:
        raise InputError(problems, headline="invalid study")
    return spec


def representative(p: ParameterSpec) -> Any:
    """A value of the parameter to check its key with (the first level, or the distribution's centre)."""
    if p.values:
        return p.values[0]
    for v in (p.mode, p.mean):
        if v is not None:
            return v
    if p.low is not None and p.high is not None:
        return 0.5 * (p.low + p.high)
    return None


def check_against_scenario(spec: StudySpec) -> list[Problem]:
    """Load the scenario with the study's overrides and every parameter at a representative value: unknown
    keys, values of the wrong type and design conflicts are found now. Returns the problems."""
    from pvcluster.api import _toml
    from pvcluster.scenario import load_scenario
    from pvcluster.study.engine import fixed_design_allows, setting_value, stage_of

    where = str(spec.path) if spec.path else "study"
    problems: list[Problem] = []

    def relabel(err: InputError, key: str) -> list[Problem]:
        return [Problem(where, f"{key}: {p.key}" if p.key and p.key != key else key, p.expected, p.found)
                for p in err.problems]

    try:
        base = load_scenario(spec.scenario_path, list(spec.overrides))
    except InputError as err:
        return relabel(err, "overrides")
    settings = [p for p in spec.parameters if not p.is_fact]
    facts = [p for p in spec.parameters if p.is_fact]
    for i, p in enumerate(spec.parameters):
        key = f"parameters.{i}.key"
        if spec.design == "fixed" and not fixed_design_allows(p.key):
            problems.append(Problem(where, key, "with design = \"fixed\" (the base case's sizing and loads are "
                                    "kept), a fact other than demand's, or a finance, fund, projects, polysilicon or "
                                    "plant key; or design = \"resize\"",
                                    f"{p.key!r}, which changes the {stage_of(p.key)} stage"))
        if spec.weather_years and stage_of(p.key) == "weather":
            problems.append(Problem(where, key, "with weather_years = true, no key of the weather stage (the "
                                    "ensemble's years come from the base case's climate and site)", repr(p.key)))
        if p.is_fact and p.fact_key.partition(".")[0] not in _fact_kinds():
            problems.append(Problem(where, key, "overrides.<kind>.<fact> with a kind of " + ", ".join(_fact_kinds()),
                                    repr(p.key)))
    # every level of every settings parameter (the j-th levels together: one load each), or its centre
    levels = {p.key: (list(p.values) if p.values else [representative(p)]) for p in settings}
    levels = {k: [v for v in vs if v is not None] for k, vs in levels.items()}
    seen: set[tuple[str, str]] = set()
    for j in range(max((len(v) for v in levels.values()), default=0)):
        values = {k: vs[j] for k, vs in levels.items() if j < len(vs)}
        try:
            load_scenario(spec.scenario_path, list(spec.overrides) + [f"{k}={_toml(v)}" for k, v in values.items()])
        except InputError as err:
            for prob in err.problems:
                i = next((n for n, p in enumerate(spec.parameters) if prob.key == p.key or
                          prob.key.startswith(p.key + ".") or prob.found.startswith(repr(p.key))
                          or p.key in prob.key), None)
                text = (f"{prob.key}: {prob.expected}", prob.found)
                if text not in seen:
                    seen.add(text)
                    problems.append(Problem(where, f"parameters.{i}.key" if i is not None else "parameters", *text))
    fact_values = {p.fact_key: representative(p) for p in facts
                   if representative(p) is not None and p.fact_key.partition(".")[0] in _fact_kinds()}
    for p in facts:
        if p.distribution != "discrete" and not p.values and representative(p) is None and spec.method == "oat":
            try:
                fact_values[p.fact_key] = base.facts.value(p.fact_key)
            except (KeyError, ValueError):
                pass
    if fact_values:
        try:
            base.with_facts(fact_values)
        except InputError as err:
            for prob in err.problems:
                i = next((j for j, p in enumerate(spec.parameters) if p.fact_key == prob.key), None)
                problems.append(Problem(where, f"parameters.{i}.key" if i is not None else "parameters",
                                        prob.expected, prob.found))
    if spec.method == "oat":
        for i, p in enumerate(spec.parameters):
            if not p.values and p.low is None:
                try:
                    value = setting_value(base, p.key)
                except (KeyError, IndexError, ValueError, AttributeError, TypeError):
                    value = None
                if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
                        or value == 0:
                    problems.append(Problem(where, f"parameters.{i}", "values or low/high (the base value is not a "
                                            "non-zero number to swing by delta_fraction)", repr(value)))
    if spec.weather_years and base.weather.ensemble_years < 2:
        problems.append(Problem(where, "weather_years", "a scenario with weather.ensemble_years >= 2 (the years "
                                "sampled)", f"weather.ensemble_years = {base.weather.ensemble_years}"))
    return problems


def _fact_kinds() -> list[str]:
    from pvcluster.facts import FACT_FILES

    return list(FACT_FILES)


def _has_fact(scenario, key: str) -> bool:
    try:
        scenario.facts.value(key)
        return True
    except (KeyError, ValueError, AttributeError):
        return False

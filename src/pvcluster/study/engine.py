"""Evaluate a study's cases: each recomputes only the stages downstream of what it changed.

Every parameter key belongs to the first stage that reads it (:func:`stage_of`): the weather, the
generation, the demand, the sizing or the finance. A case reuses the base case's records of every
stage before the earliest one its parameters reach, and computes the rest:

- ``design = "resize"``: the stages from that one on, sizing included (an engineer's design sweep);
- ``design = "fixed"``: the base case's sizing decisions, loads and loans are kept (a lender's
  sensitivity). Finance runs again and tests each case's cash flow on the loans as closed; where
  the energy changes (a weather year, a PV or climate fact, a plant key) the generation runs again
  and each site's dispatch is rescaled by its yield per kWp. Parameters that change loads or sizing
  inputs need ``resize`` (:func:`fixed_design_allows`).

A weather year of the synthetic ensemble replaces the weather; its generation keeps the base case's
P50/P90 exceedance (a property of the climate, not of one year).

The scenario travels as a :class:`Bundle`: the scenario file and every file it reads (input facts,
weather, roof inventories, measured loads) as bytes, so a worker on another machine needs only
pvcluster installed.
"""

from __future__ import annotations

import atexit
import hashlib
import math
import re
import shutil
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from pvcluster.errors import InfeasibleError, InputError, PvclusterError

STAGES = ("weather", "generation", "demand", "sizing", "finance")

#: the first stage reading each top-level scenario section
SECTION_STAGE = {
    "scenario": "weather", "inputs": "weather", "site": "weather", "weather": "weather",
    "plant": "generation", "rooftops": "generation", "villages": "generation", "facilities": "demand",
    "demand": "demand", "sizing": "sizing", "pilot": "sizing", "county": "sizing", "industrial_complex": "sizing",
    "plant_extension": "sizing", "finance": "finance", "polysilicon": "finance", "fund": "finance",
    "projects": "finance",
}
#: village keys that only sizing reads (the rest shape roofs, loads or meters: generation, conservatively)
VILLAGE_SIZING_KEYS = {"self_sufficiency_target_fraction", "re100", "max_rooftop_kwp", "grid_import_limit_kw",
                       "grid_export_limit_kw", "export_price", "size", "storage_min_kwh", "behind_pv"}
#: plant keys that only finance reads (how the Energy Station is valued, and its farm); the others
#: shape the trackers (generation), and installation also the extension's REC weight (sizing)
PLANT_FINANCE_KEYS = {"capex_krw", "other_revenue_krw_per_year", "valuation", "commercial_operation_year",
                      "as_built_capex_krw", "remaining_debt_krw", "remaining_debt_years", "farm_area_ha",
                      "farm_capex_krw"}
#: the first stage reading each kind of input facts
FACT_STAGE = {"climate": "weather", "pv": "generation", "rooftops": "generation", "demand": "demand",
              "market": "sizing", "costs": "sizing", "finance": "sizing", "jobs": "finance",
              "polysilicon": "finance"}  # the LP prices capex after tax with the finance facts too
#: facts read earlier than their kind: degradation shapes the plant's yearly energy (generation)
FACT_KEY_STAGE = {"costs.pv_degradation_fraction_per_year": "generation"}
#: finance keys read earlier: the horizon shapes the plant's yearly energy, the demand's years and the
#: sizing's annualization, commissioning year and REC rule
FINANCE_EARLY_KEYS = {"analysis_years": "generation", "construction_years": "generation"}


def stage_of(key: str) -> str:
    """The first stage that reads a ``--set`` key (facts as ``overrides.<kind>.<fact>``)."""
    parts = key.split(".")
    if parts[0] == "overrides":
        kind = parts[1] if len(parts) > 1 else ""
        return FACT_KEY_STAGE.get(".".join(parts[1:]), FACT_STAGE.get(kind, "weather"))
    if parts[0] == "finance" and len(parts) == 2 and parts[1] in FINANCE_EARLY_KEYS:
        return FINANCE_EARLY_KEYS[parts[1]]
    if parts[0] == "villages" and len(parts) >= 3 and parts[2] in VILLAGE_SIZING_KEYS:
        return "sizing"
    if parts[0] == "plant" and len(parts) == 2 and parts[1] in PLANT_FINANCE_KEYS:
        return "finance"
    return SECTION_STAGE.get(parts[0], "weather")  # unknown: everything again (safe)


#: scenario sections whose keys a fixed design may vary (finance prices the kept build again); plant keys
#: change the plant's energy only (its dispatch is its own); fact kinds except demand
FIXED_SECTIONS = {"finance", "fund", "projects", "polysilicon", "plant"}


def fixed_design_allows(key: str) -> bool:
    """A key a fixed design can vary without changing what was sized or the loads it was sized for."""
    parts = key.split(".")
    if parts[0] == "overrides":
        return len(parts) > 1 and parts[1] != "demand"
    if parts[0] == "finance" and len(parts) == 2 and parts[1] in FINANCE_EARLY_KEYS:
        return False
    return parts[0] in FIXED_SECTIONS


def changes_energy(key: str) -> bool:
    """The key changes PV energy (a fixed design then rescales the dispatch)."""
    return STAGES.index(stage_of(key)) <= STAGES.index("generation")


def first_stage(keys) -> str:
    """The earliest stage any of ``keys`` reaches (finance when there are none)."""
    return min((stage_of(k) for k in keys), key=STAGES.index, default="finance")


def setting_value(scenario, key: str) -> Any:
    """A scenario value by ``--set`` key path (``villages.0.households``), or a fact's by ``overrides.<kind>.<fact>``."""
    if key.startswith("overrides."):
        return scenario.facts.value(key[len("overrides."):])
    node: Any = scenario.settings
    for part in key.split("."):
        if isinstance(node, (list, tuple)):
            node = node[int(part)]
        else:
            node = node[part]
    return node.as_posix() if isinstance(node, Path) else node


# ---------------------------------------------------------------------------------------------- bundle

@dataclass(frozen=True)
class Bundle:
    """A scenario and every file it reads, as bytes, with the overrides that point at their copies."""

    scenario_name: str
    scenario_bytes: bytes
    files: tuple[tuple[str, str, bytes], ...]  # (override key, file name, bytes)
    overrides: tuple[str, ...]  # the study's own, applied after the file keys

    @property
    def sha256(self) -> str:
        h = hashlib.sha256(self.scenario_bytes)
        for key, name, data in self.files:
            h.update(key.encode() + name.encode() + hashlib.sha256(data).digest())
        h.update(repr(self.overrides).encode())
        return h.hexdigest()


def make_bundle(scenario_path: Path | None, overrides: tuple[str, ...]) -> Bundle:
    from pvcluster.resources import default_scenario
    from pvcluster.scenario import load_scenario

    scenario = load_scenario(scenario_path, list(overrides))
    path = scenario_path or default_scenario()
    files = []
    for kind, p in scenario.input_paths.items():
        files.append((f"inputs.{kind}", Path(p).name, Path(p).read_bytes()))
    if scenario.weather.source == "file" and scenario.weather.file:
        files.append(("weather.file", Path(scenario.weather.file).name, Path(scenario.weather.file).read_bytes()))
    for i, v in enumerate(scenario.villages):
        if v.buildings_file:
            files.append((f"villages.{i}.buildings_file", Path(v.buildings_file).name, Path(v.buildings_file).read_bytes()))
    for i, f in enumerate(scenario.facilities or ()):
        if f.load_file:
            files.append((f"facilities.{i}.load_file", Path(f.load_file).name, Path(f.load_file).read_bytes()))
    return Bundle(path.name, path.read_bytes(), tuple(files), tuple(overrides))


_MATERIALIZED: dict[str, Path] = {}


def materialize(bundle: Bundle) -> tuple[Path, list[str]]:
    """Write the bundle's files once per process; returns the scenario path and the overrides to load it with."""
    key = bundle.sha256
    folder = _MATERIALIZED.get(key)
    if folder is None or not folder.exists():
        folder = Path(tempfile.mkdtemp(prefix="pvcluster-study-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        (folder / bundle.scenario_name).write_bytes(bundle.scenario_bytes)
        for i, (_, name, data) in enumerate(bundle.files):
            (folder / f"f{i}_{name}").write_bytes(data)
        _MATERIALIZED[key] = folder
    extra = [f'{k}="{(folder / f"f{i}_{name}").as_posix()}"' for i, (k, name, _) in enumerate(bundle.files)]
    return folder / bundle.scenario_name, extra + list(bundle.overrides)


def load_bundle_scenario(bundle: Bundle, more: list[str] | None = None):
    from pvcluster.scenario import load_scenario

    path, overrides = materialize(bundle)
    return load_scenario(path, overrides + list(more or ()))


# ---------------------------------------------------------------------------------------------- base

@dataclass
class Base:
    """The base case's records, computed once per study and shipped to every worker."""

    scenario: Any
    weather: Any
    generation: Any
    demand: Any
    sizing: Any
    finance: Any
    summary: dict
    output_keys: tuple[str, ...]
    seconds: float = 0.0
    #: stage records of earlier cases in this process, by what they were computed from (bounded LRU)
    cache: OrderedDict = field(default_factory=OrderedDict)
    loans: dict | None = None  # the base case's loans at financial close (base_loans)
    #: built site models of the last resized case, a sizing.ModelCache per thread of this process (a
    #: worker of an external Dask cluster may run cases in several threads); never shipped
    models: Any = field(default=None, repr=False)
    warm_start: bool = False  # the study's warm_start: reused models restart HiGHS from the last basis

    def __getstate__(self):
        state = dict(self.__dict__)
        state["models"] = None  # Pyomo models and HiGHS solvers stay in the process that built them
        return state

    def site_models(self):
        """This thread's model cache (made on first use)."""
        import threading

        from pvcluster.sizing import ModelCache

        if self.models is None:
            self.models = {}
        tid = threading.get_ident()
        if tid not in self.models:
            self.models[tid] = ModelCache(warm=self.warm_start)
        return self.models[tid]

    @property
    def model_cache(self):
        """This thread's model cache, None when no case of this thread reused models."""
        import threading

        return (self.models or {}).get(threading.get_ident())


def build_base(bundle: Bundle, outputs: tuple[str, ...], processes: int = 1) -> Base:
    """The base case. ``processes``: sizing worker processes for the base case itself (it runs in the
    study's own process, which may start them); the cases keep the bundle's ``sizing.processes = 1``
    (a Dask worker may not). The sizing's answer does not depend on the number of processes."""
    from pvcluster.pipeline import compute

    t0 = time.perf_counter()
    scenario = load_bundle_scenario(bundle)
    run_as = load_bundle_scenario(bundle, [f"sizing.processes={processes}"]) if processes > 1 else scenario
    results = compute(run_as, sensitivity=False)
    keys = resolve_outputs(results.summary, outputs)
    return Base(scenario, results.weather, results.generation, results.demand, results.sizing, results.finance,
                results.summary, keys, time.perf_counter() - t0)


def glob_regex(pattern: str) -> re.Pattern:
    """A key glob: ``*`` matches within one dotted segment, ``**`` across segments, ``?`` one character."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^.]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^.]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def resolve_outputs(summary: dict, patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The summary keys matching the output globs (numbers and nulls only), in the patterns' order."""
    from pvcluster.compare import flatten

    flat = flatten(summary)
    keys: list[str] = []
    for pattern in patterns:
        rx = glob_regex(pattern)
        hits = [k for k, v in flat.items() if rx.match(k)
                and (v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)))]
        keys += [k for k in hits if k not in keys]
    return tuple(keys)


def missing_outputs(summary: dict, patterns: tuple[str, ...]) -> list[str]:
    """Output globs that match no numeric key of the base case's summary."""
    return [p for p in patterns if not resolve_outputs(summary, (p,))]


# ---------------------------------------------------------------------------------------------- cases

def _site_energy_ratios(base: Base, generation, scenario) -> dict[str, float]:
    """Each sized site's PV yield per kWp in ``generation`` over the base case's (the rescaling of a fixed
    design: the built kWp stay, their yield changes)."""
    def per_kwp(energy: float, kwp: float) -> float:
        return energy / kwp if kwp > 0 else 0.0

    b, g = base.generation, generation
    plant_base = per_kwp(b.plant_annual_mwh(), base.scenario.plant.capacity_kwp)
    plant_case = per_kwp(g.plant_annual_mwh(), scenario.plant.capacity_kwp)
    flat_base = float(np.sum(b.flat_roof_ac_kw_per_kwp))
    flat_ratio = float(np.sum(g.flat_roof_ac_kw_per_kwp)) / flat_base if flat_base > 0 else 1.0
    ratios: dict[str, float] = {}
    for name in base.sizing.sites:
        if name in b.rooftops and name in g.rooftops:
            yb = per_kwp(b.rooftops[name].annual_mwh, b.rooftops[name].potential_kwp)
            yc = per_kwp(g.rooftops[name].annual_mwh, g.rooftops[name].potential_kwp)
            ratios[name] = yc / yb if yb > 0 else 1.0
        elif name == "plant_extension":
            ratios[name] = plant_case / plant_base if plant_base > 0 else 1.0
        else:
            ratios[name] = flat_ratio
    return ratios


def _rescaled_sizing(base: Base, generation, scenario):
    from pvcluster.market import scale_pv

    ratios = _site_energy_ratios(base, generation, scenario)
    sites = {}
    for name, site in base.sizing.sites.items():
        r = ratios.get(name, 1.0)
        if site.dispatch is None or abs(r - 1.0) < 1e-12:
            sites[name] = site
            continue
        sites[name] = replace(site, dispatch=scale_pv(site.dispatch, r),
                              baseline=scale_pv(site.baseline, r) if site.baseline is not None else None)
    return replace(base.sizing, sites=sites)


def _scaled_exceedance(base_generation, generation, scenario) -> dict:
    """The base case's exceedance at each system's energy in ``generation`` and the case's stated
    uncertainties (the weather spread stays the base climate's)."""
    from pvcluster.generation import FLEET

    def energy(g, name: str) -> float:
        if name == g.plant_name:
            return g.plant_annual_mwh()
        if name == FLEET:
            return sum(r.annual_mwh for r in g.rooftops.values())
        return g.rooftops[name].annual_mwh if name in g.rooftops else 0.0

    pv = scenario.facts.pv
    out = {}
    for name, e in base_generation.exceedance.items():
        before = energy(base_generation, name)
        p50 = e.p50_mwh * (energy(generation, name) / before if before > 0 else 1.0)
        out[name] = e.at(p50, pv.resource_uncertainty_fraction, pv.model_uncertainty_fraction)
    return out


def _year_weather(base: Base, year: int):
    return replace(base.weather.ensemble[year], ensemble=())


def evaluate_case(bundle: Bundle, base: Base, design: str, values: dict[str, Any],
                  weather_year: int | None = None) -> dict[str, Any]:
    """One case: {"outputs": {key: value}, "status": "ok" | "input_error" | "infeasible" | "error",
    "message": str, "seconds": float}. Never raises for a bad case."""
    from pvcluster.api import _toml
    from pvcluster.finance import build_finance

    def run():
        case = _prepare(bundle, base, design, values, weather_year, _toml)
        args, kwargs = case.finance_call
        return _finish(base, case, build_finance(*args, **kwargs))

    return _row(*_attempt(run))


def _attempt(run) -> tuple[Any, str, str, float]:
    """``run()`` with a case's errors as its status and message: (value, status, message, seconds)."""
    t0 = time.perf_counter()
    try:
        value, status, message = run(), "ok", ""
    except InputError as err:
        value, status, message = None, "input_error", "; ".join(str(p) for p in err.problems)
    except InfeasibleError as err:
        value, status, message = None, "infeasible", str(err)
    except PvclusterError as err:
        value, status, message = None, "input_error", str(err)
    except Exception as err:  # noqa: BLE001 - a case's bug is its row's message, never the study's end
        value, status, message = None, "error", f"{type(err).__name__}: {err}"
    return value, status, message, time.perf_counter() - t0


def _row(outputs, status: str, message: str, seconds: float) -> dict[str, Any]:
    return {"outputs": outputs if status == "ok" else {}, "status": status, "message": message, "seconds": seconds}


@dataclass
class _Case:
    """A case up to its finance: the scenario and stage records it prices, and build_finance's arguments."""

    scenario: Any
    weather: Any
    generation: Any
    demand: Any
    sizing: Any
    finance_call: tuple[tuple, dict]


def _prepare(bundle, base: Base, design: str, values: dict[str, Any], weather_year, toml) -> _Case:
    from pvcluster.generation import build_generation
    from pvcluster.sizing import build_sizing
    from pvcluster.weather import build_weather

    values = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in values.items()}
    facts = {k[len("overrides."):]: v for k, v in values.items() if k.startswith("overrides.")}
    settings = {k: v for k, v in values.items() if not k.startswith("overrides.")}
    stage = first_stage(values)
    if weather_year is not None:
        stage = "weather"
    scenario = base.scenario
    if settings:
        scenario = load_bundle_scenario(bundle, [f"{k}={toml(v)}" for k, v in settings.items()])
    if facts:
        scenario = scenario.with_facts(facts)
    reached = STAGES.index(stage)
    weather, generation, demand = base.weather, base.generation, base.demand

    def cached(name: str, build, *variant):
        return _cached(base, name, values, weather_year, build, *variant)

    if reached <= STAGES.index("weather"):
        weather = _year_weather(base, weather_year) if weather_year is not None else \
            cached("weather", lambda: build_weather(scenario))
    if reached <= STAGES.index("generation"):
        if weather_year is None and stage == "weather":
            # the site or climate changed: its ensemble and P-values too (the whole generation stage)
            generation = cached("generation", lambda: build_generation(scenario, weather), "full")
        else:  # one year, or the base year with other PV facts: the climate's spread, this PV's energy
            def light():
                g = build_generation(scenario, replace(weather, ensemble=()))
                pv = scenario.facts.pv
                exceedance = ({n: e.at(e.p50_mwh, pv.resource_uncertainty_fraction, pv.model_uncertainty_fraction)
                               for n, e in base.generation.exceedance.items()} if weather_year is not None
                              else _scaled_exceedance(base.generation, g, scenario))
                return replace(g, exceedance=exceedance)
            generation = cached("generation", light, "light")
    given_debt = None
    if design == "fixed":
        sizing = base.sizing if reached > STAGES.index("generation") else _rescaled_sizing(base, generation, scenario)
        demand = base.demand
        given_debt = base_loans(base)  # the loans as at financial close: each case tests its cash flow on them
    else:
        if reached <= STAGES.index("demand"):
            demand = cached("demand", lambda: _checked_demand(scenario, weather))
        sizing = base.sizing if reached > STAGES.index("sizing") else \
            build_sizing(scenario, generation, demand, models=base.site_models() if REUSE_MODELS else None)
    finance_call = ((scenario, generation, demand, sizing),
                    dict(projects=needed_projects(base), given_debt=given_debt,
                         polysilicon_details=any(k.startswith("finance.polysilicon.") for k in base.output_keys),
                         jobs=any("job" in k for k in base.output_keys), fund=needs_fund(base.output_keys)))
    return _Case(scenario, weather, generation, demand, sizing, finance_call)


def _finish(base: Base, case: _Case, finance) -> dict[str, Any]:
    return extract(base.output_keys, case.scenario, case.sizing, finance, case.weather, case.generation, case.demand)


def base_records_only(design: str, values: dict[str, Any], weather_year: int | None) -> bool:
    """True when a case prices the base case's own stage records (a finance-only change, or any change
    after generation under a fixed design): such cases are priced together (:func:`evaluate_batch`)."""
    if weather_year is not None:
        return False
    last_shared = "generation" if design == "fixed" else "sizing"
    return STAGES.index(first_stage(values)) > STAGES.index(last_shared)


#: finance summary sections that are not projects: any key under them needs every project
_ROLL_UPS = {"portfolio", "jobs", "money", "energy_station_basis"}


def needs_fund(keys) -> bool:
    """Whether outputs need the fund: a key under ``finance.fund``, or in a section of the summary that
    is not one stage's (it may quote the fund). The portfolio's roll-ups do not hold the fund."""
    stages = ("finance", "sizing", "generation", "demand", "weather", "scenario")
    return any(k == "finance.fund" or k.startswith("finance.fund.") or k.split(".")[0] not in stages for k in keys)


def needed_projects(base: Base) -> set[str] | None:
    """The projects finance must price for the outputs (None: all of them)."""
    names: set[str] = set()
    for key in base.output_keys:
        parts = key.split(".")
        if parts[0] != "finance":
            if parts[0] in ("generation", "demand", "weather", "scenario", "sizing"):
                continue
            return None
        section = parts[1] if len(parts) > 1 else ""
        if section in _ROLL_UPS or section == "polysilicon" or not section:
            return None
        if section == "fund":
            names |= {"fund", *base.scenario.fund.projects}
        else:
            names.add(section)
        poly = base.scenario.polysilicon
        if poly is not None and section == poly.facility:
            names.add("industrial_complex_pv")  # its PPA price is that project's LCOE
    return names


def _checked_demand(scenario, weather):
    """The demand, with the meters' contracts checked against it as a run checks them."""
    from pvcluster.demand import build_demand
    from pvcluster.pipeline import check_meters_or_raise

    demand = build_demand(scenario, weather)
    check_meters_or_raise(scenario, demand)
    return demand


def base_loans(base: Base) -> dict[str, tuple[float, tuple[float, ...]]]:
    """Each base-case project's loan as at financial close: the amount drawn and the scheduled debt
    service of its tenor (nominal KRW). A fixed design keeps them, as a lender tests a closed loan."""
    if base.loans is None:
        loans = {}
        for name, r in base.finance.projects.items():
            p = base.finance.inputs[name]
            if p.debt is None or r.debt_krw <= 0 or p.existing_debt_krw > 0:
                continue
            c = p.construction_years
            drawn = float(r.table["debt_draw_krw"].sum())
            service = tuple(float(x) for x in r.table["debt_service_krw"].to_numpy()[c:c + p.debt.tenor_years])
            loans[name] = (drawn, service)
        base.loans = loans
    return base.loans


#: a resized case takes back the built model of a site whose data the last case had too (budget sweeps,
#: another site's or its own nonzero self-sufficiency target); HiGHS restarts from scratch on it unless
#: the study asks for warm_start. Off only to measure what it saves (benchmarks/study_speed.py)
REUSE_MODELS = True

CACHE_ENTRIES = 12  # stage records kept per worker process (a year's weather, generation or demand: ~1-2 MB)


def _cached(base: Base, name: str, values: dict[str, Any], weather_year, build, *variant):
    """``build()``, or the record an earlier case computed from the same keys of stage ``name`` and before
    (and the same weather year): two cases of a grid that differ only in a sizing key share their demand."""
    upto = STAGES.index(name)
    key = (name, weather_year, variant, tuple(sorted((k, repr(v)) for k, v in values.items()
                                                     if STAGES.index(stage_of(k)) <= upto)))
    if key in base.cache:
        base.cache.move_to_end(key)
        return base.cache[key]
    value = build()
    base.cache[key] = value
    while len(base.cache) > CACHE_ENTRIES:
        base.cache.popitem(last=False)
    return value


def extract(keys: tuple[str, ...], scenario, sizing, finance, weather, generation, demand) -> dict[str, Any]:
    """The output keys' values, from the summary sections they live in (finance and sizing are cheap)."""
    from pvcluster.compare import flatten
    from pvcluster.report.tables import finance_summary, round_floats, sizing_summary, summary_dict

    sections = {k.split(".", 1)[0] for k in keys}
    if sections <= {"finance", "sizing"}:
        summary = {}
        if "finance" in sections:
            summary["finance"] = finance_summary(finance, keys)
        if "sizing" in sections:
            summary["sizing"] = sizing_summary(scenario, sizing)
        summary = round_floats(summary)
    else:
        summary = summary_dict(scenario, weather, generation, demand, sizing, finance)
    flat = flatten(summary)
    out = {}
    for k in keys:
        v = flat.get(k)
        out[k] = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None
    return out


def evaluate_batch(bundle: Bundle, base: Base, design: str, rows: list[tuple[int, dict, int | None]]) -> list[dict]:
    """Cases ``(case id, values, weather year)`` in order; the rows of ``cases.parquet``.

    The cases that price the base case's own records (:func:`base_records_only`) are prepared one by
    one and then priced side by side (:func:`pvcluster.finance.build_finances`: the same project of
    every case computed as arrays); each such row's seconds are its own preparation and summary plus an
    even share of that. The others run one at a time (:func:`evaluate_case`)."""
    from pvcluster.api import _toml
    from pvcluster.finance import build_finances

    out: list = [None] * len(rows)
    together: list[tuple[int, _Case, float]] = []
    for pos, (case, values, year) in enumerate(rows):
        if not base_records_only(design, values, year):
            out[pos] = {"case": case, **evaluate_case(bundle, base, design, values, year)}
            continue
        prepared, status, message, seconds = _attempt(lambda: _prepare(bundle, base, design, values, None, _toml))
        if status == "ok":
            together.append((pos, prepared, seconds))
        else:
            out[pos] = {"case": case, **_row(None, status, message, seconds)}
    if together:
        t0 = time.perf_counter()
        finances = build_finances([prepared.finance_call for _, prepared, _ in together])
        share = (time.perf_counter() - t0) / len(together)
        for (pos, prepared, seconds), finance in zip(together, finances):
            def finish(prepared=prepared, finance=finance):
                if isinstance(finance, BaseException):
                    raise finance
                return _finish(base, prepared, finance)

            outputs, status, message, more = _attempt(finish)
            out[pos] = {"case": rows[pos][0], **_row(outputs, status, message, seconds + share + more)}
    return out

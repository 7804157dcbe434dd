"""The chain: scenario -> weather -> generation and demand -> sizing -> finance -> sensitivity.

:func:`compute` runs every stage in memory and returns :class:`Results` (each stage's frozen record,
the summary, the hourly and cash-flow tables); it writes nothing. :func:`run` computes and writes the
output folder, as the command line does. Each stage reads only what the stages before it produced;
``progress`` receives a line per stage (the command line prints them on stderr).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pvcluster.scenario import Scenario

if TYPE_CHECKING:  # a sizing worker that imports this module needs no pandas (0.2-0.4 s)
    import pandas as pd


def _quiet(message: str) -> None:
    pass


def check_meters_or_raise(scenario: Scenario, demand) -> None:
    """Every meter's contract against its tariff class and its load before PV (an InputError lists all)."""
    from pvcluster.errors import InputError
    from pvcluster.sizing.meters import check_meters

    problems = check_meters(scenario, demand)
    if problems:
        raise InputError(problems, headline=f"{len(problems)} meter contract problem{'s' if len(problems) != 1 else ''}"
                                            f" in scenario {scenario.path}")


def prechecks(scenario: Scenario) -> None:
    """What ``pvcluster validate`` checks beyond the scenario file, with the run's own readers and bounds:
    the weather file, the roof inventories and measured loads, every meter's contract, and loads against
    grid limits (InputError exit 2, InfeasibleError exit 3). Costs a few seconds, no sizing."""
    from pvcluster.demand import build_demand
    from pvcluster.generation import build_generation
    from pvcluster.sizing import precheck_run, site_inputs
    from pvcluster.weather import build_weather

    weather = build_weather(scenario)
    demand = build_demand(scenario, weather)
    check_meters_or_raise(scenario, demand)
    precheck_run(scenario, site_inputs(scenario, build_generation(scenario, weather, exceedance=False), demand))


@dataclass(frozen=True)
class Results:
    """Everything a run computed, in memory.

    Attributes
    ----------
    scenario : pvcluster.scenario.Scenario
        The validated scenario (settings and facts with provenance).
    weather, generation, demand, sizing, finance
        Each stage's frozen record (:class:`pvcluster.weather.Weather`, :class:`pvcluster.generation.Generation`,
        :class:`pvcluster.demand.Demand`, :class:`pvcluster.sizing.Sizing` with a
        :class:`pvcluster.sizing.results.SiteResult` per site, :class:`pvcluster.finance.Finance`).
    sensitivity : pandas.DataFrame
        One-at-a-time swings of the portfolio NPV (real KRW) for +/- a share of key inputs, the sizing
        held fixed (:mod:`pvcluster.sensitivity`); empty when it was not computed.
    summary : dict
        The headline results, as written to ``summary.json`` (units in key names).
    timings_s : dict
        Seconds per stage (they vary run to run; ``manifest.json`` holds them).
    """

    scenario: Scenario
    weather: object
    generation: object
    demand: object
    sizing: object
    finance: object
    sensitivity: pd.DataFrame
    summary: dict
    timings_s: dict = field(default_factory=dict, compare=False)

    @cached_property
    def hourly(self) -> pd.DataFrame:
        """One row per hour (tz-aware, hour-beginning): weather, generation, demand and every site's dispatch,
        the columns of ``hourly.csv``."""
        from pvcluster.report.tables import hourly_table

        return hourly_table(self.weather, self.generation, self.demand, self.sizing)

    @cached_property
    def cashflows(self) -> dict[str, pd.DataFrame]:
        """Project name -> its yearly cash-flow table (money columns nominal KRW, ``*_nominal_krw``)."""
        from pvcluster.report import nominal_names

        return {name: r.table.rename(columns=nominal_names) for name, r in self.finance.projects.items()}

    def write(self, out_dir: str | Path | None = None, format: str = "csv") -> Path:
        """Write the output folder (atomically) and return its path; ``format`` csv or parquet for the
        hourly and cash-flow tables."""
        from pvcluster.report import write_outputs

        out = Path(out_dir) if out_dir is not None else default_out_dir(self.scenario)
        write_outputs(out, self, format=format)
        return out

    def report_html(self) -> str:
        """The self-contained HTML report as a string (figures embedded)."""
        from pvcluster.report import report_html

        return report_html(self)


def default_out_dir(scenario: Scenario) -> Path:
    return Path("outputs") / scenario.scenario.name


def _first_year_checked(scenario: Scenario, weather, demand):
    """The generation stage's first year (no weather ensemble), with the sizing's bounds checked on it
    before anything expensive runs (a load beyond a grid limit fails in seconds, InfeasibleError)."""
    from pvcluster.generation import build_generation
    from pvcluster.sizing import precheck_run, site_inputs

    generation = build_generation(scenario, weather, exceedance=False)
    precheck_run(scenario, site_inputs(scenario, generation, demand))
    return generation


def _generation_checked(scenario: Scenario, weather, demand):
    """The whole generation stage: the first year checked (:func:`_first_year_checked`), then the weather
    ensemble's P-values."""
    from pvcluster.generation import with_exceedance

    return with_exceedance(scenario, weather, _first_year_checked(scenario, weather, demand))


_SIZING = ("pvcluster.sizing.cluster", "pvcluster.sizing.solve")  # what a sizing worker imports as it starts (Pyomo, highspy)
_REPORT = ("pvcluster.report.figures",)  # what drawing the report's figures imports (matplotlib)


def _workers(scenario: Scenario) -> int:
    """The worker processes a run starts ahead (:mod:`pvcluster.processes`): the sizing's, for a full year
    on more than one process; none otherwise."""
    z = scenario.sizing
    return z.processes if z.periods == "full" and z.processes > 1 else 0


def compute(scenario: Scenario, progress: Callable[[str], None] = _quiet, sensitivity: bool = True) -> Results:
    """Run every stage in memory; nothing is written."""
    return _compute(scenario, progress, sensitivity)


def _ensemble_then_import(scenario: Scenario, weather, first_year, modules: tuple[str, ...], waited_for=None):
    """The weather with its ensemble (built here when ``weather`` has none) and the ensemble's P-values on
    ``first_year``, as (weather, generation), then ``modules`` imported (what follows the run
    may need: :func:`run` names the report's figures, whose matplotlib takes 0.3 s to import), unless
    ``waited_for`` (a ``threading.Event``) is set by then: the run waits for the P-values, and the import
    would make it wait longer for what it may not need (the workers draw the figures). Not when the
    caller has pyplot already: importing the figures module selects matplotlib's Agg backend, which
    closes the caller's figures, and a GUI toolkit's may not be touched from another thread."""
    import importlib
    import sys

    from pvcluster.generation import with_exceedance
    from pvcluster.weather import with_ensemble

    weather = with_ensemble(scenario, weather)  # the run built the main year alone before the sizing
    # one thread: the workers hold the cores, and a pool's threads would keep this thread's lower priority
    # after hurry() gives it its own back
    generation = with_exceedance(scenario, weather, first_year, threads=1)
    if "matplotlib.pyplot" not in sys.modules and not (waited_for is not None and waited_for.is_set()):
        for module in modules:
            importlib.import_module(module)
    return weather, generation


def _compute(scenario: Scenario, progress: Callable[[str], None] = _quiet, sensitivity: bool = True,
             prefetch: tuple[str, ...] = (), after_sizing: Callable | None = None) -> Results:
    """:func:`compute`; ``prefetch``: modules to import beside the sizing (only where workers size);
    ``after_sizing(weather, generation, demand, sizing)`` runs once the sizing is done, before the finance
    (beside sizing workers, before the P-values are: ``generation`` then has the first year's hourly
    series, those of the final generation, without the P-values)."""
    from pvcluster.demand import build_demand
    from pvcluster.finance import build_finance
    from pvcluster.report.tables import summary_dict
    from pvcluster.sizing import build_sizing
    from pvcluster.weather import build_weather

    timings: dict[str, float] = {}
    steps = 6 if sensitivity else 5

    def stage(name: str, fn, *args, **kwargs):
        progress(f"[{len(timings) + 1}/{steps}] {name} ...")
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        timings[name] = time.perf_counter() - t0
        progress(f"      {name} done in {timings[name]:.2f} s")
        return result

    from pvcluster.processes import beside_workers, hurry, prestarted_workers

    # a full year sized on worker processes: they start now and import while the first stages run
    workers = _workers(scenario)
    with prestarted_workers(workers, imports=_SIZING):
        # beside sizing workers the ensemble (0.1-0.2 s) is built with the P-values, after the sizing starts
        weather = stage("weather", build_weather, scenario, ensemble=not workers)
        for note in weather.notes:
            progress(f"      note: {note}")
        # Checks that need no solved model run before the expensive parts: the demand (cheap) and the
        # meters' contracts, then the first year's generation and the sizing's bounds (loads against grid
        # limits), and only then the weather ensemble's P-values and the sizing.
        demand = stage("demand", build_demand, scenario, weather)
        check_meters_or_raise(scenario, demand)  # a contract that does not fit its tariff class fails here
        sized = lambda generation: stage("sizing", build_sizing, scenario, generation, demand,  # noqa: E731
                                         progress=lambda m: progress(f"      {m}"))
        if not workers:
            generation = stage("generation", _generation_checked, scenario, weather, demand)
            sizing = sized(generation)
            if after_sizing is not None:
                after_sizing(weather, generation, demand, sizing)
        else:
            # The sizing reads the first year only, so the weather ensemble's P-values (1.0-1.2 s on the
            # default scenario) are computed beside it, in a thread of this process at a lower priority,
            # while the workers size: the run no longer waits for them before the sizing starts (2.4-2.6 s
            # into the default run instead of 3.9-4.0 s; README, "Levers for the default run").
            first_year = stage("generation", _first_year_checked, scenario, weather, demand)
            waiting = threading.Event()
            with beside_workers(_ensemble_then_import, scenario, weather, first_year, prefetch, waiting) as ensemble:
                sizing = sized(first_year)
                if after_sizing is not None:  # its hourly series are the first year's: no P-values needed
                    after_sizing(weather, first_year, demand, sizing)
                t0 = time.perf_counter()
                waiting.set()
                hurry(ensemble)  # the P-values now stand between the run and its finance
                weather, generation = ensemble.result()
                timings["generation"] += time.perf_counter() - t0  # what the run still waited for it
    finance = stage("finance", build_finance, scenario, generation, demand, sizing)
    import pandas as pd

    table = pd.DataFrame()
    if sensitivity:
        from pvcluster.sensitivity import portfolio_oat

        table = stage("sensitivity", portfolio_oat, scenario, generation, demand, sizing, finance)
    summary = summary_dict(scenario, weather, generation, demand, sizing, finance, table)
    return Results(scenario, weather, generation, demand, sizing, finance, table, summary, timings)


@dataclass
class RunResult:
    out_dir: Path
    summary: dict
    results: Results
    timings_s: dict[str, float] = field(default_factory=dict)


def run(scenario: Scenario, out_dir: Path | None = None, progress: Callable[[str], None] = _quiet,
        format: str = "csv") -> RunResult:
    """Compute and write the output folder (the command line's ``pvcluster run``)."""
    from pvcluster.report.writer import check_target

    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(scenario)
    check_target(out_dir)  # a folder pvcluster may not write fails now, not after the sizing
    from pvcluster.processes import prestarted_workers

    started = []

    def start_figures(weather, generation, demand, sizing) -> None:
        """The sizing's figures and hourly.csv's text, on the workers while this process prices the projects
        (with no workers, made here at the report, as before)."""
        from pvcluster.report import start_sizing_figures

        started.append(start_sizing_figures(scenario, weather, generation, demand, sizing, hourly_csv=format == "csv"))

    # the sizing's workers, once it is done with them, import matplotlib and draw most of the figures
    with prestarted_workers(_workers(scenario), imports=_SIZING, warm=_REPORT):
        try:
            results = _compute(scenario, progress, prefetch=_REPORT, after_sizing=start_figures)
            t0 = time.perf_counter()
            progress("      writing the outputs ...")
            from pvcluster.report import write_outputs

            if started:  # the hourly table the figures were drawn from is the run's (a cached property)
                results.__dict__["hourly"] = started[0].hourly
            write_outputs(out_dir, results, format=format, started=started[0] if started else None)
        finally:
            if started:  # a stage that failed after the sizing: the workers stop drawing
                started[0].queue.close()
    results.timings_s["report"] = time.perf_counter() - t0
    progress(f"      report done in {results.timings_s['report']:.2f} s")
    return RunResult(out_dir=out_dir, summary=results.summary, results=results, timings_s=results.timings_s)

"""The chain: scenario -> weather -> generation and demand -> sizing -> finance -> report.

Each stage reads only what the stages before it produced. ``run`` times every stage and
reports progress through a callback (the command line prints it on stderr).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pvcluster.demand import build_demand
from pvcluster.finance import build_finance
from pvcluster.generation import build_generation
from pvcluster.report import write_outputs
from pvcluster.scenario import Scenario
from pvcluster.sizing import build_sizing
from pvcluster.weather import build_weather


def _quiet(message: str) -> None:
    pass


@dataclass
class RunResult:
    out_dir: Path
    summary: dict
    timings_s: dict[str, float] = field(default_factory=dict)


def check_meters_or_raise(scenario: Scenario, demand) -> None:
    """Every meter's contract against its tariff class and its load before PV (an InputError lists all)."""
    from pvcluster.errors import InputError
    from pvcluster.sizing.meters import check_meters

    problems = check_meters(scenario, demand)
    if problems:
        raise InputError(problems, headline=f"{len(problems)} meter contract problem{'s' if len(problems) != 1 else ''}"
                                            f" in scenario {scenario.path}")


def default_out_dir(scenario: Scenario) -> Path:
    return Path("outputs") / scenario.scenario.name


def run(scenario: Scenario, out_dir: Path | None = None,
        progress: Callable[[str], None] = _quiet) -> RunResult:
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(scenario)
    timings: dict[str, float] = {}

    def stage(name: str, fn, *args, **kwargs):
        progress(f"[{len(timings) + 1}/6] {name} ...")
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        timings[name] = time.perf_counter() - t0
        progress(f"      {name} done in {timings[name]:.2f} s")
        return result

    weather = stage("weather", build_weather, scenario)
    for note in weather.notes:
        progress(f"      note: {note}")
    generation = stage("generation", build_generation, scenario, weather)
    demand = stage("demand", build_demand, scenario, weather)
    check_meters_or_raise(scenario, demand)  # a contract that does not fit its tariff class fails here, not later
    sizing = stage("sizing", build_sizing, scenario, generation, demand,
                   progress=lambda m: progress(f"      {m}"))
    finance = stage("finance", build_finance, scenario, generation, demand, sizing)
    t0 = time.perf_counter()
    progress("[6/6] report ...")
    summary = write_outputs(out_dir, scenario, weather, generation, demand, sizing, finance, timings)
    timings["report"] = time.perf_counter() - t0
    progress(f"      report done in {timings['report']:.2f} s")
    return RunResult(out_dir=out_dir, summary=summary, timings_s=timings)

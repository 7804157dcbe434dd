"""Print the stage timings of the default run, with the sizing LP's build/solve split per site.

    python benchmarks/stage_timings.py [--repeat N] [--levers]

``--levers`` also prints what three of issue 17's levers measure here: whether the installed highspy
wheel has HiGHS's newer interior-point solver (HiPO), what importing the command line costs
against a bare Python start (the most lazy imports could save), and the report's figures rendered
in two processes (every other figure in a spawned process) against one after the other, on the
default scenario's typical days.

Times are wall-clock on this machine; read them as shares of one run (sizing dominates),
not as absolute numbers to compare across machines.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from pvcluster.pipeline import run
from pvcluster.scenario import load_scenario


def levers() -> None:
    import subprocess
    import sys

    import highspy
    from pyomo.common.tee import capture_output

    with capture_output(capture_fd=True) as out:
        h = highspy.Highs()
        status = h.setOptionValue("solver", "hipo")
    version = f"{h.version()}" if hasattr(h, "version") else "?"
    text = " ".join(str(out.getvalue()).split()) if hasattr(out, "getvalue") else ""
    said = text[text.find("The HiPO"):][:200] if "The HiPO" in text else ""
    print(f"lever HiPO: highspy {version}: solver = 'hipo' -> {status.name}" + (f" ({said})" if said else ""))

    def start(code: str) -> float:
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            best = min(best, time.perf_counter() - t0)
        return best

    bare, cli = start("pass"), start("import pvcluster.cli")
    print(f"lever lazy imports: python start {bare:.2f} s, import pvcluster.cli {cli:.2f} s "
          f"(at most {cli - bare:.2f} s of a run to save)")
    parallel_figures()


def _figure_jobs(results, figdir: Path) -> list:
    """The figures of render_figures as (function, arguments) pairs."""
    from pvcluster.report import figures as f

    summary, hourly = results.summary, results.hourly
    plant = f"{results.generation.plant_name}_ac_kw"
    sizes = summary["sizing"]["sites"]
    shown = [n for n, s in sizes.items() if s["served_load_kwh"] > 0 or s["pv_generation_kwh"] > 0]
    class_kw = results.demand.class_kw()
    jobs = [(f.week_figure, (hourly, plant, shown, 7, 14, "summer", figdir / "week_summer.png")),
            (f.week_figure, (hourly, plant, shown, 1, 13, "winter", figdir / "week_winter.png")),
            (f.monthly_energy_figure, (hourly, plant, shown, figdir / "monthly_energy.png")),
            (f.demand_profiles_figure, (class_kw, figdir / "demand_profiles.png")),
            (f.load_duration_figure, (class_kw, figdir / "load_duration.png")),
            (f.sizing_figure, (sizes, figdir / "sizing.png"))]
    jobs += [(f.cashflow_figure, (r.table, name, figdir / f"cashflow_{name}.png"))
             for name, r in results.finance.projects.items()]
    return jobs + [(f.tornado_figure, (summary["sensitivity"], figdir / "tornado.png"))]


def _draw(job) -> None:
    fn, args = job
    fn(*args)


def parallel_figures() -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from pvcluster.pipeline import compute

    results = compute(load_scenario(overrides=["sizing.periods=typical_days", "weather.ensemble_years=0"]))
    with tempfile.TemporaryDirectory() as tmp:
        jobs = _figure_jobs(results, Path(tmp))
        _draw(jobs[0])  # matplotlib's first figure in this process
        t0 = time.perf_counter()
        for job in jobs:
            _draw(job)
        serial = time.perf_counter() - t0
        t0 = time.perf_counter()
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
            other = [pool.submit(_draw, job) for job in jobs[1::2]]
            for job in jobs[0::2]:
                _draw(job)
            for done in other:
                done.result()
        two = time.perf_counter() - t0
    print(f"lever parallel figures: {len(jobs)} figures one after the other {serial:.2f} s, every other one in a "
          f"spawned process {two:.2f} s (its start and imports included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--levers", action="store_true")
    args = parser.parse_args()
    if args.levers:
        levers()
    for i in range(args.repeat):
        t0 = time.perf_counter()
        scenario = load_scenario()
        load_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            result = run(scenario, Path(tmp) / "yeongwol")
            manifest = json.loads((result.out_dir / "manifest.json").read_text())
        total = time.perf_counter() - t0
        print(f"run {i + 1}: default scenario, total {total:.2f} s")
        print(f"  {'stage':<26}{'seconds':>9}{'share':>8}")
        for name, seconds in {"scenario": load_s, **result.timings_s}.items():
            print(f"  {name:<26}{seconds:>9.3f}{seconds / total:>8.1%}")
        for site, t in manifest["solver_times_s"].items():
            print(f"  sizing {site:<19}build {t['build_s']:.3f} s, transfer + HiGHS {t['solve_s']:.3f} s")


if __name__ == "__main__":
    main()

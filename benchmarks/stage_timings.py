"""Print the stage timings of the default run, with the sizing LP's build/solve split per site.

    python benchmarks/stage_timings.py [--repeat N] [--levers]

``--levers`` also prints what three of issue 17's levers measure here: whether the installed highspy
wheel has HiGHS's newer interior-point solver (HiPO), what importing the command line costs
against a bare Python start (the most lazy imports could save), and the report's figures drawn in
this process alone against shared with the run's two worker processes (as a full-year run draws
them), on the default scenario's typical days.

The first run's total (without ``--levers``) starts before pvcluster's pipeline is imported (what a command line run imports
before its stages; the ``imports + scenario`` row), later runs' with the modules imported.
Times are wall-clock on this machine; read them as shares of one run (sizing dominates),
not as absolute numbers to compare across machines. The CPU line sums the user and system time of this
process and of the run's worker processes (ended by the end of the run): divided by the cores, it is the
least wall time any schedule of the same work could take here. The critical path adds the stages before
the sizing, the longest site's build and solve and the stages after the sizing: the stages follow one
another (each needs the one before) and a site is sized in one process, so the run cannot end sooner
unless one of those three parts gets shorter.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


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


def parallel_figures() -> None:
    """The report's figures in this process alone against shared with the run's two workers
    (:func:`pvcluster.report.render_figures` through :func:`pvcluster.processes.run_jobs`), the workers
    warm (matplotlib imported, as a run's are once the sizing gives them back)."""
    from pvcluster import processes
    from pvcluster.pipeline import compute
    from pvcluster.scenario import load_scenario
    from pvcluster.report import render_figures

    results = compute(load_scenario(overrides=["sizing.periods=typical_days", "weather.ensemble_years=0"]))
    with tempfile.TemporaryDirectory() as tmp:
        folders = [Path(tmp) / name for name in ("first", "here", "shared")]
        for folder in folders:
            folder.mkdir()
        n = len(render_figures(results, folders[0]))  # matplotlib's first figures in this process
        t0 = time.perf_counter()
        render_figures(results, folders[1])
        serial = time.perf_counter() - t0
        with processes.prestarted_workers(2, warm=("pvcluster.report.figures",)):
            processes.give_back([processes.take_worker(spare_only=True) for _ in range(2)])  # import, as after a sizing
            time.sleep(3.0)
            t0 = time.perf_counter()
            render_figures(results, folders[2])
            shared = time.perf_counter() - t0
    print(f"lever figures on the run's workers: {n} figures in this process {serial:.2f} s, shared with the "
          f"run's 2 warm workers {shared:.2f} s ({serial / shared:.2f}x)")


def cpu_seconds() -> float:
    """User and system CPU seconds of this process and of its ended child processes (the run's workers)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--levers", action="store_true")
    args = parser.parse_args()
    if args.levers:
        levers()
    for i in range(args.repeat):
        cpu0 = cpu_seconds()
        t0 = time.perf_counter()
        # imported here, not with this module: the first run counts importing the pipeline as a command line
        # run does, whichever commit's pipeline imports what; and the run's worker processes import this
        # script as they start (as they import the command line's), and need neither pandas nor pvlib
        from pvcluster.pipeline import run
        from pvcluster.scenario import load_scenario

        scenario = load_scenario()
        load_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            result = run(scenario, Path(tmp) / "yeongwol")
            manifest = json.loads((result.out_dir / "manifest.json").read_text())
        total = time.perf_counter() - t0
        cpu = cpu_seconds() - cpu0
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        print(f"run {i + 1}: default scenario, total {total:.2f} s")
        print(f"  CPU of this process and its workers {cpu:.2f} s: on {cores} cores no schedule of the same work "
              f"takes less than {cpu / cores:.2f} s")
        print(f"  {'stage':<26}{'seconds':>9}{'share':>8}")
        for name, seconds in {"imports + scenario": load_s, **result.timings_s}.items():
            print(f"  {name:<26}{seconds:>9.3f}{seconds / total:>8.1%}")
        for site, t in manifest["solver_times_s"].items():
            print(f"  sizing {site:<19}build {t['build_s']:.3f} s, transfer + HiGHS {t['solve_s']:.3f} s")
        critical_path(load_s, result.timings_s, manifest["solver_times_s"])


def critical_path(load_s: float, timings: dict, sites: dict) -> None:
    """The stages before the sizing, the longest site's build and solve, and the stages after it: the stages
    follow one another and a site is sized in one process (HiGHS's PDLP and simplex each run on one core),
    so the run cannot end sooner unless one of these three parts gets shorter."""
    if not sites:
        return
    # where workers size, the generation stage's time also holds any wait for the P-values after the sizing
    before = load_s + sum(timings.get(k, 0.0) for k in ("weather", "demand", "generation"))
    after = sum(timings.get(k, 0.0) for k in ("finance", "sensitivity", "report"))
    name, t = max(sites.items(), key=lambda item: item[1]["build_s"] + item[1]["solve_s"])
    longest = t["build_s"] + t["solve_s"]
    print(f"  critical path: before the sizing {before:.2f} s + the longest site ({name}) {longest:.2f} s + after "
          f"the sizing {after:.2f} s = {before + longest + after:.2f} s")


if __name__ == "__main__":
    main()
